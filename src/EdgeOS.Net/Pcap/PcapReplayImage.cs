using System.Globalization;

namespace EdgeOS.Net.Pcap;

/// <summary>
/// A pcap file read into memory once for a looping replay (<see cref="PcapPort.LoadReplay(string, PcapPortOptions?)"/>):
/// the file's bytes as they are, and a table of the deliverable records (offset of the packet data, length,
/// timestamp) computed at load, so replaying a record is one table read and one copy.
/// </summary>
internal sealed class PcapReplayImage
{
    private PcapReplayImage(byte[] data, PcapReplayRecord[] records, int oversizeRecords, PcapReader header)
    {
        Data = data;
        Records = records;
        OversizeRecords = oversizeRecords;
        Header = header;
    }

    /// <summary>
    /// Bytes after the file's end in <see cref="Data"/>: a record of up to this length is copied as one fixed-size
    /// block (a few vector moves, no call), which may read past its end but never past the array.
    /// </summary>
    public const int TailPaddingBytes = 64;

    /// <summary>The file's bytes (header, record headers and packet data), followed by at least
    /// <see cref="TailPaddingBytes"/> unused bytes.</summary>
    public byte[] Data { get; }

    /// <summary>The records that fit in a frame, in file order.</summary>
    public PcapReplayRecord[] Records { get; }

    /// <summary>Records longer than a frame: left out of <see cref="Records"/>, counted as dropped once per pass.</summary>
    public int OversizeRecords { get; }

    /// <summary>The reader that checked the file (its header fields; it is at the end of the file).</summary>
    public PcapReader Header { get; }

    /// <summary>
    /// Reads <paramref name="stream"/> to its end and checks every record. Throws <see cref="PcapFormatException"/>
    /// (offset of the bad field) for a truncated or corrupt file, and <see cref="ArgumentException"/> for a file
    /// larger than <see cref="PcapPort.LoadedReplayBytesMax"/>.
    /// </summary>
    public static PcapReplayImage Load(Stream stream, int frameCapacityBytes, string parameterName)
    {
        (byte[] data, int length) = ReadAll(stream, parameterName);
        var reader = new PcapReader(new MemoryStream(data, 0, length, writable: false));
        var records = new List<PcapReplayRecord>(Math.Min(length / (PcapReader.RecordHeaderBytes + 60) + 1, 1 << 20));
        int oversize = 0;

        // An empty destination: the reader checks and skips each record's data without copying it.
        while (reader.TryReadNext(Span<byte>.Empty, out PcapRecord record))
        {
            if (record.CapturedLength > frameCapacityBytes)
            {
                oversize++;
                continue;
            }

            records.Add(new PcapReplayRecord(record.TimestampNanoseconds, (int)record.Offset + PcapReader.RecordHeaderBytes, record.CapturedLength));
        }

        return new PcapReplayImage(data, [.. records], oversize, reader);
    }

    private static (byte[] Data, int Length) ReadAll(Stream stream, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(stream, parameterName);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable.", parameterName);
        }

        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining > PcapPort.LoadedReplayBytesMax)
            {
                throw TooLarge(remaining, parameterName);
            }

            byte[] exact = new byte[(int)Math.Max(remaining, 0) + TailPaddingBytes];
            int wanted = exact.Length - TailPaddingBytes;
            int read = stream.ReadAtLeast(exact.AsSpan(0, wanted), wanted, throwOnEndOfStream: false);

            // A stream that grew meanwhile is read to its end too, with the same limit.
            if (read == wanted && stream.Position < stream.Length)
            {
                return Padded(ReadRest(stream, exact, read, parameterName));
            }

            return (exact, read);
        }

        return Padded(ReadRest(stream, new byte[64 * 1024], 0, parameterName));
    }

    private static (byte[] Data, int Length) Padded((byte[] Data, int Length) read)
    {
        byte[] data = read.Data;
        if (data.Length - read.Length < TailPaddingBytes)
        {
            Array.Resize(ref data, read.Length + TailPaddingBytes);
        }

        return (data, read.Length);
    }

    private static (byte[] Data, int Length) ReadRest(Stream stream, byte[] buffer, int length, string parameterName)
    {
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length == PcapPort.LoadedReplayBytesMax)
                {
                    return stream.ReadByte() < 0 ? (buffer, length) : throw TooLarge(length + 1L, parameterName);
                }

                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, PcapPort.LoadedReplayBytesMax));
            }

            int n = stream.Read(buffer, length, buffer.Length - length);
            if (n == 0)
            {
                return (buffer, length);
            }

            length += n;
        }
    }

    private static ArgumentException TooLarge(long bytes, string parameterName) => new(
        string.Create(CultureInfo.InvariantCulture,
            $"The pcap file holds at least {bytes} bytes; a loaded replay holds at most {PcapPort.LoadedReplayBytesMax} (PcapPort.LoadedReplayBytesMax). Replay a larger file with PcapPort.OpenReplay (streaming, one pass)."),
        parameterName);
}

/// <summary>One deliverable record of a <see cref="PcapReplayImage"/>: where its packet data starts in the file, its
/// length and its timestamp (16 bytes, so four records share a cache line).</summary>
internal readonly struct PcapReplayRecord(long timestampNanoseconds, int dataOffset, int length)
{
    public readonly long TimestampNanoseconds = timestampNanoseconds;
    public readonly int DataOffset = dataOffset;
    public readonly int Length = length;
}
