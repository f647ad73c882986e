using System.Globalization;
using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

/// <summary>
/// FromDump's MMAP keyword (Click's default true): the file read through a memory mapping, or with ordinary reads; and
/// compressed dumps (gzip read, bzip2 refused).
/// </summary>
public sealed class FromDumpMmapTests : IDisposable
{
    private readonly List<string> _files = [];

    public void Dispose()
    {
        foreach (string f in _files)
        {
            File.Delete(f);
        }
    }

    private string Dump(int count)
    {
        string path = Frames.WritePcap(Enumerable.Range(0, count).Select(i => Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), (ushort)i, 9)));
        _files.Add(path);
        return path;
    }

    [Theory]
    [InlineData("")]
    [InlineData(", MMAP true")]
    [InlineData(", MMAP false")]
    public void EveryPacketIsReadAndTheFileSizeIsKnownEitherWay(string mmap)
    {
        string path = Dump(7);
        long size = new FileInfo(path).Length;
        using TestRouter r = TestRouter.Create($"f :: FromDump({path}, STOP true{mmap}) -> c :: Counter -> Discard;").Run();
        Assert.Equal(7, r.Count("c"));
        Assert.Equal(size.ToString(CultureInfo.InvariantCulture), r.Read("f.filesize"));
        Assert.Equal(size.ToString(CultureInfo.InvariantCulture), r.Read("f.filepos")); // the whole file, not a page-rounded view
    }

    [Fact]
    public void AMappedFileSeeksToFilepos()
    {
        string path = Dump(10);
        long third = 24 + (3 * (16 + 60));
        using TestRouter r = TestRouter.Create($"f :: FromDump({path}, STOP true, MMAP true, FILEPOS {third}) -> c :: Counter -> Discard;").Run();
        Assert.Equal(7, r.Count("c"));
    }

    [Fact]
    public void ATruncatedMappedFileEndsAtItsLastWholeRecordWithTheOffset()
    {
        string path = Dump(4);
        using (var f = new FileStream(path, FileMode.Open))
        {
            f.SetLength(f.Length - 10);
        }

        using TestRouter r = TestRouter.Create($"f :: FromDump({path}, STOP true, MMAP true) -> c :: Counter -> Discard;").Run();
        Assert.Equal(3, r.Count("c"));
    }

    [Fact]
    public void MmapMustBeABoolean()
    {
        string path = Dump(1);
        string m = TestRouter.Failure($"f :: FromDump({path}, MMAP maybe) -> Discard;");
        Assert.Contains("MMAP", m, StringComparison.Ordinal);
    }

    private string Gzipped(string path)
    {
        string gz = path + ".gz";
        _files.Add(gz);
        using (FileStream from = File.OpenRead(path))
        using (var to = new System.IO.Compression.GZipStream(File.Create(gz), System.IO.Compression.CompressionLevel.Fastest))
        {
            from.CopyTo(to);
        }

        return gz;
    }

    [Theory]
    [InlineData("MMAP true")]
    [InlineData("MMAP false")]
    public void AGzipDumpIsDecompressedAsItIsRead(string mmap)
    {
        string gz = Gzipped(Dump(9));
        using TestRouter r = TestRouter.Create($"f :: FromDump({gz}, STOP true, {mmap}) -> c :: Counter -> Discard;").Run();
        Assert.Equal(9, r.Count("c"));
        Assert.Equal("ETHER", r.Read("f.encap"));
    }

    [Fact]
    public void FileposInAGzipDumpCountsInTheDecompressedDump()
    {
        string gz = Gzipped(Dump(10));
        long third = 24 + (3 * (16 + 60));
        using TestRouter r = TestRouter.Create($"f :: FromDump({gz}, STOP true, FILEPOS {third}) -> c :: Counter -> Discard;").Run();
        Assert.Equal(7, r.Count("c"));
    }

    [Fact]
    public void ABzip2DumpIsRefusedWithTheReason()
    {
        string path = Path.Combine(Path.GetTempPath(), "clickdump-" + Guid.NewGuid().ToString("N") + ".pcap.bz2");
        _files.Add(path);
        File.WriteAllBytes(path, [(byte)'B', (byte)'Z', (byte)'h', (byte)'9', 0x31, 0x41, 0x59, 0x26]);
        string m = TestRouter.Failure($"f :: FromDump({path}) -> Discard;");
        Assert.Contains("bzip2-compressed dumps are not supported", m, StringComparison.Ordinal);
    }
}
