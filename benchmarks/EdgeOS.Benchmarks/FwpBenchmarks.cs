using System.Diagnostics;
using System.Runtime.Loader;
using BenchmarkDotNet.Attributes;
using EdgeOS.Fwp;

namespace EdgeOS.Benchmarks;

/// <summary>
/// Featherweight processes: spawning an instance of a template with 64 KiB of state, and spawn + first message
/// handled + exit, against starting a Linux process (<c>/bin/true</c>, waited for; the baseline) and a new collectible
/// <see cref="AssemblyLoadContext"/> that loads the FWP assembly and is unloaded.
/// </summary>
/// <remarks>
/// <c>Spawn</c> spawns a batch of <see cref="Batch"/> instances per invocation (the iteration cleanup ends them), so
/// its result is per spawn. <c>SpawnMessageExit</c> runs on a manual runtime (the benchmark thread is the worker):
/// spawn, post one message, the handler's first write copies one 4 KiB chunk, it exits, the instance is recycled.
/// <c>SpawnMessageExit_Workers</c> does the same through a worker thread, including the cross-thread wake-up.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
public class FwpBenchmarks
{
    private const int Batch = 1024;

    private static readonly byte[] s_message = [1, 0, 0, 0, 0, 0, 0, 0];

    private readonly FwpHandle[] _handles = new FwpHandle[Batch];
    private FwpRuntime _manual = null!;
    private FwpTemplate _template = null!;
    private FwpTenant _tenant = null!;
    private FwpRuntime _threaded = null!;
    private FwpTemplate _threadedTemplate = null!;
    private FwpTenant _threadedTenant = null!;
    private string _assemblyPath = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new FwpTemplateOptions { StateSizeBytes = 64 * 1024, PoolSizeInitial = Batch, InboxSizeBytes = 1024 };
        _manual = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        _template = FwpTemplate.Create<BenchProgram>(options);
        _tenant = _manual.CreateTenant("bench");
        _threaded = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 1 });
        _threaded.Start();
        _threadedTemplate = FwpTemplate.Create<BenchProgram>(options);
        _threadedTenant = _threaded.CreateTenant("bench");
        _assemblyPath = typeof(FwpRuntime).Assembly.Location;
        WarmSpawnPath();
    }

    /// <summary>
    /// Runs spawn and end batches until the spawn path is tier-1 code, as it is in any server that has been up for a
    /// second. <c>Spawn</c> has an iteration cleanup, so BenchmarkDotNet runs it once per iteration: with a short job
    /// that is a handful of batches, all of them early enough to run tier-0 or instrumented code (measured here: about
    /// 110-130 ns per spawn for the first rounds of a stopwatch loop, 25-36 ns once the methods were recompiled).
    /// Without this warm-up the benchmark measured the JIT's tiering, not the spawn.
    /// </summary>
    private void WarmSpawnPath()
    {
        var clock = Stopwatch.StartNew();
        for (int round = 0; round < 4000 && clock.ElapsedMilliseconds < 1500; round++)
        {
            Spawn();
            EndSpawned();
        }

        // Tier-1 versions are compiled in the background after the call-counting delay (100 ms by default); give
        // them time to be installed before the first measured iteration.
        Thread.Sleep(300);
        for (int round = 0; round < 50; round++)
        {
            Spawn();
            EndSpawned();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _manual.Dispose();
        _threaded.Dispose();
        _template.Dispose();
        _threadedTemplate.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int ProcessStartBinTrue()
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    [Benchmark]
    public int CollectibleAssemblyLoadContext()
    {
        var context = new AssemblyLoadContext("fwp-bench", isCollectible: true);
        int types = context.LoadFromAssemblyPath(_assemblyPath).GetName().Version!.Major;
        context.Unload();
        return types;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void Spawn()
    {
        FwpHandle[] handles = _handles;
        for (int i = 0; i < handles.Length; i++)
        {
            handles[i] = _manual.Spawn(_template, _tenant);
        }
    }

    [IterationCleanup(Target = nameof(Spawn))]
    public void EndSpawned()
    {
        foreach (FwpHandle handle in _handles)
        {
            handle.Exit();
        }

        _manual.RunUntilIdle();
    }

    [Benchmark]
    public void SpawnMessageExit()
    {
        FwpHandle handle = _manual.Spawn(_template, _tenant);
        handle.TryPost(s_message);
        _manual.RunUntilIdle();
    }

    [Benchmark]
    public void SpawnMessageExit_Workers()
    {
        FwpHandle handle = _threaded.Spawn(_threadedTemplate, _threadedTenant);
        handle.TryPost(s_message);

        // Poll for the end the way a latency-sensitive caller would: a short pause between looks (SpinWait.SpinOnce
        // backs off exponentially and then makes system calls, which adds its own delay to what is measured), and a
        // yield now and then so that a descheduled worker can get the core back on a busy machine.
        for (int look = 1; handle.IsAlive; look++)
        {
            if ((look & 1023) == 0)
            {
                Thread.Yield();
            }
            else
            {
                Thread.SpinWait(4);
            }
        }
    }

    /// <summary>Adds the message's first byte to a counter in its state (the first write copies a chunk), then exits.</summary>
    private sealed class BenchProgram : IFwpProgram
    {
        public static void Handle(FwpContext context, ReadOnlySpan<byte> message)
        {
            context.State<long>() += message[0];
            context.Exit();
        }
    }
}
