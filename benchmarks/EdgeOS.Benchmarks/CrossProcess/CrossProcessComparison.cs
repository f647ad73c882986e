using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using EdgeOS.Benchmarks.Channels;
using EdgeOS.Core.Channels;
using EdgeOS.Core.Memory;

namespace EdgeOS.Benchmarks.CrossProcess;

/// <summary>
/// Cross-process SPSC throughput, side by side in one run: the ring between two threads of this process (the
/// in-process reference), the ring between this process and a child process over a shared mapping, and Unix domain
/// sockets to a child process (one send per message, and 64 KiB batched writes). Each case is run several times;
/// the medians and the ratios are printed. The clock runs from the first message received to the last, so process
/// start-up is excluded for every case.
/// Run: <c>dotnet run -c Release --project benchmarks/EdgeOS.Benchmarks -- xproc [--messages N] [--runs N]</c>.
/// </summary>
internal static class CrossProcessComparison
{
    private const int RingCapacityBytes = 256 * 1024;
    private static readonly int[] s_sizes = [32, 256];

    public static int Run(string[] args)
    {
        long messages = Option(args, "--messages", 10_000_000);
        long socketMessages = Option(args, "--socket-messages", 1_000_000);
        int runs = (int)Option(args, "--runs", 5);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInfo()}");
        Console.WriteLine($"messages per run: ring {messages:N0}, socket {socketMessages:N0}; runs: {runs}; ring capacity {RingCapacityBytes / 1024} KiB");
        Console.WriteLine();
        Console.WriteLine($"{"case",-34} {"size",5} {"median M msg/s",15} {"min",8} {"max",8} {"vs in-process",14} {"vs socket/msg",14}");
        foreach (int size in s_sizes)
        {
            double inProcess = Report("ring, two threads (in-process)", size, runs, () => RingInProcess(messages, size), null, null);
            double socketPerMessage = Median(Repeat(runs, () => SocketChild(socketMessages, size, batched: false)));
            double crossProcess = Report("ring, child process (shared map)", size, runs, () => RingChild(messages, size), inProcess, socketPerMessage);
            PrintRow("unix socket, child, send per msg", size, socketPerMessage, socketPerMessage, socketPerMessage, inProcess, socketPerMessage);
            Report("unix socket, child, 64 KiB writes", size, runs, () => SocketChild(socketMessages, size, batched: true), inProcess, socketPerMessage);
            Console.WriteLine($"  -> {size} B: cross-process ring = {crossProcess / inProcess:P0} of in-process, {crossProcess / socketPerMessage:F1}x the socket (send per message)");
        }

        return 0;
    }

    /// <summary>The child side: <c>xproc-child ring PATH COUNT SIZE</c> or <c>xproc-child socket PATH COUNT SIZE batched|single</c>.</summary>
    public static int RunChild(string[] args)
    {
        string kind = args[1];
        string path = args[2];
        long count = long.Parse(args[3], CultureInfo.InvariantCulture);
        int size = int.Parse(args[4], CultureInfo.InvariantCulture);
        if (kind == "ring")
        {
            using SharedMemoryRegion shared = SharedMemoryRegion.Open(path);
            using SpscByteRing producer = SpscByteRing.Attach(shared, ChannelEndpoints.Producer, null);
            RingTransfer.ProduceClaimed(producer, 0, count, size);
            return 0;
        }

        UnixSocketTransfer.Send(path, count, size, batched: args[5] == "batched");
        return 0;
    }

    private static double Report(string name, int size, int runs, Func<double> run, double? inProcess, double? socket)
    {
        List<double> rates = Repeat(runs, run);
        double median = Median(rates);
        PrintRow(name, size, median, rates.Min(), rates.Max(), inProcess, socket);
        return median;
    }

    private static void PrintRow(string name, int size, double median, double min, double max, double? inProcess, double? socket)
    {
        string vsIn = inProcess is { } a ? $"{median / a:F2}x" : "1.00x";
        string vsSocket = socket is { } b ? $"{median / b:F1}x" : "";
        Console.WriteLine($"{name,-34} {size,5} {median / 1e6,15:F2} {min / 1e6,8:F2} {max / 1e6,8:F2} {vsIn,14} {vsSocket,14}");
    }

    private static List<double> Repeat(int runs, Func<double> run)
    {
        var rates = new List<double>(runs);
        for (int i = 0; i < runs; i++)
        {
            rates.Add(run());
        }

        return rates;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static double RingInProcess(long messages, int size)
    {
        // The same kind of mapping as the cross-process case (a shared file in /dev/shm), so only the peer differs.
        string path = TempPath("ring");
        try
        {
            using SharedMemoryRegion shared = SharedMemoryRegion.CreateFile(path, ByteRing.RequiredBytes(RingCapacityBytes));
            using SpscByteRing consumer = SpscByteRing.Create(shared, RingCapacityBytes, ChannelEndpoints.Consumer, null);
            using SpscByteRing producer = SpscByteRing.Attach(shared, ChannelEndpoints.Producer, null);
            var thread = new Thread(() => RingTransfer.ProduceClaimed(producer, 0, messages, size)) { Name = "producer" };
            thread.Start();
            long first = RingTransfer.Consume(consumer, messages);
            double seconds = Stopwatch.GetElapsedTime(first).TotalSeconds;
            thread.Join();
            return messages / seconds;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static double RingChild(long messages, int size)
    {
        string path = TempPath("ring");
        try
        {
            using SharedMemoryRegion shared = SharedMemoryRegion.CreateFile(path, ByteRing.RequiredBytes(RingCapacityBytes));
            using SpscByteRing consumer = SpscByteRing.Create(shared, RingCapacityBytes, ChannelEndpoints.Consumer, null);
            using Process child = StartChild("ring", path, messages, size, "-");
            long first = RingTransfer.Consume(consumer, messages);
            double seconds = Stopwatch.GetElapsedTime(first).TotalSeconds;
            WaitChild(child);
            return messages / seconds;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static double SocketChild(long messages, int size, bool batched)
    {
        string path = TempPath("sock");
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            using Process child = StartChild("socket", path, messages, size, batched ? "batched" : "single");
            double seconds = UnixSocketTransfer.Receive(listener, messages, size);
            WaitChild(child);
            return messages / seconds;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Process StartChild(string kind, string path, long messages, int size, string mode)
    {
        var start = new ProcessStartInfo { FileName = Environment.ProcessPath!, RedirectStandardError = true };
        string self = typeof(CrossProcessComparison).Assembly.Location;
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(self);
        }

        foreach (string arg in (string[])["xproc-child", kind, path, messages.ToString(CultureInfo.InvariantCulture), size.ToString(CultureInfo.InvariantCulture), mode])
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
    }

    private static void WaitChild(Process child)
    {
        string errors = child.StandardError.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"The child process failed with exit code {child.ExitCode}: {errors}");
        }
    }

    private static string TempPath(string kind)
    {
        string directory = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        return Path.Combine(directory, $"edgeos-xproc-{Environment.ProcessId}-{kind}-{Guid.NewGuid():N}");
    }

    private static long Option(string[] args, string name, long fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? long.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string RuntimeInfo()
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";
        return $"{cpu}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
    }
}
