using System.Diagnostics;
using Xunit;

namespace EdgeOS.Net.Tests;

/// <summary>Runs a command-line tool the tests compare against (tcpdump), skipping when it is not installed.</summary>
internal static class ExternalTool
{
    public static string? Find(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':'))
        {
            string candidate = Path.Combine(dir, name);
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (string dir in new[] { "/usr/sbin", "/usr/bin", "/sbin" })
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static string Require(string name) =>
        Find(name) ?? throw SkipOrFail($"{name} is not installed (test.sh installs it)");

    public static (int ExitCode, string Output, string Error) Run(string path, params string[] arguments)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.GetAwaiter().GetResult());
    }

    private static Exception SkipOrFail(string reason)
    {
        if (Environment.GetEnvironmentVariable("EDGEOS_REQUIRE_KERNEL") == "1")
        {
            return new InvalidOperationException(reason);
        }

        Assert.Skip(reason);
        return new InvalidOperationException(reason);
    }
}
