using System.Diagnostics;
using System.Globalization;
using EdgeOS.Core.Channels;
using EdgeOS.Core.Memory;

namespace EdgeOS.TestHelper;

/// <summary>
/// Subcommands run by cross-process tests in a separate process. Exit codes: 0 success, 1 verification failed,
/// 2 usage error, 3 the operation threw (type and message on stderr, first line <c>error: Type: message</c>).
/// </summary>
public static class Program
{
    private const string Usage = """
        usage:
          shared-region-write  <path> <offset> <length> <seed>   open the region, write the pattern into its data area
          shared-region-verify <path> <offset> <length> <seed>   open the region, check the pattern (exit 1 on mismatch)
          shared-region-info   <path>                             open the region, print dataSize creatorPid version
          channel-produce <path> <count> <size> [--mpsc] [--hang-in-claim]
              attach to the ring at the start of the region's data area as a producer and write <count> messages of
              <size> bytes (type = sequence, payload = ChannelPayload) as fast as possible, waiting when full; prints
              "produced <count> <elapsed-ns>". --hang-in-claim: then claim one more, fill half of it, print
              "claimed <sequence>" and sleep until killed.
          channel-consume <path> <count> [--mpsc] [--hang-after-attach]
              attach as the consumer and read <count> messages, checking order and payload; prints
              "consumed <count> <bytes> <elapsed-ns>" (exit 1 on a wrong message). --hang-after-attach: print
              "attached" and sleep until killed.
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        try
        {
            return args[0] switch
            {
                "shared-region-write" when args.Length == 5 => SharedRegionWrite(args[1], Long(args[2]), Long(args[3]), Long(args[4])),
                "shared-region-verify" when args.Length == 5 => SharedRegionVerify(args[1], Long(args[2]), Long(args[3]), Long(args[4])),
                "shared-region-info" when args.Length == 2 => SharedRegionInfo(args[1]),
                "channel-produce" when args.Length >= 4 => ChannelProduce(args[1], Long(args[2]), checked((int)Long(args[3])), args.Contains("--mpsc"), args.Contains("--hang-in-claim")),
                "channel-consume" when args.Length >= 3 => ChannelConsume(args[1], Long(args[2]), args.Contains("--mpsc"), args.Contains("--hang-after-attach")),
                _ => UsageError(),
            };
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"error: {error.GetType().Name}: {error.Message}");
            return 3;
        }
    }

    private static int UsageError()
    {
        Console.Error.WriteLine(Usage);
        return 2;
    }

    private static long Long(string text) => long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static int SharedRegionWrite(string path, long offset, long length, long seed)
    {
        using SharedMemoryRegion region = SharedMemoryRegion.Open(path);
        TestPattern.Fill(region.Data.GetSpan(offset, checked((int)length)), seed);
        return 0;
    }

    private static int SharedRegionVerify(string path, long offset, long length, long seed)
    {
        using SharedMemoryRegion region = SharedMemoryRegion.Open(path);
        long mismatch = TestPattern.FirstMismatch(region.Data.GetSpan(offset, checked((int)length)), seed);
        if (mismatch >= 0)
        {
            Console.Error.WriteLine($"mismatch at data offset {offset + mismatch}");
            return 1;
        }

        return 0;
    }

    private static int SharedRegionInfo(string path)
    {
        using SharedMemoryRegion region = SharedMemoryRegion.Open(path);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{region.DataSizeBytes} {region.CreatorProcessId} {region.Version}"));
        return 0;
    }

    private static ByteRing AttachRing(SharedMemoryRegion region, ChannelEndpoints endpoints, bool mpsc)
    {
        var options = new ChannelOptions { Name = "helper", EnableMetrics = false };
        return mpsc
            ? MpscByteRing.Attach(region, endpoints, options)
            : SpscByteRing.Attach(region, endpoints, options);
    }

    private static int ChannelProduce(string path, long count, int size, bool mpsc, bool hangInClaim)
    {
        using SharedMemoryRegion region = SharedMemoryRegion.Open(path);
        using ByteRing ring = AttachRing(region, ChannelEndpoints.Producer, mpsc);
        long start = Stopwatch.GetTimestamp();
        for (long sequence = 0; sequence < count; sequence++)
        {
            ReadOnlySpan<byte> payload = ChannelPayload.For(sequence, size);
            if (!ring.TryWrite(ChannelPayload.TypeFor(sequence), payload) &&
                !ring.Write(ChannelPayload.TypeFor(sequence), payload, TimeSpan.FromSeconds(60)))
            {
                Console.Error.WriteLine($"timed out writing message {sequence}");
                return 1;
            }
        }

        long elapsed = (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;
        if (hangInClaim)
        {
            while (!ring.TryClaim(size, ChannelPayload.TypeFor(count), out ChannelClaim claim) || !Fill(claim, count, size))
            {
                Thread.Sleep(1);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"claimed {count}"));
            Console.Out.Flush();
            Thread.Sleep(Timeout.Infinite);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"produced {count} {elapsed}"));
        return 0;

        static bool Fill(ChannelClaim claim, long sequence, int size)
        {
            ChannelPayload.For(sequence, size)[..(size / 2)].CopyTo(claim.Span);
            return true;
        }
    }

    private static int ChannelConsume(string path, long count, bool mpsc, bool hangAfterAttach)
    {
        using SharedMemoryRegion region = SharedMemoryRegion.Open(path);
        using ByteRing ring = AttachRing(region, ChannelEndpoints.Consumer, mpsc);
        if (hangAfterAttach)
        {
            Console.WriteLine("attached");
            Console.Out.Flush();
            Thread.Sleep(Timeout.Infinite);
        }

        var checker = new PayloadChecker();
        long start = Stopwatch.GetTimestamp();
        while (checker.Count < count && checker.Failure is null)
        {
            if (ring.Read(ref checker, int.MaxValue, ChannelDeliveryMode.Shared) == 0 &&
                !ring.WaitToRead(TimeSpan.FromSeconds(60)))
            {
                Console.Error.WriteLine($"no message within 60 s after {checker.Count}");
                return 1;
            }
        }

        long elapsed = (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;
        if (checker.Failure is not null)
        {
            Console.Error.WriteLine(checker.Failure);
            return 1;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"consumed {checker.Count} {checker.Bytes} {elapsed}"));
        return 0;
    }

    private struct PayloadChecker : IChannelMessageHandler
    {
        public long Count;
        public long Bytes;
        public string? Failure;

        public void OnMessage(int type, ReadOnlySpan<byte> message)
        {
            if (Failure is null && (type != ChannelPayload.TypeFor(Count) || !message.SequenceEqual(ChannelPayload.For(Count, message.Length))))
            {
                Failure = $"message {Count}: type {type}, {message.Length} bytes do not match";
            }

            Count++;
            Bytes += message.Length;
        }
    }
}
