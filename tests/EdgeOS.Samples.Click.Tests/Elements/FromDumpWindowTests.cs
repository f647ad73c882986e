using System.Globalization;
using EdgeOS.Net.Pcap;
using EdgeOS.Samples.Click.Runtime;
using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

/// <summary>
/// FromDump's time window, end call, sampling and file-position keywords and handlers, and ToDump's keywords, against
/// Click's fromdump.hh/todump.hh documentation and source. The dumps hold 60-byte UDP frames 1 ms apart from t = 1000 s,
/// so record K (from 0) starts at byte 24 + 76 K.
/// </summary>
public sealed class FromDumpWindowTests : IDisposable
{
    private const int RecordBytes = 16 + 60;
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

    private string Temp()
    {
        string path = Path.Combine(Path.GetTempPath(), "clickdump-" + Guid.NewGuid().ToString("N") + ".pcap");
        _files.Add(path);
        return path;
    }

    private static long Offset(int record) => 24 + (RecordBytes * record);

    private static string WriteError(TestRouter r, string handler, string value)
    {
        Assert.True(r.Router.TryResolveHandler(handler, null, out Element? e, out string h, out string error), error);
        var errors = new ElementErrors();
        Assert.False(r.Router.CallWrite(e, h, value, errors));
        return string.Join("\n", errors.Messages);
    }

    [Theory]
    [InlineData("START 1000.003, END 1000.007", 4)]
    [InlineData("START_AFTER 0.002, END_AFTER 0.005", 3)]
    [InlineData("START_AFTER 2ms, INTERVAL 4ms", 4)]
    [InlineData("INTERVAL 0.004", 4)]
    [InlineData("START 1000.0085", 1)]
    [InlineData("END 999", 0)]
    public void TimeWindowKeepsPacketsFromTheStartUpToButNotIncludingTheEnd(string window, int expected)
    {
        string path = Dump(10);
        using TestRouter r = TestRouter.Create($"f :: FromDump({path}, STOP true, {window}) -> c :: Counter -> Discard;").Run();
        Assert.Equal(expected, r.Count("c"));
        Assert.Equal("false", r.Read("f.active")); // STOP's end call is f.stop, which also deactivates
    }

    [Theory]
    [InlineData("START 1, START_AFTER 1", "START and START_AFTER are mutually exclusive")]
    [InlineData("END 1, INTERVAL 1", "END, END_AFTER, and INTERVAL are mutually exclusive")]
    [InlineData("END_AFTER 1, END 5", "END, END_AFTER, and INTERVAL are mutually exclusive")]
    [InlineData("STOP true, END_CALL c.reset", "END_CALL and STOP are mutually exclusive")]
    [InlineData("END_CALL nosuch.handler", "no element named 'nosuch'")]
    [InlineData("END_CALL c.count", "no 'c.count' write handler")]
    [InlineData("FILEPOS 100000", "FILEPOS out of range")]
    [InlineData("FILEPOS -1", "FILEPOS: parse error")]
    public void BadCombinationsAndTargetsAreClicksErrors(string keywords, string message)
    {
        string path = Dump(3);
        string m = TestRouter.Failure($"f :: FromDump({path}, {keywords}) -> c :: Counter -> Discard;");
        Assert.Contains(message, m, StringComparison.Ordinal);
    }

    [Fact]
    public void PulledFromDumpKeepsTheSameWindowAndStops()
    {
        string path = Dump(10);
        using TestRouter r = TestRouter.Create($"f :: FromDump({path}, STOP true, START_AFTER 0.001, END_AFTER 0.006) -> Unqueue -> c :: Counter -> Discard;").Run();
        Assert.Equal(5, r.Count("c"));
        Assert.Equal("false", r.Read("f.active"));
    }

    [Fact]
    public void AnEndTimeWithoutStopOrEndCallDeactivatesTheSource()
    {
        string path = Dump(10);
        using TestRouter r = TestRouter.Create($"f :: FromDump({path}, END_AFTER 0.003) -> c :: Counter -> Discard; Script(wait 0.5, stop);").Run();
        Assert.Equal(3, r.Count("c"));
        Assert.Equal(3, r.Count("f"));
        Assert.Equal("false", r.Read("f.active"));
    }

