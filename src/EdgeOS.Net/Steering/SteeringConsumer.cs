using System.Globalization;
using System.Runtime.CompilerServices;
using EdgeOS.Core.Channels;
using EdgeOS.Core.Memory;

namespace EdgeOS.Net.Steering;

/// <summary>
/// One consumer of a <see cref="PacketSteering"/>: a descriptor ring (an EdgeOS.Core <see cref="DescriptorRing{T}"/>
/// of <see cref="SteeredPacket"/>) filled by the steering's thread and drained by the consumer's thread, plus, in copy
/// mode, the consumer's own buffers in its own <see cref="MemoryRegion"/>. Made by <see cref="PacketSteering.AddConsumer"/>.
/// </summary>
/// <remarks>
/// <para>
/// Threads: <see cref="TryReceive"/>, <see cref="WaitToReceive"/>, <see cref="GetSpan(in SteeredPacket)"/> and
/// <see cref="Return(in SteeredPacket)"/> are for the consumer's one thread; the counters may be read from anywhere.
/// A shared frame is given back to its port through <see cref="PacketPort.ReleaseFromAnyThread(Frame)"/>; a copy
/// buffer through a second ring back to the steering thread. Neither allocates.
/// </para>
/// <para>
/// Every descriptor received must be returned exactly once: a shared frame not returned stays out of the port's pool
/// (the port reports it as outstanding and, at dispose, as a leak); a buffer not returned shrinks the consumer's pool
/// until its frames are dropped as full.
/// </para>
/// </remarks>
public sealed unsafe class SteeringConsumer
{
    private readonly PacketPort _port;
    private readonly MemoryRegion _ringRegion;
    private readonly DescriptorRing<SteeredPacket> _ring;
    private readonly MemoryRegion? _bufferRegion;
    private readonly DescriptorRing<int>? _returnRing;
    private readonly byte* _buffers;
    private readonly int _bufferSizeBytes;
    private readonly int _bufferCount;

    // Consumer thread only: which copy buffers the consumer holds (catches a buffer returned twice).
    private readonly bool[]? _held;

    // Steering thread only: the free copy buffers.
    private readonly int[]? _freeBuffers;
    private int _freeBufferCount;

    private long _delivered;
    private long _dropped;

    internal SteeringConsumer(PacketSteering owner, PacketPort port, int index, string name, SteeringConsumerOptions options)
    {
        Owner = owner;
        _port = port;
        Index = index;
        Name = name;
        Delivery = options.Delivery;
        _ringRegion = MemoryRegion.Allocate(DescriptorRing<SteeredPacket>.RequiredBytes(options.SlotCount), new MemoryRegionOptions { AlignmentBytes = 128 });
        try
        {
            _ring = DescriptorRing<SteeredPacket>.Create(_ringRegion, options.SlotCount, ChannelEndpoints.Both, new ChannelOptions { Name = name });
            if (options.Delivery == SteeringDelivery.Copy)
            {
                _bufferCount = options.BufferCount == 0 ? options.SlotCount : options.BufferCount;
                _bufferSizeBytes = options.BufferSizeBytes == 0 ? 2048 : options.BufferSizeBytes;
                int returnSlots = (int)Math.Max(2, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)_bufferCount));
                long returnBytes = DescriptorRing<int>.RequiredBytes(returnSlots);
                long buffersOffset = (returnBytes + 127) & ~127L;

                // One region per consumer: its return ring first, then its buffers.
                _bufferRegion = MemoryRegion.Allocate(buffersOffset + ((long)_bufferCount * _bufferSizeBytes), new MemoryRegionOptions { AlignmentBytes = 128 });
                _returnRing = DescriptorRing<int>.Create(_bufferRegion, returnSlots, ChannelEndpoints.Both, new ChannelOptions { Name = name + ".returns" }, 0);
                _buffers = _bufferRegion.DangerousPointer + buffersOffset;
                _held = new bool[_bufferCount];
                _freeBuffers = new int[_bufferCount];
                for (int i = 0; i < _bufferCount; i++)
                {
                    _freeBuffers[i] = _bufferCount - 1 - i;
                }

                _freeBufferCount = _bufferCount;
            }
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>The steering that feeds this consumer.</summary>
    public PacketSteering Owner { get; }

    /// <summary>The consumer's index (0 for the first added; the order of <see cref="PacketSteering.Consumers"/>).</summary>
    public int Index { get; }

    /// <summary>The consumer's name (metrics tag <c>steering.consumer</c>).</summary>
    public string Name { get; }

