// Scenario benchmarks for EdgeOS.Fwp that BenchmarkDotNet does not fit: churn per second, memory per live FWP, and
// the noisy-neighbour p99. Usage: dotnet run -c Release --project benchmarks/fwp -- [churn|memory|noisy|all] [seconds] [inbox bytes]
using System.Diagnostics;
using EdgeOS.Core.Capabilities;
using EdgeOS.Fwp;
using HdrHistogram;

string scenario = args.Length > 0 ? args[0] : "all";
double seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
if (scenario is "churn" or "all")
{
    Scenarios.Churn(seconds);
}

if (scenario is "memory" or "all")
{
    // One size per process: freed memory is reused and would hide the next measurement's growth.
    Scenarios.Memory(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : FwpTemplateOptions.DefaultInboxSizeBytes);
}

if (scenario is "noisy" or "all")
{
    Scenarios.Noisy(seconds);
}

internal static class Scenarios
{
    private const int StateBytes = 64 * 1024;

    /// <summary>Spawn/exit cycles per second: one manual runtime per core (each thread spawns a batch, ends it, recycles), and one threaded runtime fed by one spawner per core.</summary>
    public static void Churn(double seconds)
    {
        int threads = Environment.ProcessorCount;
        long total = 0;
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
            using FwpTemplate template = FwpTemplate.Create<TouchProgram>(new FwpTemplateOptions { StateSizeBytes = StateBytes, PoolSizeInitial = 256 });
            FwpTenant tenant = runtime.CreateTenant("churn");
            var handles = new FwpHandle[256];
            long cycles = 0;
            while (stopwatch.Elapsed.TotalSeconds < seconds)
            {
                for (int i = 0; i < handles.Length; i++)
                {
                    handles[i] = runtime.Spawn(template, tenant);
                }

                for (int i = 0; i < handles.Length; i++)
                {
                    handles[i].Exit();
                }

                runtime.RunUntilIdle();
                cycles += handles.Length;
            }

            Interlocked.Add(ref total, cycles);
        });
        double elapsed = stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine($"churn (manual runtime per core, {threads} threads): {total / elapsed / 1e6:F2} M spawn+exit/s ({total} cycles in {elapsed:F2} s)");

        using var threaded = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = threads });
        using FwpTemplate shared = FwpTemplate.Create<TouchProgram>(new FwpTemplateOptions { StateSizeBytes = StateBytes, PoolSizeInitial = 4096 });
        threaded.Start();
        FwpTenant sharedTenant = threaded.CreateTenant("churn");
        stopwatch.Restart();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            while (stopwatch.Elapsed.TotalSeconds < seconds)
            {
                for (int i = 0; i < 256; i++)
                {
                    threaded.Spawn(shared, sharedTenant).Exit();
                }

                while (threaded.LiveCount > 4096)
                {
                    Thread.Yield();
                }
            }
        });
        SpinWait.SpinUntil(() => threaded.LiveCount == 0);
        elapsed = stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine($"churn (threaded runtime, {threads} workers + {threads} spawners): {threaded.SpawnCount / elapsed / 1e6:F2} M spawn+exit/s");
    }

    /// <summary>10,000 live FWPs of a 64 KiB template, each having written one chunk: process memory per FWP beyond the chunk.</summary>
    public static void Memory(int inboxSizeBytes)
    {
        const int Count = 10_000;
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = FwpTemplate.Create<TouchProgram>(new FwpTemplateOptions { StateSizeBytes = StateBytes, InboxSizeBytes = inboxSizeBytes });
        FwpTenant tenant = runtime.CreateTenant("memory");
        var warm = runtime.Spawn(template, tenant);
        warm.TryPost([1]);
        runtime.RunUntilIdle();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        long rssBefore = Rss();
        var handles = new FwpHandle[Count];
        for (int i = 0; i < Count; i++)
        {
            handles[i] = runtime.Spawn(template, tenant);
            handles[i].TryPost([1]);
        }

        runtime.RunUntilIdle();
        long managedAfter = GC.GetTotalMemory(forceFullCollection: true);
        long rssAfter = Rss();
        double perFwp = (rssAfter - rssBefore) / (double)Count;
        double managedPerFwp = (managedAfter - managedBefore) / (double)Count;
        Console.WriteLine($"memory: {Count} live FWPs of a 64 KiB template, each wrote 1 chunk (4096 B): RSS +{perFwp / 1024:F2} KiB per FWP, " +
            $"{(perFwp - 4096) / 1024:F2} KiB beyond the chunk (managed heap {managedPerFwp:F0} B per FWP; tenant charged {tenant.Account.UsedBytes / (double)Count:F0} B per FWP; inbox ring {template.InboxSizeBytes} B + 2 KiB header)");
        GC.KeepAlive(handles);
    }

    /// <summary>100 quiet tenants at a fixed rate, with and without one budgeted tenant flooding: the quiet tenants' p99 post-to-handled latency.</summary>
    public static void Noisy(double seconds)
    {
        (long p50, long p99, long p999, long count) quiet = RunNoisy(seconds, flood: false);
        (long p50, long p99, long p999, long count) noisy = RunNoisy(seconds, flood: true);
        Console.WriteLine($"noisy neighbour: quiet p99 without flood {quiet.p99 / 1000.0:F1} us (p50 {quiet.p50 / 1000.0:F1}, p99.9 {quiet.p999 / 1000.0:F1}, n={quiet.count}); " +
            $"with flood {noisy.p99 / 1000.0:F1} us (p50 {noisy.p50 / 1000.0:F1}, p99.9 {noisy.p999 / 1000.0:F1}, n={noisy.count}); ratio {noisy.p99 / (double)Math.Max(1, quiet.p99):F2}");
    }

    private static long Rss()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }

    private static (long, long, long, long) RunNoisy(double seconds, bool flood)
    {
        var histogram = new LongConcurrentHistogram(1, TimeSpan.FromSeconds(10).Ticks * 100, 3);
        var recorder = new LatencyRecorder(histogram);
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = Environment.ProcessorCount, BudgetPeriod = TimeSpan.FromMilliseconds(10) });
        using FwpTemplate template = FwpTemplate.Create<LatencyProgram>(new FwpTemplateOptions { StateSizeBytes = StateBytes, InboxSizeBytes = 64 * 1024 }, recorder);
        runtime.Start();
        FwpHandle[] quiet = [.. Enumerable.Range(0, 100).Select(i => runtime.Spawn(template, runtime.CreateTenant("quiet" + i)))];
        FwpTenant noisyTenant = runtime.CreateTenant("noisy", new FwpTenantOptions { CpuBudgetPerPeriod = TimeSpan.FromMilliseconds(2), Priority = FwpPriority.Normal });
        FwpHandle[] noisy = [.. Enumerable.Range(0, 4).Select(_ => runtime.Spawn(template, noisyTenant))];
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        Thread? flooder = null;
        if (flood)
        {
            flooder = new Thread(() =>
            {
                byte[] burn = new byte[16];
                BitConverter.TryWriteBytes(burn.AsSpan(8), 50_000L);
                while (!stop.IsCancellationRequested)
                {
                    bool full = true;
                    foreach (FwpHandle handle in noisy)
                    {
                        if (handle.TryPost(burn) == FwpPostStatus.Posted)
                        {
                            full = false;
                        }
                    }

                    if (full)
                    {
                        Thread.Sleep(1);
                    }
                }
            });
            flooder.Start();
        }

        // Quiet senders: every millisecond, one message to each of 10 quiet tenants in turn (10,000 messages/s in all).
        byte[] message = new byte[16];
        long next = Stopwatch.GetTimestamp();
        long interval = Stopwatch.Frequency / 1000;
        int turn = 0;
        while (!stop.IsCancellationRequested)
        {
            while (Stopwatch.GetTimestamp() < next)
            {
                Thread.SpinWait(50);
            }

            next += interval;
            for (int i = 0; i < 10; i++)
            {
                BitConverter.TryWriteBytes(message, Stopwatch.GetTimestamp());
                quiet[turn].TryPost(message);
                turn = (turn + 1) % quiet.Length;
            }
        }

        flooder?.Join();
        runtime.StopAsync().GetAwaiter().GetResult();
        double toNs = 1e9 / Stopwatch.Frequency;
        return ((long)(histogram.GetValueAtPercentile(50) * toNs), (long)(histogram.GetValueAtPercentile(99) * toNs), (long)(histogram.GetValueAtPercentile(99.9) * toNs), histogram.TotalCount);
    }
}

