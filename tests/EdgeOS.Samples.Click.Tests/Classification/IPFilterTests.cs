using EdgeOS.Samples.Click.Classification;
using Xunit;
using static EdgeOS.Samples.Click.Tests.Classification.TestPackets;

namespace EdgeOS.Samples.Click.Tests.Classification;

public sealed class IPFilterTests
{
    [Fact]
    public void ATestThatEveryPathAlreadyDecidedIsSkipped()
    {
        // After "udp?" said yes and "dst port 53?" said no, "tcp?" is known to be false: the port test's no-edge goes
        // straight to the dst net test.
        ClassifierProgram program = ClassifierProgram.CompileIPFilter(
            ["allow udp && dst port 53", "allow tcp && dst port 80", "allow dst net 10.0.4.0/24 && udp", "deny all"]);
        string[] lines = program.Unparse().Split('\n');
        string port53 = lines.Single(l => l.Contains("transp+0/00000035%0000ffff", StringComparison.Ordinal));
        int no = int.Parse(port53[(port53.IndexOf("no->step ", StringComparison.Ordinal) + 9)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("ip+16/0a000400%ffffff00", lines[no], StringComparison.Ordinal);

        Assert.Equal(0, program.Match(Udp("10.0.0.1", "10.0.4.9", 1, 80), IpOffset));
        Assert.Equal(-1, program.Match(Udp("10.0.0.1", "10.0.5.9", 1, 80), IpOffset));
        Assert.Equal(0, program.Match(Udp("10.0.0.1", "10.0.5.9", 1, 53), IpOffset));
        Assert.Equal(0, program.Match(Tcp("10.0.0.1", "10.0.5.9", 1, 80), IpOffset));
        Assert.Equal(-1, program.Match(Tcp("10.0.0.1", "10.0.4.9", 1, 81), IpOffset));
    }

    [Fact]
    public void AllowSendsToOutputZeroAndDenyDropDrop()
    {
        ClassifierProgram program = ClassifierProgram.CompileIPFilter(["deny src host 10.0.0.66", "drop udp", "allow tcp", "deny all"]);

        Assert.Equal(1, program.OutputCount);
        Assert.Equal(-1, program.Match(Tcp("10.0.0.66", "10.0.0.2", 1, 80), IpOffset));
        Assert.Equal(-1, program.Match(Udp("10.0.0.1", "10.0.0.2", 1, 80), IpOffset));
        Assert.Equal(0, program.Match(Tcp("10.0.0.1", "10.0.0.2", 1, 80), IpOffset));
        Assert.Equal(-1, program.Match(Icmp("10.0.0.1", "10.0.0.2", 8), IpOffset));
    }

    [Fact]
    public void NumberedActionsChooseOutputsAndSetTheOutputCount()
    {
        ClassifierProgram program = ClassifierProgram.CompileIPFilter(["2 icmp type echo", "1 udp", "0 -"]);

        Assert.Equal(3, program.OutputCount);
        Assert.Equal(2, program.Match(Icmp("1.1.1.1", "2.2.2.2", 8), IpOffset));
        Assert.Equal(0, program.Match(Icmp("1.1.1.1", "2.2.2.2", 0), IpOffset));
        Assert.Equal(1, program.Match(Udp("1.1.1.1", "2.2.2.2", 1, 2), IpOffset));
    }

    [Fact]
    public void FirstMatchingRuleWins()
    {
        ClassifierProgram program = ClassifierProgram.CompileIPFilter(["allow tcp", "deny dst port 80"]);

        Assert.Equal(0, program.Match(Tcp("1.1.1.1", "2.2.2.2", 1, 80), IpOffset));
        Assert.Equal(-1, program.Match(Udp("1.1.1.1", "2.2.2.2", 1, 80), IpOffset));
        Assert.Equal(-1, program.Match(Udp("1.1.1.1", "2.2.2.2", 1, 81), IpOffset)); // no rule matches: dropped
    }

    [Fact]
    public void FirewallRulesFromTheDocumentationWithAddressesSpelledOut()
    {
        const string Internal = "net 192.168.0.0/16";
        const string Bastion = "host 192.168.1.1";
        ClassifierProgram program = ClassifierProgram.CompileIPFilter([
            $"deny src {Internal}",
            $"allow src {Bastion} && dst {Internal} && tcp && src port www && dst port > 1023 && ack",
            $"allow dst {Internal} && tcp && src port 22 && ack",
            $"allow dst {Internal} && tcp && dst port 22",
            $"allow src {Bastion} && dst host 192.168.2.2 && udp && src port 53 && dst port 53",
            "deny all",
        ]);

        Assert.Equal(-1, program.Match(Tcp("192.168.5.5", "192.168.1.2", 22, 2000), IpOffset)); // spoofed internal source
        Assert.Equal(-1, program.Match(Tcp("192.168.1.1", "192.168.3.3", 80, 2000, 0x10), IpOffset)); // bastion is internal
        Assert.Equal(0, program.Match(Tcp("8.8.8.8", "192.168.3.3", 22, 2000, 0x10), IpOffset));
        Assert.Equal(-1, program.Match(Tcp("8.8.8.8", "192.168.3.3", 22, 2000, 0x02), IpOffset)); // no ack
        Assert.Equal(0, program.Match(Tcp("8.8.8.8", "192.168.3.3", 5555, 22, 0x02), IpOffset));
        Assert.Equal(-1, program.Match(Udp("8.8.8.8", "192.168.2.2", 53, 53), IpOffset));
        Assert.Equal(-1, program.Match(Tcp("8.8.8.8", "10.0.0.1", 5555, 22, 0x02), IpOffset));
    }

    [Theory]
    [InlineData("permit tcp", "pattern 0: unknown slot ID 'permit'")]
    [InlineData("", "empty pattern 0")]
    [InlineData("-1 tcp", "pattern 0: slot '-1' out of range")]
    [InlineData("2 tcp", "pattern 0: slot '2' out of range")]
    [InlineData("allow tcp and", "pattern 0: missing expression")]
    [InlineData("allow tcp udp)", "pattern 0: garbage after expression at ')'")]
    public void BadRuleIsRefused(string rule, string message)
    {
        // Click's wording (elements/ip/ipfilter.cc); the element has 2 outputs here.
        var error = Assert.Throws<ClickConfigurationException>(() => ClassifierProgram.CompileIPFilter([rule], connectedOutputs: 2));
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("allow")]
    [InlineData("allow -")]
    [InlineData("1 any")]
    [InlineData("drop all")]
    public void ASlotAloneMatchesEveryPacket(string rule)
    {
        // As in Click: a rule of only its slot word (or with -, any, all) matches everything.
        ClassifierProgram program = ClassifierProgram.CompileIPFilter([rule], connectedOutputs: 2);
        int expected = rule.StartsWith("drop", StringComparison.Ordinal) ? -1 : rule[0] == '1' ? 1 : 0;
        Assert.Equal(expected, program.Match(Udp("1.1.1.1", "2.2.2.2", 5, 6), IpOffset));
        Assert.Equal(expected, program.Match(Tcp("1.1.1.1", "2.2.2.2", 5, 6), IpOffset));
    }

    [Fact]
    public void ErrorInALaterRuleNamesIt()
    {
        var error = Assert.Throws<ClickConfigurationException>(() => ClassifierProgram.CompileIPFilter(["allow tcp", "deny frob"]));
        Assert.Equal("pattern 1: unknown word 'frob'", error.Message);
    }

    [Fact]
    public void MatchAllocatesNothing()
    {
        ClassifierProgram program = ClassifierProgram.CompileIPFilter([
            "deny src net 10.0.0.0/8", "1 dst tcp port > 1023 && syn", "allow udp port dns or icmp type echo", "deny all"]);
        byte[][] packets =
        [
            Tcp("1.1.1.1", "2.2.2.2", 1, 2000, 0x02), Udp("1.1.1.1", "2.2.2.2", 53, 9), Icmp("1.1.1.1", "2.2.2.2", 8),
            Tcp("10.1.1.1", "2.2.2.2", 1, 2000), Ip(fragOffset: 9), [],
        ];
        // Warm up past tiered compilation so that the JIT's own work on this thread is not counted.
        int sum = 0;
        for (int round = 0; round < 5; round++)
        {
            sum += RunMatches(program, packets, 50_000);
            Thread.Sleep(20);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        sum += RunMatches(program, packets, 100_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.NotEqual(0, sum);
    }

    private static int RunMatches(ClassifierProgram program, byte[][] packets, int count)
    {
        int sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += program.Match(packets[i % packets.Length], IpOffset);
        }

        return sum;
    }

    [Fact]
    public void RepeatedProtocolTestIsDecidedOnceAlongAPath()
    {
        // 'tcp' and the protocol guard of 'dst port' are the same test: the program checks protocol, first
        // fragment and port once each.
        ClassifierProgram program = ClassifierProgram.CompileIPFilter(["allow tcp && dst port 80"]);

        Assert.Equal(3, program.InstructionCount);
        Assert.Equal(0, program.Match(Tcp("1.1.1.1", "2.2.2.2", 1, 80), IpOffset));
        Assert.Equal(-1, program.Match(Udp("1.1.1.1", "2.2.2.2", 1, 80), IpOffset));
    }

    [Fact]
    public void EqualityOnAWordRulesOutOtherValuesOfThatWord()
    {
        // Once 'ip proto 6' holds, 'udp' (proto 17) cannot: the contradictory first pattern compiles to nothing.
        ClassifierProgram program = ClassifierProgram.CompileIPClassifier(["tcp and udp", "icmp"]);

        Assert.Equal(2, program.InstructionCount); // 'tcp ? drop : (icmp ? 1 : drop)'
        Assert.Equal(-1, program.Match(TestPackets.Ip(proto: 6), IpOffset));
        Assert.Equal(-1, program.Match(TestPackets.Ip(proto: 17), IpOffset));
        Assert.Equal(1, program.Match(TestPackets.Ip(proto: 1), IpOffset));
    }

    // Click's IPFilter::parse_program: a rule with no words is "empty pattern N" (N counted from 0, no "pattern N: "
    // prefix), reported under the element's landmark with the configuration's line.
    [Fact]
    public void EmptyRuleIsReportedWithItsIndexAndLine()
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        Assert.Equal(1, EdgeOS.Samples.Click.Driver.ClickDriver.Run(
            ["-q", "-e", "Idle\n  -> f :: IPFilter(allow tcp, /* nothing */, drop all)\n  -> Discard;"],
            new StringReader(string.Empty), stdout, stderr));
        Assert.Equal(
            "config:2: While configuring 'f :: IPFilter':\nconfig:2:   empty pattern 1\nRouter could not be initialized!\n",
            stderr.ToString());
    }
}
