using System.Buffers.Binary;
using EdgeOS.Net.Internal;

namespace EdgeOS.Net.Pcap;

/// <summary>
/// Reads a classic pcap file (libpcap format 2.4): microsecond or nanosecond timestamps, written in either byte
/// order, any link type. Records are copied into the caller's buffer; nothing is allocated per record.
/// </summary>
/// <remarks>
/// <para>
/// Format (facts from the tcpdump.org pcap documentation and draft-ietf-opsawg-pcap): a 24-byte file header (magic
/// 0xA1B2C3D4 for microseconds or 0xA1B23C4D for nanoseconds, read in whichever byte order makes it match, which
/// then applies to every field; version 2.4; time zone and accuracy, both ignored; snap length; link type), then
/// records of a 16-byte header (seconds, fraction, captured length, original length) and the captured bytes.
/// pcapng files are refused with a message saying so.
/// </para>
/// <para>
/// Errors: a truncated or corrupt file throws <see cref="PcapFormatException"/> with the byte offset of the bad
/// field or record (a header cut short, a bad magic or version, a captured length beyond
/// <see cref="RecordLengthBytesMax"/> or the snap length limit, a fraction of a second out of range, data cut short).
/// A clean end of file between records is not an error: <see cref="TryReadNext"/> returns <see langword="false"/>.
/// After an error the reader stays at the bad record and keeps throwing the same error.
/// </para>
/// <para>Thread-safety: one thread at a time.</para>
/// </remarks>
public sealed class PcapReader : IDisposable
{
    /// <summary>The largest captured length accepted in a record (16 MiB), whatever the snap length says.</summary>
    public const int RecordLengthBytesMax = 16 * 1024 * 1024;

    internal const uint MagicMicroseconds = 0xA1B2C3D4;
    internal const uint MagicNanoseconds = 0xA1B23C4D;
    internal const uint MagicPcapNg = 0x0A0D0D0A;
    internal const int FileHeaderBytes = 24;
    internal const int RecordHeaderBytes = 16;

    // libpcap's own ceiling on snap lengths; a record longer than this and than the file's snap length is corrupt.
    private const int SnapLengthCeilingBytes = 262_144;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _swapped;
    private readonly int _recordLimitBytes;
    private readonly long _origin;
    private long _position;
    private long _streamOffset;
    private PcapFormatException? _failure;
    private bool _disposed;

    /// <summary>
    /// Reads and checks the file header from <paramref name="stream"/>, positioned at the start of a pcap file.
    /// </summary>
    /// <param name="stream">A readable stream; seeking is not needed (only <see cref="Seek"/> backwards needs it). The
    /// file may start anywhere in the stream: offsets (<see cref="Position"/>, <see cref="PcapRecord.Offset"/>,
    /// <see cref="Seek"/>) count from the stream's position when the reader is created.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves the stream open.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException">The stream is not readable.</exception>
    /// <exception cref="PcapFormatException">The header is truncated or not a pcap 2.x header (offset of the bad field).</exception>
    /// <exception cref="IOException">Reading failed.</exception>
    public PcapReader(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        }

        _stream = stream;
        _leaveOpen = leaveOpen;
        _origin = stream.CanSeek ? stream.Position : 0;
        Span<byte> header = stackalloc byte[FileHeaderBytes];
        int read = ReadBytes(header);
        if (read < 4)
        {
            throw PcapErrors.Truncated(0, "file header", FileHeaderBytes, read);
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        switch (magic)
        {
            case MagicMicroseconds:
                Resolution = PcapTimestampResolution.Microseconds;
                break;
            case MagicNanoseconds:
                Resolution = PcapTimestampResolution.Nanoseconds;
                break;
            default:
                uint swappedMagic = BinaryPrimitives.ReverseEndianness(magic);
                if (swappedMagic == MagicMicroseconds || swappedMagic == MagicNanoseconds)
                {
                    _swapped = true;
                    Resolution = swappedMagic == MagicNanoseconds ? PcapTimestampResolution.Nanoseconds : PcapTimestampResolution.Microseconds;
                    break;
                }

                throw PcapErrors.BadMagic(magic);
        }

        if (read < FileHeaderBytes)
        {
            throw PcapErrors.Truncated(0, "file header", FileHeaderBytes, read);
        }

        IsBigEndian = _swapped == BitConverter.IsLittleEndian;
        VersionMajor = ReadUInt16(header[4..]);
        VersionMinor = ReadUInt16(header[6..]);
        if (VersionMajor != 2)
        {
            throw PcapErrors.At(4, $"unsupported pcap version {VersionMajor}.{VersionMinor}; only 2.x is read");
        }

        uint snap = ReadUInt32(header[16..]);
        SnapLengthBytes = snap > int.MaxValue ? int.MaxValue : (int)snap;
        LinkTypeValue = ReadUInt32(header[20..]);
        _recordLimitBytes = Math.Min(RecordLengthBytesMax, Math.Max(SnapLengthBytes, SnapLengthCeilingBytes));
        _position = FileHeaderBytes;
    }