    [Fact]
    public void EndCallRunsAtTheEndTimeAndAgainWhenTheDumpRunsOutAndLeavesTheSourceActive()
    {
        // A custom END_CALL does not deactivate FromDump, so (as Click's read_packet does) the packet at the end time and
        // the rest follow; the handler is called again when the dump runs out.
        string path = Dump(10);
        using TestRouter r = TestRouter.Create(
            $"f :: FromDump({path}, END_AFTER 0.003, END_CALL e.run) -> c :: Counter -> Discard; e :: Script(TYPE PASSIVE, print \"end at $(f.packet_filepos)\"); Script(wait 0.5, stop);").Run();
        Assert.Equal(10, r.Count("c"));
        Assert.Equal($"end at {Offset(3)}\nend at {Offset(10)}\n", r.Chatter.ToString());
    }

    [Fact]
    public void ExtendIntervalMovesTheEndLaterAndReactivatesAfterTheRecordThatEndedTheWindowWasSkipped()
    {
        string path = Dump(10);
        using TestRouter r = TestRouter.Create(
            $"f :: FromDump({path}, END_AFTER 0.003) -> c :: Counter -> Discard; Script(wait 0.1, write f.extend_interval 0.004, wait 0.1, stop);").Run();

        // Records 0-2, then record 3 reached the end and was dropped; the extended end (1000.007) lets 4-6 through.
        Assert.Equal(6, r.Count("c"));
        Assert.Equal("false", r.Read("f.active"));
        Assert.Equal("'extend_interval' takes a time interval", WriteError(r, "f.extend_interval", "soon"));
    }

    [Fact]
    public void SampleZeroWarnsAndEmitsNothingAndAboveOneIsReducedToOne()
    {
        string path = Dump(20);
        (TestRouter? r0, EdgeOS.Samples.Click.Language.ClickErrors errors) = TestRouter.TryCreate($"f :: FromDump({path}, STOP true, SAMPLE 0) -> c :: Counter -> Discard;");
        using (TestRouter r = r0!)
        {
            Assert.Contains(errors.Messages, m => m.Contains("SAMPLE probability is 0; emitting no packets", StringComparison.Ordinal));
            r.Run();
            Assert.Equal(0, r.Count("c"));
            Assert.Equal("0", r.Read("f.sampling_prob"));
        }

        (TestRouter? r2, EdgeOS.Samples.Click.Language.ClickErrors errors2) = TestRouter.TryCreate($"f :: FromDump({path}, STOP true, SAMPLE 1.5) -> c :: Counter -> Discard;");
        using (TestRouter r = r2!)
        {
            Assert.Contains(errors2.Messages, m => m.Contains("SAMPLE probability reduced to 1", StringComparison.Ordinal));
            r.Run();
            Assert.Equal(20, r.Count("c"));
            Assert.Equal("1", r.Read("f.sampling_prob"));
        }
    }

    [Theory]
    [InlineData("0.5", "0.5")]
    [InlineData("0.3", "0.3")]
    [InlineData("0.001", "0.001")]
    [InlineData(".25", "0.25")]
    [InlineData("1", "1")]
    public void SamplingProbHandlerShowsTheFixedPointValueAsItsShortestDecimal(string sample, string shown)
    {
        string path = Dump(1);
        using TestRouter r = TestRouter.Create($"f :: FromDump({path}, SAMPLE {sample}, ACTIVE false) -> Discard;");
        Assert.Equal(shown, r.Read("f.sampling_prob"));
    }

    [Fact]
    public void SampleHalfKeepsAboutHalfThePackets()
    {
        string path = Dump(1000);
        using TestRouter r = TestRouter.Create($"f :: FromDump({path}, STOP true, SAMPLE 0.5) -> c :: Counter -> Discard;").Run();

        // Binomial(1000, 0.5): these bounds are 9 standard deviations out.
        Assert.InRange(r.Count("c"), 350, 650);
    }

