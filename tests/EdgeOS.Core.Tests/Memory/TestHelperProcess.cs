using System.Diagnostics;
using System.Reflection;
using Xunit;

namespace EdgeOS.Core.Tests.Memory;

/// <summary>Runs tests/EdgeOS.TestHelper as a second process (<c>dotnet EdgeOS.TestHelper.dll &lt;subcommand&gt; ...</c>).</summary>
internal static class TestHelperProcess
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    internal static string HelperPath
    {
        get
        {
            string? configured = typeof(TestHelperProcess).Assembly
                .GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(attribute => attribute.Key == "EdgeOSTestHelperPath")?.Value;
            if (configured is not null && File.Exists(configured))
            {
                return Path.GetFullPath(configured);
            }

            throw new FileNotFoundException($"EdgeOS.TestHelper.dll not found at '{configured}'; build tests/EdgeOS.TestHelper.");
        }
    }

    internal static (int ExitCode, string StandardOutput, string StandardError) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(HelperPath);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the test helper.");
        Task<string> output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        if (!process.WaitForExit(s_timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The test helper did not finish within {s_timeout}: {string.Join(' ', arguments)}");
        }

        return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }
}
