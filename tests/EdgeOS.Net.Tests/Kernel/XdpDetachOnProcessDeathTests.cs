using System.Diagnostics;
using System.Reflection;
using Xunit;

namespace EdgeOS.Net.Tests.Kernel;

public sealed class XdpDetachOnProcessDeathTests
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

    private static string HelperPath
    {
        get
        {
            string? configured = typeof(XdpDetachOnProcessDeathTests).Assembly
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
