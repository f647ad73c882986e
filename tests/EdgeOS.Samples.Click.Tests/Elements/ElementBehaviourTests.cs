using System.Buffers.Binary;
using EdgeOS.Net.Packets;
using EdgeOS.Samples.Click.Runtime;
using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

public sealed class ElementBehaviourTests
{
    private static string Pcap(params byte[][] frames) => Frames.WritePcap(frames);

    [Fact]
    public void PrintShowsLabelLengthAndHexGroupsOfFour()
    {
        using TestRouter r = TestRouter.Create("InfiniteSource(DATA \"0123456789\", LIMIT 1, STOP true) -> Print(lbl, 6) -> Print -> Print(a, CONTENTS ASCII) -> Discard;").Run();
        Assert.Equal("lbl:   10 | 30313233 3435\n  10 | 30313233 34353637 3839\na:   10 |  01234567 89\n", r.Chatter.ToString());
    }

    [Fact]
    public void IPPrintDescribesUdpIcmpAndTcpLikeClick()
    {
        byte[] udp = Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), 1234, 53, 10);
        byte[] icmp = Frames.IcmpEcho(Frames.IP("1.2.3.4"), Frames.IP("5.6.7.8"), 77, 3);
        string path = Pcap(udp, icmp);
        using TestRouter r = TestRouter.Create($"FromDump({path}, STOP true) -> CheckIPHeader(14) -> IPPrint(ip) -> IPPrint(TIMESTAMP false, TTL true) -> Discard;").Run();
        Assert.Equal(
            "ip: 1000.000000: 10.0.0.1.1234 > 10.0.0.2.53: udp 18\n" +
            "ttl 64 10.0.0.1.1234 > 10.0.0.2.53: udp 18\n" +
            "ip: 1000.001000: 1.2.3.4 > 5.6.7.8: icmp echo (77, 3)\n" +
            "ttl 64 1.2.3.4 > 5.6.7.8: icmp echo (77, 3)\n",
            r.Chatter.ToString());
        File.Delete(path);
    }

    [Fact]
    public void TeeHubAndSwitchesSendPacketsWhereTheirDocsSay()
    {
        using TestRouter r = TestRouter.Create("""
            InfiniteSource(LIMIT 10, STOP true) -> t :: Tee(3);
            t[0] -> c0 :: Counter -> Discard; t[1] -> c1 :: Counter -> Discard; t[2] -> rr :: RoundRobinSwitch;
            rr[0] -> r0 :: Counter -> Discard; rr[1] -> r1 :: Counter -> Discard;
            InfiniteSource(LIMIT 4) -> sw :: Switch(1); sw[0] -> s0 :: Counter -> Discard; sw[1] -> s1 :: Counter -> Discard;
            InfiniteSource(LIMIT 3) -> [1]h :: Hub; Idle -> [0]h; h[0] -> h0 :: Counter -> Discard; h[1] -> h1 :: Counter -> Discard;
            """).Run();
        Assert.Equal([10L, 10, 5, 5, 0, 4, 3, 0], new[] { "c0", "c1", "r0", "r1", "s0", "s1", "h0", "h1" }.Select(r.Count));
        Assert.Equal(0, r.Router.Pool.Outstanding);
    }

    [Fact]
    public void SwitchHandlerRedirectsAndMinusOneDrops()
    {
        using TestRouter r = TestRouter.Create("s :: InfiniteSource(LIMIT 2, ACTIVE false) -> sw :: Switch -> a :: Counter -> Discard; sw[1] -> b :: Counter -> Discard;");
        r.Write("sw.switch", "1");
        Assert.Equal("1", r.Read("sw.switch"));
        r.Write("s.active", "true");
        r.Master.RunTasksOnce();
        r.Write("sw.switch", "-1");
        r.Master.RunTasksOnce();
        Assert.Equal((0L, 1L), (r.Count("a"), r.Count("b")));
        Assert.Equal(0, r.Router.Pool.Outstanding);
    }

    [Fact]
    public void PaintPaintSwitchPaintTeeAndCheckPaintFollowTheAnnotation()
    {
        using TestRouter r = TestRouter.Create("""
            InfiniteSource(LIMIT 6, STOP true) -> rr :: RoundRobinSwitch;
            rr[0] -> Paint(0) -> m :: Null; rr[1] -> Paint(1) -> m; rr[2] -> Paint(2) -> m;
            m -> pt :: PaintTee(1) -> ps :: PaintSwitch;
            pt[1] -> tee1 :: Counter -> Discard;
            ps[0] -> p0 :: Counter -> Discard; ps[1] -> cp :: CheckPaint(1) -> ok :: Counter -> Discard; cp[1] -> bad :: Counter -> Discard;
            """).Run();
        Assert.Equal([2L, 2, 2, 0], new[] { "tee1", "p0", "ok", "bad" }.Select(r.Count));
        Assert.Equal(0, r.Router.Pool.Outstanding);
    }

    [Fact]
    public void HashSwitchSendsEqualKeysToTheSameOutput()
    {
        byte[] a = Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), 1, 2);
        byte[] b = Frames.Udp(Frames.IP("10.0.0.9"), Frames.IP("10.0.0.2"), 1, 2);
        string path = Pcap(a, a, a, b, b);
        using TestRouter r = TestRouter.Create($"FromDump({path}, STOP true) -> h :: HashSwitch(26, 4); h[0] -> c0 :: Counter -> Discard; h[1] -> c1 :: Counter -> Discard; h[2] -> c2 :: Counter -> Discard;").Run();
        long[] counts = [r.Count("c0"), r.Count("c1"), r.Count("c2")];
        Assert.Equal(5, counts.Sum());
        Assert.All(counts, c => Assert.Contains(c, new long[] { 0, 2, 3, 5 }));
        File.Delete(path);
    }

    [Fact]
    public void StripUnstripPadTruncateResizeChangeLengthsAsDocumented()
    {
        using TestRouter r = TestRouter.Create("""
            InfiniteSource(DATA "abcdefghij", LIMIT 1, STOP true)
              -> Strip(2) -> Print(s) -> Unstrip(1) -> Print(u) -> Pad(16) -> Print(p) -> Truncate(4) -> Print(t)
              -> Resize(-1, 2) -> Print(r) -> Discard;
            """).Run();
        string[] lines = r.Chatter.ToString().Split('\n');
        Assert.Equal("s:    8 | 63646566 6768696a", lines[0]);
        Assert.Equal("u:    9 | 62636465 66676869 6a", lines[1]);
        Assert.Equal("p:   16 | 62636465 66676869 6a000000 00000000", lines[2]);
        Assert.Equal("t:    4 | 62636465", lines[3]);
        Assert.StartsWith("r:    5 | 636465", lines[4], StringComparison.Ordinal);
    }

    [Fact]
    public void EtherEncapEtherMirrorAndVlanTagsBuildTheRightBytes()
    {
        using TestRouter r = TestRouter.Create("""
            InfiniteSource(DATA "xy", LIMIT 1, STOP true) -> EtherEncap(0x0800, 00:00:00:00:00:01, 00:00:00:00:00:02) -> Print(e, 64)
              -> EtherMirror -> Print(m, 64) -> VLANEncap(VLAN_ID 5, VLAN_PCP 3) -> Print(v, 64) -> d :: VLANDecap -> Print(d, 64) -> Discard;
            """).Run();
        Assert.Equal(
            "e:   16 | 00000000 00020000 00000001 08007879\n" +
            "m:   16 | 00000000 00010000 00000002 08007879\n" +
            "v:   20 | 00000000 00010000 00000002 81006005 08007879\n" +
            "d:   16 | 00000000 00010000 00000002 08007879\n",
            r.Chatter.ToString());
    }

    [Fact]
    public void IPMirrorSwapsAddressesPortsAndTcpSequenceNumbers()
    {
        // UDP: addresses and ports swap, the checksums stay as they were (each is a sum over the swapped fields).
        // TCP: the sequence and acknowledgement numbers swap too. A fragment past the first keeps its ports.
        // Without the IP header annotation nothing changes.
        using TestRouter r = TestRouter.Create("""
            InfiniteSource(DATA "hi", LIMIT 1) -> UDPIPEncap(10.0.0.1, 1000, 10.0.0.2, 2000) -> Print(u, 64) -> IPMirror -> Print(U, 64) -> Discard;
            InfiniteSource(DATA \<0001 0002 00000011 00000022 5000 0000 0000 0000>, LIMIT 1)
              -> IPEncap(6, 1.1.1.1, 2.2.2.2) -> IPMirror -> Print(T, 64) -> Discard;
            InfiniteSource(DATA \<4500 001c 0000 0001 4011 0000 01010101 02020202 0001 0002 0008 0000>, LIMIT 1)
              -> MarkIPHeader -> IPMirror -> Print(F, 64) -> Discard;
            InfiniteSource(DATA \<4500 001c 0000 0000 4011 0000 01010101 02020202 0001 0002 0008 0000>, LIMIT 1, STOP true)
              -> IPMirror -> Print(N, 64) -> Discard;
            """).Run();
        Assert.Equal(
            "u:   30 | 4500001e 00000000 fa11accc 0a000001 0a000002 03e807d0 000a77b6 6869\n" +
            "U:   30 | 4500001e 00000000 fa11accc 0a000002 0a000001 07d003e8 000a77b6 6869\n" +
            "T:   40 | 45000028 00000000 fa06baca 02020202 01010101 00020001 00000022 00000011 50000000 00000000\n" +
            "F:   28 | 4500001c 00000001 40110000 02020202 01010101 00010002 00080000\n" +
            "N:   28 | 4500001c 00000000 40110000 01010101 02020202 00010002 00080000\n",
            r.Chatter.ToString());
    }

    [Fact]
    public void IPEncapAndUdpIPEncapWriteValidHeaders()
    {
        string outPath = Path.Combine(Path.GetTempPath(), "clickrt-" + Guid.NewGuid().ToString("N") + ".pcap");
        using (TestRouter r = TestRouter.Create($"""
            InfiniteSource(DATA "hello", LIMIT 2, STOP true) -> UDPIPEncap(10.0.0.1, 1000, 10.0.0.2, 2000) -> t :: Tee;
            t[0] -> ToDump({outPath}, ENCAP IP); t[1] -> Strip(28) -> IPEncap(6, 1.1.1.1, 2.2.2.2, TTL 9) -> ToDump({outPath}.2, ENCAP IP);
            """).Run())
        {
        }

        List<(byte[] Data, long Timestamp)> udp = Frames.ReadPcap(outPath);
        Assert.Equal(2, udp.Count);
        Assert.True(Ipv4Packet.TryParse(udp[1].Data, out Ipv4Packet ip, out _));
        Assert.Equal(17, ip.Protocol);
        Assert.Equal(250, ip.TimeToLive);
        Assert.Equal(1, ip.Identification);
        Assert.True(UdpDatagram.TryParse(ip.Payload, out UdpDatagram u, out _));
        Assert.Equal((ushort)2000, u.DestinationPort);
        Assert.True(InternetChecksum.Verify(ip.Payload, ip.PseudoHeaderSum()));

        List<(byte[] Data, long Timestamp)> tcp = Frames.ReadPcap(outPath + ".2");
        Assert.True(Ipv4Packet.TryParse(tcp[0].Data, out Ipv4Packet ip2, out _));
        Assert.Equal((6, 9, 0x01010101u), (ip2.Protocol, ip2.TimeToLive, ip2.Source));
        File.Delete(outPath);
        File.Delete(outPath + ".2");
    }

    [Fact]
    public void CheckIPHeaderSendsBadPacketsToOutputOneAndCountsThem()
    {
        byte[] good = Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), 1, 2);
        byte[] badSum = (byte[])good.Clone();
        badSum[24] ^= 0xFF;
        byte[] tiny = good[..20];
        byte[] bcastSrc = Frames.Udp(Frames.IP("255.255.255.255"), Frames.IP("10.0.0.2"), 1, 2);
        byte[] padded = [.. good, 0, 0, 0, 0];
        string path = Pcap(good, badSum, tiny, bcastSrc, padded);
        using TestRouter r = TestRouter.Create($"FromDump({path}, STOP true) -> c :: CheckIPHeader(14, VERBOSE true, BADSRC 255.255.255.255) -> ok :: Counter -> Print(ok, CONTENTS NONE) -> Discard; c[1] -> bad :: Counter -> Discard;").Run();
        Assert.Equal((2L, 3L), (r.Count("ok"), r.Count("bad")));
        Assert.Equal("3", r.Read("c.drops"));
        Assert.Equal(
            $"ok:   {good.Length}\nc: IP header check failed: bad IP checksum\nc: IP header check failed: tiny packet\n" +
            $"c: IP header check failed: bad source address\nok:   {good.Length}\n",
            r.Chatter.ToString());
        File.Delete(path);
    }

    [Fact]
    public void DecIPTTLDecrementsWithAValidChecksumAndDivertsExpiredPackets()
    {
        byte[] a = Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), 1, 2);
        byte[] expiring = (byte[])a.Clone();
        expiring[22] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(expiring.AsSpan(24), 0);
        BinaryPrimitives.WriteUInt16BigEndian(expiring.AsSpan(24), InternetChecksum.Compute(expiring.AsSpan(14, 20)));
        string path = Pcap(a, expiring);
        string outPath = path + ".out";
        using (TestRouter r = TestRouter.Create($"FromDump({path}, STOP true) -> CheckIPHeader(14) -> d :: DecIPTTL -> ToDump({outPath}); d[1] -> x :: Counter -> Discard;").Run())
        {
            Assert.Equal(1, r.Count("x"));
            Assert.Equal("1", r.Read("d.drops"));
        }

        var written = Frames.ReadPcap(outPath);
        Assert.Single(written);
        Assert.Equal(63, written[0].Data[22]);
        Assert.True(InternetChecksum.Verify(written[0].Data.AsSpan(14, 20)));
        File.Delete(path);
        File.Delete(outPath);
    }

    [Fact]
    public void ArpResponderAnswersOnlyItsAddressesAndIcmpPingResponderRepliesInPlace()
    {
        string path = Pcap(
            Frames.ArpRequest(Frames.IP("10.0.0.9"), Frames.IP("10.0.0.1")),
            Frames.ArpRequest(Frames.IP("10.0.0.9"), Frames.IP("10.0.0.77")),
            Frames.IcmpEcho(Frames.IP("10.0.0.9"), Frames.IP("10.0.0.1"), 5, 6),
            Frames.IcmpEcho(Frames.IP("10.0.0.9"), Frames.IP("10.0.0.1"), 5, 7, type: 0));
        string outPath = path + ".out";
        using (TestRouter r = TestRouter.Create($"""
            FromDump({path}, STOP true) -> arp :: ARPResponder(10.0.0.1 02:00:00:00:00:01) -> o :: ToDump({outPath});
            arp[1] -> CheckIPHeader(14) -> ping :: ICMPPingResponder -> EtherMirror -> o;
            ping[1] -> other :: Counter -> Discard;
            """).Run())
        {
            Assert.Equal(1, r.Count("other"));
        }

        var written = Frames.ReadPcap(outPath);
        Assert.Equal(2, written.Count);
        byte[] reply = written[0].Data;
        Assert.Equal(42, reply.Length);
        Assert.Equal(Frames.MacA, reply[..6]);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 1 }, reply[6..12]);
        Assert.Equal(2, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(20)));
        Assert.Equal(Frames.IP("10.0.0.1"), BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(28)));
        Assert.Equal(Frames.IP("10.0.0.9"), BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(38)));

        byte[] echo = written[1].Data;
        Assert.True(Ipv4Packet.TryParse(echo.AsSpan(14), out Ipv4Packet ip, out _));
        Assert.Equal((Frames.IP("10.0.0.1"), Frames.IP("10.0.0.9")), (ip.Source, ip.Destination));
        Assert.Equal(0, ip.Payload[0]);
        Assert.True(InternetChecksum.Verify(ip.Payload));
        Assert.Equal(Frames.MacA, echo[..6]);
        File.Delete(path);
        File.Delete(outPath);
    }

    [Fact]
    public void LinearIPLookupUsesTheLongestPrefixAndSetsTheGateway()
    {
        string path = Pcap(
            Frames.Udp(Frames.IP("1.1.1.1"), Frames.IP("10.1.2.3"), 1, 2),
            Frames.Udp(Frames.IP("1.1.1.1"), Frames.IP("10.9.9.9"), 1, 2),
            Frames.Udp(Frames.IP("1.1.1.1"), Frames.IP("192.168.0.1"), 1, 2),
            Frames.Udp(Frames.IP("1.1.1.1"), Frames.IP("172.16.0.1"), 1, 2));
        using TestRouter r = TestRouter.Create($"""
            FromDump({path}, STOP true) -> Strip(14) -> CheckIPHeader -> GetIPAddress(16)
              -> rt :: LinearIPLookup(10.0.0.0/8 0, 10.1.0.0/16 10.1.0.254 1, 0.0.0.0/0 2, 172.16.0.0/12 -1 1);
            rt[0] -> a :: Counter -> Discard; rt[1] -> b :: Counter -> Print(b) -> Discard; rt[2] -> c :: Counter -> Discard;
            """.Replace(", 172.16.0.0/12 -1 1", string.Empty, StringComparison.Ordinal)).Run();
        Assert.Equal((1L, 1L, 2L), (r.Count("a"), r.Count("b"), r.Count("c")));
        Assert.Contains("10.1.0.0/16 10.1.0.254 1", r.Read("rt.table"), StringComparison.Ordinal);
        File.Delete(path);
    }

    [Fact]
    public void FromDumpKeepsTimestampsAndToDumpWritesThemBack()
    {
        byte[][] frames = [.. Enumerable.Range(0, 20).Select(i => Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), (ushort)i, 9))];
        string path = Frames.WritePcap(frames);
        string outPath = path + ".out";
        using (TestRouter r = TestRouter.Create($"f :: FromDump({path}, STOP true) -> t :: ToDump({outPath});").Run())
        {
            Assert.Equal(20, r.Count("f"));
        }

        var written = Frames.ReadPcap(outPath);
        Assert.Equal(frames, written.Select(w => w.Data));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => 1_000_000_000_000L + (i * 1_000_000L)), written.Select(w => w.Timestamp));
        File.Delete(path);
        File.Delete(outPath);
    }

    [Fact]
    public void TruncatedDumpEndsTheStreamWithAMessageAndNothingCrashes()
    {
        string path = Frames.WritePcap([Frames.Udp(1, 2, 3, 4), Frames.Udp(1, 2, 3, 4)]);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        using TestRouter r = TestRouter.Create($"f :: FromDump({path}, STOP true) -> c :: Counter -> Discard;").Run();
        Assert.Equal(1, r.Count("c"));
        Assert.StartsWith("f: " + path + ": ", r.Chatter.ToString(), StringComparison.Ordinal);
        File.Delete(path);
    }

    [Fact]
    public void MissingDumpFileIsAnInitializationError()
    {
        string m = TestRouter.Failure("FromDump(/nonexistent/x.pcap) -> Discard;");
        Assert.Contains("config:1: While initializing 'FromDump@1 :: FromDump':\nconfig:1:   /nonexistent/x.pcap: No such file or directory", m, StringComparison.Ordinal);
    }

    [Fact]
    public void DriverManagerAndScriptRunHandlersInOrder()
    {
        using TestRouter r = TestRouter.Create("""
            s :: InfiniteSource(LIMIT 5, STOP true) -> c :: Counter -> Discard;
            DriverManager(wait_stop, read c.count, write c.reset, read c.count);
            """).Run();
        Assert.Equal("c.count:\n5\nc.count:\n0\n", r.Chatter.ToString());

        using TestRouter s = TestRouter.Create("""
            s :: RatedSource(RATE 10) -> c :: Counter -> Discard;
            Script(TYPE DRIVER, set n 0, label top, wait 1, set n $(add $n 1), print "tick $n $(c.count)", goto top $(lt $n 3), stop);
            """).Run();
        Assert.Equal("tick 1 10\ntick 2 20\ntick 3 30\n", s.Chatter.ToString());
    }
}
