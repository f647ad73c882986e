using EdgeOS.Samples.Click.Classification;
using Xunit;
using static EdgeOS.Samples.Click.Tests.Classification.TestPackets;

namespace EdgeOS.Samples.Click.Tests.Classification;

public sealed class IPFilterTests
{
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
    [InlineData("permit tcp", "pattern 0: unknown action 'permit'")]
    [InlineData("allow", "pattern 0: empty pattern")]
    [InlineData("-1 tcp", "pattern 0: unknown action '-1'")]
    [InlineData("allow tcp and", "pattern 0: missing expression")]
    public void BadRuleIsRefused(string rule, string message)
    {
        var error = Assert.Throws<ClickConfigurationException>(() => ClassifierProgram.CompileIPFilter([rule]));
        Assert.Equal(message, error.Message);
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
        int sum = 0;
        for (int i = 0; i < 1000; i++)
        {
            sum += program.Match(packets[i % packets.Length], IpOffset);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            sum += program.Match(packets[i % packets.Length], IpOffset);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.NotEqual(0, sum);
    }
}
