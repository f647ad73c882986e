using System.Numerics;
using System.Runtime.CompilerServices;
using EdgeOS.Net.Internal;

namespace EdgeOS.Net;

/// <summary>
/// The base of every EdgeOS.Net port (<see cref="MemoryPort"/>, <c>PcapPort</c>, AF_XDP and AF_PACKET ports): batch
/// receive and transmit of frames with the ownership rules of <see cref="IPacketPort"/> enforced in one place.
/// </summary>
/// <remarks>
/// <para>
/// How ownership is checked: the port keeps one record per frame slot with a 32-bit generation that is odd while the
/// user owns the slot and even while the port does. Issuing a frame (receive, allocate) and giving it back (release,
/// transmit) each add 1. A <see cref="Frame"/> carries the generation of its issue and its port's tag, so a handle is
/// live exactly when its generation equals the slot's: one compare per frame. A released handle is one behind; a
/// handle whose slot was reissued is further behind; neither can ever match again (until 2^31 reuses of the slot).
/// </para>
/// <para>
/// Batches are all-or-nothing: <see cref="Transmit"/> and <see cref="Release(ReadOnlySpan{Frame})"/> first check
/// and mark every handle (which also catches a frame listed twice), and only then act; on any bad handle the marks
/// are undone and <see cref="FrameOwnershipException"/> is thrown with nothing changed.
/// </para>
/// <para>
/// Cost: receive, allocate, transmit and release are O(batch) with no allocation; <see cref="GetSpan"/> is a bounds
/// check and a compare. Thread-safety: a port is used by one thread at a time (the port's thread), with one exception:
/// a frame handed to another thread (e.g. by <see cref="Steering.PacketSteering"/>) may be read there with
/// <see cref="GetSpan"/> / <see cref="GetBuffer"/> and given back from there with <see cref="ReleaseFromAnyThread(Frame)"/>.
/// Every hand-back claims the slot with one compare-and-swap on its generation, so two threads returning the same
/// handle cannot both succeed; a frame released from another thread is queued (lock-free, never full: each slot is
/// in the queue at most once) and recycled by the port's thread at its next call. Disposing a port with frames still held by the user reclaims them
/// (their handles die), counts them in <see cref="PacketPortStatistics.LeakedFrames"/> and raises
/// <see cref="FramesLeaked"/>.
/// </para>
/// <para>
/// The class cannot be derived outside this library: its extension points are not public, so every port obeys the
/// same rules.
/// </para>
/// </remarks>
public abstract class PacketPort : IPacketPort
{
    /// <summary>The most slots one batch <see cref="RecycleCore(ReadOnlySpan{int})"/> call gets.</summary>
    private protected const int RecycleChunk = 256;

    private static int s_nextTag;

    private readonly FrameSlot[] _slots;
    private readonly string _name;
    private readonly ushort _tag;
    private readonly int _frameCapacityBytes;
    private int _outstanding;
    private int _leaked;
    private bool _disposed;
    private long _receivedFrames;
    private long _receivedBytes;
    private long _transmittedFrames;
    private long _transmittedBytes;
    private long _receiveDropped;
    private long _transmitDropped;

    // Frames given back from other threads: slot + 1 per entry (0 = empty), a ring of at least FrameCount entries.
    // Producers claim a position with an atomic increment after winning the slot's generation CAS; the port's thread
    // consumes in order. At most FrameCount entries can be pending (one per slot), so a position is never reused
    // before the port's thread has cleared it.
    private readonly int[] _returned;
    private readonly int _returnedMask;
    private long _returnedTail;
    private long _returnedHead;

