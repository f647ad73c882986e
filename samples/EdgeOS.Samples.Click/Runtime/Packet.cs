using System.Runtime.CompilerServices;

namespace EdgeOS.Samples.Click.Runtime;

/// <summary>
/// A packet as Click's elements see it: data with headroom before and tailroom after, in a buffer owned by a
/// <see cref="PacketPool"/>, plus annotations. One router (one thread) owns a pool, so packets move without
/// locks and are recycled, never allocated, on the packet path.
/// </summary>
internal sealed class Packet
{
    private byte[] _buffer;
    private int _dataOffset;
    private int _length;

    internal Packet(PacketPool pool, int bufferSizeBytes)
    {
        Pool = pool;
        _buffer = new byte[bufferSizeBytes];
    }

    /// <summary>The pool this packet returns to when killed.</summary>
    public PacketPool Pool { get; }

    /// <summary>Whether the packet is in its pool (a killed packet must not be used).</summary>
    internal bool IsFree { get; set; }

    /// <summary>The whole buffer (headroom, data, tailroom).</summary>
    public byte[] Buffer => _buffer;

    /// <summary>Offset of the first data byte in <see cref="Buffer"/> (the headroom).</summary>
    public int HeadroomBytes => _dataOffset;

    /// <summary>Bytes after the data.</summary>
    public int TailroomBytes => _buffer.Length - _dataOffset - _length;

    /// <summary>Data length in bytes.</summary>
    public int Length => _length;

    /// <summary>The packet data.</summary>
    public Span<byte> Data
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(_buffer, _dataOffset, _length);
    }

    /// <summary>Offset of the network header from the start of the buffer, or -1 (Click's network header annotation).</summary>
    public int NetworkHeaderOffset { get; set; } = -1;

    /// <summary>Offset of the transport header from the start of the buffer, or -1.</summary>
    public int TransportHeaderOffset { get; set; } = -1;

    /// <summary>Whether the network header annotation is set.</summary>
    public bool HasNetworkHeader => NetworkHeaderOffset >= 0;

    /// <summary>Network header offset relative to the data start (negative when the header lies in the headroom).</summary>
    public int NetworkHeaderDataOffset => NetworkHeaderOffset - _dataOffset;

    /// <summary>Transport header offset relative to the data start.</summary>
    public int TransportHeaderDataOffset => TransportHeaderOffset - _dataOffset;

    /// <summary>The network header and what follows it up to the data end (empty when unset or beyond the data).</summary>
    public Span<byte> NetworkHeader => NetworkHeaderOffset >= 0 && NetworkHeaderOffset <= _dataOffset + _length
        ? new Span<byte>(_buffer, NetworkHeaderOffset, _dataOffset + _length - NetworkHeaderOffset)
        : Span<byte>.Empty;

    /// <summary>The transport header and what follows it up to the data end.</summary>
    public Span<byte> TransportHeader => TransportHeaderOffset >= 0 && TransportHeaderOffset <= _dataOffset + _length
        ? new Span<byte>(_buffer, TransportHeaderOffset, _dataOffset + _length - TransportHeaderOffset)
        : Span<byte>.Empty;

    /// <summary>Paint annotation (Paint, PaintSwitch, CheckPaint).</summary>
    public byte Paint { get; set; }

    /// <summary>Timestamp annotation, nanoseconds since the Unix epoch (0 = unset).</summary>
    public long TimestampNanoseconds { get; set; }

    /// <summary>VLAN TCI annotation (SetVLANAnno, VLANEncap, VLANDecap).</summary>
    public ushort VlanTci { get; set; }

    /// <summary>Destination IP annotation, the address bytes a.b.c.d as a big-endian number.</summary>
    public uint DestinationIPAnnotation { get; set; }

    /// <summary>Packet type annotation (HOST=0, BROADCAST=1, MULTICAST=2, OTHERHOST=3, OUTGOING=4).</summary>
    public byte PacketType { get; set; }

    /// <summary>Click's user annotation bytes (AGGREGATE, FIX_IP_SRC and friends live here in Click).</summary>
    public ulong UserAnnotation { get; set; }

    /// <summary>Click's extra length annotation: bytes the packet had on the wire beyond its data (a dump's snap length cut them).</summary>
    public uint ExtraLengthAnnotation { get; set; }

    /// <summary>Sets the network header to the data offset <paramref name="dataOffset"/> and the transport header <paramref name="headerLength"/> bytes after it.</summary>
    public void SetNetworkHeader(int dataOffset, int headerLength)
    {
        NetworkHeaderOffset = _dataOffset + dataOffset;
        TransportHeaderOffset = NetworkHeaderOffset + headerLength;
    }

    /// <summary>Removes <paramref name="bytes"/> from the front of the data.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Pull(int bytes)
    {
        if ((uint)bytes > (uint)_length)
        {
            bytes = _length;
        }

        _dataOffset += bytes;
        _length -= bytes;
    }

    /// <summary>Adds <paramref name="bytes"/> in front of the data (content unspecified), growing the buffer when the headroom is short.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(int bytes)
    {
        if (bytes > _dataOffset)
        {
            Grow(bytes, 0);
        }

        _dataOffset -= bytes;
        _length += bytes;
    }

    /// <summary>Adds <paramref name="bytes"/> after the data (content unspecified), growing the buffer when the tailroom is short.</summary>
    public void Put(int bytes)
    {
        if (bytes > TailroomBytes)
        {
            Grow(0, bytes);
        }

        _length += bytes;
    }

    /// <summary>Removes <paramref name="bytes"/> from the end of the data.</summary>
    public void Take(int bytes)
    {
        if ((uint)bytes > (uint)_length)
        {
            bytes = _length;
        }

        _length -= bytes;
    }

    /// <summary>Returns the packet to its pool; it must not be used afterwards.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Kill() => Pool.Return(this);

    /// <summary>A copy of this packet (data and annotations) from the same pool.</summary>
    public Packet Clone()
    {
        Packet p = Pool.Allocate(_length, _dataOffset);
        Data.CopyTo(p.Data);
        p.CopyAnnotations(this);
        return p;
    }

    /// <summary>Copies every annotation of <paramref name="other"/>, header offsets adjusted to this buffer.</summary>
    public void CopyAnnotations(Packet other)
    {
        NetworkHeaderOffset = other.NetworkHeaderOffset < 0 ? -1 : other.NetworkHeaderOffset - other._dataOffset + _dataOffset;
        TransportHeaderOffset = other.TransportHeaderOffset < 0 ? -1 : other.TransportHeaderOffset - other._dataOffset + _dataOffset;
        Paint = other.Paint;
        TimestampNanoseconds = other.TimestampNanoseconds;
        VlanTci = other.VlanTci;
        DestinationIPAnnotation = other.DestinationIPAnnotation;
        PacketType = other.PacketType;
        UserAnnotation = other.UserAnnotation;
        ExtraLengthAnnotation = other.ExtraLengthAnnotation;
    }

    internal void Reset(int length, int headroom)
    {
        if (headroom + length > _buffer.Length)
        {
            _buffer = new byte[headroom + length + PacketPool.DefaultTailroomBytes];
        }

        _dataOffset = headroom;
        _length = length;
        NetworkHeaderOffset = -1;
        TransportHeaderOffset = -1;
        Paint = 0;
        TimestampNanoseconds = 0;
        VlanTci = 0;
        DestinationIPAnnotation = 0;
        PacketType = 0;
        UserAnnotation = 0;
        ExtraLengthAnnotation = 0;
    }

    // Rare: only when an encapsulation needs more than the default headroom or a Pad/Put more than the tailroom.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int front, int back)
    {
        int newHeadroom = Math.Max(_dataOffset, front + PacketPool.DefaultHeadroomBytes);
        int newSize = newHeadroom + _length + Math.Max(TailroomBytes, back) + PacketPool.DefaultTailroomBytes;
        byte[] buffer = new byte[newSize];
        Array.Copy(_buffer, _dataOffset, buffer, newHeadroom, _length);
        int shift = newHeadroom - _dataOffset;
        if (NetworkHeaderOffset >= 0)
        {
            NetworkHeaderOffset += shift;
        }

        if (TransportHeaderOffset >= 0)
        {
            TransportHeaderOffset += shift;
        }

        _buffer = buffer;
        _dataOffset = newHeadroom;
    }
}

