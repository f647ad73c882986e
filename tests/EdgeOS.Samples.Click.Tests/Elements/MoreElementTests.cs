using System.Buffers.Binary;
using EdgeOS.Net.Packets;
using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

public sealed class MoreElementTests
{
    [Fact]
    public void ArpQuerierHoldsThePacketQueriesAndEncapsulatesAfterTheReply()
    {
        using TestRouter r = TestRouter.Create("""
            InfiniteSource(LENGTH 20, LIMIT 1, STOP true) -> UDPIPEncap(10.0.0.1, 1, 10.0.0.2, 2) -> [0]aq :: ARPQuerier(10.0.0.1, 02:00:00:00:00:01);
            Idle -> [1]aq;
            aq[0] -> Print(out, 64) -> Discard; aq[1] -> Print(query, 42) -> Discard;
            """).Run();
        Assert.Equal("1", r.Read("aq.queries"));
        Assert.StartsWith("query:   42 | ffffffff ffff0200 00000001 08060001 08000604 00010200 00000001 0a000001 00000000 00000a00 0002", r.Chatter.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("out:", r.Chatter.ToString(), StringComparison.Ordinal);

        // The reply teaches the address and releases the held packet, now with an Ethernet header.
        byte[] reply = Frames.ArpRequest(Frames.IP("10.0.0.2"), Frames.IP("10.0.0.1"));
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(20), 2);
        var aq = r.Router.Find("aq")!;
        aq.Push(1, r.Router.Pool.Make(reply));
        string outLine = r.Chatter.ToString().Split('\n').Single(l => l.StartsWith("out:", StringComparison.Ordinal));
        Assert.StartsWith("out:   62 | 02000000 000a0200 00000001 08004500", outLine, StringComparison.Ordinal);
        Assert.Contains("10.0.0.2 1 02-00-00-00-00-0A", r.Read("aq.table"), StringComparison.Ordinal);
        Assert.Equal(0, r.Router.Pool.Outstanding);
    }

    [Fact]
    public void AnnotationAndHeaderSettersWriteWhatTheirDocsSay()
    {
        string path = Frames.WritePcap([Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), 1, 2)]);
        string outPath = path + ".out";
        try
        {
            using (TestRouter r = TestRouter.Create($"""
                FromDump({path}, STOP true) -> MarkIPHeader(14) -> SetIPDSCP(46) -> StoreIPAddress(192.168.1.1, src)
                  -> SetIPAddress(172.16.0.9) -> StoreIPAddress(dst) -> SetVLANAnno(VLAN_ID 7, VLAN_PCP 1) -> VLANEncap(ANNO)
                  -> VLANDecap -> c :: CheckIPHeader(14) -> ToDump({outPath});
                """).Run())
            {
                Assert.Equal("0", r.Read("c.drops"));
            }

            byte[] f = Frames.ReadPcap(outPath)[0].Data;
            Assert.True(Ipv4Packet.TryParse(f.AsSpan(14), out Ipv4Packet ip, out _));
            Assert.Equal((46 << 2, Frames.IP("192.168.1.1"), Frames.IP("172.16.0.9")), (ip.TypeOfService, ip.Source, ip.Destination));
            Assert.True(ip.IsChecksumValid());
        }
        finally
        {
            File.Delete(path);
            File.Delete(outPath);
        }
    }

    [Fact]
    public void TransportChecksRejectCorruptedDatagrams()
    {
        byte[] good = Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), 1, 2);
        byte[] bad = (byte[])good.Clone();
        bad[^1] ^= 0x55;
        byte[] icmpBad = Frames.IcmpEcho(1, 2, 3, 4);
        icmpBad[^1] ^= 1;
        string path = Frames.WritePcap([good, bad, Frames.IcmpEcho(1, 2, 3, 4), icmpBad]);
        try
        {
            using TestRouter r = TestRouter.Create($"""
                FromDump({path}, STOP true) -> CheckIPHeader(14) -> c :: IPClassifier(udp, icmp);
                c[0] -> u :: CheckUDPHeader -> uok :: Counter -> Discard; u[1] -> ubad :: Counter -> Discard;
                c[1] -> i :: CheckICMPHeader -> iok :: Counter -> Discard; i[1] -> ibad :: Counter -> Discard;
                """).Run();
            Assert.Equal([1L, 1, 1, 1], new[] { "uok", "ubad", "iok", "ibad" }.Select(r.Count));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AverageCounterReportsTheRateOverSimulatedTime()
    {
        using TestRouter r = TestRouter.Create("RatedSource(RATE 50, LIMIT 101, STOP true) -> a :: AverageCounter -> Discard;").Run();
        Assert.Equal("101", r.Read("a.count"));
        Assert.Equal("50.5", r.Read("a.rate"));
    }

    [Fact]
    public void DriverManagerAndScriptRefuseUnknownInstructions()
    {
        string m = TestRouter.Failure("Idle -> Discard; DriverManager(wait_stop, frobnicate 3);");
        Assert.Contains("config:1:   unknown instruction 'frobnicate'", m, StringComparison.Ordinal);
        m = TestRouter.Failure("Idle -> Discard; Script(goto nowhere);");
        Assert.Contains("config:1:   no such label 'nowhere'", m, StringComparison.Ordinal);
    }
}