    /// <summary>Shared frame or copy.</summary>
    public SteeringDelivery Delivery { get; }

    /// <summary>Frames put into this consumer's ring since it was added.</summary>
    public long DeliveredFrames => Volatile.Read(ref _delivered);

    /// <summary>Frames for this consumer that were dropped: its ring was full, no copy buffer was free, or the frame was longer than a copy buffer.</summary>
    public long DroppedFrames => Volatile.Read(ref _dropped);

    /// <summary>Descriptors waiting in the ring.</summary>
    public int PendingCount => _ring.Count;

    /// <summary>Copy mode: the size of each own buffer; 0 in shared mode.</summary>
    public int BufferSizeBytes => _bufferSizeBytes;

    /// <summary>Copy mode: the number of own buffers; 0 in shared mode.</summary>
    public int BufferCount => _bufferCount;

    /// <summary>The consumer's descriptor ring (for its metrics and waiting; enqueue and dequeue go through this class).</summary>
    internal DescriptorRing<SteeredPacket> Ring => _ring;

    /// <summary>Takes up to <c>packets.Length</c> descriptors (consumer thread). Never waits; no allocation.</summary>
    /// <param name="packets">Where to store them.</param>
    /// <returns>How many were stored (0 when none is waiting).</returns>
    /// <exception cref="ObjectDisposedException">The steering was disposed.</exception>
    public int TryReceive(Span<SteeredPacket> packets)
    {
        ObjectDisposedException.ThrowIf(Owner.IsDisposed, this);
        int count = _ring.TryDequeue(packets);
        if (_held is not null)
        {
            for (int i = 0; i < count; i++)
            {
                _held[packets[i].BufferIndex] = true;
            }
        }

        return count;
    }

