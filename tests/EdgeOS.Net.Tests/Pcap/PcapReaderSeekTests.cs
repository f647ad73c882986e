using System.Buffers.Binary;
using EdgeOS.Net.Pcap;
using Xunit;

namespace EdgeOS.Net.Tests.Pcap;

public sealed class PcapReaderSeekTests
{
    private static readonly List<(byte[] Data, long Time)> Packets = PcapFileTests.RandomPackets(seed: 77, count: 5, PcapTimestampResolution.Microseconds);
    private static readonly byte[] FileBytes = PcapFileTests.WriteFile(Packets, new PcapWriterOptions());

    /// <summary>The offset of each record header in <see cref="FileBytes"/>, then the file's length.</summary>
    private static long[] Offsets()
    {
        var offsets = new long[Packets.Count + 1];
        offsets[0] = 24;
        for (int i = 0; i < Packets.Count; i++)
        {
            offsets[i + 1] = offsets[i] + 16 + Packets[i].Data.Length;
        }

        return offsets;
    }

    private static void AssertReads(PcapReader reader, int index)
    {
        long offset = Offsets()[index];
        Assert.Equal(offset, reader.Position);
        byte[] buffer = new byte[2000];
        Assert.True(reader.TryReadNext(buffer, out PcapRecord record));
        Assert.Equal(offset, record.Offset);
        Assert.Equal(Packets[index].Data, buffer[..record.CopiedLength]);
        Assert.Equal(Packets[index].Time, record.TimestampNanoseconds);
    }

    [Fact]
    public void SeekingToAPositionTakenBeforeAReadReadsThatRecordAgain()
    {
        using var reader = new PcapReader(new MemoryStream(FileBytes));
        var positions = new List<long>();
        byte[] buffer = new byte[2000];
        for (int i = 0; i < Packets.Count; i++)
        {
            positions.Add(reader.Position);
            Assert.True(reader.TryReadNext(buffer, out _));
        }

        Assert.False(reader.TryReadNext(buffer, out _));
        Assert.Equal(Offsets()[..^1], positions);

        // Backwards, forwards, twice the same one, in any order.
        foreach (int index in new[] { 3, 0, 4, 4, 1, 2 })
        {
            reader.Seek(positions[index]);
            AssertReads(reader, index);
        }

        // And reading simply carries on from there.
        reader.Seek(positions[2]);
        AssertReads(reader, 2);
        AssertReads(reader, 3);
        AssertReads(reader, 4);
        Assert.False(reader.TryReadNext(buffer, out _));
    }

    [Fact]
    public void OffsetsCountFromWhereTheFileStartsInTheStream()
    {
        byte[] prefixed = [.. new byte[1000], .. FileBytes];
        var stream = new MemoryStream(prefixed);
        stream.Position = 1000;
        using var reader = new PcapReader(stream);
        AssertReads(reader, 0);
        AssertReads(reader, 1);
        long[] offsets = Offsets();
        reader.Seek(offsets[0]);
        Assert.Equal(1000 + offsets[0], stream.Position);
        AssertReads(reader, 0);

        // The end is the file's length, not the stream's.
        reader.Seek(FileBytes.Length);
        Assert.False(reader.TryReadNext(new byte[10], out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.Seek(FileBytes.Length + 1));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(23)]
    public void SeekingInsideTheFileHeaderIsOutOfRangeAndDoesNotMove(long position)
    {
        using var reader = new PcapReader(new MemoryStream(FileBytes));
        AssertReads(reader, 0);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => reader.Seek(position));
        Assert.Equal("position", error.ParamName);
        AssertReads(reader, 1);
    }

    [Fact]
    public void SeekingBeyondTheEndOfASeekableStreamIsOutOfRangeAndTheEndItselfIsACleanEnd()
    {
        using var reader = new PcapReader(new MemoryStream(FileBytes));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => reader.Seek(FileBytes.Length + 1));
        Assert.Equal("position", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.Seek(long.MaxValue));
        AssertReads(reader, 0);

        reader.Seek(FileBytes.Length);
        Assert.Equal(FileBytes.Length, reader.Position);
        Assert.False(reader.TryReadNext(new byte[10], out _));
    }

    [Fact]
    public void AForwardOnlyStreamSkipsForwardAndRefusesToGoBack()
    {
        long[] offsets = Offsets();
        var stream = new ForwardOnlyStream(FileBytes, 7);
        using var reader = new PcapReader(stream);
        reader.Seek(offsets[0]); // where it already is
        reader.Seek(offsets[2]);
        Assert.Equal(offsets[2], stream.Consumed);
        AssertReads(reader, 2);

        var error = Assert.Throws<NotSupportedException>(() => reader.Seek(offsets[2]));
        Assert.Contains($"offset {offsets[2]}", error.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => reader.Seek(24));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.Seek(23));

        // A refused seek leaves the reader where it was.
        AssertReads(reader, 3);

        // Past the end of a stream whose length is unknown: the reader stops at its end.
        reader.Seek(FileBytes.Length + 5000);
        Assert.Equal(FileBytes.Length, reader.Position);
        Assert.False(reader.TryReadNext(new byte[10], out _));
    }

    [Fact]
    public void AfterATruncatedRecordSeekingBackToAGoodRecordReadsAgain()
    {
        long[] offsets = Offsets();
        using var reader = new PcapReader(new MemoryStream(FileBytes, 0, FileBytes.Length - 1));
        byte[] buffer = new byte[2000];
        for (int i = 0; i < Packets.Count - 1; i++)
        {
            Assert.True(reader.TryReadNext(buffer, out _));
        }

        var error = Assert.Throws<PcapFormatException>(() => reader.TryReadNext(buffer, out _));
        Assert.Equal(offsets[^2] + 16, error.Offset);
        Assert.Equal(offsets[^2], reader.Position);

        reader.Seek(offsets[1]);
        AssertReads(reader, 1);
        AssertReads(reader, 2);

        // Reaching the cut record again fails again, at the same place.
        reader.Seek(offsets[^2]);
        Assert.Equal(error.Offset, Assert.Throws<PcapFormatException>(() => reader.TryReadNext(buffer, out _)).Offset);
    }

    [Fact]
    public void AfterACorruptRecordAForwardOnlyStreamSeeksFromWhereItReallyIs()
    {
        // Record 1's fraction is impossible: the reader fails after consuming its 16-byte header, so the stream is
        // 16 bytes further on than the reader's Position, which stays at the bad record.
        long[] offsets = Offsets();
        byte[] corrupt = (byte[])FileBytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(corrupt.AsSpan((int)offsets[1] + 4), 1_000_000);
        var stream = new ForwardOnlyStream(corrupt, 7);
        using var reader = new PcapReader(stream);
        AssertReads(reader, 0);
        byte[] buffer = new byte[2000];
        Assert.Equal(offsets[1] + 4, Assert.Throws<PcapFormatException>(() => reader.TryReadNext(buffer, out _)).Offset);
        Assert.Equal(offsets[1], reader.Position);
        Assert.Equal(offsets[1] + 16, stream.Consumed);

        // The bad record's own header has been consumed: going back to it is impossible.
        Assert.Throws<NotSupportedException>(() => reader.Seek(offsets[1]));
        Assert.Throws<PcapFormatException>(() => reader.TryReadNext(buffer, out _));

        // The next record is ahead and reads intact.
        reader.Seek(offsets[2]);
        AssertReads(reader, 2);
        AssertReads(reader, 3);
    }

    [Fact]
    public void SeekOnADisposedReaderThrows()
    {
        var reader = new PcapReader(new MemoryStream(FileBytes));
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reader.Seek(24));
    }
}
