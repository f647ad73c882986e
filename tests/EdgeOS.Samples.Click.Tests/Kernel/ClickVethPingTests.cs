using System.Diagnostics;
using System.Globalization;
using EdgeOS.Net.Tests.Kernel;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Kernel;

/// <summary>
/// End to end on a veth pair in a namespace the test creates: the click driver (run as a process) answers ARP
/// and ICMP echo for an address only it owns, through FromDevice/ToDevice on the host end; the kernel's ping in
/// the namespace sees the replies.
/// </summary>
public sealed class ClickVethPingTests
{
    // ICMP echo over a raw socket (what ping(8) does), so the test needs only python3, not iputils.
    private const string PingScript = """
        import socket, struct, time
        def csum(b):
            if len(b) % 2:
                b += b'\0'
            s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
            s = (s >> 16) + (s & 0xffff); s += s >> 16
            return ~s & 0xffff
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        sock.settimeout(0.5)
        got = set()
        deadline = time.time() + 15
        seq = 0
        while len(got) < 3 and time.time() < deadline:
            seq += 1
            body = struct.pack('!BBHHH', 8, 0, 0, 0x4242, seq) + b'edgeos-click-ping'
            body = body[:2] + struct.pack('!H', csum(body)) + body[4:]
            sock.sendto(body, ('TARGET', 0))
            try:
                while True:
                    data, addr = sock.recvfrom(2048)
                    hl = (data[0] & 15) * 4
                    t, c, k, ident, s = struct.unpack('!BBHHH', data[hl:hl + 8])
                    if addr[0] == 'TARGET' and t == 0 and ident == 0x4242 and csum(data[hl:]) == 0:
                        got.add(s)
            except socket.timeout:
                pass
        print('%d received' % len(got))
        """;

    private const string UdpScript = """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(5):
            s.sendto(b'filtered', ('TARGET', 9999))
        print('sent')
        """;

    [Fact]
    public async Task FirewallAnswersPingAndDropsAndCountsFilteredUdp()
    {
        using VethNamespace veth = VethNamespace.Create();
        string target = AddTargetRoute(veth);
        string config = $"""
            FromDevice({veth.HostInterface}) -> cl :: Classifier(12/0806 20/0001, 12/0800, -);
            cl[0] -> ARPResponder({target} 02:00:5e:00:53:02) -> q :: Queue -> ToDevice({veth.HostInterface});
            cl[1] -> CheckIPHeader(14) -> f :: IPFilter(allow icmp, deny all) -> ping :: ICMPPingResponder -> pc :: Counter -> EtherMirror -> q;
            cl[2] -> Discard; ping[1] -> Discard;
            """;
        string output = await RunClickAsync(config, ["-h", "pc.count", "-h", "f.drops"], () =>
        {
            var ping = veth.PythonInNamespace(PingScript.Replace("TARGET", target, StringComparison.Ordinal));
            Assert.True(ping.ExitCode == 0, ping.Output + ping.Error);
            Assert.Equal("3 received", ping.Output.Trim());
            var udp = veth.PythonInNamespace(UdpScript.Replace("TARGET", target, StringComparison.Ordinal));
            Assert.True(udp.ExitCode == 0, udp.Output + udp.Error);
            Thread.Sleep(500);
        });
        string[] lines = output.Split('\n');
        Assert.Equal("pc.count:", lines[0]);
        Assert.True(long.Parse(lines[1], CultureInfo.InvariantCulture) >= 3, output);
        Assert.Equal("f.drops:", lines[3]);
        Assert.True(long.Parse(lines[4], CultureInfo.InvariantCulture) >= 5, output);
    }

