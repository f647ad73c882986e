using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Xunit;

namespace EdgeOS.Net.Tests.Kernel;

/// <summary>
/// A veth pair made for one test: <see cref="HostInterface"/> stays in the test's namespace with
/// <see cref="HostAddress"/>, <see cref="PeerInterface"/> lives in the test-made namespace <see cref="Namespace"/>
/// with <see cref="PeerAddress"/> (a /30 in 10.0.0.0/8 picked at random). Dispose deletes both (deleting one end
/// of a veth deletes the other).
/// </summary>
internal sealed class VethNamespace : IDisposable
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(30);

    private bool _disposed;

    private VethNamespace(string id, int subnet)
    {
        Id = id;
        Namespace = "eosns" + id;
        HostInterface = "eosh" + id;
        PeerInterface = "eosp" + id;
        int b = subnet >> 6 & 0xFF;
        int c = (subnet & 0x3F) << 2;
        string prefix = string.Create(CultureInfo.InvariantCulture, $"10.{200 + (subnet >> 14)}.{b}.");
        PeerAddress = prefix + (c + 1).ToString(CultureInfo.InvariantCulture);
        HostAddress = prefix + (c + 2).ToString(CultureInfo.InvariantCulture);
    }

    internal string Id { get; }

    internal string Namespace { get; }

    internal string HostInterface { get; }

    internal string PeerInterface { get; }

    internal string HostAddress { get; }

    internal string PeerAddress { get; }

    /// <summary>Creates the namespace and the pair (skipping the test when the environment cannot).</summary>
    /// <param name="queues">Transmit and receive queues of each end (veth numtxqueues / numrxqueues).</param>
    internal static VethNamespace Create(int queues = 1)
    {
        KernelTestEnvironment.RequireRootNetworking();

        // Unique names: 8 random hex digits (interface names are at most 15 characters: "eosh" + 8 = 12).
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        int subnet = RandomNumberGenerator.GetInt32(0, 1 << 16);
        var pair = new VethNamespace(id, subnet);
        try
        {
            pair.Setup(queues);
        }
        catch
        {
            pair.Dispose();
            throw;
        }

        return pair;
    }

    /// <summary>Runs `ip` with the arguments; throws with its stderr on failure.</summary>
    internal static string Ip(params string[] arguments) => Run("ip", arguments);

    /// <summary>Runs a program inside the namespace (ip netns exec).</summary>
    internal (int ExitCode, string Output, string Error) ExecInNamespace(string program, params string[] arguments)
    {
        string[] all = ["netns", "exec", Namespace, program, .. arguments];
        return RunRaw("ip", all);
    }

    /// <summary>Runs a Python 3 script inside the namespace; the test is skipped when python3 is missing.</summary>
    internal (int ExitCode, string Output, string Error) PythonInNamespace(string script)
    {
        if (FindProgram("python3") is null)
        {
            KernelTestEnvironment.Unavailable("python3 is needed for the kernel client in the namespace");
        }

        return ExecInNamespace("python3", "-c", script);
    }

    /// <summary>`ip link show dev` of the host end.</summary>
    internal string ShowHostLink() => Ip("link", "show", "dev", HostInterface);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ = RunRaw("ip", ["link", "del", HostInterface]);
        _ = RunRaw("ip", ["netns", "del", Namespace]);
    }

    internal static string? FindProgram(string name)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    private void Setup(int queues)
    {
        Ip("netns", "add", Namespace);
        string count = queues.ToString(CultureInfo.InvariantCulture);
        Ip("link", "add", HostInterface, "numtxqueues", count, "numrxqueues", count, "type", "veth", "peer", "name", PeerInterface, "netns", Namespace, "numtxqueues", count, "numrxqueues", count);
        Ip("addr", "add", HostAddress + "/30", "dev", HostInterface);
        Ip("link", "set", HostInterface, "up");
        Ip("-n", Namespace, "addr", "add", PeerAddress + "/30", "dev", PeerInterface);
        Ip("-n", Namespace, "link", "set", PeerInterface, "up");
        Ip("-n", Namespace, "link", "set", "lo", "up");
    }

    private static string Run(string program, string[] arguments)
    {
        (int exitCode, string output, string error) = RunRaw(program, arguments);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({exitCode}): {error}");
        }

        return output;
    }

    private static (int ExitCode, string Output, string Error) RunRaw(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + program);
        Task<string> output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        if (!process.WaitForExit(s_commandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {s_commandTimeout}.");
        }

        return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }
}
