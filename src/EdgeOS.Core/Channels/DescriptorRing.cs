using System.Runtime.CompilerServices;
using EdgeOS.Core.Channels.Internal;
using EdgeOS.Core.Memory;
using static EdgeOS.Core.Channels.Internal.ChannelDescriptor;

namespace EdgeOS.Core.Channels;

/// <summary>
/// A single-producer, single-consumer ring of fixed-size unmanaged values (packet descriptors and the like) over a
/// <see cref="MemoryRegion"/> or a <see cref="SharedMemoryRegion"/>, with the same header, identities, dead-peer
/// detection and waiting as the byte rings. Values move in batches: one tail or head update per batch.
/// </summary>
/// <typeparam name="T">The slot type: unmanaged, the same layout in every process that attaches.</typeparam>
/// <remarks>
/// <para>
/// Ordering: the producer copies values into free slots, then publishes the tail with a release store; the consumer
/// reads the tail with acquire, copies the values out, then publishes the head with a release store, which the
/// producer reads with acquire before reusing those slots. Each side caches the other's position on its own line
/// and re-reads it only when the cache says full or empty. A value is published whole or not at all, so a dead
/// producer never leaves a torn slot behind.
/// </para>
/// <para>Threading and lifetime as <see cref="ByteRing"/>: one producer, one consumer; dispose the ring before its region.</para>
/// </remarks>
public sealed unsafe class DescriptorRing<T> : IDisposable, IChannelWaitTarget
    where T : unmanaged
{
    /// <summary>The most slots a descriptor ring may have (2^24).</summary>
    public const int SlotCountMax = 1 << 24;

    private readonly ChannelControl _control;
    private readonly T* _slots;
    private readonly long* _head;
    private readonly long* _tail;
    private readonly long* _headCache;
    private readonly long* _tailCache;
    private readonly byte* _producerLine;
    private readonly int _slotCount;
    private readonly long _mask;

    private DescriptorRing(MemoryRegion region, byte* header, ChannelEndpoints endpoints, ChannelOptions options)
    {
        _control = new ChannelControl(region, header, ChannelKind.Descriptors, options, 1);
        _slots = (T*)(header + HeaderSizeBytes);
        _slotCount = (int)*(uint*)(header + SlotCountOffset);
        _mask = _slotCount - 1;
        _head = (long*)(header + HeadOffset);
        _tail = (long*)(header + TailOffset);
        _headCache = (long*)(header + HeadCacheOffset);
        _tailCache = (long*)(header + CachedTailOffset);
        _producerLine = _control.ProducerLine(0);
        try
        {
            if ((endpoints & ChannelEndpoints.Consumer) != 0)
            {
                _control.RegisterConsumer();
            }

            if ((endpoints & ChannelEndpoints.Producer) != 0)
            {
                _control.RegisterProducer();
            }
        }
        catch
        {
            _control.Dispose();
            throw;
        }

        _control.Start();
    }

    /// <summary>The name from the options.</summary>
    public string Name => _control.Name;

    /// <summary>The number of slots (a power of two).</summary>
    public int SlotCount => _slotCount;

    /// <summary>The values published and not yet consumed.</summary>
    public int Count => (int)_control.Depth;

    /// <summary>Values enqueued since the ring was created (header counter).</summary>
    public long MessagesWritten => _control.SumProducerField(SlotMessagesOffset);

    /// <summary>Values dequeued since the ring was created.</summary>
    public long MessagesRead => _control.ReadField(MessagesReadOffset);

    /// <summary>Enqueue calls that found no free slot.</summary>
    public long FullEvents => _control.SumProducerField(SlotFullEventsOffset);

    /// <summary>Consumer waits that found the ring empty and had to park.</summary>
    public long EmptyEvents => _control.ReadField(EmptyEventsOffset);

    /// <summary>Whether this object is the producer.</summary>
    public bool IsProducer => _control.ProducerSlot >= 0;

    /// <summary>Whether this object is the consumer.</summary>
    public bool IsConsumer => _control.IsConsumer;

    /// <summary>Whether <see cref="Dispose"/> was called.</summary>
    public bool IsDisposed => _control.IsDisposed;

    /// <summary>The bytes a ring of <paramref name="slotCount"/> slots needs: header plus <c>slotCount * sizeof(T)</c>.</summary>
    /// <param name="slotCount">A power of two between 2 and <see cref="SlotCountMax"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The slot count is out of range, or the data area would exceed 1 GiB.</exception>
    public static long RequiredBytes(int slotCount)
    {
        ChannelSetup.CheckCapacity(nameof(slotCount), slotCount, 2, SlotCountMax);
        long data = (long)slotCount * sizeof(T);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(data, CapacityBytesMax, nameof(slotCount));
        return HeaderSizeBytes + data;
    }

    /// <summary>Initializes a new ring at <paramref name="offset"/> in <paramref name="region"/> (clearing it) and takes on <paramref name="endpoints"/>.</summary>
    /// <param name="region">The memory; it must hold <see cref="RequiredBytes(int)"/> bytes at the offset and outlive the ring.</param>
    /// <param name="slotCount">A power of two between 2 and <see cref="SlotCountMax"/>.</param>
    /// <param name="endpoints">The sides this object takes on.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <param name="offset">Where the ring starts in the region: a multiple of 128.</param>
    /// <returns>The ring object.</returns>
    /// <exception cref="ArgumentNullException">The region is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The slot count or offset is out of range, or the region is too small; nothing was written.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public static DescriptorRing<T> Create(MemoryRegion region, int slotCount, ChannelEndpoints endpoints = ChannelEndpoints.Both, ChannelOptions? options = null, long offset = 0)
    {
        byte* header = ChannelSetup.Locate(region, offset, RequiredBytes(slotCount));
        ChannelDescriptor.Initialize(header, ChannelKind.Descriptors, slotCount * sizeof(T), sizeof(T), 1, slotCount);
        return new DescriptorRing<T>(region, header, endpoints, options ?? ChannelOptions.Default);
    }

    /// <summary>Initializes a new ring at the start of a shared region's data area.</summary>
    /// <param name="region">The shared region.</param>
    /// <param name="slotCount">A power of two between 2 and <see cref="SlotCountMax"/>.</param>
    /// <param name="endpoints">The sides this object takes on.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <returns>The ring object.</returns>
    /// <exception cref="ArgumentNullException">The region is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The slot count is out of range or the region is too small; nothing was written.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public static DescriptorRing<T> Create(SharedMemoryRegion region, int slotCount, ChannelEndpoints endpoints, ChannelOptions? options)
    {
        ArgumentNullException.ThrowIfNull(region);
        return Create(region.Data, slotCount, endpoints, options, 0);
    }

    /// <summary>Attaches to an initialized ring: validates the header (magic, version, kind, slot size = <c>sizeof(T)</c>, slot count) with reads only.</summary>
    /// <param name="region">The memory holding the ring.</param>
    /// <param name="endpoints">The sides this object takes on.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <param name="offset">Where the ring starts in the region: a multiple of 128.</param>
    /// <returns>The ring object.</returns>
    /// <exception cref="ArgumentNullException">The region is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The offset is out of range or the region cannot hold a header there.</exception>
    /// <exception cref="ChannelFormatException">The header is not a valid descriptor ring of <typeparamref name="T"/> that fits the region; nothing was written.</exception>
    /// <exception cref="InvalidOperationException">An endpoint asked for is held by a live peer; nothing was changed.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public static DescriptorRing<T> Attach(MemoryRegion region, ChannelEndpoints endpoints, ChannelOptions? options = null, long offset = 0)
    {
        byte* header = ChannelSetup.Locate(region, offset, HeaderSizeBytes);
        _ = ChannelDescriptor.Validate(header, region.Length - offset, ChannelKind.Descriptors, sizeof(T));
        return new DescriptorRing<T>(region, header, endpoints, options ?? ChannelOptions.Default);
    }

    /// <summary>Attaches to a ring at the start of a shared region's data area.</summary>
    /// <param name="region">The shared region.</param>
    /// <param name="endpoints">The sides this object takes on.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <returns>The ring object.</returns>
    /// <exception cref="ArgumentNullException">The region is null.</exception>
    /// <exception cref="ChannelFormatException">The header is not a valid descriptor ring of <typeparamref name="T"/>; nothing was written.</exception>
    /// <exception cref="InvalidOperationException">An endpoint asked for is held by a live peer; nothing was changed.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public static DescriptorRing<T> Attach(SharedMemoryRegion region, ChannelEndpoints endpoints, ChannelOptions? options)
    {
        ArgumentNullException.ThrowIfNull(region);
        return Attach(region.Data, endpoints, options, 0);
    }

    /// <summary>What the header says about the consumer, checked against the operating system.</summary>
    public ChannelPeerInfo GetConsumerInfo() => _control.ReadPeer(_control.ConsumerLine);

    /// <summary>What the header says about the producer, checked against the operating system.</summary>
    public ChannelPeerInfo GetProducerInfo() => _control.ReadPeer(_producerLine);

    /// <summary>Enqueues as many of <paramref name="items"/> as fit, with one tail update. Never waits; allocates nothing.</summary>
    /// <param name="items">The values to enqueue, in order.</param>
    /// <returns>How many were enqueued (a prefix of <paramref name="items"/>; 0 when full).</returns>
    /// <exception cref="InvalidOperationException">This object is not the producer.</exception>
    /// <exception cref="ChannelPeerDeadException">The ring is full and its consumer died or detached.</exception>
    public int TryEnqueue(ReadOnlySpan<T> items)
    {
        if (_control.ProducerSlot < 0)
        {
            ChannelThrowHelper.ThrowNotEndpoint(_control.Name, "producer");
        }

        long tail = *_tail;
        long free = _slotCount - (tail - *_headCache);
        if (free < items.Length)
        {
            free = RefreshHead(tail);
        }

        int count = (int)Math.Min(free, items.Length);
        if (count == 0)
        {
            return 0;
        }

        long index = tail & _mask;
        int first = (int)Math.Min(count, _slotCount - index);
        items[..first].CopyTo(new Span<T>(_slots + index, first));
        if (first < count)
        {
            items[first..count].CopyTo(new Span<T>(_slots, count - first));
        }

        Volatile.Write(ref *_tail, tail + count);
        OnEnqueued(count);
        return count;
    }

    /// <summary>Enqueues one value if a slot is free. Never waits.</summary>
    /// <param name="item">The value.</param>
    /// <returns><see langword="false"/> when full.</returns>
    /// <exception cref="InvalidOperationException">This object is not the producer.</exception>
    /// <exception cref="ChannelPeerDeadException">The ring is full and its consumer died or detached.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnqueue(in T item) => TryEnqueue(new ReadOnlySpan<T>(in item)) == 1;

    /// <summary>Dequeues up to <c>destination.Length</c> values with one head update. Never waits; allocates nothing.</summary>
    /// <param name="destination">Where the values go, in order.</param>
    /// <returns>How many were dequeued (0 when empty).</returns>
    /// <exception cref="InvalidOperationException">This object is not the consumer.</exception>
    public int TryDequeue(Span<T> destination)
    {
        if (!_control.IsConsumer)
        {
            ChannelThrowHelper.ThrowNotEndpoint(_control.Name, "consumer");
        }

        long head = *_head;
        long available = *_tailCache - head;
        if (available < destination.Length)
        {
            available = Volatile.Read(ref *_tail) - head;
            *_tailCache = head + available;
        }

        int count = (int)Math.Min(available, destination.Length);
        if (count == 0)
        {
            return 0;
        }

        long index = head & _mask;
        int first = (int)Math.Min(count, _slotCount - index);
        new ReadOnlySpan<T>(_slots + index, first).CopyTo(destination);
        if (first < count)
        {
            new ReadOnlySpan<T>(_slots, count - first).CopyTo(destination[first..]);
        }

        Volatile.Write(ref *_head, head + count);
        long before = *(long*)(_control.Header + MessagesReadOffset);
        *(long*)(_control.Header + MessagesReadOffset) = before + count;
        *(long*)(_control.Header + BytesReadOffset) += (long)count * sizeof(T);
        if (((before + count) >> 12) != (before >> 12))
        {
            _control.Heartbeat();
        }

        _control.SignalProducers();
        return count;
    }

    /// <summary>Dequeues one value if one is available. Never waits.</summary>
    /// <param name="item">The value, or default when none.</param>
    /// <returns><see langword="false"/> when empty.</returns>
    /// <exception cref="InvalidOperationException">This object is not the consumer.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out T item)
    {
        item = default;
        return TryDequeue(new Span<T>(ref item)) == 1;
    }

    /// <summary>Waits until a value can be dequeued (spin, yield, park on a futex), at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when a value is available; <see langword="false"/> on timeout or when the producer detached cleanly and the ring is empty.</returns>
    /// <exception cref="InvalidOperationException">This object is not the consumer.</exception>
    /// <exception cref="ChannelPeerDeadException">The ring is empty and the producer died.</exception>
    /// <exception cref="OperationCanceledException">The token was canceled.</exception>
    public bool WaitToDequeue(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!_control.IsConsumer)
        {
            ChannelThrowHelper.ThrowNotEndpoint(_control.Name, "consumer");
        }

        return HasItems() || _control.WaitConsumer(this, ToNanoseconds(timeout), cancellationToken);
    }

    /// <summary>Waits until at least <paramref name="slotCount"/> slots are free (spin, yield, park), at most <paramref name="timeout"/>.</summary>
    /// <param name="slotCount">How many free slots to wait for (1 to <see cref="SlotCount"/>).</param>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="false"/> on timeout.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The slot count is out of range.</exception>
    /// <exception cref="InvalidOperationException">This object is not the producer.</exception>
    /// <exception cref="ChannelPeerDeadException">The consumer died or detached.</exception>
    /// <exception cref="OperationCanceledException">The token was canceled.</exception>
    public bool WaitToEnqueue(int slotCount, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slotCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotCount, _slotCount);
        if (_control.ProducerSlot < 0)
        {
            ChannelThrowHelper.ThrowNotEndpoint(_control.Name, "producer");
        }

        return ((IChannelWaitTarget)this).HasSpace(slotCount) || _control.WaitProducer(this, slotCount, ToNanoseconds(timeout), cancellationToken);
    }

    /// <summary>Detaches this object's identities cleanly; the region is left alone.</summary>
    public void Dispose() => _control.Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"DescriptorRing<{typeof(T).Name}>('{Name}', {_slotCount} slots, {_control.EndpointText})";

    bool IChannelWaitTarget.IsReadable(bool thorough) => HasItems();

    bool IChannelWaitTarget.IsDrained() => !HasItems();

    bool IChannelWaitTarget.HasSpace(int requestBytes) => _slotCount - (Volatile.Read(ref *_tail) - Volatile.Read(ref *_head)) >= requestBytes;

    private bool HasItems() => Volatile.Read(ref *_tail) != *_head;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long RefreshHead(long tail)
    {
        long head = Volatile.Read(ref *_head);
        *_headCache = head;
        long free = _slotCount - (tail - head);
        if (free == 0)
        {
            (*(long*)(_producerLine + SlotFullEventsOffset))++;
            if ((*(long*)(_producerLine + SlotFullEventsOffset) & 1023) == 0)
            {
                _control.ThrowIfConsumerGone("a free slot");
            }
        }

        return free;
    }

    private void OnEnqueued(int count)
    {
        long messages = *(long*)(_producerLine + SlotMessagesOffset) + count;
        *(long*)(_producerLine + SlotMessagesOffset) = messages;
        *(long*)(_producerLine + SlotBytesOffset) += (long)count * sizeof(T);
        if ((messages >> 12) != ((messages - count) >> 12))
        {
            _control.Heartbeat();
        }

        _control.SignalConsumer();
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
}
