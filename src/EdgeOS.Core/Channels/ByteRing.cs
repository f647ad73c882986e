using System.Runtime.CompilerServices;
using EdgeOS.Core.Channels.Internal;
using EdgeOS.Core.Memory;
using static EdgeOS.Core.Channels.Internal.ChannelDescriptor;

namespace EdgeOS.Core.Channels;

/// <summary>
/// A ring of variable-length byte messages in a <see cref="MemoryRegion"/> (threads) or in the data area of a
/// <see cref="SharedMemoryRegion"/> (processes): the members common to <see cref="SpscByteRing"/> and
/// <see cref="MpscByteRing"/>. Layout and record format: see the remarks.
/// </summary>
/// <remarks>
/// <para>
/// The ring is a 2048-byte header followed by a power-of-two data area. Records are 8-byte aligned; each starts
/// with a 64-bit word holding its length (8 + payload) and type, published last with release semantics, so the
/// consumer never sees a record before its bytes. A record never crosses the end of the data area: the producer
/// fills the end with a padding record instead. The consumer zeroes what it consumed and advances its head once
/// per batch. The largest payload is <see cref="MessageLengthMax"/>: an eighth of the capacity minus the header.
/// </para>
/// <para>
/// Threading: one consumer at a time (the consumer methods are not thread-safe among themselves); producer methods
/// follow the variant (one producer for <see cref="SpscByteRing"/>; one per ring object for
/// <see cref="MpscByteRing"/>, each object being one producer). Producer and consumer may run concurrently on
/// different threads or in different processes.
/// </para>
/// <para>
/// Lifetime: the ring does not own its region. Dispose the ring before the region; using a ring whose region was
/// disposed touches unmapped memory. Disposing detaches this object's identities cleanly (peers see
/// <see cref="ChannelPeerStatus.Detached"/>).
/// </para>
/// <para>
/// Dead peers: a consumer that finds a record claimed by a producer whose process died (pid gone or reused, or
/// heartbeat older than <see cref="ChannelOptions.PeerTimeout"/> where pids cannot be checked) turns it into padding
/// after <see cref="ChannelOptions.PeerTimeout"/> and counts it in <see cref="SkippedRecords"/>; a half-written
/// record is never delivered. A producer waiting for space whose consumer died gets
/// <see cref="ChannelPeerDeadException"/>.
/// </para>
/// </remarks>
public abstract unsafe partial class ByteRing : IDisposable, IChannelWaitTarget
{
    private const int HeartbeatEveryMessagesLog2 = 12;

    private readonly ChannelControl _control;

    internal ChannelControl Control => _control;
    private readonly byte* _data;
    private readonly long* _head;
    private readonly long* _tail;
    private readonly long* _headCache;
    private readonly byte* _slot;
    private readonly int _capacity;
    private readonly long _mask;
    private readonly int _messageLengthMax;
    private readonly int _recordLengthMax;
    private readonly bool _multiProducer;
    private readonly long _markerTypeBits;

    // Consumer-private state for records that block the head. It lives in a padded block of its own: when one ring
    // object serves both sides (producer thread and consumer thread), a consumer store next to the fields the
    // producer reads on every claim (_data, _tail, _slot, ...) would bounce that cache line on every message.
    private BlockedState _blocked = new() { Position = -1 };
    private MemoryRegion? _copyBuffer;

    // Producer-private state for the full path.
    private long _lastConsumerCheckNanoseconds;

    private protected ByteRing(MemoryRegion region, byte* header, ChannelKind kind, ChannelEndpoints endpoints, ChannelOptions options)
    {
        int capacity = (int)*(uint*)(header + CapacityOffset);
        int producerSlots = (int)*(uint*)(header + ProducerSlotCountOffset);
        _control = new ChannelControl(region, header, kind, options, producerSlots);
        _data = header + HeaderSizeBytes;
        _head = (long*)(header + HeadOffset);
        _tail = (long*)(header + TailOffset);
        _headCache = (long*)(header + HeadCacheOffset);
        _capacity = capacity;
        _mask = capacity - 1;
        _messageLengthMax = ChannelDescriptor.MessageLengthMax(capacity);
        _recordLengthMax = RecordLengthMax(capacity);
        _multiProducer = kind == ChannelKind.MpscBytes;
        try
        {
            if ((endpoints & ChannelEndpoints.Consumer) != 0)
            {
                _control.RegisterConsumer();
            }

            if ((endpoints & ChannelEndpoints.Producer) != 0)
            {
                _control.RegisterProducer();
                _slot = _control.ProducerLine(_control.ProducerSlot);

                // The in-progress marker's type names the slot (low 3 bits) and the registration epoch (the rest),
                // so a consumer can tell the claimant from a later owner of the same slot.
                _markerTypeBits = ((_control.ProducerEpoch & 0x0FFF_FFFF) << 3) | (long)_control.ProducerSlot;
            }
        }
        catch
        {
            _control.Dispose();
            throw;
        }

        _control.Start();
    }

