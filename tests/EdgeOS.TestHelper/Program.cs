using System.Globalization;
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
}
