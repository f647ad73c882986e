using System.Runtime.InteropServices;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using EdgeOS.Net;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;

namespace EdgeOS.Samples.Click.Driver;

/// <summary>
/// The command line of Click's userlevel driver, click(1): the configuration from a file, <c>-e EXPR</c> or
/// standard input; <c>NAME=value</c> variables; <c>-h [ELEMENT.]HANDLER</c> (repeatable, element globs);
/// <c>-q</c>; <c>-o FILE</c>; <c>--flatten</c>; <c>--simtime</c>; <c>-t</c>; <c>-w</c>.
/// </summary>
internal static class ClickDriver
{
    private const string Usage = "Usage: click [OPTION]... [ROUTERFILE] [PARAM=VALUE]...\nTry 'click --help' for more information.\n";

    private const string Help = """
'Click' runs a Click router configuration at user level. It installs the
configuration, reporting any errors to standard error, and then generally runs
until interrupted.

Usage: click [OPTION]... [ROUTERFILE] [PARAM=VALUE]...

Options:
  -f, --file FILE               Read router configuration from FILE.
  -e, --expression EXPR         Use EXPR as router configuration.
  -h, --handler ELEMENT.H       Call ELEMENT's read handler H after running
                                driver and print result to standard output.
  -x, --exit-handler ELEMENT.H  Use handler ELEMENT.H value for exit status.
  -o, --output FILE             Write flat configuration to FILE.
      --flatten                 Print the flat configuration and exit without
                                initializing the router.
  -q, --quit                    Do not run driver.
      --simtime                 Run in simulation time.
  -t, --time                    Print information on how long driver took.
  -w, --no-warnings             Do not print warnings.
  -C, --clickpath PATH          Use PATH for CLICKPATH.
      --help                    Print this message and exit.
  -v, --version                 Print version number and exit.

Multi-tenant mode (EdgeOS):
      --tenants N               Run N tenants of the configuration, each an FWP
                                with its own router state; packets enter each
                                tenant at its FromSteering element.
      --device IFACE            Steer the frames received on interface IFACE to
                                the tenants until interrupted; a tenant's
                                ToDevice(IFACE) transmits on IFACE.
      --method LINUX|XDP        How --device opens IFACE, as FromDevice's METHOD:
                                LINUX (AF_PACKET, every frame; the default) or
                                XDP (AF_XDP; only UDP to the tenants' ports).
      --replay FILE             Steer the frames of pcap FILE to the tenants.
      --steer port|5tuple       Steer by UDP/TCP destination port (tenant K gets
                                port PORT-BASE+K; default) or by 5-tuple hash.
      --port-base PORT          First tenant's destination port (default 10000).
      --tenant-workers N        FWP worker threads (default 0: the steering
                                thread runs the tenants).
      --tenant-restarts N       Restart a faulted tenant up to N times.
  -h K:ELEMENT.H                Tenant K's handler; '*:' or no prefix: every
                                tenant's, each under a 'K:ELEMENT.H:' header.
  -h host:H                     The host's counts: unmatched (frames steered to
                                no tenant), dropped (not handed to a tenant),
                                transmitted (frames sent for the tenants).

""";