    /// <summary>The size of the ring header that precedes the data area.</summary>
    public const int HeaderSizeBytes = ChannelDescriptor.HeaderSizeBytes;

    /// <summary>The smallest data capacity a byte ring accepts.</summary>
    public const int CapacityBytesMin = ChannelDescriptor.CapacityBytesMin;

    /// <summary>The largest data capacity a byte ring accepts (1 GiB).</summary>
    public const int CapacityBytesMax = ChannelDescriptor.CapacityBytesMax;

    /// <summary>The name from the options (diagnostics and metrics).</summary>
    public string Name => _control.Name;

    /// <summary>The size of the data area in bytes (a power of two).</summary>
    public int CapacityBytes => _capacity;

    /// <summary>The largest payload a message may have: capacity / 8 - 8 bytes.</summary>
    public int MessageLengthMax => _messageLengthMax;

    /// <summary>How many producer slots the header has (1 for SPSC, up to 8 for MPSC).</summary>
    public int ProducerSlotCount => _control.ProducerSlotCount;

    /// <summary>The producer slot this object holds, or -1 when it is not a producer.</summary>
    public int ProducerSlot => _control.ProducerSlot;

    /// <summary>Whether this object is the consumer.</summary>
    public bool IsConsumer => _control.IsConsumer;

    /// <summary>Messages committed by all producers since the ring was created (header counters).</summary>
    public long MessagesWritten => _control.SumProducerField(SlotMessagesOffset);

    /// <summary>Payload bytes committed by all producers.</summary>
    public long BytesWritten => _control.SumProducerField(SlotBytesOffset);

    /// <summary>Messages delivered to the consumer.</summary>
    public long MessagesRead => _control.ReadField(MessagesReadOffset);

    /// <summary>Payload bytes delivered to the consumer.</summary>
    public long BytesRead => _control.ReadField(BytesReadOffset);

    /// <summary>Claims refused because the ring was full (all producers).</summary>
    public long FullEvents => _control.SumProducerField(SlotFullEventsOffset);

    /// <summary>Consumer waits that found the ring empty and had to park.</summary>
    public long EmptyEvents => _control.ReadField(EmptyEventsOffset);

    /// <summary>Records claimed by dead producers that the consumer skipped (never delivered).</summary>
    public long SkippedRecords => _control.ReadField(SkippedRecordsOffset);

    /// <summary>Bytes claimed and not yet consumed (records, padding and claims in progress).</summary>
    public long DepthBytes => _control.Depth;

    /// <summary>Whether <see cref="Dispose"/> was called.</summary>
    public bool IsDisposed => _control.IsDisposed;

    /// <summary>The bytes a ring of <paramref name="capacityBytes"/> needs in its region: header plus data area.</summary>
    /// <param name="capacityBytes">The data capacity.</param>
    /// <exception cref="ArgumentOutOfRangeException">The capacity is not a power of two in range.</exception>
    public static long RequiredBytes(int capacityBytes)
    {
        ChannelSetup.CheckCapacity(nameof(capacityBytes), capacityBytes, CapacityBytesMin, CapacityBytesMax);
        return (long)ChannelDescriptor.HeaderSizeBytes + capacityBytes;
    }

    /// <summary>What the header says about the consumer, checked against the operating system (slow: may read /proc).</summary>
    public ChannelPeerInfo GetConsumerInfo() => _control.ReadPeer(_control.ConsumerLine);

