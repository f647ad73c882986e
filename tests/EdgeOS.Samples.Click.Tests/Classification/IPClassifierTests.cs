using EdgeOS.Samples.Click.Classification;
using Xunit;
using static EdgeOS.Samples.Click.Tests.Classification.TestPackets;

namespace EdgeOS.Samples.Click.Tests.Classification;

public sealed class IPClassifierTests
{
    private static bool Matches(string pattern, byte[] packet)
        => ClassifierProgram.CompileIPClassifier([pattern]).Match(packet, IpOffset) == 0;

    [Theory]
    [InlineData("host 10.0.0.1", true)]
    [InlineData("host 10.0.0.2", true)]
    [InlineData("host 10.0.0.3", false)]
    [InlineData("src host 10.0.0.1", true)]
    [InlineData("src host 10.0.0.2", false)]
    [InlineData("dst host 10.0.0.2", true)]
    [InlineData("src and dst host 10.0.0.1", false)]
    [InlineData("src or dst host 10.0.0.2", true)]
    [InlineData("src host != 10.0.0.1", false)]
    [InlineData("src host != 10.0.0.9", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("net 10.0.0.0/24", true)]
    [InlineData("src net 10.0.1.0/24", false)]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("dst net 10.0.0.0 mask 255.255.255.0", true)]
    [InlineData("dst net 10.0.0.0/255.255.255.0", true)]
    [InlineData("net 11.0.0.0/8", false)]
    [InlineData("net 0.0.0.0/0", true)]
    public void HostAndNetPrimitivesTestAddresses(string pattern, bool expected)
        => Assert.Equal(expected, Matches(pattern, Tcp("10.0.0.1", "10.0.0.2", 1234, 80)));

    [Theory]
    [InlineData("port 80", true)]
    [InlineData("port www", true)]
    [InlineData("www", true)]
    [InlineData("dst port www", true)]
    [InlineData("src port www", false)]
    [InlineData("src port 1234", true)]
    [InlineData("tcp port 80", true)]
    [InlineData("udp port 80", false)]
    [InlineData("dst port > 79", true)]
    [InlineData("dst port > 80", false)]
    [InlineData("dst port >= 80", true)]
    [InlineData("dst port < 80", false)]
    [InlineData("dst port <= 80", true)]
    [InlineData("dst port != 80", false)]
    [InlineData("src port != 80", true)]
    [InlineData("dst port & 0xf0 == 0x50", true)]
    [InlineData("dst port ssh", false)]
    [InlineData("src port 80 or 1234", true)]
    [InlineData("src port 80 or 81", false)]
    [InlineData("src and dst port 80", false)]
    public void PortPrimitivesOnTcp(string pattern, bool expected)
        => Assert.Equal(expected, Matches(pattern, Tcp("10.0.0.1", "10.0.0.2", 1234, 80)));

    [Fact]
    public void PortPrimitivesOnUdpAndNotOnIcmp()
    {
        byte[] udp = Udp("10.0.0.1", "10.0.0.2", 53, 5353);
        Assert.True(Matches("src port dns", udp));
        Assert.True(Matches("udp port 53", udp));
        Assert.False(Matches("tcp port 53", udp));

        // An ICMP packet has no ports: neither a port test nor its '!=' form matches it, but 'not' does.
        byte[] icmp = Icmp("10.0.0.1", "10.0.0.2", 8);
        Assert.False(Matches("port 0", icmp));
        Assert.False(Matches("src port != 5", icmp));
        Assert.True(Matches("not src port 5", icmp));
        Assert.False(Matches("src tcp port != 5", udp));
        Assert.True(Matches("!(src tcp port == 5)", udp));
    }

    [Theory]
    [InlineData("tcp", 6, true)]
    [InlineData("udp", 6, false)]
    [InlineData("ip proto tcp", 6, true)]
    [InlineData("ip proto 6", 6, true)]
    [InlineData("ip proto 17", 17, true)]
    [InlineData("ip proto > 10", 17, true)]
    [InlineData("ip proto != tcp", 17, true)]
    [InlineData("tcp or udp", 17, true)]
    [InlineData("icmp", 1, true)]
    [InlineData("ip proto igmp", 2, true)]
    [InlineData("proto tcp or 17", 17, true)]
    [InlineData("tcpudp", 17, true)]
    [InlineData("tcpudp", 6, true)]
    [InlineData("tcpudp", 1, false)]
    [InlineData("tcpudp port 80", 17, true)]
    [InlineData("tcpudp port 81", 6, false)]
    public void ProtocolPrimitives(string pattern, byte proto, bool expected)
        => Assert.Equal(expected, Matches(pattern, Ip(proto: proto)));

