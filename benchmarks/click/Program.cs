using System.Diagnostics;
using System.Globalization;
using EdgeOS.Benchmarks.Click;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using EdgeOS.Samples.Click.Tenants;

// Packets per second through Click configurations, 64-byte frames replayed from memory (the frames of a pcap
// loaded once), single thread, and bytes allocated per packet after warm-up.
// Then the same configurations with 100 tenants (FWPs of one template), packets steered over the tenants.
// Usage: dotnet run -c Release --project benchmarks/click [-- PACKETS [TENANTS [FILTER]]]
// FILTER: run only the rows whose configuration (or steering) text contains it, e.g. "firewall", "tenants" (every
// multi-tenant row), "(0)" (the multi-tenant rows without Click) or "full path".
// The multi-tenant rows receive their frames from a pcap file loaded into memory and replayed in a loop
// (EdgeOS.Net PcapPort.LoadReplay): one copy per frame into a receive frame, as a NIC's DMA would fill it.
long packets = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 20_000_000;
int tenantCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
string filter = args.Length > 2 ? args[2] : string.Empty;
bool Selected(string row) => row.Contains(filter, StringComparison.OrdinalIgnoreCase);
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
Console.WriteLine("| configuration | M packets/s | ns/packet | M packets/CPU-s | CPU ns/packet | bytes allocated/packet |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|");
foreach ((string name, string config) in scenarios.Where(s => Selected("single " + s.Name)))
{
    if (name.StartsWith("(b)", StringComparison.Ordinal) && !ElementRegistry.IsPrimitiveClass("IPFilter"))
    {
        Console.WriteLine($"| {name} | n/a: Classifier/IPFilter not in this build | | |");
        continue;
    }

    // Warm-up run (JIT tiering), then the measured run.
    Run(config, Math.Min(packets, 2_000_000));
    (Timing time, long allocated) = Run(config, packets);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {Rates(time, packets)} | {(double)allocated / packets:0.000} |"));
}

// Multi-tenant rows: the same element chains behind FromSteering instead of the replay source.
Console.WriteLine();
Console.WriteLine($"{tenantCount} tenants (FWPs of one template, runtime without workers: steering and tenants on this one thread)");
Console.WriteLine("| configuration | steering | M packets/s | ns/packet | M packets/CPU-s | CPU ns/packet | bytes allocated/packet |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
var tenantScenarios = new List<(string Name, string Config, TenantSteering Steering)>
{
    ("(a) -> Discard", "src :: FromSteering -> d :: Discard;", TenantSteering.DestinationPort),
    ("(a) -> Discard", "src :: FromSteering -> d :: Discard;", TenantSteering.FlowHash),
    ("(b) firewall (Classifier + IPFilter)", Firewall.Replace("MemoryReplay(LIMIT $N, STOP true)", "FromSteering", StringComparison.Ordinal), TenantSteering.FlowHash),
    ("(c) IP router", Router.Replace("MemoryReplay(LIMIT $N, STOP true)", "FromSteering", StringComparison.Ordinal), TenantSteering.FlowHash),
};
var nonClickRows = new List<(string Name, TenantSteering Steering, NonClickPath Path)>
{
    ("(0) pcap replay only: receive, read, release (part of every row below)", TenantSteering.DestinationPort, NonClickPath.ReplayOnly),
    ("(0) pcap replay + steering to the host's inline sink, no Click (part of every row below)", TenantSteering.DestinationPort, NonClickPath.Sink),
    ("(0) pcap replay + steering to the host's inline sink, no Click (part of every row below)", TenantSteering.FlowHash, NonClickPath.Sink),
    ("(0) pcap replay + steering through consumer rings, no Click (not used by the host)", TenantSteering.FlowHash, NonClickPath.Rings),
};
foreach ((string name, TenantSteering steering, NonClickPath path) in nonClickRows.Where(r => Selected($"tenants {r.Name} {r.Steering} {r.Path}")))
{
    (Timing time, long allocated, long received) = TenantReplay.RunSteeringOnly(tenantCount, steering, packets, Math.Min(packets, 2_000_000), path);
    string how = path == NonClickPath.ReplayOnly ? "none" : steering == TenantSteering.FlowHash ? "5-tuple hash" : "destination port";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {how} | {Rates(time, received)} | {(double)allocated / received:0.000} |"));
}

foreach ((string name, string config, TenantSteering steering) in tenantScenarios.Where(s => Selected($"tenants {s.Name} {s.Steering} full path")))
{
    (Timing time, long allocated, long delivered) = TenantReplay.Run(config, tenantCount, steering, packets, Math.Min(packets, 2_000_000));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {(steering == TenantSteering.FlowHash ? "5-tuple hash" : "destination port")} | {Rates(time, delivered)} | {(double)allocated / delivered:0.000} |"));
}

// The tenants alone (FWP posts, runtime, per-tenant routers): frames handed to tenant i mod N without port or steering.
foreach ((string name, string config, _) in tenantScenarios.Where(s => s.Steering == TenantSteering.FlowHash && Selected($"tenants {s.Name} direct")))
{
    (Timing time, long allocated, long delivered) = TenantReplay.Run(config, tenantCount, TenantSteering.FlowHash, packets, Math.Min(packets, 2_000_000), direct: true);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | none (tenant = i mod {tenantCount}) | {Rates(time, delivered)} | {(double)allocated / delivered:0.000} |"));
}

// Wall-clock rate and time per packet, then the same per CPU-second of the process (steadier on a shared machine).
static string Rates(Timing time, long packets) => string.Create(CultureInfo.InvariantCulture,
    $"{packets / time.WallSeconds / 1e6:0.00} | {time.WallSeconds * 1e9 / packets:0.0} | {packets / time.CpuSeconds / 1e6:0.00} | {time.CpuSeconds * 1e9 / packets:0.0}");

static (Timing Time, long Allocated) Run(string config, long packets)
{
    var errors = new ClickErrors();
    var variables = new Dictionary<string, string> { ["N"] = packets.ToString(CultureInfo.InvariantCulture) };
    RouterGraph graph = ClickLanguage.Parse(config, "bench", variables, ElementRegistry.IsPrimitiveClass, errors)
        ?? throw new InvalidOperationException(string.Join("\n", errors.Messages));
    var master = new Master(simulatedTime: true);
    Router router = EdgeOS.Samples.Click.Runtime.Router.Create(graph, errors, master)
        ?? throw new InvalidOperationException(string.Join("\n", errors.Messages));
    router.Pool.Reserve(256);
    Stopwatch sw = Timing.Start(out TimeSpan cpu);
    long before = GC.GetAllocatedBytesForCurrentThread();
    master.Run();
    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
    Timing timing = Timing.Stop(sw, cpu);
    router.Cleanup();
    return (timing, allocated);
}
