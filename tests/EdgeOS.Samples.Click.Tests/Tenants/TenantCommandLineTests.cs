using EdgeOS.Samples.Click.Tests.Driver;
using EdgeOS.Samples.Click.Tests.Elements;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Tenants;

/// <summary><c>click --tenants N --replay FILE</c> run as a process.</summary>
public sealed class TenantCommandLineTests
{
    private static readonly uint Src = Frames.IP("10.0.0.1");
    private static readonly uint Dst = Frames.IP("10.0.0.2");

    // In process (the driver's own entry point), to keep the suite fast; one test above runs the real process.
    private static (int ExitCode, string Stdout, string Stderr) InProcess(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int code = EdgeOS.Samples.Click.Driver.ClickDriver.Run(args, new StringReader(string.Empty), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Pcap(params int[] tenantOfEachFrame) =>
        Frames.WritePcap(tenantOfEachFrame.Select(k => Frames.Udp(Src, Dst, 1234, (ushort)(20000 + k))));

    [Fact]
    public void ReplayIsSteeredByPortAndHandlersArePerTenant()
    {
        string pcap = Pcap(0, 2, 2, 2, 1, 2, 7);
        try
        {
            var (code, stdout, stderr) = CommandLineTests.Click(
                null, "--tenants", "3", "--port-base", "20000", "--replay", pcap,
                "-e", "FromSteering -> c :: Counter -> Discard", "-h", "2:c.count", "-h", "c.count");
            Assert.Equal(string.Empty, stderr);
            Assert.Equal(0, code);
            Assert.Equal("2:c.count:\n4\n\n0:c.count:\n1\n\n1:c.count:\n1\n\n2:c.count:\n4\n\n", stdout);
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Fact]
    public void OneTenantsOneHandlerPrintsWithoutAHeaderOnWorkers()
    {
        string pcap = Pcap(1, 1, 0);
        try
        {
            var (code, stdout, stderr) = InProcess(
                "--tenants", "2", "--port-base", "20000", "--tenant-workers", "2", "--steer", "port", "--replay", pcap,
                "-e", "FromSteering -> c :: Counter -> Discard", "-h", "1:c.count");
            Assert.Equal(string.Empty, stderr);
            Assert.Equal(0, code);
            Assert.Equal("2\n", stdout);
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Theory]
    [InlineData("--tenants", "3", "click: '--tenants N' needs '--device IFACE' (a live interface) or '--replay FILE' (a pcap)\n")]
    [InlineData("--device", "eth0", "click: '--device' needs '--tenants N'\n")]
    [InlineData("--replay", "x.pcap", "click: '--replay' needs '--tenants N'\n")]
    [InlineData("--method", "XDP", "click: '--method' needs '--tenants N'\n")]
    [InlineData("--method", "PCAP", "click: '--method' expects 'LINUX' or 'XDP', not 'PCAP'\n")]
    [InlineData("--tenants", "x", "click: '--tenants' expects a non-negative integer, not 'x'\n")]
    [InlineData("--steer", "flow", "click: '--steer' expects 'port' or '5tuple', not 'flow'\n")]
    public void BadTenantOptionsAreRefused(string option, string value, string message)
    {
        var (code, _, stderr) = InProcess(option, value, "-e", "FromSteering -> Discard");
        Assert.Equal(1, code);
        Assert.StartsWith(message, stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--tenants 2 --device eth0 --replay x.pcap", "click: '--device IFACE' and '--replay FILE' exclude each other\n")]
    [InlineData("--tenants 2 --replay x.pcap --method XDP", "click: '--method' applies to '--device IFACE' only\n")]
    [InlineData("--tenants 2 --device eth0 --simtime", "click: '--simtime' is not available in tenant mode\n")]
    public void DeviceAndReplayCombinationsAreRefused(string arguments, string message)
    {
        var (code, _, stderr) = InProcess([.. arguments.Split(' '), "-e", "FromSteering -> Discard"]);
        Assert.Equal(1, code);
        Assert.StartsWith(message, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ToDeviceWithoutADeviceIsRefusedPerTenant()
    {
        string pcap = Pcap(0);
        try
        {
            var (code, _, stderr) = InProcess("--tenants", "2", "--replay", pcap, "-e", "FromSteering -> td :: ToDevice(eth0)");
            Assert.Equal(1, code);
            Assert.Equal("config:1: 'td :: ToDevice' not available in tenant mode without a device: give the host --device IFACE to transmit on IFACE\n", stderr);
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Fact]
    public void HostHandlersCountUnmatchedAndDroppedFrames()
    {
        // Frames for tenants 0 and 1, two for port 20005 (no tenant); the host's handlers print like any other.
        string pcap = Pcap(0, 5, 1, 5);
        try
        {
            var (code, stdout, stderr) = InProcess(
                "--tenants", "2", "--port-base", "20000", "--replay", pcap, "-e", "FromSteering -> c :: Counter -> Discard",
                "-h", "host:unmatched", "-h", "host:dropped", "-h", "host:transmitted", "-h", "host:bogus");
            Assert.Equal("click: no 'host:bogus' handler (the host has unmatched, dropped, transmitted, wakeups)\n", stderr);
            Assert.Equal(1, code);
            Assert.Equal("host:unmatched:\n2\n\nhost:dropped:\n0\n\nhost:transmitted:\n0\n\n", stdout);
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Fact]
    public void AnUnknownTenantInAHandlerIsReported()
    {
        string pcap = Pcap(0);
        try
        {
            var (code, _, stderr) = InProcess(
                "--tenants", "2", "--port-base", "20000", "--replay", pcap, "-e", "FromSteering -> c :: Counter -> Discard", "-h", "5:c.count");
            Assert.Equal(1, code);
            Assert.Equal("click: '5:c.count': no tenant '5' (tenants are 0 to 1)\n", stderr);
        }
        finally
        {
            File.Delete(pcap);
        }
    }
}
