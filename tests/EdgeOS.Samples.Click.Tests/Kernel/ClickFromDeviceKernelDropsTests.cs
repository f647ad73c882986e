using System.Diagnostics;
using System.Globalization;
using EdgeOS.Net.Tests.Kernel;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Kernel;

/// <summary>
/// FromDevice's kernel_drops on a veth pair in a namespace the test creates: the click process is stopped (SIGSTOP)
/// while the namespace sends a burst far larger than the device's receive ring, so the kernel drops frames FromDevice
/// never saw; after SIGCONT and SIGINT, <c>-h fd.kernel_drops</c> prints their count as Click prints a known count.
/// </summary>
public sealed class ClickFromDeviceKernelDropsTests
{
    // Far more than either ring holds while click is stopped: AF_PACKET's 32 blocks of 64 KiB take at most ~15000 of
    // these 52-byte frames, AF_XDP's rx ring 2048.
    private const int Burst = 30_000;

    private const string BurstScript = """
        import socket, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b'warm-up', ('TARGET', 9))
        time.sleep(0.3)
        for i in range(COUNT):
            s.sendto(b'drop-%04d' % (i % 10000), ('TARGET', 9999))
        print('sent')
        """;

    [Fact]
    public async Task KernelDropsCountsWhatTheKernelDroppedWhileClickWasStoppedOverAfPacket()
    {
        using VethNamespace veth = VethNamespace.Create();
        (long drops, long count) = await RunStoppedBurstAsync(veth, $"fd :: FromDevice({veth.HostInterface}) -> c :: Counter -> Discard;");
        Assert.True(drops > 0, $"kernel_drops {drops}");
        Assert.True(count > 0, $"count {count}");
    }

    [Fact]
    public async Task KernelDropsCountsWhatTheKernelDroppedWhileClickWasStoppedOverAfXdp()
    {
        using VethNamespace veth = VethNamespace.Create();
        (long drops, long count) = await RunStoppedBurstAsync(veth, $"fd :: FromDevice({veth.HostInterface}, METHOD XDP, XDP_UDP_PORTS 9999-9999) -> c :: Counter -> Discard;");
        Assert.True(drops > 0, $"kernel_drops {drops}");

        // Everything the XDP program redirected was either received or counted as dropped by the kernel.
        Assert.InRange(count, 1, Burst - drops);
    }

    [Fact]
    public async Task EncapIsEtherAndToDumpTakesItWithUseEncapFrom()
    {
        using VethNamespace veth = VethNamespace.Create();
        string dump = Path.Combine(Path.GetTempPath(), $"edgeos-encap-{Guid.NewGuid():N}.pcap");
        try
        {
            string config = $"fd :: FromDevice({veth.HostInterface}) -> td :: ToDump({dump}, USE_ENCAP_FROM fd);";
            string output = await ClickVethPingTests.RunClickAsync(["-e", config, "-h", "fd.encap"], _ => { });
            Assert.Equal("ETHER\n", output);
            using var reader = new EdgeOS.Net.Pcap.PcapReader(File.OpenRead(dump));
            Assert.Equal(EdgeOS.Net.Pcap.PcapLinkType.Ethernet, reader.LinkType);
        }
        finally
        {
            File.Delete(dump);
        }
    }

    [Fact]
    public async Task KernelDropsIsAPlainNumberWhenNothingWasDropped()
    {
        using VethNamespace veth = VethNamespace.Create();
        string output = await ClickVethPingTests.RunClickAsync(["-e", $"fd :: FromDevice({veth.HostInterface}, METHOD XDP, XDP_UDP_PORTS 9999-9999) -> Discard;", "-h", "fd.kernel_drops"], _ => { });
        Assert.Equal("0\n", output); // one handler: no "name:" header, as click prints it
    }

    /// <summary>Runs <paramref name="config"/>, stops click, sends the burst, resumes click, stops it; returns fd.kernel_drops and c.count.</summary>
    private static async Task<(long Drops, long Count)> RunStoppedBurstAsync(VethNamespace veth, string config)
    {
        string script = BurstScript.Replace("TARGET", veth.HostAddress, StringComparison.Ordinal).Replace("COUNT", Burst.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        string output = await ClickVethPingTests.RunClickAsync(["-e", config, "-h", "fd.kernel_drops", "-h", "c.count"], pid =>
        {
            Signal("STOP", pid);
            try
            {
                var burst = veth.PythonInNamespace(script);
                Assert.True(burst.ExitCode == 0, burst.Output + burst.Error);
            }
            finally
            {
                Signal("CONT", pid);
            }

            Thread.Sleep(500);
        });
        string[] lines = output.Split('\n');
        Assert.True(lines.Length >= 5 && lines[0] == "fd.kernel_drops:" && lines[3] == "c.count:", output);
        return (long.Parse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture), long.Parse(lines[4], NumberStyles.None, CultureInfo.InvariantCulture));
    }

    private static void Signal(string signal, int pid)
    {
        using Process kill = Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
