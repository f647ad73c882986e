using System.Globalization;

namespace EdgeOS.Net.Scenario;

/// <summary>
/// CPU time spent on the receive path: the receiver process (all its threads) plus veth's NAPI kernel threads, from
/// /proc/&lt;pid&gt;/schedstat (nanoseconds on a CPU). The script names the NAPI threads through the environment
/// variable EDGEOS_NAPI_THREAD (the "napi/&lt;dev&gt;-" prefix of their names). On a shared machine the wall-clock rate
/// depends on what else runs; CPU nanoseconds per packet measure the receive path's own cost.
/// </summary>
internal static class ReceiveCpu
{
    /// <summary>Process plus NAPI thread CPU time so far, in nanoseconds.</summary>
    internal static long Nanoseconds()
    {
        long total = 0;
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            total += Read(Path.Combine(task, "schedstat"));
        }

        string? prefix = Environment.GetEnvironmentVariable("EDGEOS_NAPI_THREAD");
        if (string.IsNullOrEmpty(prefix))
        {
            return total;
        }

        foreach (string process in Directory.EnumerateDirectories("/proc"))
        {
            string name = Path.GetFileName(process);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(process, "comm")).StartsWith(prefix, StringComparison.Ordinal))
                {
                    total += Read(Path.Combine(process, "schedstat"));
                }
            }
            catch (IOException)
            {
                // the process went away
            }
        }

        return total;
    }

    private static long Read(string path)
    {
        try
        {
            string text = File.ReadAllText(path);
            int space = text.IndexOf(' ', StringComparison.Ordinal);
            return long.Parse(space < 0 ? text : text[..space], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}

/// <summary>One receiver row of the script's table.</summary>
internal static class Row
{
    /// <summary>
    /// Prints "| name | packets | s | packets/s | B/packet | receive CPU s | CPU ns/packet | packets per CPU-s |"
    /// (the script appends the sender's columns).
    /// </summary>
    internal static void Report(string name, long packets, double seconds, long allocated, long cpuNanoseconds)
    {
        double cpuSeconds = cpuNanoseconds / 1e9;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {name,-24} | {packets,12} | {seconds,6:F2} | {packets / seconds,12:F0} | {(double)allocated / Math.Max(packets, 1),8:F3} | {cpuSeconds,6:F2} | {cpuNanoseconds / (double)Math.Max(packets, 1),8:F0} | {packets / Math.Max(cpuSeconds, 1e-9),12:F0} |"));
    }
}
