using System.Diagnostics;
using System.Globalization;
using EdgeOS.Benchmarks.Click;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;

// Packets per second through Click configurations, 64-byte frames replayed from memory (the frames of a pcap
// loaded once), single thread, and bytes allocated per packet after warm-up.
// Usage: dotnet run -c Release --project benchmarks/click [-- PACKETS]
long packets = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 20_000_000;
ElementRegistry.Register("MemoryReplay", () => new MemoryReplay());

const string Router = """
    src :: MemoryReplay(LIMIT $N, STOP true) -> Strip(14) -> CheckIPHeader -> GetIPAddress(16)
      -> rt :: LinearIPLookup(10.0.1.0/24 0, 10.0.2.0/24 1, 10.0.3.0/24 2, 0.0.0.0/0 3);
    rt[0] -> DecIPTTL -> EtherEncap(0x0800, 02:00:00:00:01:01, 02:00:00:00:02:01) -> c0 :: Counter -> Discard;
    rt[1] -> DecIPTTL -> EtherEncap(0x0800, 02:00:00:00:01:02, 02:00:00:00:02:02) -> c1 :: Counter -> Discard;
    rt[2] -> DecIPTTL -> EtherEncap(0x0800, 02:00:00:00:01:03, 02:00:00:00:02:03) -> c2 :: Counter -> Discard;
    rt[3] -> DecIPTTL -> EtherEncap(0x0800, 02:00:00:00:01:04, 02:00:00:00:02:04) -> c3 :: Counter -> Discard;
    """;

const string Firewall = """
    src :: MemoryReplay(LIMIT $N, STOP true) -> cl :: Classifier(12/0800, -);
    cl[0] -> CheckIPHeader(14) -> f :: IPFilter(allow udp && dst port 53, allow tcp && dst port 80, allow dst net 10.0.4.0/24 && udp, deny all) -> ok :: Counter -> Discard;
    cl[1] -> Discard;
    """;

var scenarios = new List<(string Name, string Config)>
{
    ("(a) -> Discard", "src :: MemoryReplay(LIMIT $N, STOP true) -> d :: Discard;"),
    ("(b) firewall (Classifier + IPFilter)", Firewall),
    ("(c) IP router", Router),
};

Console.WriteLine($"{packets:N0} packets of 64 bytes per run, one thread; {Environment.ProcessorCount} cores; {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
Console.WriteLine("| configuration | M packets/s | ns/packet | bytes allocated/packet |");
Console.WriteLine("|---|---:|---:|---:|");
foreach ((string name, string config) in scenarios)
{
    if (name.StartsWith("(b)", StringComparison.Ordinal) && !ElementRegistry.IsPrimitiveClass("IPFilter"))
    {
        Console.WriteLine($"| {name} | n/a: Classifier/IPFilter not in this build | | |");
        continue;
    }

    // Warm-up run (JIT tiering), then the measured run.
    Run(config, Math.Min(packets, 2_000_000));
    (double seconds, long allocated) = Run(config, packets);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {packets / seconds / 1e6:0.00} | {seconds * 1e9 / packets:0.0} | {(double)allocated / packets:0.000} |"));
}

static (double Seconds, long Allocated) Run(string config, long packets)
{
    var errors = new ClickErrors();
    var variables = new Dictionary<string, string> { ["N"] = packets.ToString(CultureInfo.InvariantCulture) };
    RouterGraph graph = ClickLanguage.Parse(config, "bench", variables, ElementRegistry.IsPrimitiveClass, errors)
        ?? throw new InvalidOperationException(string.Join("\n", errors.Messages));
    var master = new Master(simulatedTime: true);
    Router router = EdgeOS.Samples.Click.Runtime.Router.Create(graph, errors, master)
        ?? throw new InvalidOperationException(string.Join("\n", errors.Messages));
    router.Pool.Reserve(256);
    long before = GC.GetAllocatedBytesForCurrentThread();
    var sw = Stopwatch.StartNew();
    master.Run();
    sw.Stop();
    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
    router.Cleanup();
    return (sw.Elapsed.TotalSeconds, allocated);
}