    [Theory]
    [InlineData("icmp type echo", 8, true)]
    [InlineData("icmp type echo-reply", 0, true)]
    [InlineData("icmp type echo-reply", 8, false)]
    [InlineData("icmp type 3", 3, true)]
    [InlineData("icmp type unreachable", 3, true)]
    [InlineData("icmp type timeexceeded", 11, true)]
    [InlineData("icmp type != 8", 0, true)]
    [InlineData("icmp type > 10", 11, true)]
    public void IcmpTypePrimitive(string pattern, byte type, bool expected)
        => Assert.Equal(expected, Matches(pattern, Icmp("1.1.1.1", "2.2.2.2", type)));

    [Fact]
    public void IcmpTypeDoesNotMatchOtherProtocols()
    {
        byte[] tcp = Ip(proto: 6, sport: 0x0800);
        Assert.False(Matches("icmp type echo", tcp));
        Assert.False(Matches("icmp type != 0", tcp));
    }

    [Theory]
    [InlineData("tcp opt syn", 0x02, true)]
    [InlineData("syn", 0x02, true)]
    [InlineData("syn", 0x12, true)]
    [InlineData("ack", 0x02, false)]
    [InlineData("fin ack", 0x11, true)]
    [InlineData("fin ack", 0x01, false)]
    [InlineData("syn && !ack", 0x12, false)]
    [InlineData("tcp opt rst or psh", 0x08, true)]
    [InlineData("urg", 0x20, true)]
    [InlineData("tcp win 8192", 0x02, true)]
    [InlineData("tcp win > 9000", 0x02, false)]
    public void TcpOptionAndWindowPrimitives(string pattern, byte flags, bool expected)
        => Assert.Equal(expected, Matches(pattern, Ip(proto: 6, tcpFlags: flags)));

    [Fact]
    public void TcpOptionDoesNotMatchUdp()
        => Assert.False(Matches("syn", Ip(proto: 17, dport: 0x0002)));

    [Theory]
    [InlineData("ip vers 4", true)]
    [InlineData("ip vers 6", false)]
    [InlineData("ip hl 5", true)]
    [InlineData("ip id 0x1234", true)]
    [InlineData("ip id 4660", true)]
    [InlineData("ip id < 4660", false)]
    [InlineData("ip tos 0xb8", true)]
    [InlineData("ip dscp 46", true)]
    [InlineData("ip dscp 45", false)]
    [InlineData("ip ttl 64", true)]
    [InlineData("ip ttl > 63", true)]
    [InlineData("ip ttl < 64", false)]
    [InlineData("ip ttl & 0xf0 == 0x40", true)]
    [InlineData("ip ect", false)]
    [InlineData("ip ce", false)]
    [InlineData("ip[8] 64", true)]
    [InlineData("ip[8:1] == 64", true)]
    [InlineData("ip[9] 6", true)]
    [InlineData("ip[12:4] == 0x0a000001", true)]
    [InlineData("ip[3:2] == 0x2814", false)]
    [InlineData("ip[0] & 0x0f == 5", true)]
    [InlineData("ip[1] & 3", false)]
    [InlineData("transp[13] == 2", true)]
    [InlineData("tcp[0:2] == 1234", true)]
    [InlineData("udp[0:2] == 1234", false)]
    [InlineData("transp[2:2] > 79", true)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("-", true)]
    [InlineData("any", true)]
    [InlineData("all", true)]
    public void IpFieldPrimitives(string pattern, bool expected)
        => Assert.Equal(expected, Matches(pattern, Ip(tos: 0xB8, ttl: 64, id: 0x1234)));

    [Fact]
    public void EctAndCeReadTheLowTosBits()
    {
        Assert.True(Matches("ip ect", Ip(tos: 0x01)));
        Assert.True(Matches("ip ect", Ip(tos: 0x03)));
        Assert.False(Matches("ip ce", Ip(tos: 0x01)));
        Assert.True(Matches("ip ce", Ip(tos: 0x03)));
    }

