using System.Globalization;
using System.Net;

namespace EdgeOS.Benchmarks.Memcached;

/// <summary>The generator's command line. Every option is used; a wrong value is refused with what was expected.</summary>
internal sealed class Options
{
    /// <summary>Requests one TCP connection may have queued or in flight; a due request beyond it is counted as dropped.</summary>
    public const int QueueMax = 4096;

    /// <summary>UDP request ids are 16 bits, so one worker can have at most this many UDP requests in flight.</summary>
    public const int UdpInFlightMax = 65536;

    public IPAddress Host { get; private set; } = IPAddress.Loopback;

    public int PortBase { get; private set; } = 11211;

    public int Targets { get; private set; } = 1;

    public bool Udp { get; private set; }

    public bool OpenLoop { get; private set; } = true;

    public double Rate { get; private set; } = 10_000;

    public int Connections { get; private set; }

    public int Depth { get; private set; } = 1;

    public int Keys { get; private set; } = 4;

    public int ValueSizeBytes { get; private set; } = 135;

    public double GetRatio { get; private set; } = 0.95;

    public double DurationSeconds { get; private set; } = 10;

    public double WarmupSeconds { get; private set; } = 1;

    public bool SetKeys { get; private set; } = true;

    public double TimeoutSeconds { get; private set; } = 1;

    public int Threads { get; private set; } = 1;

    public int Seed { get; private set; } = 42;

    public string Label { get; private set; } = string.Empty;

    public const string Usage =
        """
        usage: EdgeOS.Benchmarks.Memcached [options]
          --host ADDR          server IPv4 address (default 127.0.0.1)
          --port P             first port; target i is port P+i (default 11211)
          --targets N          number of ports/targets (default 1)
          --proto tcp|udp      transport (udp uses memcached's 8-byte frame header)
          --mode open|closed   open: fixed rate, latency from the scheduled send time; closed: --depth in flight per connection
          --rate R             open loop: requests per second over all targets (default 10000)
          --conns C            TCP connections (spread round robin over targets; default = targets);
                               closed-loop UDP: in-flight window = conns * depth
          --depth D            closed loop: requests in flight per connection (default 1)
          --keys K             keys per target (default 4)
          --value-size B       value bytes (default 135)
          --get-ratio F        share of gets, rest are sets (default 0.95)
          --duration S         measured seconds (default 10)
          --warmup S           seconds of load before measuring (default 1)
          --no-set-keys        skip setting every key of every target before the load
          --timeout S          a request unanswered this long is a timeout (UDP: lost) (default 1)
          --threads W          generator threads, each with its own epoll and sockets (default 1)
          --seed N             random seed (default 42)
          --label TEXT         copied into the RESULT line
        """;

    public static Options? Parse(string[] args, out string? error)
    {
        Options o = new();
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string v = a is "--no-set-keys" ? string.Empty : (i + 1 < args.Length ? args[++i] : string.Empty);
            bool ok = a switch
            {
                "--host" => IPAddress.TryParse(v, out IPAddress? h) && h.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && (o.Host = h) is not null,
                "--port" => TryInt(v, 1, 65535, out int p) && Set(() => o.PortBase = p),
                "--targets" => TryInt(v, 1, 65535, out int n) && Set(() => o.Targets = n),
                "--proto" => v is "tcp" or "udp" && Set(() => o.Udp = v == "udp"),
                "--mode" => v is "open" or "closed" && Set(() => o.OpenLoop = v == "open"),
                "--rate" => TryDouble(v, 1, 100_000_000, out double r) && Set(() => o.Rate = r),
                "--conns" => TryInt(v, 1, 1_000_000, out int c) && Set(() => o.Connections = c),
                "--depth" => TryInt(v, 1, 1024, out int d) && Set(() => o.Depth = d),
                "--keys" => TryInt(v, 1, 1_000_000, out int k) && Set(() => o.Keys = k),
                "--value-size" => TryInt(v, 0, 1024 * 1024, out int b) && Set(() => o.ValueSizeBytes = b),
                "--get-ratio" => TryDouble(v, 0, 1, out double g) && Set(() => o.GetRatio = g),
                "--duration" => TryDouble(v, 0.1, 86_400, out double s) && Set(() => o.DurationSeconds = s),
                "--warmup" => TryDouble(v, 0, 3600, out double w) && Set(() => o.WarmupSeconds = w),
                "--no-set-keys" => Set(() => o.SetKeys = false),
                "--timeout" => TryDouble(v, 0.001, 60, out double t) && Set(() => o.TimeoutSeconds = t),
                "--threads" => TryInt(v, 1, 64, out int th) && Set(() => o.Threads = th),
                "--seed" => int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int seed) && Set(() => o.Seed = seed),
                "--label" => Set(() => o.Label = v),
                _ => false,
            };
            if (!ok)
            {
                error = a.StartsWith("--", StringComparison.Ordinal) && Usage.Contains(a, StringComparison.Ordinal)
                    ? $"bad value '{v}' for {a}"
                    : $"unknown argument '{a}'";
                return null;
            }
        }

        if (o.Connections == 0)
        {
            o.Connections = o.Targets;
        }

        if (o.PortBase + o.Targets - 1 > 65535)
        {
            error = "--port + --targets - 1 must be at most 65535";
            return null;
        }

        if (!o.Udp && o.Connections < o.Targets)
        {
            error = "--conns must be at least --targets over TCP (every target needs a connection)";
            return null;
        }

        if (!o.Udp && o.Connections < o.Threads)
        {
            error = "--threads must be at most --conns over TCP";
            return null;
        }

        if (o.Udp && o.ValueSizeBytes > 1200)
        {
            error = "--value-size must be at most 1200 over UDP (a response must fit one datagram)";
            return null;
        }

        if (o.Udp && !o.OpenLoop && (long)o.Connections * o.Depth > UdpInFlightMax / 2)
        {
            error = $"--conns * --depth must be at most {UdpInFlightMax / 2} over UDP (16-bit request ids)";
            return null;
        }

        if (!o.Udp && o.Depth > QueueMax)
        {
            error = $"--depth must be at most {QueueMax}";
            return null;
        }

        return o;
    }

    private static bool Set(Action action)
    {
        action();
        return true;
    }

    private static bool TryInt(string s, int min, int max, out int value) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static bool TryDouble(string s, double min, double max, out double value) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
}