    [Fact]
    public void FileposStartsAtThatRecordAndTheFileHandlersReportPositions()
    {
        string path = Dump(10);
        using (TestRouter r = TestRouter.Create($"f :: FromDump({path}, STOP true, FILEPOS {Offset(3)}) -> c :: Counter -> Discard;").Run())
        {
            Assert.Equal(7, r.Count("c"));
            Assert.Equal(Offset(10).ToString(CultureInfo.InvariantCulture), r.Read("f.filepos"));
            Assert.Equal(Offset(10).ToString(CultureInfo.InvariantCulture), r.Read("f.packet_filepos")); // the read that found the end
        }

        using TestRouter q = TestRouter.Create($"f :: FromDump({path}, ACTIVE false, STOP true) -> c :: Counter -> Discard;");
        Assert.Equal(Offset(10).ToString(CultureInfo.InvariantCulture), q.Read("f.filesize"));
        Assert.Equal("24", q.Read("f.filepos"));
        Assert.Equal(path, q.Read("f.filename"));
        Assert.Equal("ETHER", q.Read("f.encap"));
        Assert.Equal("argument must be file offset", WriteError(q, "f.filepos", "here"));
        Assert.Equal("FILEPOS out of range", WriteError(q, "f.filepos", "100000"));
        q.Write("f.filepos", Offset(6).ToString(CultureInfo.InvariantCulture));
        Assert.Equal(Offset(6).ToString(CultureInfo.InvariantCulture), q.Read("f.filepos"));
        q.Write("f.active", "true");
        q.Run();
        Assert.Equal(4, q.Count("c"));
        Assert.Equal("type mismatch", WriteError(q, "f.active", "maybe"));
        q.Write("f.reset_counts", string.Empty);
        Assert.Equal("0", q.Read("f.count"));
    }

    [Fact]
    public void ForceIPSendsOtherPacketsToOutputOneAndRawFilesSayIP()
    {
        byte[] arp = Frames.ArpRequest(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"));
        byte[] udp = Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), 1, 2);
        string path = Frames.WritePcap([udp, arp, udp]);
        _files.Add(path);
        using (TestRouter r = TestRouter.Create($"f :: FromDump({path}, STOP true, FORCE_IP true); f[0] -> ip :: Counter -> Discard; f[1] -> other :: Counter -> Discard;").Run())
        {
            Assert.Equal((2, 1), (r.Count("ip"), r.Count("other")));
        }

        // Without output 1 the non-IP packet is dropped; without FORCE_IP it goes out like the rest.
        using (TestRouter r = TestRouter.Create($"f :: FromDump({path}, STOP true, FORCE_IP true) -> ip :: Counter -> Discard;").Run())
        {
            Assert.Equal(2, r.Count("ip"));
        }

        using (TestRouter r = TestRouter.Create($"f :: FromDump({path}, STOP true) -> all :: Counter -> Discard;").Run())
        {
            Assert.Equal(3, r.Count("all"));
        }

