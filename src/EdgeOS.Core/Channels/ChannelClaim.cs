using System.Runtime.CompilerServices;

namespace EdgeOS.Core.Channels;

/// <summary>
/// Space claimed in a byte ring by <see cref="ByteRing.TryClaim(int, int, out ChannelClaim)"/>: write the payload into
/// <see cref="Span"/>, then call <see cref="Commit"/> (publish) or <see cref="Abort"/> (turn it into padding) exactly
/// once. Until then the consumer stops at this record (records claimed after it wait behind it).
/// </summary>
/// <remarks>A value type: claiming allocates nothing. Copies share the same space; commit or abort only one of them.</remarks>
public readonly unsafe struct ChannelClaim
{
    private readonly ByteRing? _ring;
    private readonly byte* _record;
    private readonly int _recordLength;
    private readonly int _type;

    internal ChannelClaim(ByteRing ring, byte* record, int recordLength, int type)
    {
        _ring = ring;
        _record = record;
        _recordLength = recordLength;
        _type = type;
    }

    /// <summary>The payload space to fill (exactly the claimed length).</summary>
    public Span<byte> Span => new(_record + Internal.ChannelDescriptor.RecordHeaderBytes, _recordLength - Internal.ChannelDescriptor.RecordHeaderBytes);

    /// <summary>The claimed payload length in bytes.</summary>
    public int Length => _recordLength - Internal.ChannelDescriptor.RecordHeaderBytes;

    /// <summary>The message type the record will carry.</summary>
    public int Type => _type;

    /// <summary>Whether this claim came from a successful <c>TryClaim</c> (a default instance did not).</summary>
    public bool IsValid => _ring is not null;

    /// <summary>
    /// Publishes the record: one 64-bit release store of length and type, the producer's counters, and a wake-up
    /// check (a full fence and a load; a system call only when the consumer is parked).
    /// </summary>
    /// <exception cref="InvalidOperationException">This is a default (never claimed) instance.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Commit()
    {
        ByteRing ring = _ring ?? ThrowInvalid();
        ring.Publish(_record, _recordLength, _type);
    }

    /// <summary>Gives the space back: the record becomes padding that the consumer skips. Nothing is delivered.</summary>
    /// <exception cref="InvalidOperationException">This is a default (never claimed) instance.</exception>
    public void Abort()
    {
        ByteRing ring = _ring ?? ThrowInvalid();
        ring.AbortClaim(_record, _recordLength);
    }

    private static ByteRing ThrowInvalid() => throw new InvalidOperationException("This ChannelClaim does not hold a claimed record.");
}
