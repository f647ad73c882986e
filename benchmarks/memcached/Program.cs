// Load generator for memcached's text protocol over TCP and UDP against many ports (one target per port), open loop
// (fixed rate, latency from the scheduled send time) or closed loop (a fixed number of requests in flight).
// Usage: dotnet benchmarks/memcached/bin/Release/net10.0/EdgeOS.Benchmarks.Memcached.dll --help
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeOS.Benchmarks.Memcached;
using HdrHistogram;

if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(Options.Usage);
    return 0;
}

Options? o = Options.Parse(args, out string? error);
if (o is null)
{
    Console.Error.WriteLine($"error: {error}");
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
{
    Console.Error.WriteLine("error: the generator uses Linux x86-64 epoll and socket calls directly");
    return 2;
}

if (Unsafe.SizeOf<Native.MMsgHdr>() != 64 || Unsafe.SizeOf<Native.EpollEvent>() != 12)
{
    Console.Error.WriteLine("error: unexpected native struct layout (mmsghdr must be 64 bytes, epoll_event 12)");
    return 2;
}

var requests = new Requests(o.Keys, o.ValueSizeBytes);
var workers = new Worker[o.Threads];
try
{
    for (int i = 0; i < workers.Length; i++)
    {
        workers[i] = new Worker(o, requests, i);
    }
}
catch (System.Net.Sockets.SocketException e)
{
    Console.Error.WriteLine($"error: cannot connect to {o.Host} ports {o.PortBase}..{o.PortBase + o.Targets - 1}: {e.Message}");
    return 1;
}

string shape = o.OpenLoop
    ? $"open loop {o.Rate.ToString("F0", CultureInfo.InvariantCulture)} req/s"
    : (o.Udp ? $"closed loop, {o.Connections * o.Depth} in flight" : $"closed loop, {o.Connections} conns x depth {o.Depth}");
Console.WriteLine($"{o.Label} {(o.Udp ? "udp" : "tcp")} {o.Host} ports {o.PortBase}..{o.PortBase + o.Targets - 1} ({o.Targets} targets), {shape}, {o.Keys} keys/target, {o.ValueSizeBytes}-byte values, {o.GetRatio * 100:F0}% get, {o.Threads} thread(s), warm-up {o.WarmupSeconds} s, measured {o.DurationSeconds} s");

long freq = Stopwatch.Frequency;
long start = 0;
long measureStart = 0;
long measureEnd = 0;
using var barrier = new Barrier(o.Threads, _ =>
{
    start = Stopwatch.GetTimestamp() + (freq / 100);
    measureStart = start + (long)(o.WarmupSeconds * freq);
    measureEnd = measureStart + (long)(o.DurationSeconds * freq);
});
var threads = new Thread[o.Threads];
Exception? failure = null;
for (int i = 0; i < threads.Length; i++)
{
    Worker w = workers[i];
    threads[i] = new Thread(() =>
    {
        try
        {
            if (o.SetKeys)
            {
                w.SetKeys();
            }

            barrier.SignalAndWait();
            w.Load(start, measureStart, measureEnd);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            failure = e;
            barrier.RemoveParticipant();
        }
    })
    { Name = $"load-{i}", IsBackground = true };
    threads[i].Start();
}

foreach (Thread t in threads)
{
    t.Join();
}

if (failure is not null)
{
    Console.Error.WriteLine($"error: {failure.Message}");
    return 1;
}

var histogram = new LongHistogram(1, 60L * 1_000_000_000, 3);
var lag = new LongHistogram(1, 60L * 1_000_000_000, 2);
Counters total = default;
long allocated = 0;
foreach (Worker w in workers)
{
    histogram.Add(w.Histogram);
    lag.Add(w.LagHistogram);
    total.Add(w.Counters);
    allocated += w.LoadAllocatedBytes;
    w.Dispose();
}

// An empty histogram (nothing answered) has no percentiles; report 0 rather than fail.
static long P(LongHistogram h, double percentile) => h.TotalCount == 0 ? 0 : h.GetValueAtPercentile(percentile);
static string Us(long ns) => (ns / 1000.0).ToString("F1", CultureInfo.InvariantCulture);
double throughput = total.Completed / o.DurationSeconds;
long errors = total.ServerErrors + total.ProtocolErrors + total.ConnectionErrors + total.SendErrors;
if (o.SetKeys)
{
    Console.WriteLine($"keys set: {total.WarmupStored} stored, {total.WarmupFailed} failed or lost");
}

Console.WriteLine($"completed {total.Completed} in {o.DurationSeconds} s: {throughput.ToString("F0", CultureInfo.InvariantCulture)} req/s{(o.OpenLoop ? $" (offered {o.Rate.ToString("F0", CultureInfo.InvariantCulture)})" : string.Empty)}");
Console.WriteLine($"latency us: p50 {Us(P(histogram, 50))}  p90 {Us(P(histogram, 90))}  p99 {Us(P(histogram, 99))}  p99.9 {Us(P(histogram, 99.9))}  max {Us(histogram.GetMaxValue())}");
Console.WriteLine($"gets: {total.Hits} hits, {total.Misses} misses; sets: {total.Stored} stored; server errors {total.ServerErrors}, protocol errors {total.ProtocolErrors}, timeouts/lost {total.Timeouts}, dropped (queue full) {total.Dropped}, connection errors {total.ConnectionErrors}, send errors {total.SendErrors}, late answers {total.Late}");
Console.WriteLine($"generator threads allocated {allocated} bytes during the load ({(total.Completed == 0 ? 0 : (double)allocated / total.Completed).ToString("F3", CultureInfo.InvariantCulture)} per request)");
if (o.OpenLoop)
{
    Console.WriteLine($"generator lag behind schedule us: p50 {Us(P(lag, 50))}  p99 {Us(P(lag, 99))}  max {Us(lag.GetMaxValue())}");
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"RESULT label={(o.Label.Length == 0 ? "-" : o.Label)} proto={(o.Udp ? "udp" : "tcp")} mode={(o.OpenLoop ? "open" : "closed")} targets={o.Targets} offered={(o.OpenLoop ? o.Rate : 0):F0} throughput={throughput:F0} p50_us={Us(P(histogram, 50))} p99_us={Us(P(histogram, 99))} p999_us={Us(P(histogram, 99.9))} max_us={Us(histogram.GetMaxValue())} completed={total.Completed} errors={errors} timeouts={total.Timeouts} dropped={total.Dropped} misses={total.Misses} lag_p99_us={Us(P(lag, 99))}"));
return 0;