    [Fact]
    public void FragmentsFailTransportTestsButMatchFragAndIpTests()
    {
        byte[] first = Ip(moreFragments: true);
        byte[] later = Ip(fragOffset: 100);
        byte[] whole = Ip();

        Assert.True(Matches("ip frag", first));
        Assert.True(Matches("frag", later));
        Assert.False(Matches("ip frag", whole));
        Assert.True(Matches("unfrag", whole));
        Assert.False(Matches("ip unfrag", later));

        Assert.True(Matches("dst port 80", first));
        Assert.False(Matches("dst port 80", later));
        Assert.False(Matches("dst port != 80", later));
        Assert.False(Matches("syn", later));
        Assert.False(Matches("transp[0:2] == 1234", later));
        Assert.True(Matches("tcp and src host 10.0.0.1", later));
    }

    [Fact]
    public void IpOptionsMoveTheTransportHeader()
    {
        byte[] withOptions = Ip(optionWords: 3, dport: 443, tcpFlags: 0x02);

        Assert.True(Matches("ip hl 8", withOptions));
        Assert.True(Matches("dst port https and syn", withOptions));
        Assert.False(Matches("dst port 80", withOptions));
    }

    [Fact]
    public void TruncatedPacketsNeverThrowAndFailTestsOnMissingBytes()
    {
        ClassifierProgram program = ClassifierProgram.CompileIPClassifier(["dst port 80", "src host 10.0.0.1", "-"]);
        byte[] full = Tcp("10.0.0.1", "10.0.0.2", 1234, 80);

        Assert.Equal(0, program.Match(full, IpOffset));
        Assert.Equal(1, program.Match(full[..(IpOffset + 20 + 2)], IpOffset)); // destination port cut off
        Assert.Equal(0, program.Match(full[..(IpOffset + 20 + 4)], IpOffset));
        Assert.Equal(2, program.Match(full[..(IpOffset + 14)], IpOffset)); // source address cut off
        Assert.Equal(2, program.Match(full[..IpOffset], IpOffset)); // no IP header at all
        Assert.Equal(2, program.Match(full, -1)); // no network header annotation
        Assert.Equal(2, program.Match(full, full.Length + 5));

        var random = new Random(7);
        var buffer = new byte[80];
        for (int i = 0; i < 2000; i++)
        {
            random.NextBytes(buffer);
            int length = random.Next(buffer.Length + 1);
            int result = program.Match(buffer.AsSpan(0, length), random.Next(-2, 60));
            Assert.InRange(result, 0, 2);
        }
    }

    [Fact]
    public void AndBindsTighterThanOrAndNotTighterThanAnd()
    {
        byte[] udp = Udp("10.0.0.1", "10.0.0.2", 53, 53);
        Assert.True(Matches("tcp or udp and port 53", udp));
        Assert.False(Matches("(tcp or udp) and port 54", udp));
        Assert.True(Matches("tcp or udp and port 53", Tcp("1.1.1.1", "2.2.2.2", 9, 9)));
        Assert.False(Matches("not tcp and tcp", Tcp("1.1.1.1", "2.2.2.2", 9, 9)));
        Assert.True(Matches("! tcp || udp", udp));
        Assert.True(Matches("not (tcp and port 80)", udp));
    }

    [Fact]
    public void TernaryChoosesBetweenBranches()
    {
        Assert.True(Matches("tcp ? dst port 80 : src host 10.0.0.1", Tcp("9.9.9.9", "10.0.0.2", 1, 80)));
        Assert.False(Matches("tcp ? dst port 81 : src host 10.0.0.1", Tcp("10.0.0.1", "10.0.0.2", 1, 80)));
        Assert.True(Matches("tcp ? dst port 81 : src host 10.0.0.1", Udp("10.0.0.1", "10.0.0.2", 1, 80)));
    }

    [Fact]
    public void DocumentationExampleSynFinAckTcpAndRest()
    {
        ClassifierProgram program = ClassifierProgram.CompileIPClassifier(
            ["10.0.0.0/24 and syn", "10.0.0.0/24 and fin ack", "10.0.0.0/24 and tcp", "-"]);

        Assert.Equal(4, program.OutputCount);
        Assert.Equal(0, program.Match(Ip(src: "10.0.0.5", dst: "8.8.8.8", tcpFlags: 0x02), IpOffset));
        Assert.Equal(1, program.Match(Ip(src: "10.0.0.5", dst: "8.8.8.8", tcpFlags: 0x11), IpOffset));
        Assert.Equal(2, program.Match(Ip(src: "10.0.0.5", dst: "8.8.8.8", tcpFlags: 0x01), IpOffset));
        Assert.Equal(3, program.Match(Udp("10.0.0.5", "8.8.8.8", 1, 2), IpOffset));
        Assert.Equal(3, program.Match(Ip(src: "10.0.1.5", dst: "8.8.8.8", tcpFlags: 0x02), IpOffset));
    }

