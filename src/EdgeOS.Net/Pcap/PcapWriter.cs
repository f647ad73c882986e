using System.Buffers.Binary;

namespace EdgeOS.Net.Pcap;

/// <summary>
/// Writes a classic pcap file (format 2.4, little-endian) with microsecond or nanosecond timestamps, readable by
/// tcpdump, Wireshark and <see cref="PcapReader"/>. Nothing is allocated per record.
/// </summary>
/// <remarks>Thread-safety: one thread at a time. Records go through the stream's buffering; call
/// <see cref="Flush"/> to push them to the file.</remarks>
public sealed class PcapWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private bool _disposed;

    /// <summary>Writes the file header to <paramref name="stream"/> at once.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="options">The header; <see langword="null"/> for Ethernet, 262144 bytes, microseconds.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves the stream open.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException">The stream is not writable.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The snap length or the resolution is out of range.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public PcapWriter(Stream stream, PcapWriterOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }

        options ??= new PcapWriterOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SnapLengthBytes, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.SnapLengthBytes, PcapReader.RecordLengthBytesMax, nameof(options));
        if (options.Resolution is not (PcapTimestampResolution.Microseconds or PcapTimestampResolution.Nanoseconds))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Resolution, "Unknown timestamp resolution.");
        }

        _stream = stream;
        _leaveOpen = leaveOpen;
        SnapLengthBytes = options.SnapLengthBytes;
        Resolution = options.Resolution;
        LinkType = options.LinkType;

        Span<byte> header = stackalloc byte[PcapReader.FileHeaderBytes];
        uint magic = Resolution == PcapTimestampResolution.Nanoseconds ? PcapReader.MagicNanoseconds : PcapReader.MagicMicroseconds;
        BinaryPrimitives.WriteUInt32LittleEndian(header, magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);   // thiszone: timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);  // sigfigs: unused by every reader
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)SnapLengthBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)LinkType);
        stream.Write(header);
        BytesWritten = PcapReader.FileHeaderBytes;
    }

    /// <summary>The snap length in the header: longer packets are truncated.</summary>
    public int SnapLengthBytes { get; }

    /// <summary>The timestamp unit in the file.</summary>
    public PcapTimestampResolution Resolution { get; }

    /// <summary>The link type in the header.</summary>
    public PcapLinkType LinkType { get; }

    /// <summary>The number of records written.</summary>
    public long RecordCount { get; private set; }

    /// <summary>The number of bytes written, file header included.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Creates (or truncates) the file at <paramref name="path"/> and writes the header.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="options">The header; <see langword="null"/> for the defaults.</param>
    /// <returns>A writer that owns the file.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="IOException">The file cannot be created or written.</exception>
    public static PcapWriter Create(string path, PcapWriterOptions? options = null)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024);
        try
        {
            return new PcapWriter(stream, options);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Appends one record: the first <see cref="SnapLengthBytes"/> bytes of <paramref name="packet"/>. In a
    /// microsecond file the timestamp is truncated to the microsecond. Cost: one 16-byte header and the data
    /// through the stream; no allocation.
    /// </summary>
    /// <param name="packet">The packet bytes as captured.</param>
    /// <param name="timestampNanoseconds">Nanoseconds since the Unix epoch, 0 to 2^32 seconds.</param>
    /// <param name="originalLength">The length on the wire; -1 for <c>packet.Length</c>. Never less than the stored length.</param>
    /// <exception cref="ArgumentOutOfRangeException">The timestamp is outside the pcap range, or the original length is
    /// less than the stored bytes; nothing is written.</exception>
    /// <exception cref="ObjectDisposedException">The writer was disposed.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public void Write(ReadOnlySpan<byte> packet, long timestampNanoseconds, int originalLength = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(timestampNanoseconds);
        long seconds = timestampNanoseconds / 1_000_000_000L;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seconds, uint.MaxValue, nameof(timestampNanoseconds));
        long nanos = timestampNanoseconds % 1_000_000_000L;
        int stored = Math.Min(packet.Length, SnapLengthBytes);
        int wire = originalLength < 0 ? packet.Length : originalLength;
        ArgumentOutOfRangeException.ThrowIfLessThan(wire, stored, nameof(originalLength));

        Span<byte> header = stackalloc byte[PcapReader.RecordHeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(Resolution == PcapTimestampResolution.Nanoseconds ? nanos : nanos / 1000));
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)stored);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)wire);
        _stream.Write(header);
        _stream.Write(packet[..stored]);
        RecordCount++;
        BytesWritten += PcapReader.RecordHeaderBytes + stored;
    }

    /// <summary>Pushes buffered records to the underlying stream and its device.</summary>
    /// <exception cref="ObjectDisposedException">The writer was disposed.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _stream.Flush();
    }

    /// <summary>Flushes and closes the stream (unless created to leave it open). Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_leaveOpen)
        {
            _stream.Flush();
        }
        else
        {
            _stream.Dispose();
        }
    }
}
