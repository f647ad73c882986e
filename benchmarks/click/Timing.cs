using System.Diagnostics;

namespace EdgeOS.Benchmarks.Click;

/// <summary>
/// Wall-clock and CPU time of a measured run. On a shared machine the wall clock also counts the time the run waited
/// for a core; the process CPU time does not (it is this one thread plus little else after warm-up: the runtime has
/// no workers, the GC is workstation non-concurrent), so packets per CPU-second is the steadier per-core figure.
/// </summary>
internal readonly record struct Timing(double WallSeconds, double CpuSeconds)
{
    /// <summary>Starts a measurement (call outside the allocation-counted region: reading the process CPU time allocates).</summary>
    public static Stopwatch Start(out TimeSpan cpuBefore)
    {
        using Process self = Process.GetCurrentProcess();
        cpuBefore = self.TotalProcessorTime;
        return Stopwatch.StartNew();
    }

    /// <summary>Ends a measurement started by <see cref="Start"/>.</summary>
    public static Timing Stop(Stopwatch wall, TimeSpan cpuBefore)
    {
        wall.Stop();
        using Process self = Process.GetCurrentProcess();
        return new Timing(wall.Elapsed.TotalSeconds, (self.TotalProcessorTime - cpuBefore).TotalSeconds);
    }
}