    [Fact]
    public async Task XdpFromDeviceReceivesTheUdpPortRangeWhileTheKernelKeepsArp()
    {
        using VethNamespace veth = VethNamespace.Create();
        string config = $"""
            FromDevice({veth.HostInterface}, METHOD XDP, XDP_UDP_PORTS 7777-7778) -> c :: Counter -> Discard;
            """;
        string output = await RunClickAsync(config, ["-h", "c.count"], () =>
        {
            // The kernel answers ARP for its own address (XDP passes ARP); the UDP datagrams go to the AF_XDP socket.
            var udp = veth.PythonInNamespace(UdpScript.Replace("TARGET", veth.HostAddress, StringComparison.Ordinal).Replace("9999", "7777", StringComparison.Ordinal));
            Assert.True(udp.ExitCode == 0, udp.Output + udp.Error);
            Thread.Sleep(500);
        });
        Assert.True(long.Parse(output.Trim(), CultureInfo.InvariantCulture) >= 5, output);
    }

    private static string AddTargetRoute(VethNamespace veth)
    {
        // An address on no interface: only the Click router answers for it (with a MAC no interface has, so the
        // host kernel ignores the frames sent to it as frames for another host).
        string[] octets = veth.PeerAddress.Split('.');
        string target = string.Create(CultureInfo.InvariantCulture, $"10.199.{octets[2]}.{octets[3]}");
        var route = veth.ExecInNamespace("ip", "route", "add", target + "/32", "dev", veth.PeerInterface);
        Assert.True(route.ExitCode == 0, route.Error);
        return target;
    }

    /// <summary>Runs click with <paramref name="config"/>, does <paramref name="action"/>, stops click with SIGINT, returns its standard output.</summary>
    private static Task<string> RunClickAsync(string config, string[] handlers, Action action) =>
        RunClickAsync(["-e", config, .. handlers], action);

    /// <summary>Runs click with <paramref name="arguments"/>, does <paramref name="action"/>, stops click with SIGINT, returns its standard output (its standard error must stay empty).</summary>
    internal static Task<string> RunClickAsync(string[] arguments, Action action) => RunClickAsync(arguments, _ => action());

    /// <summary>As above; <paramref name="action"/> gets click's process id (to signal it).</summary>
    internal static async Task<string> RunClickAsync(string[] arguments, Action<int> action)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "click.dll"), .. arguments])
        {
            psi.ArgumentList.Add(a);
        }

        using Process click = Process.Start(psi)!;
        try
        {
            Task<string> stdout = click.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            Task<string> stderr = click.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await Task.Delay(1500, TestContext.Current.CancellationToken);
            if (click.HasExited)
            {
                Assert.Fail("click exited early: " + await stderr);
            }

            action(click.Id);
            using (Process kill = Process.Start("kill", ["-INT", click.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await click.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, click.ExitCode);
            Assert.Equal(string.Empty, await stderr);
            return await stdout;
        }
        finally
        {
            if (!click.HasExited)
            {
                click.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task PingFromTheNamespaceIsAnsweredByArpResponderAndIcmpPingResponder()
    {
        using VethNamespace veth = VethNamespace.Create();
        string target = AddTargetRoute(veth);
        string config = $"""
            FromDevice({veth.HostInterface}) -> arp :: ARPResponder({target} 02:00:5e:00:53:01) -> ac :: Counter -> q :: Queue -> ToDevice({veth.HostInterface});
            arp[1] -> v4 :: Classifier(12/0800, -) -> ip :: CheckIPHeader(14) -> ping :: ICMPPingResponder -> pc :: Counter -> EtherMirror -> q;
            v4[1] -> other :: Counter -> Discard; ip[1] -> other; ping[1] -> Discard;
            """;
        string output = await RunClickAsync(config, ["-h", "ac.count", "-h", "pc.count"], () =>
        {
            var ping = veth.PythonInNamespace(PingScript.Replace("TARGET", target, StringComparison.Ordinal));
            Assert.True(ping.ExitCode == 0, ping.Output + ping.Error);
            Assert.Equal("3 received", ping.Output.Trim());
        });
        string[] lines = output.Split('\n');
        Assert.Equal("ac.count:", lines[0]);
        Assert.True(long.Parse(lines[1], CultureInfo.InvariantCulture) >= 1, output);
        Assert.Equal("pc.count:", lines[3]);
        Assert.True(long.Parse(lines[4], CultureInfo.InvariantCulture) >= 3, output);
    }
}