    [Fact]
    public void DocumentationExampleUserPorts()
    {
        ClassifierProgram program = ClassifierProgram.CompileIPClassifier(["dst tcp port 8000 or 8080", "dst tcp port > 1023", "tcp"]);

        Assert.Equal(0, program.Match(Tcp("1.1.1.1", "2.2.2.2", 5, 8000), IpOffset));
        Assert.Equal(0, program.Match(Tcp("1.1.1.1", "2.2.2.2", 5, 8080), IpOffset));
        Assert.Equal(1, program.Match(Tcp("1.1.1.1", "2.2.2.2", 5, 8081), IpOffset));
        Assert.Equal(2, program.Match(Tcp("1.1.1.1", "2.2.2.2", 5, 1023), IpOffset));
        Assert.Equal(-1, program.Match(Udp("1.1.1.1", "2.2.2.2", 5, 8000), IpOffset));
    }

    [Theory]
    [InlineData("frob", "pattern 0: unknown word 'frob'")]
    [InlineData("(tcp", "pattern 0: missing ')'")]
    [InlineData("tcp)", "pattern 0: garbage after expression at ')'")]
    [InlineData("tcp not", "pattern 0: missing expression after 'not'")]
    [InlineData("tcp and ( )", "pattern 0: missing expression after '('")]
    [InlineData("tcp and", "pattern 0: missing expression")]
    [InlineData("port 70000", "pattern 0: port '70000' out of range (at most 65535)")]
    [InlineData("host 10.0.0", "pattern 0: expected IP address, not '10.0.0'")]
    [InlineData("ip ttl 300", "pattern 0: TTL '300' out of range (at most 255)")]
    [InlineData("ip frob 3", "pattern 0: unknown type 'ip frob'")]
    [InlineData("tcp opt foo", "pattern 0: unknown TCP option 'foo'")]
    [InlineData("host > 10.0.0.1", "pattern 0: '>' is not allowed on 'host' or 'net'")]
    [InlineData("ip[0:5] 1", "pattern 0: field length in 'ip[0:5]' must be between 1 and 4")]
    [InlineData("icmp port 3", "pattern 0: 'port' is only for tcp or udp")]
    [InlineData("udp opt syn", "pattern 0: 'opt' is only for tcp")]
    [InlineData("tcp ? syn", "pattern 0: missing ':' in ternary expression")]
    [InlineData("80", "pattern 0: unknown word '80'")]
    public void BadPatternIsRefusedWithPreciseMessage(string pattern, string message)
    {
        var error = Assert.Throws<ClickConfigurationException>(() => ClassifierProgram.CompileIPClassifier([pattern]));
        Assert.Equal(message, error.Message);
    }

    // Click's IPClassifier gives IPFilter the rule "N PATTERN"; an empty pattern leaves the slot word alone, and a slot
    // word alone matches every packet (elements/ip/ipclassifier.cc, ipfilter.cc): no error, like "-".
    [Fact]
    public void EmptyPatternMatchesEveryPacketLikeDash()
    {
        ClassifierProgram program = ClassifierProgram.CompileIPClassifier(["tcp", "", "udp"]);
        Assert.Equal(0, program.Match(Tcp("1.1.1.1", "2.2.2.2", 5, 80), IpOffset));
        Assert.Equal(1, program.Match(Udp("1.1.1.1", "2.2.2.2", 5, 80), IpOffset));
        Assert.Equal(1, program.Match(Icmp("1.1.1.1", "2.2.2.2", 8), IpOffset));

        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        Assert.Equal(0, EdgeOS.Samples.Click.Driver.ClickDriver.Run(
            ["-q", "-e", "Idle -> c :: IPClassifier(tcp, , udp);\nc[0] -> Discard; c[1] -> Discard; c[2] -> Discard;"],
            new StringReader(string.Empty), stdout, stderr));
        Assert.Equal(string.Empty, stderr.ToString());
    }
}
