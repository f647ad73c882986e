using System.Buffers.Binary;
using EdgeOS.Net.Pcap;
using Xunit;

namespace EdgeOS.Net.Tests.Pcap;

public sealed class PcapFileTests
{
    private const long BaseTimeNanoseconds = 1_700_000_000_000_000_000;

    internal static List<(byte[] Data, long Time)> RandomPackets(int seed, int count, PcapTimestampResolution resolution)
    {
        var random = new Random(seed);
        var packets = new List<(byte[], long)>();
        long time = BaseTimeNanoseconds;
        for (int i = 0; i < count; i++)
        {
            byte[] data = new byte[random.Next(14, 1515)];
            random.NextBytes(data);
            time += random.Next(1, 5_000_000);
            long stamp = resolution == PcapTimestampResolution.Microseconds ? time / 1000 * 1000 : time;
            packets.Add((data, stamp));
        }

        return packets;
    }

    internal static byte[] WriteFile(IEnumerable<(byte[] Data, long Time)> packets, PcapWriterOptions options)
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, options, leaveOpen: true))
        {
            foreach ((byte[] data, long time) in packets)
            {
                writer.Write(data, time);
            }
        }

        return stream.ToArray();
    }

    internal static List<(byte[] Data, long Time, int Original)> ReadAll(Stream stream)
    {
        using var reader = new PcapReader(stream, leaveOpen: true);
        var list = new List<(byte[], long, int)>();
        byte[] buffer = new byte[70_000];
        while (reader.TryReadNext(buffer, out PcapRecord record))
        {
            list.Add((buffer[..record.CopiedLength], record.TimestampNanoseconds, record.OriginalLength));
        }

        return list;
    }

    [Theory]
    [InlineData(PcapTimestampResolution.Microseconds)]
    [InlineData(PcapTimestampResolution.Nanoseconds)]
    public void WrittenFileReadsBackIdentical(PcapTimestampResolution resolution)
    {
        var packets = RandomPackets(seed: 42 + (int)resolution, count: 300, resolution);
        byte[] file = WriteFile(packets, new PcapWriterOptions { Resolution = resolution });

        var read = ReadAll(new MemoryStream(file));
        Assert.Equal(packets.Count, read.Count);
        for (int i = 0; i < packets.Count; i++)
        {
            Assert.Equal(packets[i].Data, read[i].Data);
            Assert.Equal(packets[i].Time, read[i].Time);
            Assert.Equal(packets[i].Data.Length, read[i].Original);
        }

        // Writing what was read gives the same bytes again.
        byte[] again = WriteFile(read.Select(r => (r.Data, r.Time)), new PcapWriterOptions { Resolution = resolution });
        Assert.Equal(file, again);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(file);
        Assert.Equal(resolution == PcapTimestampResolution.Nanoseconds ? 0xA1B23C4Du : 0xA1B2C3D4u, magic);
    }

    [Fact]
    public void MicrosecondFileDropsTheNanoseconds()
    {
        byte[] file = WriteFile([(new byte[60], BaseTimeNanoseconds + 123_456_789)], new PcapWriterOptions());
        var read = ReadAll(new MemoryStream(file));
        Assert.Equal(BaseTimeNanoseconds + 123_456_000, read[0].Time);
    }

    [Fact]
    public void SnapLengthTruncatesAndKeepsTheOriginalLength()
    {
        byte[] data = Enumerable.Range(0, 200).Select(i => (byte)i).ToArray();
        byte[] file = WriteFile([(data, BaseTimeNanoseconds)], new PcapWriterOptions { SnapLengthBytes = 96 });
        using var reader = new PcapReader(new MemoryStream(file));
        Assert.Equal(96, reader.SnapLengthBytes);
        byte[] buffer = new byte[300];
        Assert.True(reader.TryReadNext(buffer, out PcapRecord record));
        Assert.Equal(96, record.CapturedLength);
        Assert.Equal(200, record.OriginalLength);
        Assert.Equal(data[..96], buffer[..96]);
        Assert.False(reader.TryReadNext(buffer, out _));
    }

    [Fact]
    public void SmallDestinationGetsThePrefixAndTheNextRecordStillReads()
    {
        var packets = RandomPackets(seed: 7, count: 3, PcapTimestampResolution.Microseconds);
        byte[] file = WriteFile(packets, new PcapWriterOptions());
        using var reader = new PcapReader(new MemoryStream(file));
        byte[] small = new byte[10];
        Assert.True(reader.TryReadNext(small, out PcapRecord first));
        Assert.Equal(10, first.CopiedLength);
        Assert.Equal(packets[0].Data.Length, first.CapturedLength);
        Assert.Equal(packets[0].Data[..10], small);
        byte[] big = new byte[2000];
        Assert.True(reader.TryReadNext(big, out PcapRecord second));
        Assert.Equal(packets[1].Data, big[..second.CopiedLength]);
        Assert.Equal(24 + 16 + packets[0].Data.Length, second.Offset);
    }

    /// <summary>
    /// A big-endian microsecond file and a big-endian nanosecond file built byte by byte from the format description
    /// (tcpdump.org "pcap savefile format", draft-ietf-opsawg-pcap section 4 and 5): magic, version 2.4, thiszone,
    /// sigfigs, snaplen, linktype; then per record ts_sec, ts_usec (or ts_nsec), incl_len, orig_len, data.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BigEndianFileBuiltFromTheSpecIsRead(bool nanoseconds)
    {
        byte[] packet = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06, 0xAA];
        byte[] file =
        [
            0xA1, 0xB2, nanoseconds ? (byte)0x3C : (byte)0xC3, nanoseconds ? (byte)0x4D : (byte)0xD4, // magic
            0x00, 0x02, 0x00, 0x04,             // version 2.4
            0x00, 0x00, 0x00, 0x00,             // thiszone
            0x00, 0x00, 0x00, 0x00,             // sigfigs
            0x00, 0x00, 0xFF, 0xFF,             // snaplen 65535
            0x00, 0x00, 0x00, 0x01,             // linktype 1 = Ethernet
            0x5F, 0x5E, 0x10, 0x00,             // ts_sec 1600000000
            0x00, 0x07, 0xA1, 0x1F,             // fraction 499999
            0x00, 0x00, 0x00, 0x0F,             // incl_len 15
            0x00, 0x00, 0x00, 0x40,             // orig_len 64
            .. packet,
        ];
        using var reader = new PcapReader(new MemoryStream(file));
        Assert.True(reader.IsBigEndian);
        Assert.Equal(PcapLinkType.Ethernet, reader.LinkType);
        Assert.Equal(65535, reader.SnapLengthBytes);
        Assert.Equal((2, 4), (reader.VersionMajor, reader.VersionMinor));
        Assert.Equal(nanoseconds ? PcapTimestampResolution.Nanoseconds : PcapTimestampResolution.Microseconds, reader.Resolution);
        byte[] buffer = new byte[100];
        Assert.True(reader.TryReadNext(buffer, out PcapRecord record));
        long expected = (1_600_000_000L * 1_000_000_000L) + (nanoseconds ? 499_999L : 499_999_000L);
        Assert.Equal(expected, record.TimestampNanoseconds);
        Assert.Equal(15, record.CapturedLength);
        Assert.Equal(64, record.OriginalLength);
        Assert.Equal(packet, buffer[..15]);
        Assert.False(reader.TryReadNext(buffer, out _));
    }

    [Fact]
    public void EveryTruncationGivesAnErrorAtTheCutRecordOrACleanEnd()
    {
        var packets = RandomPackets(seed: 3, count: 4, PcapTimestampResolution.Nanoseconds);
        byte[] file = WriteFile(packets, new PcapWriterOptions { Resolution = PcapTimestampResolution.Nanoseconds });
        var boundaries = new HashSet<long> { 24 };
        long at = 24;
        foreach (var p in packets)
        {
            at += 16 + p.Data.Length;
            boundaries.Add(at);
        }

        for (int cut = 0; cut < file.Length; cut++)
        {
            var stream = new MemoryStream(file, 0, cut);
            if (boundaries.Contains(cut))
            {
                Assert.Equal(boundaries.Count(b => b < cut), ReadAll(stream).Count);
                continue;
            }

            var error = Assert.Throws<PcapFormatException>(() => ReadAll(stream));
            Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
            Assert.Contains($"offset {error.Offset}", error.Message, StringComparison.Ordinal);
            Assert.InRange(error.Offset, 0, cut);
            long recordStart = boundaries.Where(b => b <= cut).DefaultIfEmpty(0).Max();
            Assert.True(error.Offset == recordStart || error.Offset == recordStart + 16, $"cut {cut}: offset {error.Offset}, record at {recordStart}");
        }
    }

    [Fact]
    public void CorruptHeaderFieldsAreReportedAtTheirOffset()
    {
        byte[] good = WriteFile(RandomPackets(seed: 5, count: 2, PcapTimestampResolution.Microseconds), new PcapWriterOptions());

        byte[] badMagic = (byte[])good.Clone();
        badMagic[0] = 0x00;
        Assert.Equal(0, Assert.Throws<PcapFormatException>(() => new PcapReader(new MemoryStream(badMagic))).Offset);

        byte[] pcapng = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(pcapng, 0x0A0D0D0A);
        Assert.Contains("pcapng", Assert.Throws<PcapFormatException>(() => new PcapReader(new MemoryStream(pcapng))).Message, StringComparison.Ordinal);

        byte[] badVersion = (byte[])good.Clone();
        badVersion[4] = 3;
        Assert.Equal(4, Assert.Throws<PcapFormatException>(() => new PcapReader(new MemoryStream(badVersion))).Offset);

        byte[] badFraction = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(badFraction.AsSpan(24 + 4), 1_000_000);
        var fraction = Assert.Throws<PcapFormatException>(() => ReadAll(new MemoryStream(badFraction)));
        Assert.Equal(28, fraction.Offset);

        byte[] hugeLength = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(hugeLength.AsSpan(24 + 8), 0x7FFF_FFFF);
        var length = Assert.Throws<PcapFormatException>(() => ReadAll(new MemoryStream(hugeLength)));
        Assert.Equal(32, length.Offset);
        Assert.Contains("captured length 2147483647", length.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReaderKeepsFailingAtTheBadRecord()
    {
        byte[] good = WriteFile(RandomPackets(seed: 9, count: 2, PcapTimestampResolution.Microseconds), new PcapWriterOptions());
        using var reader = new PcapReader(new MemoryStream(good, 0, good.Length - 1));
        byte[] buffer = new byte[2000];
        Assert.True(reader.TryReadNext(buffer, out _));
        long first = Assert.Throws<PcapFormatException>(() => reader.TryReadNext(buffer, out _)).Offset;
        Assert.Equal(first, Assert.Throws<PcapFormatException>(() => reader.TryReadNext(buffer, out _)).Offset);
    }

    [Fact]
    public void RandomBytesNeverThrowAnythingButFormatErrors()
    {
        var random = new Random(1234);
        byte[] good = WriteFile(RandomPackets(seed: 11, count: 3, PcapTimestampResolution.Microseconds), new PcapWriterOptions());
        byte[] buffer = new byte[4096];
        for (int i = 0; i < 3000; i++)
        {
            byte[] input = (byte[])good.Clone();
            int flips = random.Next(1, 8);
            for (int f = 0; f < flips; f++)
            {
                input[random.Next(input.Length)] = (byte)random.Next(256);
            }

            int length = random.Next(input.Length + 1);
            try
            {
                using var reader = new PcapReader(new MemoryStream(input, 0, length));
                while (reader.TryReadNext(buffer, out PcapRecord record))
                {
                    Assert.InRange(record.CopiedLength, 0, buffer.Length);
                    Assert.InRange(record.Offset, 24, length);
                }
            }
            catch (PcapFormatException error)
            {
                Assert.InRange(error.Offset, 0, length);
            }
        }
    }
}
