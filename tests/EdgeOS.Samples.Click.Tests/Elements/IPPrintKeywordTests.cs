using System.Buffers.Binary;
using EdgeOS.Samples.Click.Runtime;
using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

/// <summary>IPPrint's keywords, output and handler as Click 2.1's ipprint.hh / ipprint.cc define them.</summary>
public sealed class IPPrintKeywordTests
{
    /// <summary>An IPv4 packet (no Ethernet header) of protocol <paramref name="protocol"/> carrying <paramref name="transport"/>.</summary>
    private static byte[] IPv4(byte protocol, byte[] transport, string src = "10.0.0.1", string dst = "10.0.0.2", ushort id = 5, ushort fragment = 0, byte tos = 0)
    {
        byte[] p = new byte[20 + transport.Length];
        p[0] = 0x45;
        p[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), fragment);
        p[8] = 64;
        p[9] = protocol;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(12), Frames.IP(src));
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), Frames.IP(dst));
        transport.CopyTo(p, 20);
        return p;
    }

    private static byte[] UdpPacket(int payload = 6)
    {
        byte[] udp = new byte[8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 1234);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), 53);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        for (int i = 0; i < payload; i++)
        {
            udp[8 + i] = (byte)(0x41 + i);
        }

        return IPv4(17, udp);
    }

    private static byte[] Icmp(byte type, byte code, byte[] rest, byte[]? body = null)
    {
        byte[] icmp = new byte[8 + (body?.Length ?? 0)];
        icmp[0] = type;
        icmp[1] = code;
        rest.CopyTo(icmp, 4);
        body?.CopyTo(icmp, 8);
        return IPv4(1, icmp);
    }

    /// <summary>Pushes <paramref name="packet"/> (network header at its start, or none) through <c>IPPrint(keywords)</c>; returns the chatter.</summary>
    private static string Print(string keywords, byte[] packet, bool networkHeader = true, Action<Packet>? annotate = null, int? transportBytes = null)
    {
        using TestRouter r = TestRouter.Create($"Idle -> p :: IPPrint({keywords}) -> Discard;");
        Packet p = r.Router.Pool.Make(packet);
        if (networkHeader)
        {
            p.SetNetworkHeader(0, 20);
        }

        if (transportBytes is int t)
        {
            p.Take(p.Length - 20 - t);
        }

        annotate?.Invoke(p);
        r.Router.Find("p")!.Push(0, p);
        return r.Chatter.ToString();
    }

    [Theory]
    [InlineData("ETHER true", "ETHER: unknown argument")]
    [InlineData("FLOWID true", "FLOWID: unknown argument")]
    [InlineData("CONTENTS foo", "bad contents value 'FOO'; should be 'NONE', 'HEX', or 'ASCII'")]
    [InlineData("PAYLOAD none", "bad payload value 'NONE'; should be 'false', 'hex', or 'ascii'")]
    [InlineData("CONTENTS hex, PAYLOAD ascii", "specify at most one of PAYLOAD and CONTENTS")]
    [InlineData("MAXLENGTH many", "MAXLENGTH")]
    [InlineData("SWAP maybe", "SWAP")]
    [InlineData("CHANNEL log", "CHANNEL: no chatter channel 'log'")]
    [InlineData("a, b", "too many arguments")]
    public void UnknownKeywordsAndBadValuesAreRefused(string keywords, string message)
    {
        string m = TestRouter.Failure($"Idle -> IPPrint({keywords}) -> Discard;");
        Assert.Contains(message, m, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelTimestampAnnotationsAndHeaderFieldsComeInClicksOrder()
    {
        string line = Print("lbl, ID true, TTL true, TOS true, LENGTH true, PAINT true", IPv4(17, new byte[] { 4, 210, 0, 53, 0, 8, 0, 0 }, tos: 16),
            annotate: p =>
            {
                p.TimestampNanoseconds = 1_500_250_000_000;
                p.Paint = 3;
            });
        Assert.Equal("lbl: 1500.250000: paint 3: id 5 ttl 64 tos 16 length 28 10.0.0.1.1234 > 10.0.0.2.53: udp 8\n", line);

        line = Print("TIMESTAMP false, AGGREGATE true, PAINT true", UdpPacket(), annotate: p =>
        {
            p.Paint = 2;
            p.UserAnnotation = 77;
        });
        Assert.Equal("#77.2: 10.0.0.1.1234 > 10.0.0.2.53: udp 14\n", line);
        Assert.Equal("#77: 10.0.0.1.1234 > 10.0.0.2.53: udp 14\n", Print("TIMESTAMP false, AGGREGATE true", UdpPacket(), annotate: p => p.UserAnnotation = 77));
    }

    [Fact]
    public void ContentsAndPayloadPrintHexAndAsciiLinesAsClickDoes()
    {
        byte[] packet = UdpPacket(payload: 12);
        string hex = Print("TIMESTAMP false, CONTENTS hex, MAXLENGTH 30", packet);
        Assert.Equal(
            "10.0.0.1.1234 > 10.0.0.2.53: udp 20\n" +
            "  45000028 00050000 40110000 0a000001 0a000002 04d20035\n" +
            "  00140000 4142\n",
            hex);
        Assert.Equal(hex, Print("TIMESTAMP false, CONTENTS true, NBYTES 30", packet));

        // PAYLOAD: only the bytes after the UDP header; MAXLENGTH -1 prints them all.
        Assert.Equal("10.0.0.1.1234 > 10.0.0.2.53: udp 20\n  41424344 45464748 494a4b4c\n", Print("TIMESTAMP false, PAYLOAD hex, MAXLENGTH -1", packet));
        Assert.Equal("10.0.0.1.1234 > 10.0.0.2.53: udp 20\n  ABCDEFGH IJKL\n", Print("TIMESTAMP false, PAYLOAD ascii", packet));
        Assert.Equal("10.0.0.1.1234 > 10.0.0.2.53: udp 20\n", Print("TIMESTAMP false, CONTENTS none, PAYLOAD false", packet));
        Assert.Equal("10.0.0.1.1234 > 10.0.0.2.53: udp 20\n  E..(....\n", Print("TIMESTAMP false, CONTENTS ascii, MAXLENGTH 8", packet));
    }

    [Fact]
    public void IcmpUsesClicksTypeAndCodeNames()
    {
        Assert.Equal("10.0.0.1 > 10.0.0.2: icmp echo-reply (258, 772)\n", Print("TIMESTAMP false", Icmp(0, 0, [1, 2, 3, 4])));
        Assert.Equal("10.0.0.1 > 10.0.0.2: icmp echo (513, 1027)\n", Print("TIMESTAMP false, SWAP false", Icmp(8, 0, [1, 2, 3, 4])));

        // Unreachable carries the offending header: its destination, the code's name, protocol and port.
        byte[] inner = IPv4(17, new byte[] { 0, 7, 0, 53, 0, 8, 0, 0 }, src: "10.0.0.2", dst: "10.9.9.9");
        Assert.Equal("10.0.0.1 > 10.0.0.2: icmp 10.9.9.9 unreachable port udp/53\n", Print("TIMESTAMP false", Icmp(3, 3, [0, 0, 0, 0], inner)));
        Assert.Equal("10.0.0.1 > 10.0.0.2: icmp 10.9.9.9 unreachable protocol udp\n", Print("TIMESTAMP false", Icmp(3, 2, [0, 0, 0, 0], inner)));
        Assert.Equal("10.0.0.1 > 10.0.0.2: icmp 10.9.9.9 unreachable needfrag (mtu 1400)\n", Print("TIMESTAMP false", Icmp(3, 4, [0, 0, 0x05, 0x78], inner)));
        Assert.Equal("10.0.0.1 > 10.0.0.2: icmp unreachable host truncated-icmp\n", Print("TIMESTAMP false", Icmp(3, 1, [0, 0, 0, 0])));
        Assert.Equal("10.0.0.1 > 10.0.0.2: icmp timeexceeded transit\n", Print("TIMESTAMP false", Icmp(11, 0, [0, 0, 0, 0])));
        Assert.Equal("10.0.0.1 > 10.0.0.2: icmp type 42 code 1\n", Print("TIMESTAMP false", Icmp(42, 1, [0, 0, 0, 0])));
    }

    [Fact]
    public void TruncatedHeadersAndFragmentsPrintAsClickDoes()
    {
        byte[] tcp = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 80);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), 4000);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), 1000);
        tcp[12] = 0x50;
        tcp[13] = 0x12; // SYN ACK
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), 77);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 512);
        Assert.Equal("10.0.0.1.80 > 10.0.0.2.4000: S 1000:1001(1,40,40) ack 77 win 512\n", Print("TIMESTAMP false", IPv4(6, tcp)));
        Assert.Equal("10.0.0.1.80 > 10.0.0.2.4000: truncated-tcp\n", Print("TIMESTAMP false", IPv4(6, tcp), transportBytes: 10));
        Assert.Equal("10.0.0.1 > 10.0.0.2: truncated-udp\n", Print("TIMESTAMP false", UdpPacket(), transportBytes: 2));
        Assert.Equal("10.0.0.1 > 10.0.0.2: tcp (frag 5:20@16+)\n", Print("TIMESTAMP false", IPv4(6, tcp, fragment: 0x2002)));
        Assert.Equal("10.0.0.1 > 10.0.0.2: ip-proto-47\n", Print("TIMESTAMP false", IPv4(47, new byte[4])));
        Assert.Equal("truncated-ip\n", Print("TIMESTAMP false", new byte[12]));

        // No network header: the packet passes unprinted.
        Assert.Equal(string.Empty, Print("TIMESTAMP false", UdpPacket(), networkHeader: false));
    }

    [Fact]
    public void ActiveKeywordAndHandlerSilenceIt()
    {
        Assert.Equal(string.Empty, Print("ACTIVE false", UdpPacket()));
        using TestRouter r = TestRouter.Create("Idle -> p :: IPPrint(TIMESTAMP false, ACTIVE false) -> Discard;");
        Assert.Equal("false", r.Read("p.active"));
        r.Write("p.active", "true");
        Packet packet = r.Router.Pool.Make(UdpPacket());
        packet.SetNetworkHeader(0, 20);
        r.Router.Find("p")!.Push(0, packet);
        Assert.Equal("10.0.0.1.1234 > 10.0.0.2.53: udp 14\n", r.Chatter.ToString());
    }

    [Fact]
    public void OutfileGetsTheLinesInsteadOfTheChatter()
    {
        string path = Path.Combine(Path.GetTempPath(), "ipprint-" + Guid.NewGuid().ToString("N") + ".txt");
        try
        {
            using (TestRouter r = TestRouter.Create($"Idle -> p :: IPPrint(x, TIMESTAMP false, OUTFILE {path}) -> Discard;"))
            {
                Packet packet = r.Router.Pool.Make(UdpPacket());
                packet.SetNetworkHeader(0, 20);
                r.Router.Find("p")!.Push(0, packet);
                Assert.Equal(string.Empty, r.Chatter.ToString());
                Assert.Throws<InvalidOperationException>(() => Router.CloneForTenant(r.Router, new Master(simulatedTime: true)));
            }

            Assert.Equal("x: 10.0.0.1.1234 > 10.0.0.2.53: udp 14\n", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }

        string m = TestRouter.Failure("Idle -> p :: IPPrint(OUTFILE /nonexistent-dir/x/y.txt) -> Discard;");
        Assert.Contains("While initializing 'p :: IPPrint':", m, StringComparison.Ordinal);
        Assert.Contains("/nonexistent-dir/x/y.txt: ", m, StringComparison.Ordinal);
    }
}
