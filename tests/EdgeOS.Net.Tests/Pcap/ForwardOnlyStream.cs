namespace EdgeOS.Net.Tests.Pcap;

/// <summary>
/// A stream that can only be read forward, as a pipe is, giving at most <paramref name="chunk"/> bytes per read (short
/// reads), and counting the bytes read from it.
/// </summary>
internal sealed class ForwardOnlyStream(byte[] data, int chunk) : Stream
{
    private readonly MemoryStream _inner = new(data, writable: false);

    /// <summary>Bytes read so far.</summary>
    public long Consumed => _inner.Position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, chunk));

    public override int Read(Span<byte> buffer) => _inner.Read(buffer[..Math.Min(buffer.Length, chunk)]);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
