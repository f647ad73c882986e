using System.Globalization;
using EdgeOS.Net.Tests.Kernel;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Kernel;

/// <summary>FromDevice's SNAPLEN, FORCE_IP and PROTOCOL on a veth pair in a namespace the test creates, and its argument checks.</summary>
public sealed class ClickFromDeviceKeywordTests
{
    // Five UDP datagrams of 200 bytes to the host end (242-byte frames); the first also makes the namespace ARP for it.
    private const string UdpScript = """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(5):
            s.sendto(b'x' * 200, ('TARGET', 9999))
        print('sent')
        """;

    [Fact]
    public async Task SnapLengthCutsFramesAndForceIPSendsOnlyIPv4ToOutputZero()
    {
        using VethNamespace veth = VethNamespace.Create();
        veth.ExecInNamespace("ip", "neigh", "flush", "all");
        string config = $"""
            fd :: FromDevice({veth.HostInterface}, SNAPLEN 60, FORCE_IP true, HEADROOM 100);
            fd[0] -> ip :: Counter -> Discard;
            fd[1] -> other :: Counter -> Discard;
            """;
        string output = await RunWithUdpAsync(veth, ["-e", config, "-h", "ip.count", "-h", "ip.byte_count", "-h", "other.count"]);
        string[] lines = output.Split('\n');
        long ipCount = long.Parse(lines[1], CultureInfo.InvariantCulture);
        Assert.True(ipCount >= 5, output);
        Assert.Equal(60 * ipCount, long.Parse(lines[4], CultureInfo.InvariantCulture)); // every IPv4 frame cut to 60 bytes
        Assert.True(long.Parse(lines[7], CultureInfo.InvariantCulture) >= 1, output); // at least the ARP request: not IP
    }

    [Fact]
    public async Task ForceIPSetsTheIPHeaderAnnotationThatIPFilterReads()
    {
        // IPFilter reads the IP header annotation: without FORCE_IP setting it, no packet would match.
        using VethNamespace veth = VethNamespace.Create();
        string config = $"FromDevice({veth.HostInterface}, FORCE_IP true) -> IPFilter(allow udp && dst port 9999, deny all) -> udp :: Counter -> Discard;";
        string output = await RunWithUdpAsync(veth, ["-e", config, "-h", "udp.count"]);
        Assert.Equal(5, long.Parse(output.Trim(), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ProtocolKeepsOnlyFramesOfThatEthernetType()
    {
        using VethNamespace veth = VethNamespace.Create();
        veth.ExecInNamespace("ip", "neigh", "flush", "all");
        string config = $"FromDevice({veth.HostInterface}, PROTOCOL 0x0806) -> arp :: Counter -> Discard;";
        string output = await RunWithUdpAsync(veth, ["-e", config, "-h", "arp.count", "-h", "arp.byte_count"]);
        string[] lines = output.Split('\n');
        long count = long.Parse(lines[1], CultureInfo.InvariantCulture);
        Assert.True(count >= 1, output);
        Assert.Equal(42 * count, long.Parse(lines[4], CultureInfo.InvariantCulture)); // ARP frames only (42 bytes), no UDP
    }

    [Theory]
    [InlineData("SNAPLEN 13", "SNAPLEN out of range")]
    [InlineData("SNAPLEN 65536", "SNAPLEN out of range")]
    [InlineData("HEADROOM 8191", "HEADROOM out of range")]
    [InlineData("BURST 0", "BURST out of range (1 to 256)")]
    [InlineData("OUTBOUND true", "OUTBOUND true is not available: the port never sees the interface's outgoing frames")]
    [InlineData("true", "PROMISC true is not available here")]
    public void BadArgumentsAreRefusedAtConfiguration(string argument, string message)
    {
        string m = Runtime.TestRouter.Failure($"FromDevice(lo, {argument}) -> Discard;");
        Assert.Contains("config:1:   " + message, m, StringComparison.Ordinal);
    }

    /// <summary>Runs click with <paramref name="arguments"/> while the namespace sends <see cref="UdpScript"/>'s datagrams to the host end; returns click's output.</summary>
    private static Task<string> RunWithUdpAsync(VethNamespace veth, string[] arguments) =>
        ClickVethPingTests.RunClickAsync(arguments, () =>
        {
            var udp = veth.PythonInNamespace(UdpScript.Replace("TARGET", veth.HostAddress, StringComparison.Ordinal));
            Assert.True(udp.ExitCode == 0, udp.Output + udp.Error);
            Thread.Sleep(500);
        });
}
