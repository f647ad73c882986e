using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EdgeOS.Core.Memory;
using EdgeOS.Samples.Memcached.Protocol;
using EdgeOS.Samples.Memcached.Storage;
using Xunit;

namespace EdgeOS.Samples.Memcached.Tests;

/// <summary>
/// A store as a tenant has it: formatted into a template region, frozen into a copy-on-write image, used through a
/// private view of it (every first write to a chunk copies it, as in a tenant's FWP); a manual clock and a session.
/// </summary>
internal sealed unsafe class StoreFixture : IDisposable
{
    private readonly CowImage _image;
    private readonly CowView _view;

    public StoreFixture(long maxBytes = 8L << 20, long itemSizeMax = 1 << 20)
    {
        long area = ItemStore.RequiredAreaBytes(maxBytes, itemSizeMax);
        Clock = new ManualStoreClock(1_700_000_000);
        using (MemoryRegion template = MemoryRegion.Allocate(area, new MemoryRegionOptions { AlignmentBytes = 4096, ZeroFill = true }))
        {
            ItemStore.Format(new PointerStoreMemory(template.DangerousPointer, template.Length), Clock.UnixSeconds, maxBytes, itemSizeMax);
            _image = CowImage.Create(template);
        }

        Account = new MemoryAccount("fixture tenant", area + (area / 512) + 4096);
        _view = _image.CreateView(Account);
        Store = new ItemStore(Clock);
        Store.Bind(_view);
        Context = new ServerContext(Store);
        Session = new ProtocolSession(Context);
    }

    public MemoryAccount Account { get; }

    public CowView View => _view;

    public ManualStoreClock Clock { get; }

    public ItemStore Store { get; }

    public ServerContext Context { get; }

    public ProtocolSession Session { get; }

    /// <summary>Sends bytes (optionally split into pieces of <paramref name="pieceBytes"/>) and returns the response.</summary>
    public string Send(string request, int pieceBytes = int.MaxValue) => Encoding.Latin1.GetString(SendBytes(Encoding.Latin1.GetBytes(request), pieceBytes, out _));

    public byte[] SendBytes(byte[] request, int pieceBytes, out SessionStatus status)
    {
        ArrayBufferWriter<byte> output = new();
        byte[] pending = [];
        status = SessionStatus.NeedMore;
        for (int at = 0; at < request.Length; at += pieceBytes)
        {
            int n = Math.Min(pieceBytes, request.Length - at);
            byte[] buffer = [.. pending, .. request.AsSpan(at, n)];
            ReadOnlySequence<byte> input = new(buffer);
            status = Session.Process(ref input, output);
            pending = input.ToArray();
            if (status == SessionStatus.Close)
            {
                break;
            }
        }

        return output.WrittenSpan.ToArray();
    }

    public void Dispose()
    {
        _view.Dispose();
        _image.Dispose();
    }
}

/// <summary>Starts processes the integration tests need and finds free loopback ports.</summary>
internal static class Processes
{
    // Ports are taken below the kernel's ephemeral range (ip_local_port_range, 32768-60999 by default):
    // a port checked free there can be taken a moment later by any outgoing connection on the machine
    // (another test assembly's client sockets), which made a host fail with "Address already in use".
    private const int PortLow = 10000;

    private static readonly int s_portHigh = EphemeralLow() - 1;

    private static int s_nextPort = PortLow + (Environment.ProcessId % 1000 * 10);

    /// <summary>A base port such that count consecutive TCP and UDP ports are free on loopback.</summary>
    public static int FreePorts(int count)
    {
        while (true)
        {
            int basePort = Interlocked.Add(ref s_nextPort, count + 1) - count - 1;
            if (basePort + count > s_portHigh)
            {
                Interlocked.Exchange(ref s_nextPort, PortLow);
                continue;
            }

            bool free = true;
            for (int i = 0; i < count && free; i++)
            {
                free = IsFree(basePort + i);
            }

            if (free)
            {
                return basePort;
            }
        }
    }