    /// <summary>The unit of the timestamps' fractions.</summary>
    public PcapTimestampResolution Resolution { get; }

    /// <summary>Whether the file was written big-endian (its fields are swapped on this machine if it differs).</summary>
    public bool IsBigEndian { get; }

    /// <summary>The major format version (always 2).</summary>
    public int VersionMajor { get; }

    /// <summary>The minor format version (4 for every current writer).</summary>
    public int VersionMinor { get; }

    /// <summary>The snap length the file declares: the most bytes captured per packet.</summary>
    public int SnapLengthBytes { get; }

    /// <summary>The link type field as stored (the low 16 bits are the link type; some writers put FCS
    /// information in the upper bits).</summary>
    public uint LinkTypeValue { get; }

    /// <summary>The link-layer header type (the low 16 bits of <see cref="LinkTypeValue"/>).</summary>
    public PcapLinkType LinkType => (PcapLinkType)(LinkTypeValue & 0xFFFF);

    /// <summary>The byte offset of the next record header (24 after the file header).</summary>
    public long Position => _position;

    /// <summary>Opens the file at <paramref name="path"/> and reads its header.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>A reader that owns the file.</returns>
    /// <exception cref="PcapFormatException">The header is truncated or not a pcap 2.x header.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static PcapReader Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
        try
        {
            return new PcapReader(stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the next record into <paramref name="destination"/>. If the record is longer than the destination,
    /// the first <c>destination.Length</c> bytes are copied and the rest is skipped
    /// (<see cref="PcapRecord.CopiedLength"/> &lt; <see cref="PcapRecord.CapturedLength"/>). Cost: one copy of the
    /// record, no allocation.
    /// </summary>
    /// <param name="destination">Where the packet bytes go.</param>
    /// <param name="record">The record's header fields.</param>
    /// <returns><see langword="true"/> if a record was read; <see langword="false"/> at a clean end of file.</returns>
    /// <exception cref="PcapFormatException">The record is truncated or corrupt (offset of its header or of the
    /// missing data); the reader keeps throwing it.</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed.</exception>
    /// <exception cref="IOException">Reading failed.</exception>
    public bool TryReadNext(Span<byte> destination, out PcapRecord record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is not null)
        {
            throw _failure;
        }

        long offset = _position;
        Span<byte> header = stackalloc byte[RecordHeaderBytes];
        int read = ReadBytes(header);
        if (read == 0)
        {
            record = default;
            return false;
        }

        if (read < RecordHeaderBytes)
        {
            throw Fail(PcapErrors.Truncated(offset, "record header", RecordHeaderBytes, read));
        }

        uint seconds = ReadUInt32(header);
        uint fraction = ReadUInt32(header[4..]);
        uint captured = ReadUInt32(header[8..]);
        uint original = ReadUInt32(header[12..]);
        uint fractionLimit = Resolution == PcapTimestampResolution.Nanoseconds ? 1_000_000_000u : 1_000_000u;
        if (fraction >= fractionLimit)
        {
            throw Fail(PcapErrors.At(offset + 4, $"record timestamp fraction {fraction} is not below {fractionLimit} ({Resolution})"));
        }

        if (captured > (uint)_recordLimitBytes)
        {
            throw Fail(PcapErrors.At(offset + 8, $"record captured length {captured} exceeds the limit of {_recordLimitBytes} bytes (snap length {SnapLengthBytes})"));
        }

        int length = (int)captured;
        int copied = Math.Min(length, destination.Length);
        int got = ReadBytes(destination[..copied]);
        if (got < copied)
        {
            throw Fail(PcapErrors.Truncated(offset + RecordHeaderBytes, "record data", length, got));
        }

        int skipped = Skip(length - copied);
        if (skipped < length - copied)
        {
            throw Fail(PcapErrors.Truncated(offset + RecordHeaderBytes, "record data", length, copied + skipped));
        }

        long nanosPerFraction = Resolution == PcapTimestampResolution.Nanoseconds ? 1 : 1000;
        record = new PcapRecord
        {
            TimestampNanoseconds = (seconds * 1_000_000_000L) + (fraction * nanosPerFraction),
            CapturedLength = length,
            OriginalLength = original > int.MaxValue ? int.MaxValue : (int)original,
            CopiedLength = copied,
            Offset = offset,
        };
        _position = offset + RecordHeaderBytes + length;
        return true;
    }

    /// <summary>
    /// Moves the reader to byte <paramref name="position"/> of the file, where the next <see cref="TryReadNext"/> reads a
    /// record header. Nothing can check that a record starts there: a wrong offset reads whatever bytes are there as a
    /// record, which is refused as corrupt only where its fields are impossible. A previous read error is forgotten.
    /// </summary>
    /// <remarks>
    /// Offsets count from the start of the file (the stream's position when the reader was created), as
    /// <see cref="Position"/> and <see cref="PcapRecord.Offset"/> do. On a stream that cannot seek, the reader can only
    /// move forward, by reading and discarding; after a read error the stream is already inside the bad record, so even
    /// the bad record's own offset is behind it. If such a stream ends before <paramref name="position"/>, the reader is
    /// left at its end and the next <see cref="TryReadNext"/> returns <see langword="false"/>.
    /// </remarks>
    /// <param name="position">The byte offset: at least 24 (the end of the file header) and at most the file's length
    /// when the stream can seek.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is inside the file header or beyond the
    /// end of a seekable stream; the reader has not moved.</exception>
    /// <exception cref="NotSupportedException">The stream cannot seek and <paramref name="position"/> is behind the
    /// bytes already consumed from it; the reader has not moved.</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed.</exception>
    /// <exception cref="IOException">Seeking or reading failed.</exception>
    public void Seek(long position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(position, FileHeaderBytes);
        if (_stream.CanSeek)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(position, _stream.Length - _origin);
            _stream.Position = _origin + position;
            _streamOffset = position;
        }
        else if (position < _streamOffset)
        {
            throw new NotSupportedException(
                $"The stream cannot seek: offset {position} is behind the {_streamOffset} bytes already read from it.");
        }
        else
        {
            long remaining = position - _streamOffset;
            while (remaining > 0)
            {
                int n = Skip((int)Math.Min(remaining, int.MaxValue));
                if (n == 0)
                {
                    break;
                }

                remaining -= n;
            }

            position -= remaining;
        }

        _position = position;
        _failure = null;
    }

    /// <summary>Closes the stream unless the reader was created to leave it open. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private PcapFormatException Fail(PcapFormatException error)
    {
        _failure = error;
        return error;
    }

    private int Skip(int count)
    {
        Span<byte> scratch = stackalloc byte[512];
        int skipped = 0;
        while (skipped < count)
        {
            int n = _stream.Read(scratch[..Math.Min(scratch.Length, count - skipped)]);
            if (n == 0)
            {
                break;
            }

            skipped += n;
            _streamOffset += n;
        }

        return skipped;
    }

    // Reads until the span is full or the stream ends, counting what was consumed so that a forward-only Seek knows
    // where the stream really is (after a read error it is somewhere inside the bad record, not at _position).
    private int ReadBytes(Span<byte> destination)
    {
        int read = _stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        _streamOffset += read;
        return read;
    }

    private ushort ReadUInt16(ReadOnlySpan<byte> bytes)
    {
        ushort value = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        return _swapped ? BinaryPrimitives.ReverseEndianness(value) : value;
    }

    private uint ReadUInt32(ReadOnlySpan<byte> bytes)
    {
        uint value = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        return _swapped ? BinaryPrimitives.ReverseEndianness(value) : value;
    }
}