    /// <summary>What the header says about producer slot <paramref name="slot"/>, checked against the operating system.</summary>
    /// <param name="slot">A slot index below <see cref="ProducerSlotCount"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">No such slot.</exception>
    public ChannelPeerInfo GetProducerInfo(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, _control.ProducerSlotCount);
        return _control.ReadPeer(_control.ProducerLine(slot));
    }

    // ---- producer ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Claims space for a message of <paramref name="length"/> bytes and type <paramref name="type"/> without
    /// waiting. Write the payload into <see cref="ChannelClaim.Span"/>, then commit or abort. Costs a few loads and
    /// stores (SPSC) or one atomic add on the tail (MPSC); reads the consumer's head only when the cached view says
    /// full. Allocates nothing.
    /// </summary>
    /// <param name="length">The payload length, 0 to <see cref="MessageLengthMax"/>.</param>
    /// <param name="type">The message type, non-negative.</param>
    /// <param name="claim">The claimed space when the method returns <see langword="true"/>.</param>
    /// <returns><see langword="false"/> when the ring is full (nothing was claimed).</returns>
    /// <remarks>
    /// MPSC: when producers race past the free space (rare: each checks a cached head first), the late one waits
    /// inside this call for the consumer to free space instead of failing (its claim is already ordered).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The length is negative or above <see cref="MessageLengthMax"/>, or the type is negative; nothing was claimed.</exception>
    /// <exception cref="InvalidOperationException">This object is not a producer.</exception>
    /// <exception cref="ChannelPeerDeadException">The ring is full and its consumer died or detached.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryClaim(int length, int type, out ChannelClaim claim)
    {
        if ((uint)length > (uint)_messageLengthMax)
        {
            ChannelThrowHelper.ThrowMessageTooLarge(length, _messageLengthMax);
        }

        if (type < 0)
        {
            ChannelThrowHelper.ThrowNegativeType(type);
        }

        if (_slot == null)
        {
            ChannelThrowHelper.ThrowNotEndpoint(_control.Name, "producer");
        }

        byte* record = _multiProducer ? ClaimMulti(length + RecordHeaderBytes) : ClaimSingle(length + RecordHeaderBytes);
        if (record == null)
        {
            claim = default;
            return false;
        }

        claim = new ChannelClaim(this, record, length + RecordHeaderBytes, type);
        return true;
    }

    /// <summary>Copies <paramref name="message"/> into the ring as one record without waiting (claim, copy, commit).</summary>
    /// <param name="type">The message type, non-negative.</param>
    /// <param name="message">The payload, at most <see cref="MessageLengthMax"/> bytes.</param>
    /// <returns><see langword="false"/> when the ring is full (nothing was written).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The message is too large or the type negative; nothing was written.</exception>
    /// <exception cref="InvalidOperationException">This object is not a producer.</exception>
    /// <exception cref="ChannelPeerDeadException">The ring is full and its consumer died or detached.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(int type, ReadOnlySpan<byte> message)
    {
        if (!TryClaim(message.Length, type, out ChannelClaim claim))
        {
            return false;
        }

        message.CopyTo(claim.Span);
        claim.Commit();
        return true;
    }

    /// <summary>
    /// Copies <paramref name="message"/> into the ring, waiting for space (spin, yield, then park on a futex) at
    /// most <paramref name="timeout"/>.
    /// </summary>
    /// <param name="type">The message type, non-negative.</param>
    /// <param name="message">The payload, at most <see cref="MessageLengthMax"/> bytes.</param>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="cancellationToken">Cancels the wait (wakes a parked producer).</param>
    /// <returns><see langword="false"/> on timeout (nothing was written).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The message is too large or the type negative; nothing was written.</exception>
    /// <exception cref="InvalidOperationException">This object is not a producer.</exception>
    /// <exception cref="ChannelPeerDeadException">The consumer died or detached while the ring was full.</exception>
    /// <exception cref="OperationCanceledException">The token was canceled; nothing was written.</exception>
    public bool Write(int type, ReadOnlySpan<byte> message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        long timeoutNanoseconds = ToNanoseconds(timeout);
        long start = PeerLiveness.NowNanoseconds();
        while (!TryWrite(type, message))
        {
            long remaining = timeoutNanoseconds < 0 ? -1 : timeoutNanoseconds - (PeerLiveness.NowNanoseconds() - start);
            if (timeoutNanoseconds >= 0 && remaining <= 0)
            {
                return false;
            }

            if (!_control.WaitProducer(this, message.Length + RecordHeaderBytes, remaining, cancellationToken))
            {
                return false;
            }
        }

        return true;
    }

    // ---- consumer ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Delivers up to <paramref name="messageLimit"/> available messages to <paramref name="handler"/> and releases
    /// their space with one head update for the whole batch. Never waits. Allocates nothing (in
    /// <see cref="ChannelDeliveryMode.Copy"/>, the private copy buffer is allocated once, on first use).
    /// </summary>
    /// <typeparam name="THandler">A struct or ref struct handler, specialized per type.</typeparam>
    /// <param name="handler">Receives each message.</param>
    /// <param name="messageLimit">The most messages to deliver (at least 1).</param>
    /// <param name="mode">
    /// <see cref="ChannelDeliveryMode.Shared"/>: spans over the ring, released after the batch.
    /// <see cref="ChannelDeliveryMode.Copy"/>: the batch is copied into this object's private region and the ring
    /// space released before the first handler call (a handler exception then loses the rest of that batch).
    /// </param>
    /// <returns>How many messages were delivered (0 when none was available).</returns>
    /// <remarks>
    /// A handler exception propagates after the space of the records delivered so far (including the one that threw)
    /// was released: each message is delivered at most once.
    /// </remarks>
    /// <exception cref="InvalidOperationException">This object is not the consumer.</exception>
    /// <exception cref="ChannelFormatException">A record's length field is impossible (corrupted memory); the records before it were delivered and released.</exception>
    public int Read<THandler>(ref THandler handler, int messageLimit, ChannelDeliveryMode mode)
        where THandler : IChannelMessageHandler, allows ref struct
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(messageLimit);
        if (!_control.IsConsumer)
        {
            ChannelThrowHelper.ThrowNotEndpoint(_control.Name, "consumer");
        }

        return mode == ChannelDeliveryMode.Copy ? ReadCopied(ref handler, messageLimit) : ReadShared(ref handler, messageLimit);
    }

    /// <summary>As <see cref="Read{THandler}(ref THandler, int, ChannelDeliveryMode)"/> with a delegate and caller state.</summary>
    /// <typeparam name="TState">The caller's state type.</typeparam>
    /// <param name="handler">Receives each message (use a static lambda to avoid allocating).</param>
    /// <param name="state">Passed to every call of the handler.</param>
    /// <param name="messageLimit">The most messages to deliver (at least 1).</param>
    /// <param name="mode">Shared (zero-copy) or Copy (isolation by copy).</param>
    /// <returns>How many messages were delivered.</returns>
    /// <exception cref="ArgumentNullException">The handler is null.</exception>
    /// <exception cref="InvalidOperationException">This object is not the consumer.</exception>
    /// <exception cref="ChannelFormatException">A record's length field is impossible (corrupted memory).</exception>
    public int Read<TState>(ChannelMessageHandler<TState> handler, TState state, int messageLimit, ChannelDeliveryMode mode)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var adapter = new DelegateHandler<TState>(handler, state);
        return Read(ref adapter, messageLimit, mode);
    }

    /// <summary>
    /// Copies the next message into <paramref name="destination"/> and releases its space (isolation by copy, one
    /// message). Never waits.
    /// </summary>
    /// <param name="destination">Where the payload goes; must hold the message.</param>
    /// <param name="length">The payload length.</param>
    /// <param name="type">The message type.</param>
    /// <returns><see langword="false"/> when no message is available.</returns>
    /// <exception cref="ArgumentException">The destination is shorter than the next message; it stays in the ring.</exception>
    /// <exception cref="InvalidOperationException">This object is not the consumer.</exception>
    /// <exception cref="ChannelFormatException">A record's length field is impossible (corrupted memory).</exception>
    public bool TryRead(Span<byte> destination, out int length, out int type)
    {
        if (!_control.IsConsumer)
        {
            ChannelThrowHelper.ThrowNotEndpoint(_control.Name, "consumer");
        }

        long head = *_head;
        long position = head;
        bool found = false;
        length = 0;
        type = 0;
        try
        {
            while (position - head < _capacity)
            {
                long index = position & _mask;
                long word = Volatile.Read(ref *(long*)(_data + index));
                int recordLength = (int)word;
                if (recordLength <= 0)
                {
                    // As in ReadShared: in SPSC a zero word is simply "nothing yet" (the producer stores its marker
                    // before it moves the tail), so an empty poll must not read the producer's tail line.
                    if (recordLength < 0 || _multiProducer)
                    {
                        NoteBlocked(position, recordLength);
                    }

                    break;
                }

                int recordType = (int)(word >> 32);
                CheckRecord(index, recordLength, recordType);
                if (recordType == PaddingType)
                {
                    position += Align(recordLength);
                    continue;
                }

                int payload = recordLength - RecordHeaderBytes;
                if (payload > destination.Length)
                {
                    ChannelThrowHelper.ThrowDestinationTooSmall(payload, destination.Length);
                }

                new ReadOnlySpan<byte>(_data + index + RecordHeaderBytes, payload).CopyTo(destination);
                position += Align(recordLength);
                length = payload;
                type = recordType;
                found = true;
                break;
            }
        }
        finally
        {
            if (position != head)
            {
                Release(head, position, found ? 1 : 0, length);
            }
        }

        return found;
    }

    /// <summary>
    /// Waits until a message can be read: spin, yield, then park on a futex (woken by producers across processes),
    /// waking every <see cref="ChannelOptions.LivenessCheckInterval"/> to check producers and records left by dead ones.
    /// </summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="cancellationToken">Cancels the wait (wakes the parked consumer).</param>
    /// <returns>
    /// <see langword="true"/> when something can be read; <see langword="false"/> on timeout, or when the ring is
    /// drained and every producer that attached detached cleanly (the channel is complete).
    /// </returns>
    /// <exception cref="InvalidOperationException">This object is not the consumer.</exception>
    /// <exception cref="ChannelPeerDeadException">The ring is drained, no producer is alive and one died.</exception>
    /// <exception cref="OperationCanceledException">The token was canceled.</exception>
    public bool WaitToRead(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!_control.IsConsumer)
        {
            ChannelThrowHelper.ThrowNotEndpoint(_control.Name, "consumer");
        }

        return IsReadableNow() || _control.WaitConsumer(this, ToNanoseconds(timeout), cancellationToken);
    }

    /// <summary>
    /// Waits asynchronously until a message can be read. Completes synchronously, without allocating, when one is
    /// already there; otherwise polls from the thread pool with backoff (yields, then 1 ms delays), checking
    /// producers and dead producers' records as <see cref="WaitToRead"/> does. No thread is blocked.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when something can be read; <see langword="false"/> when the ring is drained and every producer detached cleanly.</returns>
    /// <exception cref="InvalidOperationException">This object is not the consumer.</exception>
    /// <exception cref="ChannelPeerDeadException">The ring is drained, no producer is alive and one died.</exception>
    /// <exception cref="OperationCanceledException">The token was canceled.</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (!_control.IsConsumer)
        {
            ChannelThrowHelper.ThrowNotEndpoint(_control.Name, "consumer");
        }

        if (IsReadableNow())
        {
            return new ValueTask<bool>(true);
        }

        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<bool>(cancellationToken)
            : WaitToReadSlowAsync(cancellationToken);
    }

    /// <summary>Detaches this object's identities cleanly and stops its metrics and heartbeat timer; the region is left alone.</summary>
    public void Dispose()
    {
        _control.Dispose();
        _copyBuffer?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name}('{Name}', {CapacityBytes} bytes, {_control.EndpointText})";

    bool IChannelWaitTarget.IsReadable(bool thorough) => thorough ? IsReadableThorough() : IsReadableNow();

    bool IChannelWaitTarget.IsDrained()
    {
        long head = Volatile.Read(ref *_head);
        return Volatile.Read(ref *(long*)(_data + (head & _mask))) == 0 && Volatile.Read(ref *_tail) <= head;
    }

    bool IChannelWaitTarget.HasSpace(int requestBytes)
    {
        int aligned = Align(requestBytes);
        long tail = Volatile.Read(ref *_tail);
        long toEnd = _capacity - (tail & _mask);
        long required = aligned <= toEnd ? aligned : aligned + toEnd;
        return tail + required - Volatile.Read(ref *_head) <= _capacity;
    }

    // ---- producer internals ------------------------------------------------------------------------------------

    // SPSC claim. The producer owns the tail; its cached head is refreshed only when the cached view says full.
    // Ordering: the consumer reads a record only after seeing its length (acquire), and the producer writes that
    // length last (release), so the payload is visible first. Reusing space is ordered by the consumer's release
    // store of head after zeroing, read here with acquire in RefreshHead.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* ClaimSingle(int recordLength)
    {
        int aligned = Align(recordLength);
        long tail = *_tail;
        long index = tail & _mask;
        long toEnd = _capacity - index;
        long required = aligned <= toEnd ? aligned : aligned + toEnd;
        if (tail + required - *_headCache > _capacity && !RefreshHead(tail + required))
        {
            return null;
        }

        if (aligned > toEnd)
        {
            WritePadding(index, (int)toEnd);
            tail += toEnd;
            index = 0;
        }

        byte* record = _data + index;

        // The in-progress marker tells a consumer whose claim blocks it, should this producer die before committing.
        Volatile.Write(ref *(long*)record, (_markerTypeBits << 32) | (uint)-recordLength);
        Volatile.Write(ref *_tail, tail + aligned);
        return record;
    }

    // MPSC claim by one atomic add on the tail: no CAS loop, so contention never makes a producer retry.
    //
    // Ordering argument. (1) Admission: a producer adds only if a cached head says the record fits; racing
    // producers may still land past the free space, and such a producer waits (WaitForSpace) until the consumer's
    // head, read with acquire, shows its whole range free: the consumer zeroed that range before its release store
    // of head, so the producer writes over zeros. No deadlock: the claim at the consumer's head never waits
    // (its end is at most capacity past head), and every claim ahead of it needs less. (2) Publication: the marker
    // (negative length, slot and epoch) is stored right after the space is free; the commit stores length and type
    // in one 64-bit release store, read by the consumer with acquire. (3) Wrap: a claim that straddles the end of
    // the data area becomes two padding records (to the end, and from 0 to the claim's end) and the producer claims
    // again, at most once per wrap. (4) Attribution: before the add, the producer announces "adding, N bytes" in
    // its own slot line, and clears it after the marker is stored, so a consumer can skip the hole left by a
    // producer that died between the add and the marker.
    private byte* ClaimMulti(int recordLength)
    {
        int aligned = Align(recordLength);
        while (true)
        {
            long tail = Volatile.Read(ref *_tail);
            if (tail + aligned - Volatile.Read(ref *_headCache) > _capacity && !RefreshHead(tail + aligned))
            {
                return null;
            }

            *(int*)(_slot + SlotClaimLengthOffset) = aligned;
            Volatile.Write(ref *(int*)(_slot + SlotClaimStateOffset), 1);
            long position = Interlocked.Add(ref *_tail, aligned) - aligned;
            long end = position + aligned;
            if (end - Volatile.Read(ref *_headCache) > _capacity)
            {
                WaitForSpace(end);
            }

            long index = position & _mask;
            long toEnd = _capacity - index;
            if (aligned > toEnd)
            {
                WritePadding(index, (int)toEnd);
                WritePadding(0, (int)(aligned - toEnd));
                Volatile.Write(ref *(int*)(_slot + SlotClaimStateOffset), 0);
                continue;
            }

            byte* record = _data + index;
            Volatile.Write(ref *(long*)record, (_markerTypeBits << 32) | (uint)-recordLength);
            Volatile.Write(ref *(int*)(_slot + SlotClaimStateOffset), 0);
            return record;
        }
    }

    private void WritePadding(long index, int length) =>
        Volatile.Write(ref *(long*)(_data + index), ((long)PaddingType << 32) | (uint)length);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RefreshHead(long requiredEnd)
    {
        long head = Volatile.Read(ref *_head);
        *_headCache = head;
        if (requiredEnd - head <= _capacity)
        {
            return true;
        }

        (*(long*)(_slot + SlotFullEventsOffset))++;
        long now = PeerLiveness.NowNanoseconds();
        if (now - _lastConsumerCheckNanoseconds >= _control.LivenessIntervalNanoseconds)
        {
            _lastConsumerCheckNanoseconds = now;
            _control.Heartbeat();
            _control.ThrowIfConsumerGone("space");
        }

        return false;
    }

    // MPSC only: this producer's add landed past the free space; its range is ordered, so it must wait (not fail).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitForSpace(long end)
    {
        var spinner = default(SpinWait);
        long lastCheck = PeerLiveness.NowNanoseconds();
        while (true)
        {
            long head = Volatile.Read(ref *_head);
            *_headCache = head;
            if (end - head <= _capacity)
            {
                return;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
            if (spinner.Count > 200)
            {
                long now = PeerLiveness.NowNanoseconds();
                if (now - lastCheck >= _control.LivenessIntervalNanoseconds)
                {
                    lastCheck = now;
                    _control.Heartbeat();
                    _control.ThrowIfConsumerGone("space for a claim already ordered");
                }

                int* word = (int*)(_control.Header + ProducerWaitWordOffset);
                int observed = Volatile.Read(ref *word);
                Interlocked.Increment(ref _control.Field32(ProducerWaitersOffset));
                try
                {
                    AsymmetricFence.WaiterFence();
                    if (end - Volatile.Read(ref *_head) > _capacity)
                    {
                        ChannelParking.Park(word, observed, _control.LivenessIntervalNanoseconds);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _control.Field32(ProducerWaitersOffset));
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Publish(byte* record, int recordLength, int type)
    {
        Volatile.Write(ref *(long*)record, ((long)type << 32) | (uint)recordLength);
        long messages = ++*(long*)(_slot + SlotMessagesOffset);
        *(long*)(_slot + SlotBytesOffset) += recordLength - RecordHeaderBytes;
        if ((messages & ((1 << HeartbeatEveryMessagesLog2) - 1)) == 0)
        {
            _control.Heartbeat();
        }

        _control.SignalConsumer();
    }

    internal void AbortClaim(byte* record, int recordLength)
    {
        Volatile.Write(ref *(long*)record, ((long)PaddingType << 32) | (uint)recordLength);
        _control.SignalConsumer();
    }

    // ---- consumer internals ------------------------------------------------------------------------------------

    private int ReadShared<THandler>(ref THandler handler, int messageLimit)
        where THandler : IChannelMessageHandler, allows ref struct
    {
        long head = *_head;
        long position = head;
        int count = 0;
        long bytes = 0;
        try
        {
            while (count < messageLimit && position - head < _capacity)
            {
                long index = position & _mask;
                long word = Volatile.Read(ref *(long*)(_data + index));
                int recordLength = (int)word;
                if (recordLength <= 0)
                {
                    if (recordLength < 0 || _multiProducer)
                    {
                        NoteBlocked(position, recordLength);
                    }

                    break;
                }

                int type = (int)(word >> 32);
                CheckRecord(index, recordLength, type);
                position += Align(recordLength);
                if (type == PaddingType)
                {
                    continue;
                }

                count++;
                bytes += recordLength - RecordHeaderBytes;
                handler.OnMessage(type, new ReadOnlySpan<byte>(_data + index + RecordHeaderBytes, recordLength - RecordHeaderBytes));
            }
        }
        finally
        {
            if (position != head)
            {
                Release(head, position, count, bytes);
            }
        }

        return count;
    }

    private int ReadCopied<THandler>(ref THandler handler, int messageLimit)
        where THandler : IChannelMessageHandler, allows ref struct
    {
        long head = *_head;
        long position = head;
        int count = 0;
        long bytes = 0;
        ChannelFormatException? corruption = null;
        while (count < messageLimit && position - head < _capacity)
        {
            long index = position & _mask;
            long word = Volatile.Read(ref *(long*)(_data + index));
            int recordLength = (int)word;
            if (recordLength <= 0)
            {
                if (recordLength < 0 || _multiProducer)
                {
                    NoteBlocked(position, recordLength);
                }

                break;
            }

            int type = (int)(word >> 32);
            try
            {
                CheckRecord(index, recordLength, type);
            }
            catch (ChannelFormatException error)
            {
                corruption = error;
                break;
            }

            position += Align(recordLength);
            if (type != PaddingType)
            {
                count++;
                bytes += recordLength - RecordHeaderBytes;
            }
        }

        int batchBytes = (int)(position - head);
        if (batchBytes != 0)
        {
            // Copy the batch (records as they are) into the private region, then give the ring space back before
            // any handler runs: the producer can reuse it while the handler reads the private copy.
            _copyBuffer ??= MemoryRegion.Allocate(_capacity);
            byte* copy = _copyBuffer.DangerousPointer;
            long start = head & _mask;
            int first = (int)Math.Min(batchBytes, _capacity - start);
            Buffer.MemoryCopy(_data + start, copy, _capacity, first);
            if (first < batchBytes)
            {
                Buffer.MemoryCopy(_data, copy + first, _capacity - first, batchBytes - first);
            }

            Release(head, position, count, bytes);
            for (int offset = 0; offset < batchBytes;)
            {
                long word = *(long*)(copy + offset);
                int recordLength = (int)word;
                int type = (int)(word >> 32);
                if (type != PaddingType)
                {
                    handler.OnMessage(type, new ReadOnlySpan<byte>(copy + offset + RecordHeaderBytes, recordLength - RecordHeaderBytes));
                }

                offset += Align(recordLength);
            }
        }

        if (corruption is not null)
        {
            throw corruption;
        }

        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckRecord(long index, int recordLength, int type)
    {
        if (recordLength < RecordHeaderBytes || recordLength > _recordLengthMax || index + Align(recordLength) > _capacity || (type < 0 && type != PaddingType))
        {
            ThrowCorrupt(index, recordLength, type);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowCorrupt(long index, int recordLength, int type)
    {
        string reason = recordLength < RecordHeaderBytes
            ? "below the 8-byte record header"
            : recordLength > _recordLengthMax
                ? $"above the largest record ({_recordLengthMax} bytes)"
                : index + Align(recordLength) > _capacity
                    ? $"which would cross the end of the {_capacity}-byte data area"
                    : "with a reserved negative type";
        ChannelThrowHelper.ThrowCorruptRecord(_control.Name, index, recordLength, type, reason);
    }

    // Zeroes what was consumed (so "length 0 = not written" holds on the next lap), then publishes the new head
    // with release semantics: a producer that reads the head with acquire sees the zeros before reusing the space.
    private void Release(long head, long position, int count, long bytes)
    {
        long start = head & _mask;
        long length = position - head;
        long first = Math.Min(length, _capacity - start);
        new Span<byte>(_data + start, (int)first).Clear();
        if (first < length)
        {
            new Span<byte>(_data, (int)(length - first)).Clear();
        }

        Volatile.Write(ref *_head, position);
        long before = *(long*)(_control.Header + MessagesReadOffset);
        *(long*)(_control.Header + MessagesReadOffset) = before + count;
        *(long*)(_control.Header + BytesReadOffset) += bytes;
        if (((before + count) >> HeartbeatEveryMessagesLog2) != (before >> HeartbeatEveryMessagesLog2))
        {
            _control.Heartbeat();
        }

        if (_blocked.Position != -1)
        {
            _blocked.Position = -1;
        }

        _control.SignalProducers();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsReadableNow()
    {
        long head = *_head;
        return (int)Volatile.Read(ref *(long*)(_data + (head & _mask))) > 0;
    }

    internal bool IsReadableThorough()
    {
        long head = *_head;
        int recordLength = (int)Volatile.Read(ref *(long*)(_data + (head & _mask)));
        if (recordLength > 0)
        {
            return true;
        }

        if (recordLength < 0 || _multiProducer)
        {
            ResolveBlocked(head, recordLength, force: true);
        }

        return (int)Volatile.Read(ref *(long*)(_data + (head & _mask))) > 0;
    }

    // The consumer found no committed record at `position`. An in-progress marker, or (MPSC) a zero word with the
    // tail beyond it, is a claim that blocks the head: track since when, and resolve it after the timeout.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NoteBlocked(long position, int recordLength) => ResolveBlocked(position, recordLength, force: false);

    private void ResolveBlocked(long position, int recordLength, bool force)
    {
        if (recordLength == 0 && Volatile.Read(ref *_tail) <= position)
        {
            _blocked.Position = -1;
            return;
        }

        if (position != _blocked.Position)
        {
            // First sight of this claim: usually a live producer between claim and commit (a ping-pong consumer sees
            // that on most messages), so do not read the clock yet; the timeout starts at the first clock reading.
            _blocked.Position = position;
            _blocked.Polls = 0;
            _blocked.SinceNanoseconds = 0;
            if (!force)
            {
                return;
            }
        }

        // Read() may be polled in a tight loop: look at the clock only every 1024 polls there.
        if (!force && (++_blocked.Polls & 1023) != 0)
        {
            return;
        }

        long now = PeerLiveness.NowNanoseconds();
        if (_blocked.SinceNanoseconds == 0)
        {
            _blocked.SinceNanoseconds = now;
            return;
        }

        if (now - _blocked.SinceNanoseconds < _control.PeerTimeoutNanoseconds)
        {
            return;
        }

        long index = position & _mask;
        long word = Volatile.Read(ref *(long*)(_data + index));
        recordLength = (int)word;
        if (recordLength < 0)
        {
            int marker = (int)(word >> 32);
            int slot = marker & 7;
            long epochBits = (long)((uint)marker >> 3);
            if (slot >= _control.ProducerSlotCount || -recordLength > _recordLengthMax || index + Align(-recordLength) > _capacity)
            {
                ThrowCorrupt(index, recordLength, marker);
            }

            if (IsClaimantGone(slot, epochBits))
            {
                SkipBlocked(index, -recordLength);
            }

            return;
        }

        if (recordLength == 0)
        {
            // A hole: some producer added to the tail but never stored its marker. Attribute it to a producer that
            // announced "adding" in its slot and is gone; its announced length says how far the hole reaches.
            for (int slot = 0; slot < _control.ProducerSlotCount; slot++)
            {
                byte* line = _control.ProducerLine(slot);
                if (Volatile.Read(ref *(int*)(line + SlotClaimStateOffset)) != 1 || _control.ReadPeer(line).Status is not (ChannelPeerStatus.Dead or ChannelPeerStatus.Detached))
                {
                    continue;
                }

                int announced = *(int*)(line + SlotClaimLengthOffset);
                int padding = (int)Math.Min(announced, _capacity - index);
                if (padding <= 0 || (padding & (RecordAlignment - 1)) != 0)
                {
                    continue;
                }

                *(int*)(line + SlotClaimLengthOffset) = announced - padding;
                if (announced == padding)
                {
                    Volatile.Write(ref *(int*)(line + SlotClaimStateOffset), 0);
                }

                SkipBlocked(index, padding);
                return;
            }
        }
    }

    private bool IsClaimantGone(int slot, long epochBits)
    {
        byte* line = _control.ProducerLine(slot);
        long currentEpochBits = *(long*)(line + IdentityEpochOffset) & 0x0FFF_FFFF;
        if (currentEpochBits != epochBits)
        {
            // The slot changed hands, which happens only after its previous owner died or detached.
            return true;
        }

        return _control.ReadPeer(line).Status is ChannelPeerStatus.Dead or ChannelPeerStatus.Detached;
    }

    private void SkipBlocked(long index, int recordLength)
    {
        // The claimant is gone, so nobody else writes this word: turn the claim into padding (never delivered).
        Volatile.Write(ref *(long*)(_data + index), ((long)PaddingType << 32) | (uint)recordLength);
        (*(long*)(_control.Header + SkippedRecordsOffset))++;
        _blocked.Position = -1;
    }

    private static long ToNanoseconds(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return -1;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        return timeout.Ticks > long.MaxValue / 100 ? long.MaxValue : timeout.Ticks * 100;
    }

    // 64 bytes of padding on each side of the three fields, whatever order the runtime gives the class's fields.
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 192)]
    private struct BlockedState
    {
        [System.Runtime.InteropServices.FieldOffset(64)]
        public long Position;

        [System.Runtime.InteropServices.FieldOffset(72)]
        public long SinceNanoseconds;

        [System.Runtime.InteropServices.FieldOffset(80)]
        public int Polls;
    }

    private readonly struct DelegateHandler<TState>(ChannelMessageHandler<TState> handler, TState state) : IChannelMessageHandler
    {
        public void OnMessage(int type, ReadOnlySpan<byte> message) => handler(state, type, message);
    }
}