/// <summary>
/// Packets of one router, recycled: <see cref="Allocate"/> takes a free packet (or makes one the first time the
/// pool runs dry), <see cref="Packet.Kill"/> gives it back. Single-threaded by design (one router, one thread).
/// </summary>
internal sealed class PacketPool
{
    /// <summary>Headroom of a fresh packet, enough for Ethernet + VLAN + IP + UDP encapsulation.</summary>
    public const int DefaultHeadroomBytes = 64;

    /// <summary>Tailroom kept after the data of a fresh packet.</summary>
    public const int DefaultTailroomBytes = 64;

    /// <summary>Buffer size of pooled packets; larger packets get a larger buffer that the pool then keeps.</summary>
    public const int BufferSizeBytes = 2048;

    /// <summary>Free packets kept at most; more returned packets are dropped for the GC.</summary>
    public const int FreePacketsMax = 1 << 16;

    private Packet[] _free = new Packet[256];
    private int _freeCount;

    /// <summary>Packets handed out and not yet returned (a leak check for tests).</summary>
    public long Outstanding { get; private set; }

    /// <summary>Packets ever created by this pool.</summary>
    public long Created { get; private set; }

    /// <summary>A packet with <paramref name="length"/> data bytes (content unspecified) after <paramref name="headroom"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Packet Allocate(int length, int headroom = DefaultHeadroomBytes)
    {
        Packet p = _freeCount > 0 ? _free[--_freeCount] : Create();
        p.IsFree = false;
        p.Reset(length, headroom);
        Outstanding++;
        return p;
    }

    /// <summary>A packet holding a copy of <paramref name="data"/>.</summary>
    public Packet Make(ReadOnlySpan<byte> data, int headroom = DefaultHeadroomBytes)
    {
        Packet p = Allocate(data.Length, headroom);
        data.CopyTo(p.Data);
        return p;
    }

    /// <summary>Pre-creates free packets so the first packets of a run allocate nothing.</summary>
    public void Reserve(int count)
    {
        while (_freeCount < count && _freeCount < FreePacketsMax)
        {
            Packet p = Create();
            p.IsFree = true;
            Push(p);
        }
    }

    internal void Return(Packet p)
    {
        if (p.IsFree)
        {
            ThrowDoubleKill();
        }

        p.IsFree = true;
        Outstanding--;
        if (_freeCount < FreePacketsMax)
        {
            Push(p);
        }
    }

    private void Push(Packet p)
    {
        if (_freeCount == _free.Length)
        {
            Array.Resize(ref _free, _free.Length * 2);
        }

        _free[_freeCount++] = p;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Packet Create()
    {
        Created++;
        return new Packet(this, BufferSizeBytes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDoubleKill() => throw new InvalidOperationException("packet killed twice");
}