    /// <summary>Waits until a descriptor is waiting (spin, yield, then park on a futex), at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">The longest wait; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when a descriptor is waiting.</returns>
    /// <exception cref="OperationCanceledException">The token was canceled.</exception>
    /// <exception cref="ObjectDisposedException">The steering was disposed.</exception>
    public bool WaitToReceive(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Owner.IsDisposed, this);
        return _ring.WaitToDequeue(timeout, cancellationToken);
    }

    /// <summary>The frame's bytes: the port's buffer (shared mode) or the consumer's own copy (copy mode).</summary>
    /// <param name="packet">A descriptor received and not yet returned.</param>
    /// <returns>A writable span of <see cref="SteeredPacket.Length"/> bytes, valid until the descriptor is returned.</returns>
    /// <exception cref="FrameOwnershipException">Shared mode: the frame was already returned.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Copy mode: the descriptor names no buffer of this consumer.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetSpan(in SteeredPacket packet)
    {
        if (_freeBuffers is null)
        {
            return _port.GetSpan(packet.Frame);
        }

        if ((uint)packet.BufferIndex >= (uint)_bufferCount || (uint)packet.Length > (uint)_bufferSizeBytes)
        {
            ThrowBadBuffer(packet);
        }

        return new Span<byte>(_buffers + ((long)packet.BufferIndex * _bufferSizeBytes), packet.Length);
    }

    /// <summary>
    /// Gives a descriptor back (consumer thread): shared mode releases the frame to its port
    /// (<see cref="PacketPort.ReleaseFromAnyThread(Frame)"/>); copy mode returns the buffer to the steering. No allocation.
    /// </summary>
    /// <param name="packet">A descriptor received from this consumer, not yet returned.</param>
    /// <exception cref="FrameOwnershipException">Shared mode: the frame was already returned; nothing changed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Copy mode: the descriptor names no buffer of this consumer.</exception>
    /// <exception cref="InvalidOperationException">Copy mode: the buffer is not held by the consumer (returned twice); nothing changed.</exception>
    /// <exception cref="ObjectDisposedException">The port (shared mode) or the steering was disposed.</exception>
    public void Return(in SteeredPacket packet)
    {
        if (_returnRing is null)
        {
            _port.ReleaseFromAnyThread(packet.Frame);
            return;
        }

        ObjectDisposedException.ThrowIf(Owner.IsDisposed, this);
        if ((uint)packet.BufferIndex >= (uint)_bufferCount)
        {
            ThrowBadBuffer(packet);
        }

        if (!_held![packet.BufferIndex])
        {
            ThrowReturnedTwice(packet);
        }

        // The return ring has a slot for every buffer, so it cannot be full while each buffer is returned once.
        _held[packet.BufferIndex] = false;
        _ = _returnRing.TryEnqueue(packet.BufferIndex);
    }

    /// <summary>
    /// Gives descriptors back (see <see cref="Return(in SteeredPacket)"/>). Shared mode hands the frames to the port as
    /// one batch (<see cref="PacketPort.ReleaseFromAnyThread(ReadOnlySpan{Frame})"/>: one compare-and-swap per frame,
    /// one atomic add per call). Not all-or-nothing: descriptors before a bad one stay returned.
    /// </summary>
    /// <param name="packets">Descriptors received from this consumer, not yet returned.</param>
    /// <exception cref="FrameOwnershipException">Shared mode: a frame was already returned; it and those after it were not returned.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Copy mode: a descriptor names no buffer of this consumer.</exception>
    /// <exception cref="InvalidOperationException">Copy mode: a buffer is not held by the consumer (returned twice).</exception>
    /// <exception cref="ObjectDisposedException">The port (shared mode) or the steering was disposed.</exception>
    public void Return(ReadOnlySpan<SteeredPacket> packets)
    {
        if (_returnRing is null)
        {
            _port.ReleaseFromAnyThread(packets);
            return;
        }

        for (int i = 0; i < packets.Length; i++)
        {
            Return(in packets[i]);
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"SteeringConsumer('{Name}' #{Index}, {Delivery}, {DeliveredFrames} delivered, {DroppedFrames} dropped)");

    // ---- Steering thread ----

    /// <summary>Copy mode: takes a free buffer (after collecting returned ones) and copies the frame into it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryCopy(ReadOnlySpan<byte> frame, uint hash, out SteeredPacket packet)
    {
        if (_freeBufferCount == 0)
        {
            CollectReturnedBuffers();
        }

        if (_freeBufferCount == 0 || frame.Length > _bufferSizeBytes)
        {
            packet = default;
            return false;
        }

        int buffer = _freeBuffers![--_freeBufferCount];
        frame.CopyTo(new Span<byte>(_buffers + ((long)buffer * _bufferSizeBytes), _bufferSizeBytes));
        packet = new SteeredPacket(default, buffer, frame.Length, hash);
        return true;
    }

    /// <summary>Copy mode: a buffer taken by <see cref="TryCopy"/> whose descriptor did not fit the ring.</summary>
    internal void UntakeBuffer(int buffer) => _freeBuffers![_freeBufferCount++] = buffer;

    internal int Enqueue(ReadOnlySpan<SteeredPacket> packets) => _ring.TryEnqueue(packets);

    internal void CountDelivered(int count) => Volatile.Write(ref _delivered, _delivered + count);

    internal void CountDropped(int count) => Volatile.Write(ref _dropped, _dropped + count);

    /// <summary>At dispose (consumers stopped): gives back what is still in the ring, then frees the memory.</summary>
    internal void Release()
    {
        if (_ring is not null && !_ring.IsDisposed)
        {
            Span<SteeredPacket> left = stackalloc SteeredPacket[64];
            int count;
            while ((count = _ring.TryDequeue(left)) > 0)
            {
                if (_freeBuffers is null && !_port.IsDisposed)
                {
                    for (int i = 0; i < count; i++)
                    {
                        if (_port.IsOwned(left[i].Frame))
                        {
                            _port.ReleaseFromAnyThread(left[i].Frame);
                        }
                    }
                }
            }

            _ring.Dispose();
        }

        _returnRing?.Dispose();
        _ringRegion?.Dispose();
        _bufferRegion?.Dispose();
    }

    private void CollectReturnedBuffers()
    {
        Span<int> returned = new(_freeBuffers, _freeBufferCount, _freeBuffers!.Length - _freeBufferCount);
        _freeBufferCount += _returnRing!.TryDequeue(returned);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBadBuffer(in SteeredPacket packet) =>
        throw new ArgumentOutOfRangeException(
            nameof(packet),
            string.Create(CultureInfo.InvariantCulture, $"Buffer {packet.BufferIndex} with length {packet.Length} is not a buffer of consumer '{Name}' ({_bufferCount} buffers of {_bufferSizeBytes} bytes)."));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowReturnedTwice(in SteeredPacket packet) =>
        throw new InvalidOperationException(
            string.Create(CultureInfo.InvariantCulture, $"Buffer {packet.BufferIndex} of consumer '{Name}' is not held by the consumer: it was already returned (each descriptor is returned once)."));
}
