using System.Runtime.CompilerServices;
using EdgeOS.Core.Memory;

namespace EdgeOS.Fwp.Internal;

/// <summary>
/// An instance's inbox: a bounded multi-producer, single-consumer ring of byte messages in a
/// <see cref="MemoryRegion"/> the instance owns (allocated once, kept while the instance is pooled).
/// </summary>
/// <remarks>
/// <para>
/// Layout: records <c>{int length, int reserved, payload}</c>, 8-byte aligned, at monotonically increasing positions
/// (taken modulo the power-of-two capacity). A record never wraps: when it does not fit before the end, the producer
/// writes a padding record (length -1) to the end and puts the record at the start. A record is at most half the
/// capacity, so a record that does not fit in an empty ring can never happen.
/// </para>
/// <para>
/// Ordering argument: producers are serialized by <see cref="_lock"/> (which also makes "is this incarnation still
/// open" and "write" one atomic step, so a stale handle can never put a message in a recycled instance). A producer
/// writes the record, then publishes the new <see cref="_tail"/> with a release store; the consumer reads the tail
/// with acquire before reading records, so it sees them complete. The consumer releases space by storing
/// <see cref="_head"/> with release after it finished reading; producers read the head with acquire before
/// overwriting, so they never overwrite a record still being read.
/// </para>
/// <para>
/// This is the seam where EdgeOS.Core's MPSC channel ring slots in: the runtime only uses TryWrite, TryPeek, Advance,
/// HasMessages, Open, Close and DropAll.
/// </para>
/// </remarks>
internal sealed unsafe class FwpInbox : IDisposable
{
    private const int HeaderBytes = 8;
    private const int PaddingLength = -1;

    private readonly MemoryRegion _region;
    private readonly byte* _buffer;
    private readonly int _capacity;
    private readonly int _mask;
    private readonly Lock _lock = new();

    // The id of the incarnation allowed to receive; 0 while closed.
    private long _openId;
    private long _tail;
    private long _head;
    private int _peekedRecordBytes;

    public FwpInbox(int capacityBytes, MemoryAccount account)
    {
        _capacity = capacityBytes;
        _mask = capacityBytes - 1;
        _region = MemoryRegion.Allocate(capacityBytes, new MemoryRegionOptions { Account = account, ZeroFill = false });
        _buffer = _region.DangerousPointer;
        MessageBytesMax = MessageBytesMaxFor(capacityBytes);
    }

    public int MessageBytesMax { get; }

    public int CapacityBytes => _capacity;

    /// <summary>Whether a published message waits (consumer side; a producer may publish right after).</summary>
    public bool HasMessages
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _tail) != _head;
    }

    /// <summary>Bytes in use (for diagnostics; racy).</summary>
    public long UsedBytes => Volatile.Read(ref _tail) - Volatile.Read(ref _head);

    public static int MessageBytesMaxFor(int capacityBytes) => (capacityBytes / 2) - HeaderBytes;

    /// <summary>Opens the inbox for incarnation <paramref name="id"/>. The inbox is empty (it was drained or dropped when closed).</summary>
    /// <remarks>
    /// No lock needed: no producer can hold <paramref name="id"/> yet (the handle is published after this), and a
    /// producer with an older id compares under the lock and sees 0 or the new id, never its own.
    /// </remarks>
    public void Open(long id) => Volatile.Write(ref _openId, id);

    /// <summary>Closes the inbox: once this returns no producer can add a message.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _openId = 0;
        }
    }

    /// <summary>Appends a message for incarnation <paramref name="id"/>; any thread.</summary>
    public FwpPostStatus TryWrite(long id, ReadOnlySpan<byte> message)
    {
        int recordBytes = (HeaderBytes + message.Length + 7) & ~7;
        lock (_lock)
        {
            if (_openId != id)
            {
                return FwpPostStatus.Ended;
            }

            long tail = _tail;
            long head = Volatile.Read(ref _head);
            int position = (int)(tail & _mask);
            int contiguous = _capacity - position;
            int needed = recordBytes <= contiguous ? recordBytes : contiguous + recordBytes;
            if (_capacity - (tail - head) < needed)
            {
                return FwpPostStatus.InboxFull;
            }

            if (recordBytes > contiguous)
            {
                *(int*)(_buffer + position) = PaddingLength;
                tail += contiguous;
                position = 0;
            }

            *(int*)(_buffer + position) = message.Length;
            message.CopyTo(new Span<byte>(_buffer + position + HeaderBytes, message.Length));
            Volatile.Write(ref _tail, tail + recordBytes);
            return FwpPostStatus.Posted;
        }
    }

    /// <summary>The oldest message, without removing it (consumer only). Call <see cref="Advance"/> when done with it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPeek(out ReadOnlySpan<byte> message)
    {
        long head = _head;
        if (Volatile.Read(ref _tail) == head)
        {
            message = default;
            return false;
        }

        int position = (int)(head & _mask);
        int length = *(int*)(_buffer + position);
        if (length == PaddingLength)
        {
            // Skip the padding to the start of the ring; the record after it is published too (same tail store).
            head += _capacity - position;
            Volatile.Write(ref _head, head);
            position = 0;
            length = *(int*)_buffer;
        }

        _peekedRecordBytes = (HeaderBytes + length + 7) & ~7;
        message = new ReadOnlySpan<byte>(_buffer + position + HeaderBytes, length);
        return true;
    }

    /// <summary>Removes the message returned by the last <see cref="TryPeek"/> (consumer only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance() => Volatile.Write(ref _head, _head + _peekedRecordBytes);

    /// <summary>Removes every published message and returns how many there were (consumer only, or with the inbox closed).</summary>
    public int DropAll()
    {
        int count = 0;
        while (TryPeek(out _))
        {
            Advance();
            count++;
        }

        return count;
    }

    public void Dispose() => _region.Dispose();
}