internal sealed class LatencyRecorder(LongConcurrentHistogram histogram)
{
    public void Record(long ticks) => histogram.RecordValue(Math.Max(1, ticks));
}

/// <summary>Quiet messages (burn = 0) record post-to-handled latency; noisy ones spin for their burn count.</summary>
internal sealed class LatencyProgram : IFwpProgram
{
    public static void Start(FwpStartContext context) =>
        context.State<FwpCapability>() = context.Grant(context.Argument!, CapabilityRights.Write);

    public static void Handle(FwpContext context, ReadOnlySpan<byte> message)
    {
        long burn = BitConverter.ToInt64(message[8..]);
        if (burn == 0)
        {
            long latency = Stopwatch.GetTimestamp() - BitConverter.ToInt64(message);
            context.Resolve<LatencyRecorder>(context.ReadState<FwpCapability>(), CapabilityRights.Write).Record(latency);
            return;
        }

        long x = 0;
        for (long i = 0; i < burn; i++)
        {
            x += i ^ (x >> 3);
        }

        context.State<long>(64) = x;
    }
}

/// <summary>Writes one byte to the first chunk for a message.</summary>
internal sealed class TouchProgram : IFwpProgram
{
    public static void Handle(FwpContext context, ReadOnlySpan<byte> message) => context.State<byte>(128) = message[0];
}