    private protected PacketPort(string name, int frameCount, int frameCapacityBytes)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameCapacityBytes);
        _name = name;
        _slots = new FrameSlot[frameCount];
        _frameCapacityBytes = frameCapacityBytes;
        _returned = new int[(int)BitOperations.RoundUpToPowerOf2((uint)frameCount)];
        _returnedMask = _returned.Length - 1;

        // Tag 0 is reserved for default(Frame); wrapping after 65535 ports only weakens the foreign-port check, the
        // generation check still holds.
        int tag;
        do
        {
            tag = Interlocked.Increment(ref s_nextTag) & 0xFFFF;
        }
        while (tag == 0);
        _tag = (ushort)tag;
    }

    /// <summary>Raised once by <see cref="Dispose()"/> when the user still held frames (a leak).</summary>
    public event EventHandler<FrameLeakEventArgs>? FramesLeaked;

    /// <inheritdoc/>
    public string Name => _name;

    /// <inheritdoc/>
    public int FrameCount => _slots.Length;

    /// <inheritdoc/>
    public int FrameCapacityBytes => _frameCapacityBytes;

    /// <inheritdoc/>
    public int OutstandingFrames => _outstanding;

    /// <summary>Whether the port has been disposed.</summary>
    public bool IsDisposed => _disposed;

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    /// <exception cref="IOException">The underlying device or file failed (port-specific; see the port).</exception>
    public int Receive(Span<Frame> frames)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RecycleReturned();
        if (frames.IsEmpty)
        {
            return 0;
        }

        int count = ReceiveCore(frames);
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            bytes += frames[i].Length;
        }

        _receivedFrames += count;
        _receivedBytes += bytes;
        return count;
    }

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    /// <exception cref="NotSupportedException">The port cannot transmit (e.g. a read-only pcap port).</exception>
    public int AllocateTransmit(Span<Frame> frames)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RecycleReturned();
        return frames.IsEmpty ? 0 : AllocateCore(frames);
    }

    /// <inheritdoc/>
    /// <exception cref="FrameOwnershipException">A handle is not owned by the caller, repeats in the batch, or has a
    /// length of 0 or beyond its capacity; nothing was transmitted or changed.</exception>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    /// <exception cref="NotSupportedException">The port cannot transmit (e.g. a read-only pcap port); nothing changed.</exception>
    /// <exception cref="IOException">The device or file failed; no frame of the batch was accepted.</exception>
    public int Transmit(ReadOnlySpan<Frame> frames)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RecycleReturned();
        if (frames.IsEmpty)
        {
            return 0;
        }

        BeginReturn(frames, transmit: true);
        int accepted;
        try
        {
            accepted = TransmitCore(frames);
        }
        catch
        {
            UndoReturn(frames);
            throw;
        }

        // The frames past the accepted prefix stay the caller's: undo their marks so the same handles live on.
        UndoReturn(frames[accepted..]);
        long bytes = 0;
        for (int i = 0; i < accepted; i++)
        {
            bytes += frames[i].Length;
        }

        _outstanding -= accepted;
        _transmittedFrames += accepted;
        _transmittedBytes += bytes;
        return accepted;
    }

    /// <inheritdoc/>
    /// <exception cref="FrameOwnershipException">A handle is not owned by the caller or repeats in the batch;
    /// nothing was released.</exception>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    public void Release(ReadOnlySpan<Frame> frames)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RecycleReturned();
        if (frames.IsEmpty)
        {
            return;
        }

        BeginReturn(frames, transmit: false);
        RecycleFrames(frames, bumpGenerations: false);
    }

    /// <inheritdoc/>
    /// <exception cref="FrameOwnershipException">The handle is not owned by the caller; nothing was released.</exception>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    public void Release(Frame frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RecycleReturned();
        ClaimOrThrow(frame, -1);
        _outstanding--;
        RecycleCore(frame.Slot);
    }

    /// <summary>
    /// Gives one frame back from any thread (a consumer that was handed the frame): the handle dies at once, and the
    /// port's thread recycles the slot at its next call (<see cref="Receive"/>, <see cref="AllocateTransmit"/>,
    /// <see cref="Transmit"/>, <see cref="Release(Frame)"/>, <see cref="RecycleReturnedFrames"/>). Until then the frame
    /// still counts in <see cref="OutstandingFrames"/>. Lock-free: one compare-and-swap and one atomic increment.
    /// </summary>
    /// <param name="frame">A frame owned by the caller.</param>
    /// <exception cref="FrameOwnershipException">The handle is not owned (already given back, by this or another
    /// thread, stale, foreign or forged); nothing was released.</exception>
    /// <exception cref="ObjectDisposedException">The port was disposed (the frame was reclaimed as a leak).</exception>
    public void ReleaseFromAnyThread(Frame frame)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        ClaimOrThrow(frame, -1);
        PublishReturned(ReserveReturned(1), frame.Slot);
    }

    /// <summary>
    /// Gives frames back from any thread (see <see cref="ReleaseFromAnyThread(Frame)"/>): one compare-and-swap per
    /// frame and one atomic add for the whole span. Not all-or-nothing: frames before a bad handle stay given back.
    /// </summary>
    /// <param name="frames">Frames owned by the caller.</param>
    /// <exception cref="FrameOwnershipException">A handle is not owned; it and the frames after it were not released.</exception>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    public void ReleaseFromAnyThread(ReadOnlySpan<Frame> frames)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        FrameSlot[] slots = _slots;
        int claimed = 0;
        Frame bad = default;
        for (; claimed < frames.Length; claimed++)
        {
            Frame frame = frames[claimed];
            if (!TryClaim(slots, frame))
            {
                bad = frame;
                break;
            }
        }

        PublishReturned(frames[..claimed]);
        if (claimed < frames.Length)
        {
            ThrowNotOwned(bad, claimed, default);
        }
    }

    /// <summary>
    /// <see cref="ReleaseFromAnyThread(ReadOnlySpan{Frame})"/> for the shared frames of steered descriptors (one
    /// atomic add per span); frames before a bad handle stay given back.
    /// </summary>
    internal void ReleaseFromAnyThread(ReadOnlySpan<Steering.SteeredPacket> packets)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        FrameSlot[] slots = _slots;
        int claimed = 0;
        for (; claimed < packets.Length; claimed++)
        {
            if (!TryClaim(slots, packets[claimed].Frame))
            {
                break;
            }
        }

        if (claimed > 0)
        {
            long position = ReserveReturned(claimed);
            for (int i = 0; i < claimed; i++)
            {
                PublishReturned(position + i, packets[i].Frame.Slot);
            }
        }

        if (claimed < packets.Length)
        {
            ThrowNotOwned(packets[claimed].Frame, claimed, default);
        }
    }

    /// <summary>
    /// On the port's thread: recycles the frames given back by <see cref="ReleaseFromAnyThread(Frame)"/> so far (every
    /// other call on the port's thread does this too). O(frames recycled), no allocation.
    /// </summary>
    /// <returns>How many frames were recycled.</returns>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    public int RecycleReturnedFrames()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long before = _returnedHead;
        RecycleReturned();
        return (int)(_returnedHead - before);
    }

    /// <inheritdoc/>
    /// <exception cref="FrameOwnershipException">The handle is not owned by the caller, or its length is negative
    /// or beyond its capacity.</exception>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe Span<byte> GetSpan(Frame frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ref FrameSlot slot = ref CheckOwned(frame, -1);
        if ((uint)frame.Length > (uint)slot.CapacityBytes)
        {
            NetThrowHelper.ThrowOwnership(_name, FrameOwnershipError.BadLength, frame, -1, slot.CapacityBytes);
        }

        return new Span<byte>((void*)slot.Address, frame.Length);
    }

    /// <summary>
    /// Gives back frames this library's code received on the port's thread and never let out of its hands (no user
    /// code ever saw the handles, e.g. <see cref="Steering.PacketSteering"/>'s sink path): no other thread can hold
    /// them, so the generations move on without a compare-and-swap. The slots are recycled in batches.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The port was disposed meanwhile (its frames were reclaimed).</exception>
    internal void ReleasePrivate(ReadOnlySpan<Frame> frames)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RecycleFrames(frames, bumpGenerations: true);
    }

    /// <summary>
    /// Puts the frames' slots back in the port's free pool, <see cref="RecycleChunk"/> at a time, and counts them as no
    /// longer outstanding; <paramref name="bumpGenerations"/> ends the handles first (callers that did not already).
    /// </summary>
    private void RecycleFrames(ReadOnlySpan<Frame> frames, bool bumpGenerations)
    {
        FrameSlot[] slots = _slots;
        Span<int> chunk = stackalloc int[RecycleChunk];
        _outstanding -= frames.Length;
        while (!frames.IsEmpty)
        {
            int n = Math.Min(frames.Length, RecycleChunk);
            for (int i = 0; i < n; i++)
            {
                int slot = frames[i].Slot;
                if (bumpGenerations)
                {
                    slots[slot].Generation++;
                }

                chunk[i] = slot;
            }

            RecycleCore(chunk[..n]);
            frames = frames[n..];
        }
    }

    /// <summary>
    /// The bytes of a frame this library's code received from the port a moment ago on the port's thread and still
    /// owns (no ownership check: the caller vouches for the handle).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe ReadOnlySpan<byte> ReceivedSpan(Frame frame) =>
        new((void*)_slots[frame.Slot].Address, frame.Length);

    /// <inheritdoc/>
    /// <exception cref="FrameOwnershipException">The handle is not owned by the caller.</exception>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    public unsafe Span<byte> GetBuffer(Frame frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ref FrameSlot slot = ref CheckOwned(frame, -1);
        return new Span<byte>((void*)slot.Address, slot.CapacityBytes);
    }

    /// <inheritdoc/>
    public bool IsOwned(Frame frame) =>
        !_disposed && frame.PortTag == _tag && (uint)frame.Slot < (uint)_slots.Length
        && (frame.Generation & 1) == 1 && _slots[frame.Slot].Generation == frame.Generation;

    /// <inheritdoc/>
    public PacketPortStatistics GetStatistics() => new()
    {
        ReceivedFrames = _receivedFrames,
        ReceivedBytes = _receivedBytes,
        TransmittedFrames = _transmittedFrames,
        TransmittedBytes = _transmittedBytes,
        ReceiveDroppedFrames = Volatile.Read(ref _receiveDropped),
        TransmitDroppedFrames = Volatile.Read(ref _transmitDropped),
        OutstandingFrames = _outstanding,
        LeakedFrames = _leaked,
    };

    /// <summary>
    /// Reads how many frames the kernel dropped on their way to this port since the port was created: frames that
    /// arrived for it and found no room (its receive ring full, no free frame to copy into), lost before
    /// <see cref="Receive"/> could see them. One getsockopt call on a port the kernel feeds
    /// (<see cref="PacketSocket.PacketSocketPort"/>: PACKET_STATISTICS <c>tp_drops</c>, which the kernel resets at every
    /// read, accumulated here; <see cref="Xdp.XdpPort"/>: XDP_STATISTICS <c>rx_dropped + rx_invalid_descs +
    /// rx_ring_full</c>). What the read finds is also added to <see cref="PacketPortStatistics.ReceiveDroppedFrames"/>.
    /// </summary>
    /// <remarks>
    /// Not counted: frames a device drops before the kernel hands them to the socket (e.g. an AF_XDP port in zero-copy
    /// mode whose fill ring ran empty: the device counts those), and frames the port was never meant to get (another
    /// EtherType, UDP outside an XDP port's range). Thread-safe: concurrent reads count each kernel drop once.
    /// </remarks>
    /// <param name="frames">The drops since the port was created; 0 when the method returns <see langword="false"/>.</param>
    /// <returns><see langword="true"/> for a port with a kernel socket; <see langword="false"/> for a port without one
    /// (<see cref="MemoryPort"/>, <see cref="Pcap.PcapPort"/>: their drops are all in
    /// <see cref="PacketPortStatistics.ReceiveDroppedFrames"/> already).</returns>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    /// <exception cref="IOException">The kernel refused to report its counters.</exception>
    public bool TryReadKernelDroppedFrames(out long frames)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return TryReadKernelDroppedFramesCore(out frames);
    }

    /// <inheritdoc/>
    /// <exception cref="FrameLeakException">The user holds <see cref="OutstandingFrames"/> &gt; 0 frames.</exception>
    public void ThrowIfFramesOutstanding()
    {
        if (!_disposed)
        {
            RecycleReturned();
        }

        if (_outstanding != 0)
        {
            NetThrowHelper.ThrowLeak(_name, _outstanding);
        }
    }

    /// <summary>
    /// Closes the port and frees its memory. Frames the user still holds are reclaimed: their handles die, they are
    /// counted in <see cref="PacketPortStatistics.LeakedFrames"/>, and <see cref="FramesLeaked"/> is raised. Never
    /// throws for a leak; call <see cref="ThrowIfFramesOutstanding"/> first to fail on one. Idempotent.
    /// </summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Describes the port.</summary>
    /// <returns>The type, name, frame count and outstanding count.</returns>
    public override string ToString() =>
        $"{GetType().Name}('{_name}', {_slots.Length} frames, {_outstanding} outstanding{(_disposed ? ", disposed" : string.Empty)})";

    /// <summary>Releases the port's resources.</summary>
    /// <param name="disposing"><see langword="true"/> from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        Volatile.Write(ref _disposed, true);
        int leaked = 0;
        for (int i = 0; i < _slots.Length; i++)
        {
            // Kill every live user handle so nothing can reach the memory after it is freed. A frame already given back
            // from another thread (queued, not yet recycled) is no leak. The CAS loses only to a concurrent
            // ReleaseFromAnyThread, which then owns the return (queued, not a leak).
            uint generation = Volatile.Read(ref _slots[i].Generation);
            if ((generation & 1) == 1 && Interlocked.CompareExchange(ref _slots[i].Generation, generation + 1, generation) == generation)
            {
                leaked++;
            }
        }

        _outstanding = 0;
        _leaked = leaked;
        DisposeCore();
        if (leaked > 0)
        {
            FramesLeaked?.Invoke(this, new FrameLeakEventArgs(_name, leaked));
        }
    }

    // ---- Extension points for the ports of this library ----

    /// <summary>Stores up to <c>frames.Length</c> received frames (each from <see cref="Issue"/>); returns the count.</summary>
    private protected abstract int ReceiveCore(Span<Frame> frames);

    /// <summary>Stores up to <c>frames.Length</c> free frames (each from <see cref="Issue"/> with length 0).</summary>
    private protected abstract int AllocateCore(Span<Frame> frames);

    /// <summary>
    /// Sends a prefix of the batch and returns its length. Every frame is checked and marked returned; the slots'
    /// addresses stay readable through <see cref="SlotAddress"/>. The accepted frames are the port's from now on
    /// (recycle them when done with them); the base class hands the rest back to the caller. Throwing accepts none.
    /// </summary>
    private protected abstract int TransmitCore(ReadOnlySpan<Frame> frames);

    /// <summary>The user gave the slot back without sending it: put it where the port keeps free frames.</summary>
    private protected abstract void RecycleCore(int slot);

    /// <summary>
    /// <see cref="RecycleCore(int)"/> for a batch (at most <see cref="RecycleChunk"/> slots): a port whose free pool
    /// takes a lock or a doorbell overrides it to pay that once per batch. The default recycles slot by slot.
    /// </summary>
    private protected virtual void RecycleCore(ReadOnlySpan<int> slots)
    {
        foreach (int slot in slots)
        {
            RecycleCore(slot);
        }
    }

    /// <summary>Frees the port's memory and handles; every user handle is already dead.</summary>
    private protected abstract void DisposeCore();

    /// <summary>
    /// <see cref="TryReadKernelDroppedFrames"/> for a live port: a port with a kernel socket reads its counters and
    /// returns the total since creation. The default is a port without one.
    /// </summary>
    private protected virtual bool TryReadKernelDroppedFramesCore(out long frames)
    {
        frames = 0;
        return false;
    }

    /// <summary>
    /// Hands the slot to the user: records where its data is and returns the live handle. The slot must be the
    /// port's (even generation): a port bug otherwise, caught here rather than by a later double issue.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected Frame Issue(int slot, nint address, int length, int capacityBytes)
    {
        ref FrameSlot record = ref _slots[slot];
        if ((record.Generation & 1) != 0 || (uint)length > (uint)capacityBytes)
        {
            ThrowIssueBug(slot, length, capacityBytes);
        }

        record.Address = address;
        record.CapacityBytes = capacityBytes;
        record.Generation++;
        _outstanding++;
        return new Frame(slot, record.Generation, length, _tag);
    }

    /// <summary>The data address recorded for the slot by its last <see cref="Issue"/>.</summary>
    private protected nint SlotAddress(int slot) => _slots[slot].Address;

    /// <summary>Counts frames that arrived but were dropped (thread-safe: a peer may count into this port).</summary>
    private protected void CountReceiveDropped(long frames) => Interlocked.Add(ref _receiveDropped, frames);

    /// <summary>Counts frames accepted for transmit that were then dropped (thread-safe).</summary>
    private protected void CountTransmitDropped(long frames) => Interlocked.Add(ref _transmitDropped, frames);

    /// <summary>Checks the handle and claims its slot (generation + 1) with one CAS; throws if not owned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ClaimOrThrow(Frame frame, int batchIndex)
    {
        if (!TryClaim(_slots, frame))
        {
            ThrowNotOwned(frame, batchIndex, default);
        }
    }

    /// <summary>The port's thread: recycles the frames queued by <see cref="ReleaseFromAnyThread(Frame)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RecycleReturned()
    {
        if (Volatile.Read(ref _returned[(int)(_returnedHead & _returnedMask)]) != 0)
        {
            RecycleReturnedSlow();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecycleReturnedSlow()
    {
        int[] returned = _returned;
        long head = _returnedHead;
        int count = 0;
        Span<int> slots = stackalloc int[RecycleChunk];
        int pending = 0;
        while (true)
        {
            ref int entry = ref returned[(int)(head & _returnedMask)];
            int value = Volatile.Read(ref entry);
            if (value == 0)
            {
                // Empty, or a producer claimed the position and has not written it yet: picked up next time.
                break;
            }

            entry = 0;
            head++;
            count++;
            slots[pending++] = value - 1;
            if (pending == RecycleChunk)
            {
                RecycleCore(slots);
                pending = 0;
            }
        }

        if (pending > 0)
        {
            RecycleCore(slots[..pending]);
        }

        _returnedHead = head;
        _outstanding -= count;
    }

    /// <summary>Checks the handle and claims its slot (generation + 1) with one CAS; false if not owned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryClaim(FrameSlot[] slots, Frame frame) =>
        frame.PortTag == _tag && (uint)frame.Slot < (uint)slots.Length && (frame.Generation & 1) == 1
        && Interlocked.CompareExchange(ref slots[frame.Slot].Generation, frame.Generation + 1, frame.Generation) == frame.Generation;

    /// <summary>Queues claimed frames for the port's thread: one atomic add reserves their positions.</summary>
    private void PublishReturned(ReadOnlySpan<Frame> frames)
    {
        if (frames.IsEmpty)
        {
            return;
        }

        long position = ReserveReturned(frames.Length);
        for (int i = 0; i < frames.Length; i++)
        {
            PublishReturned(position + i, frames[i].Slot);
        }
    }

    /// <summary>Reserves <paramref name="count"/> consecutive places in the returned-frames ring (one atomic add).</summary>
    private long ReserveReturned(int count) => Interlocked.Add(ref _returnedTail, count) - count;

    /// <summary>Publishes a claimed slot at a reserved place of the returned-frames ring for the port's thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PublishReturned(long position, int slot) =>
        Volatile.Write(ref _returned[(int)(position & _returnedMask)], slot + 1);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowIssueBug(int slot, int length, int capacityBytes) =>
        throw new InvalidOperationException(
            $"Port bug: slot {slot} issued while already owned by the user, or with length {length} beyond capacity {capacityBytes}.");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref FrameSlot CheckOwned(Frame frame, int batchIndex)
    {
        FrameSlot[] slots = _slots;
        if (frame.PortTag != _tag || (uint)frame.Slot >= (uint)slots.Length || (frame.Generation & 1) == 0
            || slots[frame.Slot].Generation != frame.Generation)
        {
            ThrowNotOwned(frame, batchIndex, default);
        }

        return ref slots[frame.Slot];
    }

    /// <summary>
    /// Checks every handle and marks it returned (generation + 1, so a repeat in the same batch fails its check);
    /// on a bad handle, undoes the marks and throws. Transmit also requires lengths from 1 to the capacity.
    /// </summary>
    private void BeginReturn(ReadOnlySpan<Frame> frames, bool transmit)
    {
        FrameSlot[] slots = _slots;
        for (int i = 0; i < frames.Length; i++)
        {
            Frame frame = frames[i];
            if (frame.PortTag != _tag || (uint)frame.Slot >= (uint)slots.Length || (frame.Generation & 1) == 0
                || slots[frame.Slot].Generation != frame.Generation)
            {
                UndoReturn(frames[..i]);
                ThrowNotOwned(frame, i, frames[..i]);
            }

            ref FrameSlot slot = ref slots[frame.Slot];
            if (transmit && (frame.Length <= 0 || frame.Length > slot.CapacityBytes))
            {
                UndoReturn(frames[..i]);
                if (frame.Length == 0)
                {
                    NetThrowHelper.ThrowEmptyTransmit(_name, frame, i);
                }

                NetThrowHelper.ThrowOwnership(_name, FrameOwnershipError.BadLength, frame, i, slot.CapacityBytes);
            }

            if (Interlocked.CompareExchange(ref slot.Generation, frame.Generation + 1, frame.Generation) != frame.Generation)
            {
                // Another thread gave this frame back between the check and the claim.
                UndoReturn(frames[..i]);
                ThrowNotOwned(frame, i, frames[..i]);
            }
        }
    }

    private void UndoReturn(ReadOnlySpan<Frame> frames)
    {
        for (int i = 0; i < frames.Length; i++)
        {
            // Only this thread can hold a claimed (even) generation of a slot it claimed; no other thread can move it.
            _ = Interlocked.Decrement(ref _slots[frames[i].Slot].Generation);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowNotOwned(Frame frame, int batchIndex, ReadOnlySpan<Frame> earlierInBatch)
    {
        FrameOwnershipError error;
        if (frame.IsDefault || (frame.Generation & 1) == 0 || (frame.PortTag == _tag && (uint)frame.Slot >= (uint)_slots.Length))
        {
            error = FrameOwnershipError.NotIssued;
        }
        else if (frame.PortTag != _tag)
        {
            error = FrameOwnershipError.ForeignPort;
        }
        else if (earlierInBatch.Contains(frame) || ContainsSlotGeneration(earlierInBatch, frame))
        {
            error = FrameOwnershipError.DuplicateInBatch;
        }
        else
        {
            // How far the slot has moved on since this handle's issue: 1 step = given back once, more = reissued;
            // a handle from the future (negative distance) was never issued.
            int distance = unchecked((int)(_slots[frame.Slot].Generation - frame.Generation));
            error = distance == 1 ? FrameOwnershipError.AlreadyReturned
                : distance > 1 ? FrameOwnershipError.Stale
                : FrameOwnershipError.NotIssued;
        }

        NetThrowHelper.ThrowOwnership(_name, error, frame, batchIndex, 0);
    }

    private static bool ContainsSlotGeneration(ReadOnlySpan<Frame> frames, Frame frame)
    {
        foreach (Frame other in frames)
        {
            if (other.Slot == frame.Slot && other.Generation == frame.Generation)
            {
                return true;
            }
        }

        return false;
    }
}
