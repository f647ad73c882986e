using System.Globalization;
using System.Net;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>The host's command line: memcached's flags where they make sense, plus the tenancy ones.</summary>
internal sealed class HostOptions
{
    public const int TenantsMax = 10_000;

    public int Tenants { get; private set; } = 1;

    public int PortBase { get; private set; } = 11211;

    /// <summary>First UDP port (tenant i on UdpPortBase + i); 0 disables UDP. Defaults to the TCP port base.</summary>
    public int UdpPortBase { get; private set; } = -1;

    public long MemoryBytes { get; private set; } = 64L * 1024 * 1024;

    public long ItemSizeMax { get; private set; } = 1024 * 1024;

    public int MaxConnections { get; private set; } = 1024;

    public IPAddress Listen { get; private set; } = IPAddress.Loopback;

    public int Verbosity { get; private set; }

    /// <summary>memcached's -t: worker threads, here the FWP runtime's workers that run every tenant's requests.</summary>
    public int Threads { get; private set; } = 4;

    public const int ThreadsMax = 256;

    /// <summary>--xdp IFACE: UDP over an AF_XDP port on that interface (queue 0) instead of kernel sockets; null = kernel.</summary>
    public string? XdpInterface { get; private set; }

    public const string Usage =
        "usage: EdgeOS.Samples.Memcached [--tenants N] [--port-base P | -p P] [-U UDP_PORT_BASE (0 = off)] [-m MiB] [-I SIZE[k|m]] [-c CONNS] [-l ADDR] [-v|-vv] [-t THREADS (FWP workers, default 4)] [--xdp IFACE (UDP over AF_XDP on IFACE queue 0; -l must be IFACE's IPv4 address; Linux, root)]";

    /// <summary>Parses the arguments; returns null and an error message when they are wrong.</summary>
    public static HostOptions? Parse(string[] args, out string? error)
    {
        HostOptions o = new();
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (a)
            {
                case "--tenants":
                    if (!TryInt(Next(), 1, TenantsMax, out int t))
                    {
                        error = $"--tenants needs 1..{TenantsMax}";
                        return null;
                    }

                    o.Tenants = t;
                    break;
                case "--port-base":
                case "-p":
                    if (!TryInt(Next(), 1, 65535, out int p))
                    {
                        error = $"{a} needs a port 1..65535";
                        return null;
                    }

                    o.PortBase = p;
                    break;
                case "-U":
                    if (!TryInt(Next(), 0, 65535, out int u))
                    {
                        error = "-U needs a port 0..65535 (0 disables UDP)";
                        return null;
                    }

                    o.UdpPortBase = u;
                    break;
                case "-m":
                    if (!TryInt(Next(), 1, 1 << 20, out int m))
                    {
                        error = "-m needs megabytes 1..1048576";
                        return null;
                    }

                    o.MemoryBytes = m * 1024L * 1024;
                    break;
                case "-I":
                    if (!TrySize(Next(), out long size) || size < 1024 || size > 128L * 1024 * 1024)
                    {
                        error = "-I needs a size between 1k and 128m (e.g. 2m)";
                        return null;
                    }

                    o.ItemSizeMax = size;
                    break;
                case "-c":
                    if (!TryInt(Next(), 1, 1_000_000, out int c))
                    {
                        error = "-c needs 1..1000000";
                        return null;
                    }

                    o.MaxConnections = c;
                    break;
                case "-l":
                    if (!IPAddress.TryParse(Next() ?? string.Empty, out IPAddress? address))
                    {
                        error = "-l needs an IP address";
                        return null;
                    }

                    o.Listen = address;
                    break;
                case "-t":
                    if (!TryInt(Next(), 1, ThreadsMax, out int threads))
                    {
                        error = $"-t needs 1..{ThreadsMax}";
                        return null;
                    }

                    o.Threads = threads;
                    break;
                case "--xdp":
                    string? iface = Next();
                    if (string.IsNullOrEmpty(iface) || iface.Length > 15 || iface.Contains('/', StringComparison.Ordinal) || iface.Any(char.IsWhiteSpace))
                    {
                        error = "--xdp needs a network interface name (at most 15 characters)";
                        return null;
                    }

                    o.XdpInterface = iface;
                    break;
                case "-v":
                case "-vv":
                case "-vvv":
                    // As memcached: every v adds a level, so "-v -v" is "-vv".
                    o.Verbosity += a.Length - 1;
                    if (o.Verbosity > 2)
                    {
                        error = "-vvv (memcached's per-connection state-machine trace) is not supported: use -v (errors) or -vv (commands and responses)";
                        return null;
                    }

                    break;
                default:
                    // memcached's getopt refusal, word for word, then our usage.
                    error = a.Length > 1 && a[0] == '-' && a[1] != '-'
                        ? $"invalid option -- '{a[1]}'\nIllegal argument \"?\""
                        : $"unknown argument '{a}'";
                    return null;
            }
        }

        if (o.UdpPortBase < 0)
        {
            o.UdpPortBase = o.PortBase;
        }

        if (o.PortBase + o.Tenants - 1 > 65535 || (o.UdpPortBase != 0 && o.UdpPortBase + o.Tenants - 1 > 65535))
        {
            error = "the ports of all tenants must be at most 65535";
            return null;
        }

        if (o.XdpInterface is not null && (o.UdpPortBase == 0 || o.Listen.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || IPAddress.IsLoopback(o.Listen) || o.Listen.Equals(IPAddress.Any)))
        {
            error = "--xdp needs UDP on (-U not 0) and -l set to the interface's own IPv4 address (not loopback, not 0.0.0.0)";
            return null;
        }

        if (o.ItemSizeMax > o.MemoryBytes / 2)
        {
            error = "-I must be at most half of -m";
            return null;
        }

        return o;
    }

    private static bool TryInt(string? s, int min, int max, out int value) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static bool TrySize(string? s, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }

        long unit = char.ToLowerInvariant(s[^1]) switch
        {
            'k' => 1024,
            'm' => 1024 * 1024,
            _ => 1,
        };
        string digits = unit == 1 ? s : s[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
        {
            return false;
        }

        bytes = n * unit;
        return true;
    }
}