    private static int EphemeralLow()
    {
        try
        {
            string[] range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return Math.Max(PortLow + 2000, int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return 32768;
        }
        catch (UnauthorizedAccessException)
        {
            return 32768;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using Socket t = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            t.Bind(new IPEndPoint(IPAddress.Loopback, port));
            using Socket u = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            u.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The full path of a program on PATH, or a failure naming the Debian package that provides it.</summary>
    public static string Require(string program, string package)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Append("/usr/bin").Append("/usr/sbin"))
        {
            string path = Path.Combine(dir, program);
            if (File.Exists(path))
            {
                return path;
            }
        }

        Assert.Fail($"'{program}' is missing: install the Debian package {package} (apt-get install -y {package}); test.sh installs it");
        return string.Empty;
    }

    public static Process Start(string file, string arguments)
    {
        ProcessStartInfo info = new(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
    }

    public static (int ExitCode, string Output) Run(string file, string arguments, string? stdin = null, int timeoutMs = 60_000)
    {
        ProcessStartInfo info = new(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        using Process p = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }

        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {arguments} did not finish in {timeoutMs} ms");
        }

        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>
    /// Waits until the owner accepts TCP connections on count ports from basePort. Returns false when
    /// the owner exited because a port was taken meanwhile and <paramref name="retryOnAddressInUse"/> allows a retry.
    /// </summary>
    public static bool WaitForPorts(int basePort, int count, Process owner, bool retryOnAddressInUse)
    {
        for (int i = 0; i < count; i++)
        {
            string? failure = TryWaitForPort(basePort + i, owner);
            if (failure is null)
            {
                continue;
            }

            if (retryOnAddressInUse && failure.Contains("Address already in use", StringComparison.Ordinal))
            {
                return false;
            }

            Assert.Fail(failure);
        }

        return true;
    }

    /// <summary>Waits until something accepts TCP connections on the port.</summary>
    public static void WaitForPort(int port, Process owner)
    {
        string? failure = TryWaitForPort(port, owner);
        if (failure is not null)
        {
            Assert.Fail(failure);
        }
    }

    private static string? TryWaitForPort(int port, Process owner)
    {
        Stopwatch sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (owner.HasExited)
            {
                return $"the server exited with {owner.ExitCode}: {owner.StandardError.ReadToEnd()}";
            }

            try
            {
                using TcpClient c = new();
                c.Connect(IPAddress.Loopback, port);
                return null;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        return $"nothing listens on port {port} after 30 s";
    }

    public static void Stop(Process p)
    {
        if (!p.HasExited)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }

        p.Dispose();
    }
}

/// <summary>Our host started as a process on free ports.</summary>
internal sealed class HostProcess : IDisposable
{
    /// <param name="tenants">--tenants.</param>
    /// <param name="extra">More command-line arguments.</param>
    /// <param name="interruptIgnored">Start the host with SIGINT ignored, as a non-interactive shell starts a background job.</param>
    public HostProcess(int tenants = 1, string extra = "", bool interruptIgnored = false)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "EdgeOS.Samples.Memcached.dll");
        for (int attempt = 1; ; attempt++)
        {
            PortBase = Processes.FreePorts(tenants);
            string command = $"\"{dll}\" --tenants {tenants} --port-base {PortBase} {extra}";
            Process = interruptIgnored
                ? Processes.Start("/bin/sh", $"-c \"trap '' INT; exec dotnet {command.Replace("\"", "\\\"", StringComparison.Ordinal)}\"")
                : Processes.Start("dotnet", command);
            if (Processes.WaitForPorts(PortBase, tenants, Process, retryOnAddressInUse: attempt < 3))
            {
                return;
            }

            // Another process took one of the ports between the check and the host's bind: try other ports.
            Process.Dispose();
        }
    }

    public int PortBase { get; private set; }

    public Process Process { get; private set; }

    public void Dispose() => Processes.Stop(Process);
}

/// <summary>Real memcached 1.6 started as a process on a free port (the oracle).</summary>
internal sealed class MemcachedProcess : IDisposable
{
    public MemcachedProcess(bool udp = false, string extra = "")
    {
        string memcached = Processes.Require("memcached", "memcached");
        string user = Environment.UserName == "root" ? "-u root" : string.Empty;
        for (int attempt = 1; ; attempt++)
        {
            Port = Processes.FreePorts(1);
            Process = Processes.Start(memcached, $"-l 127.0.0.1 -p {Port} -U {(udp ? Port : 0)} {user} {extra}");
            if (Processes.WaitForPorts(Port, 1, Process, retryOnAddressInUse: attempt < 3))
            {
                return;
            }

            Process.Dispose();
        }
    }

    public int Port { get; private set; }

    public Process Process { get; private set; }

    public void Dispose() => Processes.Stop(Process);
}

/// <summary>A blocking text-protocol connection for tests.</summary>
internal sealed class Connection : IDisposable
{
    private readonly Socket _socket;

    public Connection(int port)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 10_000 };
        _socket.Connect(IPAddress.Loopback, port);
    }

    public void Send(byte[] data) => _socket.Send(data);

    public void Send(string data) => Send(Encoding.Latin1.GetBytes(data));

    /// <summary>Sends a request followed by "mn" and reads up to the "MN" marker: the complete response, whatever it is.</summary>
    public byte[] Exchange(byte[] request)
    {
        Send([.. request, .. "mn\r\n"u8]);
        return ReadUntilMarker("MN\r\n"u8);
    }

    public byte[] ReadUntilMarker(ReadOnlySpan<byte> marker)
    {
        List<byte> got = [];
        byte[] buffer = new byte[65536];
        while (true)
        {
            if (got.Count >= marker.Length && (got.Count == marker.Length || got[got.Count - marker.Length - 1] == '\n')
                && System.Runtime.InteropServices.CollectionsMarshal.AsSpan(got)[^marker.Length..].SequenceEqual(marker))
            {
                return [.. got.Take(got.Count - marker.Length)];
            }

            int n = _socket.Receive(buffer);
            if (n == 0)
            {
                return [.. got, .. "<closed>"u8];
            }

            got.AddRange(buffer.AsSpan(0, n));
        }
    }

    /// <summary>Reads binary responses until one equals <paramref name="marker"/> (a 24-byte header), which is dropped.</summary>
    public byte[] ReadUntilMarkerBinary(byte[] marker)
    {
        List<byte> got = [];
        byte[] buffer = new byte[65536];
        int at = 0;
        while (true)
        {
            while (got.Count - at >= 24)
            {
                int body = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(got).Slice(at + 8, 4));
                if (got.Count - at < 24 + body)
                {
                    break;
                }

                bool isMarker = body == 0 && got[at + 1] == marker[1] && got[at] == marker[0];
                if (isMarker)
                {
                    return [.. got.Take(at)];
                }

                at += 24 + body;
            }

            int n = _socket.Receive(buffer);
            if (n == 0)
            {
                return [.. got, .. "<closed>"u8];
            }

            got.AddRange(buffer.AsSpan(0, n));
        }
    }

    /// <summary>Reads until the peer closes (or the timeout).</summary>
    public byte[] ReadToClose()
    {
        List<byte> got = [];
        byte[] buffer = new byte[65536];
        try
        {
            int n;
            while ((n = _socket.Receive(buffer)) > 0)
            {
                got.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (SocketException)
        {
        }

        return [.. got];
    }

    public void Dispose() => _socket.Dispose();
}
