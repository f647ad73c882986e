using EdgeOS.Core.Memory;

namespace EdgeOS.Net;

/// <summary>
/// One end of an in-process wire: what one port of a pair transmits, the other receives. For unit tests and for
/// connecting two components in one process without the kernel. Create with <see cref="CreatePair"/>.
/// </summary>
/// <remarks>
/// <para>
/// Each port owns a <see cref="MemoryRegion"/> split into <see cref="MemoryPortOptions.FrameCount"/> fixed frames.
/// Transmit copies each frame into a free frame of the peer and queues it there, like a NIC writing into its receive
/// buffers: the sent frame goes back to the sender's pool at once. When the peer has no free frame (its user holds
/// them all, or its queue is full) or is disposed, the frame is dropped and counted in the peer's
/// <see cref="PacketPortStatistics.ReceiveDroppedFrames"/> and the sender's
/// <see cref="PacketPortStatistics.TransmitDroppedFrames"/>; transmit itself always accepts the whole batch.
/// </para>
/// <para>
/// Thread-safety: each port is used by one thread at a time, but the two ends may run on two threads: a short lock
/// guards each port's free pool and receive queue, which the peer also touches. The lock is taken once per batch, not
/// per frame: once per receive, allocate or release of a batch, twice per transmitted batch (the peer's queue, then
/// this port's pool), and once per up to 256 frames given back through
/// <see cref="PacketPort.ReleaseFromAnyThread(Frame)"/> when the port's thread recycles them. Cost: one copy per
/// frame, no allocation.
/// </para>
/// </remarks>
public sealed unsafe class MemoryPort : PacketPort
{
    private readonly Lock _gate = new();
    private readonly MemoryRegion _region;
    private readonly byte* _base;
    private readonly int _frameSizeBytes;
    private readonly int _headroomBytes;
    private readonly int[] _free;
    private readonly ulong[] _queue;   // (slot << 32) | length, a ring of FrameCount entries
    private int _freeCount;
    private int _queueHead;
    private int _queueCount;
    private bool _closed;
    private MemoryPort? _peer;

    private MemoryPort(string name, MemoryPortOptions options)
        : base(name, options.FrameCount, options.FrameSizeBytes - options.HeadroomBytes)
    {
        int count = options.FrameCount;
        _frameSizeBytes = options.FrameSizeBytes;
        _headroomBytes = options.HeadroomBytes;
        _region = MemoryRegion.Allocate((long)count * _frameSizeBytes, new MemoryRegionOptions { Account = options.Account, AlignmentBytes = 64 });
        _base = _region.DangerousPointer;
        _free = new int[count];
        _queue = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            // Lowest slots on top, so a fresh port hands out slot 0 first (deterministic tests).
            _free[i] = count - 1 - i;
        }

