using System.Diagnostics;
using System.Reflection;
using Xunit;

namespace EdgeOS.Net.Tests.Kernel;

public sealed class KernelChildProcessTests
{
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task XdpProgramIsGoneAfterTheOwningProcessIsKilled()
    {
        using VethNamespace veth = VethNamespace.Create();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(HelperPath);
        start.ArgumentList.Add("hold-xdp");
        start.ArgumentList.Add(veth.HostInterface);

        using Process helper = Process.Start(start) ?? throw new InvalidOperationException("Could not start the test helper.");
        try
        {
            string? line = await helper.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask()
                .WaitAsync(s_readyTimeout, TestContext.Current.CancellationToken);
            if (line is null || !line.StartsWith("ready", StringComparison.Ordinal))
            {
                // Read stderr only on failure: while the helper lives its stderr never ends.
                helper.Kill();
                Assert.Fail($"helper said '{line}': {await helper.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken)}");
            }

            Assert.Contains("xdp", veth.ShowHostLink(), StringComparison.Ordinal);

            helper.Kill(); // SIGKILL: no managed cleanup runs; only the kernel closing the link descriptor can detach.
            await helper.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!helper.HasExited)
            {
                helper.Kill();
            }
        }

        // The kernel releases the process's files as it exits; allow the teardown a bounded moment to finish.
        string shown = veth.ShowHostLink();
        for (int i = 0; i < 50 && shown.Contains("xdp", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            shown = veth.ShowHostLink();
        }

        Assert.DoesNotContain("xdp", shown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hold-xdp", "-net_admin,-net_raw,-bpf,-sys_admin,-perfmon", "CAP_NET_RAW")]
    [InlineData("hold-xdp", "-net_admin,-bpf,-sys_admin,-perfmon", "CAP_BPF")]
    [InlineData("open-packet", "-net_raw", "CAP_NET_RAW")]
    public void MissingPrivilegeIsReportedWithTheCapabilityName(string command, string droppedCapabilities, string expectedCapability)
    {
        using VethNamespace veth = VethNamespace.Create();
        string? setpriv = VethNamespace.FindProgram("setpriv");
        if (setpriv is null)
        {
            KernelTestEnvironment.Unavailable("setpriv (util-linux) is needed to drop capabilities for the child process");
        }

        var start = new ProcessStartInfo(setpriv)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["--bounding-set", droppedCapabilities, Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", HelperPath, command, veth.HostInterface])
        {
            start.ArgumentList.Add(argument);
        }

        using Process helper = Process.Start(start) ?? throw new InvalidOperationException("Could not start the test helper.");
        helper.StandardInput.Close();
        string output = helper.StandardOutput.ReadToEnd();
        string error = helper.StandardError.ReadToEnd();
        Assert.True(helper.WaitForExit(s_readyTimeout), "the helper did not exit");

        Assert.Equal(3, helper.ExitCode);
        Assert.StartsWith("privilege ", output, StringComparison.Ordinal);
        Assert.Contains(expectedCapability, output, StringComparison.Ordinal);
        Assert.Contains(expectedCapability, error, StringComparison.Ordinal);
        Assert.DoesNotContain("xdp", veth.ShowHostLink(), StringComparison.Ordinal);
    }

    private static string HelperPath
    {
        get
        {
            string? configured = typeof(KernelChildProcessTests).Assembly
                .GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(attribute => attribute.Key == "EdgeOSNetTestHelperPath")?.Value;
            if (configured is not null && File.Exists(configured))
            {
                return Path.GetFullPath(configured);
            }

            throw new FileNotFoundException($"EdgeOS.Net.TestHelper.dll not found at '{configured}'; build tests/EdgeOS.Net.TestHelper.");
        }
    }
}
