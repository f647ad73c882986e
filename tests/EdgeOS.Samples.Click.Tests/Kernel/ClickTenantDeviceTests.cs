using System.Diagnostics;
using System.Globalization;
using EdgeOS.Net.Tests.Kernel;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Kernel;

/// <summary>
/// <c>click --tenants N --device IFACE</c> end to end on a veth pair in a namespace the test creates: the click
/// driver (a process, on the host end) steers UDP from the namespace to tenants by destination port; every tenant
/// echoes (IPMirror + EtherMirror -> ToDevice on the same device) so the namespace's UDP socket sees each reply from
/// the tenant's port; the kernel keeps ARP (not steered), the per-tenant and host counts are read with -h at exit.
/// </summary>
public sealed class ClickTenantDeviceTests
{
    // Tenant K (port 30000 + K) gets K + 1 datagrams; 4 more go to port 29999 (no tenant). Prints one line per reply:
    // "SOURCE-PORT PAYLOAD", sorted, then "done".
    private const string EchoScript = """
        import socket, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # SO_NO_CHECK: no UDP checksum. With one, veth's checksum offload leaves only the pseudo-header sum in the
        # frame the tenant mirrors, and the kernel here would drop the echo as a checksum error.
        s.setsockopt(socket.SOL_SOCKET, 11, 1)
        s.settimeout(0.3)
        want = {}
        for k in range(3):
            for i in range(k + 1):
                want[('t%d-%d' % (k, i)).encode()] = 30000 + k
        for i in range(4):
            s.sendto(b'nobody', ('TARGET', 29999))
        got = set()
        deadline = time.time() + 15
        while len(got) < len(want) and time.time() < deadline:
            for payload, port in want.items():
                if payload not in [g[1] for g in got]:
                    s.sendto(payload, ('TARGET', port))
            try:
                while True:
                    data, addr = s.recvfrom(2048)
                    if addr[0] == 'TARGET':
                        got.add((addr[1], data))
            except socket.timeout:
                pass
        for port, data in sorted(got):
            print('%d %s' % (port, data.decode()))
        print('done')
        """;

    private const string TenantConfig =
        "FromSteering -> c :: Counter -> MarkIPHeader(14) -> IPMirror -> EtherMirror -> td :: ToDevice(IFACE)";

    private static (int ExitCode, string Stdout, string Stderr) InProcess(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int code = EdgeOS.Samples.Click.Driver.ClickDriver.Run(args, new StringReader(string.Empty), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    // With workers the host thread sleeps up to 100 ms while tenants on other threads queue their echoes: a tenant's
    // ToDevice wakes it (the doorbell; its protocol is proven without a kernel in EgressDoorbellTests), and every reply
    // still goes out.
    [Theory]
    [InlineData("LINUX", "0")]
    [InlineData("LINUX", "2")]
    [InlineData("XDP", "0")]
    [InlineData("XDP", "2")]
    public async Task UdpToEachTenantsPortIsEchoedByThatTenant(string method, string workers)
    {
        using VethNamespace veth = VethNamespace.Create();
        string? script = null;
        string output = await ClickVethPingTests.RunClickAsync(
            [
                "--tenants", "4", "--port-base", "30000", "--device", veth.HostInterface, "--method", method,
                "--tenant-workers", workers,
                "-e", TenantConfig.Replace("IFACE", veth.HostInterface, StringComparison.Ordinal),
                "-h", "c.count", "-h", "3:td.count", "-h", "host:unmatched", "-h", "host:transmitted", "-h", "host:wakeups",
            ],
            () =>
            {
                var echo = veth.PythonInNamespace(EchoScript.Replace("TARGET", veth.HostAddress, StringComparison.Ordinal));
                Assert.True(echo.ExitCode == 0, echo.Output + echo.Error);
                script = echo.Output;
            });

        // Every datagram came back once from its tenant's port (retries may have sent some twice).
        Assert.Equal("30000 t0-0\n30001 t1-0\n30001 t1-1\n30002 t2-0\n30002 t2-1\n30002 t2-2\ndone\n", script);
        string[] blocks = output.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["0:c.count:", "1:c.count:", "2:c.count:", "3:c.count:", "3:td.count:", "host:unmatched:", "host:transmitted:", "host:wakeups:"], blocks.Select(b => b.Split('\n')[0]));
        long Value(int block) => long.Parse(blocks[block].Split('\n')[1], CultureInfo.InvariantCulture);
        long total = 0;
        for (int k = 0; k < 3; k++)
        {
            Assert.True(Value(k) >= k + 1, output);
            total += Value(k);
        }

        Assert.Equal(0, Value(3)); // tenant 3 had no traffic: its handlers read the template's state
        Assert.Equal(0, Value(4));
        if (method == "LINUX")
        {
            Assert.True(Value(5) >= 4, output); // the datagrams to port 29999 (and ARP, which the kernel answered)
        }
        else
        {
            Assert.Equal(0, Value(5)); // XDP redirects only the tenants' ports: the rest never leaves the kernel
        }

        Assert.Equal(total, Value(6)); // every frame a tenant received went back out

        // A tenant signals the host at most once per frame it queued, and only when the host announced a sleep; with the
        // tenants on the host's thread the host never sleeps while they run, so nobody signals.
        Assert.InRange(Value(7), 0, Value(6));
        if (workers == "0")
        {
            Assert.Equal(0, Value(7));
        }
    }

    [Fact]
    public void AnUnknownInterfaceIsReported()
    {
        KernelTestEnvironment.RequireRootNetworking();
        var (code, _, stderr) = InProcess(
            "--tenants", "2", "--device", "eosnosuch0", "-e", "FromSteering -> Discard");
        Assert.Equal(1, code);
        Assert.Equal("click: eosnosuch0: No such device\n", stderr);
    }

    [Fact]
    public void AToDeviceOnAnotherInterfaceIsRefused()
    {
        using VethNamespace veth = VethNamespace.Create();
        var (code, _, stderr) = InProcess(
            "--tenants", "2", "--device", veth.HostInterface, "-e", "FromSteering -> ToDevice(eth9)");
        Assert.Equal(1, code);
        Assert.Equal(
            "config:1: While initializing 'ToDevice@2 :: ToDevice':\n"
            + $"config:1:   eth9: tenants transmit only on the host's device '{veth.HostInterface}' (--device)\n"
            + "Router could not be initialized!\n",
            stderr);
    }

    [Fact]
    public void WithoutCapNetRawTheMissingCapabilityIsNamed()
    {
        KernelTestEnvironment.RequireRootNetworking();
        if (!File.Exists("/usr/bin/setpriv"))
        {
            KernelTestEnvironment.Unavailable("setpriv (util-linux) is needed to drop CAP_NET_RAW");
        }

        var psi = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in (string[])["--bounding-set", "-net_raw", "dotnet", Path.Combine(AppContext.BaseDirectory, "click.dll"), "--tenants", "2", "--device", "lo", "-e", "FromSteering -> Discard"])
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(1, p.ExitCode);
        Assert.StartsWith("click: lo: ", stderr, StringComparison.Ordinal);
        Assert.Contains("CAP_NET_RAW", stderr, StringComparison.Ordinal);
    }
}
