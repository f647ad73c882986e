namespace EdgeOS.Net.Tests;

/// <summary>Measures what a steady-state loop allocates on this thread.</summary>
internal static class Allocations
{
    /// <summary>
    /// Runs <paramref name="round"/> <paramref name="warmup"/> times (pools fill, code is compiled), then
    /// <paramref name="rounds"/> more times, and returns the bytes this thread allocated during the latter.
    /// </summary>
    public static long OfRounds(Action round, int warmup = 100, int rounds = 1000)
    {
        for (int i = 0; i < warmup; i++)
        {
            round();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < rounds; i++)
        {
            round();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