    /// <summary>Runs the driver with <paramref name="args"/>; returns the process exit code.</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        string? file = null;
        string? expression = null;
        string? output = null;
        bool quit = false;
        bool flatten = false;
        bool simtime = false;
        bool time = false;
        bool noWarnings = false;
        var handlers = new List<string>();
        string? exitHandler = null;
        string? clickPath = null;
        int tenants = 0;
        string? replay = null;
        string? device = null;
        string? deviceMethod = null;
        string steer = "port";
        int portBase = 10000;
        int tenantWorkers = 0;
        int tenantRestarts = 0;
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);

        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? value = null;
            string option = a;
            int eq = a.StartsWith("--", StringComparison.Ordinal) ? a.IndexOf('=', StringComparison.Ordinal) : -1;
            if (eq > 0)
            {
                option = a[..eq];
                value = a[(eq + 1)..];
            }

            bool NeedValue(out string v)
            {
                if (value is not null)
                {
                    v = value;
                    return true;
                }

                if (option.Length > 2 && !option.StartsWith("--", StringComparison.Ordinal))
                {
                    v = option[2..];
                    return true;
                }

                if (i + 1 < args.Length)
                {
                    v = args[++i];
                    return true;
                }

                stderr.Write($"click: option '{option}' requires an argument\n{Usage}");
                v = string.Empty;
                return false;
            }

            // Click refuses an option that may be given once when it comes again.
            bool Twice(bool given, string what)
            {
                if (given)
                {
                    stderr.Write($"click: {what} specified twice\n{Usage}");
                }

                return given;
            }

            string head = option.StartsWith("--", StringComparison.Ordinal) || option.Length <= 2 ? option : option[..2];
            switch (head)
            {
                case "-f" or "--file":
                    if (!NeedValue(out string f) || Twice(file is not null || expression is not null, "router configuration"))
                    {
                        return 1;
                    }

                    file = f;
                    break;
                case "-e" or "--expression":
                    if (!NeedValue(out string e) || Twice(file is not null || expression is not null, "router configuration"))
                    {
                        return 1;
                    }

                    expression = e;
                    break;
                case "-h" or "--handler" or "--call":
                    if (!NeedValue(out string h))
                    {
                        return 1;
                    }

                    handlers.Add(h);
                    break;
                case "-x" or "--exit-handler":
                    if (!NeedValue(out string x) || Twice(exitHandler is not null, "--exit-handler"))
                    {
                        return 1;
                    }

                    exitHandler = x;
                    break;
                case "-C" or "--clickpath":
                    if (!NeedValue(out string cp))
                    {
                        return 1;
                    }

                    clickPath = cp;
                    break;
                case "-o" or "--output":
                    if (!NeedValue(out string o))
                    {
                        return 1;
                    }

                    output = o;
                    break;
                case "-q" or "--quit":
                    quit = true;
                    break;
                case "--flatten":
                    flatten = true;
                    break;
                case "--simtime":
                    simtime = true;
                    break;
                case "-t" or "--time":
                    time = true;
                    break;
                case "-w" or "--no-warnings":
                    noWarnings = true;
                    break;
                case "--tenants" or "--port-base" or "--tenant-workers" or "--tenant-restarts":
                    if (!NeedValue(out string number))
                    {
                        return 1;
                    }

                    if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed))
                    {
                        stderr.Write($"click: '{option}' expects a non-negative integer, not '{number}'\n{Usage}");
                        return 1;
                    }

                    switch (option)
                    {
                        case "--tenants":
                            tenants = parsed;
                            break;
                        case "--port-base":
                            portBase = parsed;
                            break;
                        case "--tenant-workers":
                            tenantWorkers = parsed;
                            break;
                        default:
                            tenantRestarts = parsed;
                            break;
                    }

                    break;
                case "--replay":
                    if (!NeedValue(out string r))
                    {
                        return 1;
                    }

                    replay = r;
                    break;
                case "--device":
                    if (!NeedValue(out string dev))
                    {
                        return 1;
                    }

                    device = dev;
                    break;
                case "--method":
                    if (!NeedValue(out string m))
                    {
                        return 1;
                    }

                    if (m is not ("LINUX" or "XDP" or "DEFAULT"))
                    {
                        stderr.Write($"click: '--method' expects 'LINUX' or 'XDP', not '{m}'\n{Usage}");
                        return 1;
                    }

                    deviceMethod = m;
                    break;
                case "--steer":
                    if (!NeedValue(out string st))
                    {
                        return 1;
                    }

                    if (st is not ("port" or "5tuple"))
                    {
                        stderr.Write($"click: '--steer' expects 'port' or '5tuple', not '{st}'\n{Usage}");
                        return 1;
                    }

                    steer = st;
                    break;
                case "--help":
                    stdout.Write(Help);
                    return 0;
                case "-v" or "--version":
                    stdout.Write("click (Click) 2.1 (EdgeOS for .NET)\n");
                    return 0;
                default:
                    if (a.StartsWith('-') && a != "-")
                    {
                        stderr.Write($"click: unrecognized option '{a}'\n{Usage}");
                        return 1;
                    }

                    int assign = a.IndexOf('=', StringComparison.Ordinal);
                    if (assign > 0 && IsVariableName(a[..assign]))
                    {
                        variables[a[..assign]] = a[(assign + 1)..];
                    }
                    else if (Twice(file is not null || expression is not null, "router configuration"))
                    {
                        return 1;
                    }
                    else
                    {
                        file = a;
                    }

                    break;
            }
        }

        // Read the configuration.
        string text;
        string fileName;
        string? baseDirectory = null;
        if (expression is not null)
        {
            text = expression;
            fileName = "config";
        }
        else if (file is null || file == "-")
        {
            text = stdin.ReadToEnd();
            fileName = "<stdin>";
        }
        else
        {
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                stderr.Write($"click: {file}: {(ex is FileNotFoundException or DirectoryNotFoundException ? "No such file or directory" : ex.Message)}\n");
                return 1;
            }

            fileName = file;
            baseDirectory = Path.GetDirectoryName(Path.GetFullPath(file));
        }

        var errors = new ClickErrors();
        RouterGraph? graph = ClickLanguage.Parse(text, fileName, variables, ElementRegistry.IsPrimitiveClass, errors, baseDirectory, clickPath);
        if (graph is null || errors.HasErrors)
        {
            WriteErrors(errors, stderr, noWarnings);
            return 1;
        }

        if (flatten)
        {
            WriteErrors(errors, stderr, noWarnings);
            return WriteOutput(output ?? "-", ClickLanguage.Flatten(graph), stdout, stderr) ? 0 : 1;
        }

        if (tenants > 0 || replay is not null || device is not null || deviceMethod is not null)
        {
            string? wrong =
                device is not null && replay is not null ? "'--device IFACE' and '--replay FILE' exclude each other"
                : tenants == 0 ? $"'{(device is not null ? "--device" : replay is not null ? "--replay" : "--method")}' needs '--tenants N'"
                : device is null && replay is null ? "'--tenants N' needs '--device IFACE' (a live interface) or '--replay FILE' (a pcap)"
                : deviceMethod is not null && device is null ? "'--method' applies to '--device IFACE' only"
                : simtime ? "'--simtime' is not available in tenant mode"
                : exitHandler is not null ? "'--exit-handler' is not available in tenant mode"
                : null;
            if (wrong is not null)
            {
                stderr.Write($"click: {wrong}\n{Usage}");
                return 1;
            }

            var tenantOptions = new Tenants.TenantHostOptions
            {
                Tenants = tenants,
                Steering = steer == "5tuple" ? Tenants.TenantSteering.FlowHash : Tenants.TenantSteering.DestinationPort,
                PortBase = portBase,
                Workers = tenantWorkers,
                RestartsMax = tenantRestarts,
                Chatter = stderr,
            };
            if (device is not null)
            {
                return RunTenantsOnDevice(graph, text, errors, tenantOptions, device, deviceMethod ?? "LINUX", quit, output, handlers, stdout, stderr, noWarnings);
            }

            return RunTenants(graph, text, errors, tenantOptions, replay!, quit, output, handlers, stdout, stderr, noWarnings);
        }

        var master = new Master(simtime) { Chatter = stderr };
        Router? router = Router.Create(graph, errors, master);
        WriteErrors(errors, stderr, noWarnings);
        if (router is null)
        {
            return 1;
        }

        router.ConfigurationText = text;
        if (output is not null && !WriteOutput(output, ClickLanguage.Flatten(graph), stdout, stderr))
        {
            router.Cleanup();
            return 1;
        }

        var stopwatch = Stopwatch.StartNew();
        using Process self = Process.GetCurrentProcess();
        TimeSpan userBefore = self.UserProcessorTime;
        TimeSpan systemBefore = self.PrivilegedProcessorTime;
        if (!quit)
        {
            using var cts = new CancellationTokenSource();
            using PosixSignalRegistration sigint = CancelOn(PosixSignal.SIGINT, cts);
            using PosixSignalRegistration sigterm = CancelOn(PosixSignal.SIGTERM, cts);
            master.Run(cts.Token);
        }

        stopwatch.Stop();
        if (time)
        {
            self.Refresh();
            stdout.Write(FormatTimes(self.UserProcessorTime - userBefore, self.PrivilegedProcessorTime - systemBefore, stopwatch.Elapsed));
        }

        int exit = CallHandlers(router, handlers, stdout, stderr) ? 0 : 1;
        if (exitHandler is not null)
        {
            exit = ExitHandlerStatus(router, exitHandler, stderr);
        }

        router.Cleanup();
        stdout.Flush();
        return exit;
    }

    private static int RunTenants(
        RouterGraph graph,
        string text,
        ClickErrors errors,
        Tenants.TenantHostOptions options,
        string replay,
        bool quit,
        string? output,
        List<string> handlers,
        TextWriter stdout,
        TextWriter stderr,
        bool noWarnings)
    {
        using Tenants.TenantHost? host = CreateTenantHost(graph, text, errors, options, output, stdout, stderr, noWarnings);
        if (host is null)
        {
            return 1;
        }

        if (!quit)
        {
            EdgeOS.Net.Pcap.PcapPort port;
            try
            {
                port = EdgeOS.Net.Pcap.PcapPort.OpenReplay(replay);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or EdgeOS.Net.Pcap.PcapFormatException)
            {
                stderr.Write($"click: {replay}: {(ex is FileNotFoundException or DirectoryNotFoundException ? "No such file or directory" : ex.Message)}\n");
                return 1;
            }

            using (port)
            {
                using var cts = new CancellationTokenSource();
                using PosixSignalRegistration sigint = CancelOn(PosixSignal.SIGINT, cts);
                using PosixSignalRegistration sigterm = CancelOn(PosixSignal.SIGTERM, cts);
                host.Attach(port);
                while (!cts.IsCancellationRequested && (host.Poll() > 0 || !port.IsReplayFinished))
                {
                }

                host.Stop();
            }
        }

        return FinishTenants(host, handlers, stdout, stderr);
    }

    /// <summary>
    /// Builds the tenant host and reports the configuration's errors; with <c>-o</c> writes the flattened configuration.
    /// Null (everything reported, nothing left running) when either fails.
    /// </summary>
    private static Tenants.TenantHost? CreateTenantHost(
        RouterGraph graph,
        string text,
        ClickErrors errors,
        Tenants.TenantHostOptions options,
        string? output,
        TextWriter stdout,
        TextWriter stderr,
        bool noWarnings)
    {
        Tenants.TenantHost? host = Tenants.TenantHost.Create(graph, text, errors, options);
        WriteErrors(errors, stderr, noWarnings);
        if (host is not null && output is not null && !WriteOutput(output, ClickLanguage.Flatten(graph), stdout, stderr))
        {
            host.Dispose();
            return null;
        }

        return host;
    }

    private static int FinishTenants(Tenants.TenantHost host, List<string> handlers, TextWriter stdout, TextWriter stderr)
    {
        foreach (Tenants.ClickTenant t in host.Tenants)
        {
            if (t.Fault is not null)
            {
                stderr.Write(string.Create(CultureInfo.InvariantCulture, $"click: tenant {t.Index}: {t.Fault.Message}\n"));
            }
        }

        return CallTenantHandlers(host, handlers, stdout, stderr) ? 0 : 1;
    }

    private static PosixSignalRegistration CancelOn(PosixSignal signal, CancellationTokenSource cts) =>
        PosixSignalRegistration.Create(signal, ctx =>
        {
            ctx.Cancel = true;
            cts.Cancel();
        });

    /// <summary>
    /// <c>click --tenants N --device IFACE</c>: opens IFACE as FromDevice would with METHOD <paramref name="method"/>
    /// (XDP: its program redirects only UDP to the tenants' ports, or all UDP with 5-tuple steering), builds the
    /// tenants with IFACE as their ToDevice's device, and steers IFACE's frames to them until SIGINT or SIGTERM.
    /// </summary>
    private static int RunTenantsOnDevice(
        RouterGraph graph,
        string text,
        ClickErrors errors,
        Tenants.TenantHostOptions options,
        string device,
        string method,
        bool quit,
        string? output,
        List<string> handlers,
        TextWriter stdout,
        TextWriter stderr,
        bool noWarnings)
    {
        bool byPort = options.Steering == Tenants.TenantSteering.DestinationPort;
        int low = byPort ? Math.Clamp(options.PortBase, 0, 65535) : 0;
        int high = byPort ? Math.Clamp(options.PortBase + options.Tenants - 1, 0, 65535) : 65535;
        if (!Elements.DeviceTable.TryOpenPort(device, method, low, high, out Elements.OpenDevice? open, out string? error))
        {
            stderr.Write($"click: {error}\n");
            return 1;
        }

        using (open)
        {
            // The host thread sleeps in poll(2) on the port and this eventfd; tenants' ToDevice (on FWP workers or the host
            // thread) signal it through the egress's doorbell when they queue a frame while the host sleeps.
            using var wakeup = new ReceiveWakeup();
            var egress = new Tenants.TenantEgress(device, open!.Port.FrameCapacityBytes, wakeup.Signal);
            using Tenants.TenantHost? host = CreateTenantHost(graph, text, errors, options with { Egress = egress }, output, stdout, stderr, noWarnings);
            if (host is null)
            {
                return 1;
            }

            if (!quit)
            {
                using var cts = new CancellationTokenSource();
                using PosixSignalRegistration sigint = CancelOn(PosixSignal.SIGINT, cts);
                using PosixSignalRegistration sigterm = CancelOn(PosixSignal.SIGTERM, cts);
                using CancellationTokenRegistration wakeOnStop = cts.Token.Register(egress.Doorbell.Wake);
                try
                {
                    host.RunDevice(open.Port, timeout => open.WaitOrWake(timeout, wakeup), cts.Token);
                }
                catch (IOException ex)
                {
                    host.Stop();
                    stderr.Write($"click: {device}: {ex.Message}\n");
                    return 1;
                }
            }

            return FinishTenants(host, handlers, stdout, stderr);
        }
    }

    /// <summary>
    /// Tenant mode's <c>-h</c>: <c>K:SPEC</c> reads tenant K's handler, <c>*:SPEC</c> or a plain <c>SPEC</c> every
    /// tenant's; each value gets a <c>K:name.handler:</c> header unless exactly one value is printed.
    /// </summary>
    internal static bool CallTenantHandlers(Tenants.TenantHost host, IReadOnlyList<string> specs, TextWriter stdout, TextWriter stderr)
    {
        int n = host.Tenants.Count;
        var calls = new List<(int Tenant, string Spec)>();
        bool ok = true;
        bool glob = false;
        foreach (string spec in specs)
        {
            int colon = spec.IndexOf(':', StringComparison.Ordinal);
            string prefix = colon < 0 ? "*" : spec[..colon];
            string rest = colon < 0 ? spec : spec[(colon + 1)..];
            glob |= rest.IndexOfAny(['*', '?', '[']) >= 0;
            if (prefix == "host")
            {
                calls.Add((-1, rest));
            }
            else if (prefix == "*")
            {
                for (int k = 0; k < n; k++)
                {
                    calls.Add((k, rest));
                }
            }
            else if (int.TryParse(prefix, NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k < n)
            {
                calls.Add((k, rest));
            }
            else
            {
                stderr.Write($"click: '{spec}': no tenant '{prefix}' (tenants are 0 to {n - 1})\n");
                ok = false;
            }
        }

        bool printNames = calls.Count > 1 || glob;
        foreach ((int k, string spec) in calls)
        {
            if (k < 0)
            {
                ok &= CallHostHandler(host, spec, stdout, stderr, printNames);
                continue;
            }

            ok &= CallHandlers(host.RouterOf(k), [spec], stdout, stderr, string.Create(CultureInfo.InvariantCulture, $"{k}:"), printNames);
        }

        return ok;
    }

    /// <summary><c>-h host:H</c>: the host's own counts (unmatched, dropped, transmitted, wakeups: sleeps a tenant's ToDevice cut short), printed like a handler.</summary>
    private static bool CallHostHandler(Tenants.TenantHost host, string handler, TextWriter stdout, TextWriter stderr, bool printName)
    {
        long? value = handler switch
        {
            "unmatched" => host.UnmatchedFrames,
            "dropped" => host.DroppedFrames,
            "transmitted" => host.Egress?.TransmittedFrames ?? 0,
            "wakeups" => host.Egress?.Doorbell.Signals ?? 0,
            _ => null,
        };
        if (value is null)
        {
            stderr.Write($"click: no 'host:{handler}' handler (the host has unmatched, dropped, transmitted, wakeups)\n");
            return false;
        }

        if (printName)
        {
            stdout.Write($"host:{handler}:\n");
        }

        stdout.Write(string.Create(CultureInfo.InvariantCulture, $"{value}\n"));
        if (printName)
        {
            stdout.Write('\n');
        }

        return true;
    }

    private static bool IsVariableName(string s) =>
        s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static void WriteErrors(ClickErrors errors, TextWriter stderr, bool noWarnings)
    {
        foreach (string m in errors.Messages)
        {
            if (noWarnings && m.Contains(": warning: ", StringComparison.Ordinal))
            {
                continue;
            }

            stderr.Write(m);
            stderr.Write('\n');
        }

        stderr.Flush();
    }

    private static bool WriteOutput(string output, string content, TextWriter stdout, TextWriter stderr)
    {
        if (output == "-")
        {
            stdout.Write(content);
            stdout.Flush();
            return true;
        }

        try
        {
            File.WriteAllText(output, content);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stderr.Write($"click: {output}: {ex.Message}\n");
            return false;
        }
    }

    /// <summary>Calls the <c>-h</c> read handlers after the run and prints them as click(1) does.</summary>
    /// <summary>
    /// <c>-t</c>: what click prints on standard output after the run: user and system CPU time in seconds with
    /// milliseconds (<c>0.012u 0.004s</c>), then the elapsed time as minutes:seconds.hundredths (<c>0:01.25</c>).
    /// </summary>
    internal static string FormatTimes(TimeSpan user, TimeSpan system, TimeSpan elapsed)
    {
        static string Seconds(TimeSpan t)
        {
            long ms = (long)Math.Round(t.TotalMilliseconds, MidpointRounding.AwayFromZero);
            return string.Create(CultureInfo.InvariantCulture, $"{ms / 1000}.{ms % 1000:D3}");
        }

        long cs = (long)Math.Round(elapsed.TotalMilliseconds / 10, MidpointRounding.AwayFromZero);
        return string.Create(CultureInfo.InvariantCulture, $"{Seconds(user)}u {Seconds(system)}s {cs / 6000}:{cs / 100 % 60:D2}.{cs % 100:D2}\n");
    }

    /// <summary>
    /// <c>-x ELEMENT.H [PARAM]</c> (<c>--exit-handler</c>): click's exit status is the value of read handler H, called as
    /// click calls it, through HandlerCall: the first word names the handler and the rest is its parameter, and the
    /// errors are HandlerCall's (<c>no 'd.x' read handler</c>, <c>read handler 'c.count' does not take parameters</c>,
    /// the handler's own). An integer value is the status as is, a boolean true 0 and false 1; anything else is
    /// <c>exit handler value should be integer</c> and status -1, as is any error.
    /// </summary>
    private static int ExitHandlerStatus(Router router, string spec, TextWriter stderr)
    {
        string parameter = spec;
        string name = ClickConfigText.ShiftSpaceVec(ref parameter);
        int dot = name.IndexOf('.', StringComparison.Ordinal);
        Element? element = null;
        if (dot >= 0 && (element = router.Find(name[..dot])) is null)
        {
            stderr.Write($"click: no element named '{name[..dot]}'\n");
            return -1;
        }

        var errors = new ElementErrors();
        string? value = router.CallRead(element, dot >= 0 ? name[(dot + 1)..] : name, parameter, errors);
        foreach (string m in errors.Messages)
        {
            stderr.Write($"click: {m}\n");
        }

        if (value is null || errors.HasErrors)
        {
            return -1;
        }

        string text = ClickConfigText.Uncomment(value);
        if (ClickValues.Int32(text, out int status, out _))
        {
            return status;
        }

        if (ClickValues.Bool(text, out bool b, out _))
        {
            return b ? 0 : 1;
        }

        stderr.Write("click: exit handler value should be integer\n");
        return -1;
    }

    internal static bool CallHandlers(Router router, IReadOnlyList<string> specs, TextWriter stdout, TextWriter stderr, string headerPrefix = "", bool? printNames = null)
    {
        var calls = new List<(Element? Element, string Handler)>();
        bool ok = true;
        bool glob = false;
        foreach (string spec in specs)
        {
            // As click: the first dot ends the element name, and everything after it is the handler name, spaces and
            // all: "-h r.lookup 10.0.0.1" asks for a handler called "lookup 10.0.0.1", which does not exist. A handler
            // that takes a parameter is read with none (Router.CallRead).
            int dot = spec.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                // Click's wording for the router's own handlers: "no 'H' handler", "'H' is a write handler".
                Handler? global = router.GlobalHandlers.Find(spec);
                if (global is null || !global.IsReadable)
                {
                    stderr.Write(global is null ? $"click: no '{spec}' handler\n" : $"click: '{spec}' is a write handler\n");
                    ok = false;
                    continue;
                }

                calls.Add((null, spec));
                continue;
            }

            string pattern = spec[..dot];
            string handler = spec[(dot + 1)..];
            if (pattern.IndexOfAny(['*', '?', '[']) >= 0)
            {
                glob = true;
                var regex = new Regex("^" + GlobToRegex(pattern) + "$", RegexOptions.CultureInvariant);
                bool any = false;
                foreach (Element e in router.Elements)
                {
                    if (regex.IsMatch(e.Name) && router.HandlersOf(e).Find(handler) is { IsReadable: true })
                    {
                        calls.Add((e, handler));
                        any = true;
                    }
                }

                if (!any && !router.Elements.Any(e => regex.IsMatch(e.Name)))
                {
                    // As click: an error only when no element matches; matching elements without the handler are skipped.
                    stderr.Write($"click: no element matching '{pattern}'\n");
                    ok = false;
                }

                continue;
            }

            Element? element = router.Find(pattern);
            if (element is null)
            {
                // Not an element name: click then takes it as a class, every element of that class that has the handler.
                List<Element> ofClass = [.. router.Elements.Where(e => e.ClassName == pattern)];
                if (ofClass.Count == 0)
                {
                    stderr.Write($"click: no element '{pattern}'\n");
                    ok = false;
                    continue;
                }

                glob = true;
                foreach (Element e in ofClass)
                {
                    if (router.HandlersOf(e).Find(handler) is { IsReadable: true })
                    {
                        calls.Add((e, handler));
                    }
                }

                continue;
            }

            Handler? h = router.HandlersOf(element).Find(handler);
            if (h is null)
            {
                stderr.Write($"click: no '{spec}' handler\n");
                ok = false;
                continue;
            }

            if (!h.IsReadable)
            {
                stderr.Write($"click: '{spec}' is a write handler\n");
                ok = false;
                continue;
            }

            calls.Add((element, handler));
        }

        bool printName = printNames ?? (calls.Count > 1 || glob);
        var sb = new StringBuilder();
        foreach ((Element? e, string h) in calls)
        {
            string value;
            try
            {
                value = router.CallRead(e, h);
            }
            catch (ClickRuntimeException ex)
            {
                stderr.Write($"click: {ex.Message}\n");
                ok = false;
                continue;
            }

            if (printName)
            {
                sb.Append(headerPrefix).Append(e is null ? h : e.Name + "." + h).Append(":\n");
            }

            sb.Append(value);
            if (value.Length > 0 && !value.EndsWith('\n'))
            {
                sb.Append('\n');
            }

            if (printName)
            {
                sb.Append('\n');
            }
        }

        stdout.Write(sb.ToString());
        stdout.Flush();
        return ok;
    }

    private static string GlobToRegex(string glob)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            switch (c)
            {
                case '*':
                    sb.Append(".*");
                    break;
                case '?':
                    sb.Append('.');
                    break;
                case '[':
                    int end = glob.IndexOf(']', i + 1);
                    if (end < 0)
                    {
                        sb.Append(@"\[");
                    }
                    else
                    {
                        string set = glob[(i + 1)..end];
                        sb.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                        i = end;
                    }

                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return sb.ToString();
    }
}
