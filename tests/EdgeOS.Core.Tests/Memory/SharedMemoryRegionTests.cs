using System.Buffers.Binary;
using System.Globalization;
using EdgeOS.Core.Memory;
using EdgeOS.Core.Memory.Internal;
using EdgeOS.TestHelper;
using Xunit;

namespace EdgeOS.Core.Tests.Memory;

public sealed class SharedMemoryRegionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgeos-shm-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void MemfdRegionIsSharedBothWaysWithASecondProcess()
    {
        SkipUnlessLinux();
        var account = new MemoryAccount("creator");
        using SharedMemoryRegion region = SharedMemoryRegion.CreateMemfd("edgeos-test", 1 << 20, account);
        Assert.Equal(SharedMemoryKind.Memfd, region.Kind);
        Assert.StartsWith($"/proc/{Environment.ProcessId}/fd/", region.Path, StringComparison.Ordinal);

        TestPattern.Fill(region.Data.GetSpan(0, 65_536), seed: 1);
        AssertHelperSucceeds("shared-region-verify", region.Path, "0", "65536", "1");
        AssertHelperSucceeds("shared-region-write", region.Path, "100000", "50000", "2");

        Assert.Equal(-1, TestPattern.FirstMismatch(region.Data.GetSpan(100_000, 50_000), seed: 2));
        Assert.Equal(-1, TestPattern.FirstMismatch(region.Data.GetSpan(0, 65_536), seed: 1));
        Assert.DoesNotContain(region.Data.GetSpan(150_000, 4096).ToArray(), b => b != 0);

        (int _, string info, string _) = TestHelperProcess.Run("shared-region-info", region.Path);
        Assert.Equal($"{1 << 20} {Environment.ProcessId} 1", info.Trim());
        Assert.Equal((1 << 20) + SharedMemoryRegion.HeaderSizeBytes, account.UsedBytes);
    }

    [Fact]
    public void FileRegionIsSharedBothWaysWithASecondProcess()
    {
        string path = Path.Combine(_directory, "region");
        using SharedMemoryRegion region = SharedMemoryRegion.CreateFile(path, 200_000);
        Assert.Equal(SharedMemoryKind.File, region.Kind);
        Assert.Equal(SharedMemoryRegion.HeaderSizeBytes + 200_000, new FileInfo(path).Length);

        TestPattern.Fill(region.Data.GetSpan(4096, 8192), seed: 3);
        AssertHelperSucceeds("shared-region-verify", path, "4096", "8192", "3");
        AssertHelperSucceeds("shared-region-write", path, "199000", "1000", "4");

        Assert.Equal(-1, TestPattern.FirstMismatch(region.Data.GetSpan(199_000, 1000), seed: 4));
    }

    [Fact]
    public void SecondProcessDetectsAMismatch()
    {
        string path = Path.Combine(_directory, "region");
        using SharedMemoryRegion region = SharedMemoryRegion.CreateFile(path, 4096);
        TestPattern.Fill(region.Data.GetSpan(0, 4096), seed: 5);
        region.Data.GetSpan(1234, 1)[0] ^= 0xFF;

        (int exitCode, _, string error) = TestHelperProcess.Run("shared-region-verify", path, "0", "4096", "5");

        Assert.Equal(1, exitCode);
        Assert.Contains("offset 1234", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoMappingsInOneProcessSeeEachOthersWrites()
    {
        SkipUnlessLinux();
        using SharedMemoryRegion creator = SharedMemoryRegion.CreateMemfd("edgeos-test", 8192);
        using SharedMemoryRegion opener = SharedMemoryRegion.Open(creator.Path);

        creator.Data.GetRef<long>(0) = 0x1122334455667788;
        opener.Data.GetRef<long>(4096) = 42;

        Assert.Equal(0x1122334455667788, opener.Data.GetRef<long>(0));
        Assert.Equal(42, creator.Data.GetRef<long>(4096));
        Assert.True(creator.IsCreator);
        Assert.False(opener.IsCreator);
        Assert.Equal(Environment.ProcessId, opener.CreatorProcessId);
        Assert.Equal(8192, opener.DataSizeBytes);
    }

    [Fact]
    public void DataAreaIsPageAlignedAndHeaderCarriesMagicVersionAndSizes()
    {
        string path = Path.Combine(_directory, "region");
        using (SharedMemoryRegion region = SharedMemoryRegion.CreateFile(path, 10_000))
        {
            Assert.Equal(0, region.Data.Address % 4096);
        }

        byte[] file = File.ReadAllBytes(path);
        Assert.Equal("EDGEOSMR", System.Text.Encoding.ASCII.GetString(file, 0, 8));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(8)));
        Assert.Equal(4096u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(12)));
        Assert.Equal(10_000L, BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(16)));
        Assert.Equal(Environment.ProcessId, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(24)));
    }

    [Fact]
    public void MemfdRegionCannotBeResizedByAnOpener()
    {
        SkipUnlessLinux();
        using SharedMemoryRegion region = SharedMemoryRegion.CreateMemfd("edgeos-sealed", 4096);
        using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(region.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);

        // EPERM from the seals (.NET reports it as UnauthorizedAccessException).
        Assert.Throws<UnauthorizedAccessException>(() => RandomAccess.SetLength(handle, 100));
        Assert.Throws<UnauthorizedAccessException>(() => RandomAccess.SetLength(handle, 1 << 20));
        Assert.Equal(4096 + SharedMemoryRegion.HeaderSizeBytes, RandomAccess.GetLength(handle));
    }

    public static TheoryData<string, string, string, string> BadFiles => new()
    {
        { "wrong-magic", "magic", "\"EDGEOSMR\"", "\"NOTEDGE!\"" },
        { "zero-magic", "magic", "\"EDGEOSMR\"", "0x0000000000000000" },
        { "wrong-version", "version", "expected 1", "found 2" },
        { "wrong-header-size", "headerSize", "expected 4096", "found 8192" },
        { "file-longer-than-header-says", "fileLength", "8192 bytes", "12288 bytes" },
        { "file-shorter-than-header-says", "fileLength", "8192 bytes", "6000 bytes (truncated)" },
        { "truncated-header", "fileLength", "at least 64 bytes", "20 bytes (truncated)" },
        { "empty-file", "fileLength", "at least 64 bytes", "0 bytes (truncated)" },
        { "negative-data-size", "dataSize", "between 1 and", "found -4096" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void MalformedRegionIsRefusedWithFieldExpectedAndActualAndNothingIsMappedOrLeaked(string variant, string field, string expected, string actual)
    {
        string path = Path.Combine(_directory, variant);
        File.WriteAllBytes(path, BuildFile(variant));
        var account = new MemoryAccount("opener");

        SharedMemoryFormatException error = Assert.Throws<SharedMemoryFormatException>(() => SharedMemoryRegion.Open(path, account));

        Assert.Equal(field, error.Field);
        Assert.Contains($"'{field}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(actual, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, account.UsedBytes);
        AssertNotMappedOrOpen(path);
    }

    [Fact]
    public void SecondProcessRefusesAWrongMagicWithTheFormatError()
    {
        string path = Path.Combine(_directory, "bad");
        File.WriteAllBytes(path, BuildFile("wrong-magic"));

        (int exitCode, _, string error) = TestHelperProcess.Run("shared-region-verify", path, "0", "1", "0");

        Assert.Equal(3, exitCode);
        Assert.Contains("SharedMemoryFormatException", error, StringComparison.Ordinal);
        Assert.Contains("'magic'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void QuotaExceededCreatesNothing()
    {
        var account = new MemoryAccount("small", quotaBytes: 64 * 1024);
        string path = Path.Combine(_directory, "too-big");

        Assert.Throws<MemoryQuotaExceededException>(() => SharedMemoryRegion.CreateFile(path, 1 << 20, account));
        Assert.False(File.Exists(path));
        if (OperatingSystem.IsLinux())
        {
            Assert.Throws<MemoryQuotaExceededException>(() => SharedMemoryRegion.CreateMemfd("too-big", 1 << 20, account));
        }

        Assert.Equal(0, account.UsedBytes);
    }

    [Fact]
    public void OpeningChargesTheOpenerAndDisposeReleases()
    {
        string path = Path.Combine(_directory, "region");
        using SharedMemoryRegion creator = SharedMemoryRegion.CreateFile(path, 8192);
        var account = new MemoryAccount("opener");
        SharedMemoryRegion opener = SharedMemoryRegion.Open(path, account);

        Assert.Equal(8192 + 4096, account.UsedBytes);
        opener.Dispose();
        opener.Dispose();

        Assert.Equal(0, account.UsedBytes);
        Assert.True(opener.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => opener.Data.GetSpan(0, 1));
    }

    [Fact]
    public void CreatingOverAnExistingFileIsRefusedAndLeavesItAlone()
    {
        string path = Path.Combine(_directory, "existing");
        File.WriteAllText(path, "keep me");

        Assert.Throws<IOException>(() => SharedMemoryRegion.CreateFile(path, 4096));
        Assert.Equal("keep me", File.ReadAllText(path));
    }

    [Fact]
    public void BadMemfdNamesAreRejected()
    {
        SkipUnlessLinux();
        Assert.Throws<ArgumentException>(() => SharedMemoryRegion.CreateMemfd(new string('x', 250), 4096));
        Assert.Throws<ArgumentException>(() => SharedMemoryRegion.CreateMemfd("a\0b", 4096));
        Assert.Throws<ArgumentException>(() => SharedMemoryRegion.CreateMemfd(string.Empty, 4096));
    }

    private static byte[] BuildFile(string variant)
    {
        const int DataSize = 4096;
        byte[] file = new byte[SharedRegionDescriptor.HeaderSizeBytes + DataSize];
        System.Text.Encoding.ASCII.GetBytes("EDGEOSMR").CopyTo(file, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(12), 4096);
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(16), DataSize);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(24), 1);
        switch (variant)
        {
            case "wrong-magic":
                System.Text.Encoding.ASCII.GetBytes("NOTEDGE!").CopyTo(file, 0);
                return file;
            case "zero-magic":
                file.AsSpan(0, 8).Clear();
                return file;
            case "wrong-version":
                BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), 2);
                return file;
            case "wrong-header-size":
                BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(12), 8192);
                return file;
            case "file-longer-than-header-says":
                Array.Resize(ref file, 12_288);
                return file;
            case "file-shorter-than-header-says":
                return file[..6000];
            case "truncated-header":
                return file[..20];
            case "empty-file":
                return [];
            case "negative-data-size":
                BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(16), -4096);
                return file;
            default:
                throw new ArgumentOutOfRangeException(nameof(variant), variant, null);
        }
    }

    private static void AssertNotMappedOrOpen(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        Assert.DoesNotContain(File.ReadLines("/proc/self/maps"), line => line.EndsWith(path, StringComparison.Ordinal));
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            string? target = null;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                // The descriptor was closed while we enumerated.
            }

            Assert.NotEqual(path, target);
        }
    }

    private static void AssertHelperSucceeds(params string[] arguments)
    {
        (int exitCode, string output, string error) = TestHelperProcess.Run(arguments);
        Assert.True(exitCode == 0, string.Create(CultureInfo.InvariantCulture, $"helper {string.Join(' ', arguments)} exited {exitCode}: {error}{output}"));
    }

    private static void SkipUnlessLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("memfd shared regions are Linux-only.");
        }
    }
}