        string raw = Frames.WritePcap([udp[14..], [0x60, 0, 0, 0]], PcapLinkType.Raw);
        _files.Add(raw);
        using TestRouter q = TestRouter.Create($"f :: FromDump({raw}, STOP true); f[0] -> ip :: Counter -> Discard; f[1] -> other :: Counter -> Discard;").Run();
        Assert.Equal((1, 1), (q.Count("ip"), q.Count("other")));
        Assert.Equal("IP", q.Read("f.encap"));
    }

    [Fact]
    public void TimingIsAPositionalArgumentAndStillDeliversEveryPacket()
    {
        string path = Dump(5);
        using TestRouter r = TestRouter.Create($"f :: FromDump({path}, true, STOP true) -> c :: Counter -> Discard;").Run();
        Assert.Equal(5, r.Count("c"));
    }

    [Fact]
    public void StopHandlerDeactivatesAndStopsTheDriver()
    {
        string path = Dump(5);
        using TestRouter r = TestRouter.Create($"f :: FromDump({path}, ACTIVE false) -> c :: Counter -> Discard; Script(write f.stop);").Run();
        Assert.Equal(0, r.Count("c"));
        Assert.Equal("false", r.Read("f.active"));
    }

    [Theory]
    [InlineData("", 60)]
    [InlineData(", EXTRA_LENGTH true", 60)]
    [InlineData(", EXTRA_LENGTH false", 40)]
    public void ExtraLengthFromASnappedDumpIsWrittenBackUnlessExtraLengthIsFalse(string keyword, int wire)
    {
        string path = Temp();
        using (PcapWriter w = PcapWriter.Create(path, new PcapWriterOptions { SnapLengthBytes = 40 }))
        {
            w.Write(Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), 1, 2), 1_000_000_000_000);
        }

        string outPath = Temp();
        using (TestRouter r = TestRouter.Create($"FromDump({path}, STOP true) -> ToDump({outPath}{keyword});").Run())
        {
        }

        using PcapReader reader = PcapReader.Open(outPath);
        Assert.True(reader.TryReadNext(new byte[100], out PcapRecord rec));
        Assert.Equal((40, wire), (rec.CapturedLength, rec.OriginalLength));
    }

    [Fact]
    public void ToDumpKeywordsSnaplenEncapNanoAndCounts()
    {
        string path = Dump(3);
        string outPath = Temp();
        using (TestRouter r = TestRouter.Create($"FromDump({path}, STOP true) -> t :: ToDump({outPath}, 20, SLL, NANO true, UNBUFFERED true);").Run())
        {
            Assert.Equal("3", r.Read("t.count"));
            Assert.Equal(outPath, r.Read("t.filename"));
            r.Write("t.reset_counts", string.Empty);
            Assert.Equal("0", r.Read("t.count"));
        }

        using PcapReader reader = PcapReader.Open(outPath);
        Assert.Equal((PcapLinkType.LinuxSll, PcapTimestampResolution.Nanoseconds, 20), (reader.LinkType, reader.Resolution, reader.SnapLengthBytes));
        Assert.True(reader.TryReadNext(new byte[100], out PcapRecord rec));
        Assert.Equal((20, 60, 1_000_000_000_000L), (rec.CapturedLength, rec.OriginalLength, rec.TimestampNanoseconds));
    }

    [Fact]
    public void UseEncapFromTakesTheSourcesEncapAndRefusesDisagreement()
    {
        byte[] ip = Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), 1, 2)[14..];
        string raw = Frames.WritePcap([ip], PcapLinkType.Raw);
        _files.Add(raw);
        string ether = Dump(1);
        string outPath = Temp();
        using (TestRouter r = TestRouter.Create($"f :: FromDump({raw}, STOP true) -> ToDump({outPath}, USE_ENCAP_FROM f);").Run())
        {
        }

        using (PcapReader reader = PcapReader.Open(outPath))
        {
            Assert.Equal(PcapLinkType.Raw, reader.LinkType);
        }

        string m = TestRouter.Failure($"a :: FromDump({raw}) -> t :: ToDump({Temp()}, USE_ENCAP_FROM a b); b :: FromDump({ether}) -> t2 :: ToDump({Temp()});");
        Assert.Contains("source encapsulation types disagree:", m, StringComparison.Ordinal);
        Assert.Contains("a :: FromDump has IP", m, StringComparison.Ordinal);
        Assert.Contains("b :: FromDump has ETHER", m, StringComparison.Ordinal);
        Assert.Contains("'c :: Counter' has no 'encap' read handler", TestRouter.Failure($"Idle -> c :: Counter -> ToDump({Temp()}, USE_ENCAP_FROM c);"), StringComparison.Ordinal);
        Assert.Contains("specify at most one of 'ENCAP' and 'USE_ENCAP_FROM'", TestRouter.Failure($"f :: FromDump({raw}) -> ToDump({Temp()}, ENCAP IP, USE_ENCAP_FROM f);"), StringComparison.Ordinal);
        Assert.Contains("no element named '\"\"'", TestRouter.Failure($"Idle -> ToDump({Temp()}, USE_ENCAP_FROM \"\");"), StringComparison.Ordinal); // the words keep their quotes, as cp_spacevec's
        Assert.Contains("no element named 'zz'", TestRouter.Failure($"Idle -> ToDump({Temp()}, USE_ENCAP_FROM zz);"), StringComparison.Ordinal);
        Assert.Contains("bad encapsulation type", TestRouter.Failure($"Idle -> ToDump({Temp()}, ENCAP TOKENRING);"), StringComparison.Ordinal);
    }

    // MMAP (Click's default true: a memory mapping of the file, or ordinary reads) and compressed dumps (gzip read, bzip2 refused).
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