        _freeCount = count;
    }

    /// <summary>The port at the other end of the wire, or <see langword="null"/> once disposed.</summary>
    public MemoryPort? Peer => _closed ? null : _peer;

    /// <summary>How many received frames wait in the queue (not yet taken by <see cref="PacketPort.Receive"/>).</summary>
    public int PendingReceiveFrames
    {
        get
        {
            lock (_gate)
            {
                return _queueCount;
            }
        }
    }

    /// <summary>
    /// Creates two connected ports, each with its own frame memory. Cost: two region allocations of
    /// <c>FrameCount * FrameSizeBytes</c> bytes each.
    /// </summary>
    /// <param name="options">Sizes; <see langword="null"/> for the defaults.</param>
    /// <param name="name">A name for diagnostics; the ports are called <c>name.0</c> and <c>name.1</c>.</param>
    /// <returns>The two ends.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    /// <exception cref="MemoryQuotaExceededException">The account cannot take the frame memory; nothing is allocated.</exception>
    public static (MemoryPort First, MemoryPort Second) CreatePair(MemoryPortOptions? options = null, string name = "memory")
    {
        options ??= new MemoryPortOptions();
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.FrameCount, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.FrameCount, MemoryPortOptions.FrameCountMax, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.FrameSizeBytes, MemoryPortOptions.FrameSizeBytesMin, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.FrameSizeBytes, MemoryPortOptions.FrameSizeBytesMax, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.HeadroomBytes, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.HeadroomBytes, options.FrameSizeBytes - 60, nameof(options));

        var first = new MemoryPort(name + ".0", options);
        MemoryPort second;
        try
        {
            second = new MemoryPort(name + ".1", options);
        }
        catch
        {
            first.Dispose();
            throw;
        }

        first._peer = second;
        second._peer = first;
        return (first, second);
    }

    private protected override int ReceiveCore(Span<Frame> frames)
    {
        lock (_gate)
        {
            ulong[] queue = _queue;
            int head = _queueHead;
            int count = Math.Min(frames.Length, _queueCount);
            int capacity = FrameCapacityBytes;
            for (int i = 0; i < count; i++)
            {
                ulong entry = queue[head];
                head = head + 1 == queue.Length ? 0 : head + 1;
                int slot = (int)(entry >> 32);
                frames[i] = Issue(slot, SlotData(slot), (int)(uint)entry, capacity);
            }

            _queueHead = head;
            _queueCount -= count;
            return count;
        }
    }

    private protected override int AllocateCore(Span<Frame> frames)
    {
        lock (_gate)
        {
            int[] free = _free;
            int freeCount = _freeCount;
            int count = Math.Min(frames.Length, freeCount);
            int capacity = FrameCapacityBytes;
            for (int i = 0; i < count; i++)
            {
                int slot = free[--freeCount];
                frames[i] = Issue(slot, SlotData(slot), 0, capacity);
            }

            _freeCount = freeCount;
            return count;
        }
    }

    private protected override int TransmitCore(ReadOnlySpan<Frame> frames)
    {
        MemoryPort? peer = _peer;
        int delivered = 0;
        if (peer is not null)
        {
            lock (peer._gate)
            {
                // The peer's queue never overflows: a queued frame holds one of its FrameCount slots, a free one does
                // not, so at most FrameCount entries are ever queued.
                delivered = peer._closed ? 0 : Math.Min(frames.Length, peer._freeCount);
                int[] free = peer._free;
                int freeCount = peer._freeCount;
                ulong[] queue = peer._queue;
                int tail = peer._queueHead + peer._queueCount;
                if (tail >= queue.Length)
                {
                    tail -= queue.Length;
                }

                int capacity = peer.FrameCapacityBytes;
                for (int i = 0; i < delivered; i++)
                {
                    Frame frame = frames[i];
                    int target = free[--freeCount];
                    new ReadOnlySpan<byte>((void*)SlotAddress(frame.Slot), frame.Length)
                        .CopyTo(new Span<byte>((void*)peer.SlotData(target), capacity));
                    queue[tail] = ((ulong)(uint)target << 32) | (uint)frame.Length;
                    tail = tail + 1 == queue.Length ? 0 : tail + 1;
                }

                peer._freeCount = freeCount;
                peer._queueCount += delivered;
            }
        }

        int dropped = frames.Length - delivered;
        if (dropped > 0)
        {
            peer?.CountReceiveDropped(dropped);
            CountTransmitDropped(dropped);
        }

        lock (_gate)
        {
            int[] free = _free;
            int freeCount = _freeCount;
            for (int i = 0; i < frames.Length; i++)
            {
                free[freeCount++] = frames[i].Slot;
            }

            _freeCount = freeCount;
        }

        return frames.Length;
    }

    private protected override void RecycleCore(int slot)
    {
        lock (_gate)
        {
            _free[_freeCount++] = slot;
        }
    }

    private protected override void RecycleCore(ReadOnlySpan<int> slots)
    {
        lock (_gate)
        {
            slots.CopyTo(_free.AsSpan(_freeCount));
            _freeCount += slots.Length;
        }
    }

    private protected override void DisposeCore()
    {
        lock (_gate)
        {
            _closed = true;
            _queueCount = 0;
        }

        _region.Dispose();
    }

    private nint SlotData(int slot) => (nint)(_base + ((long)slot * _frameSizeBytes) + _headroomBytes);
}
