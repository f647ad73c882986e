using System.Runtime.CompilerServices;
using EdgeOS.Core.Memory;
using static EdgeOS.Core.Channels.Internal.ChannelDescriptor;

namespace EdgeOS.Core.Channels.Internal;

/// <summary>What a ring tells the shared waiting code about its state (slow paths only, so an interface is fine).</summary>
internal interface IChannelWaitTarget
{
    /// <summary>Whether the consumer has something to read. <paramref name="thorough"/>: also act on blocked records now.</summary>
    bool IsReadable(bool thorough);

    /// <summary>Whether nothing at all is pending: no record, no claim in progress.</summary>
    bool IsDrained();

    /// <summary>Whether a producer could claim <paramref name="requestBytes"/> now (a record length or a slot count).</summary>
    bool HasSpace(int requestBytes);
}

/// <summary>
/// The machinery every ring kind shares over the header described by <see cref="ChannelDescriptor"/>: identities,
/// heartbeats, liveness checks, parking and waking, counters and metrics registration. Hot paths never call into
/// it except <see cref="SignalConsumer"/> and <see cref="SignalProducers"/>.
/// </summary>
internal sealed unsafe class ChannelControl : IDisposable
{
    private static readonly Action<object?> s_wakeConsumerWaiters = static state => ((ChannelControl)state!).WakeConsumerWaiters();
    private static readonly Action<object?> s_wakeProducerWaiters = static state => ((ChannelControl)state!).WakeProducerWaiters();

    private readonly MemoryRegion _region;
    private readonly byte* _header;
    private readonly long _peerTimeoutNanoseconds;
    private readonly long _livenessIntervalNanoseconds;
    private Timer? _heartbeatTimer;
    private int _disposed;

    internal ChannelControl(MemoryRegion region, byte* header, ChannelKind kind, ChannelOptions options, int producerSlotCount)
    {
        _region = region;
        _header = header;
        Kind = kind;
        Options = options;
        Name = options.Name;
        ProducerSlotCount = producerSlotCount;
        ProducerSlot = -1;
        _peerTimeoutNanoseconds = Math.Max(1, (long)(options.PeerTimeout.TotalMilliseconds * 1_000_000));
        _livenessIntervalNanoseconds = Math.Max(1_000_000, (long)(options.LivenessCheckInterval.TotalMilliseconds * 1_000_000));
    }

    internal ChannelKind Kind { get; }

    internal ChannelOptions Options { get; }

    internal string Name { get; }

    internal int ProducerSlotCount { get; }

    /// <summary>This object's producer slot, or -1 when it is not a producer.</summary>
    internal int ProducerSlot { get; private set; }

    /// <summary>The epoch this object's producer registration got (its marker identity), 0 when not a producer.</summary>
    internal long ProducerEpoch { get; private set; }

    internal bool IsConsumer { get; private set; }

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal byte* Header => _header;

    internal MemoryRegion Region => _region;

    internal long PeerTimeoutNanoseconds => _peerTimeoutNanoseconds;

    internal long LivenessIntervalNanoseconds => _livenessIntervalNanoseconds;

    internal string EndpointText => (IsConsumer, ProducerSlot >= 0) switch
    {
        (true, true) => "both",
        (true, false) => "consumer",
        (false, true) => "producer",
        _ => "none",
    };

    internal byte* ConsumerLine => _header + ConsumerIdentityOffset;

    internal byte* ProducerLine(int slot) => _header + ProducerSlotOffset(slot);

    internal ref long Field(int offset) => ref *(long*)(_header + offset);

    internal ref int Field32(int offset) => ref *(int*)(_header + offset);

    // ---- identities --------------------------------------------------------------------------------------------

    /// <summary>Registers this object as the consumer; refused when a live consumer holds the line.</summary>
    internal void RegisterConsumer()
    {
        _ = TakeIdentity(ConsumerLine, "consumer", throwIfTaken: true);
        IsConsumer = true;
    }

    /// <summary>Registers this object as a producer in the first free (or abandoned) slot.</summary>
    internal void RegisterProducer()
    {
        // Free or cleanly detached slots first, then slots whose owner is dead.
        for (int pass = 0; pass < 2; pass++)
        {
            for (int slot = 0; slot < ProducerSlotCount; slot++)
            {
                byte* line = ProducerLine(slot);
                int state = Volatile.Read(ref *(int*)(line + IdentityStateOffset));
                bool candidate = pass == 0
                    ? state is StateFree or StateDetached
                    : state is StateAttached or StateRegistering && ReadPeer(line).Status == ChannelPeerStatus.Dead;
                if (!candidate)
                {
                    continue;
                }

                long epoch = TakeIdentity(line, "producer", throwIfTaken: ProducerSlotCount == 1, expectedState: state);
                if (epoch != 0)
                {
                    ProducerSlot = slot;
                    ProducerEpoch = epoch;
                    return;
                }
            }
        }

        if (ProducerSlotCount == 1)
        {
            ChannelThrowHelper.ThrowEndpointTaken(Name, "producer", ReadPeer(ProducerLine(0)));
        }

        ChannelThrowHelper.ThrowNoProducerSlot(Name, ProducerSlotCount);
    }

    /// <summary>Writes this object's heartbeats now (cheap: a clock read and one or two stores to its own lines).</summary>
    internal void Heartbeat()
    {
        long now = PeerLiveness.NowNanoseconds();
        if (IsConsumer)
        {
            Volatile.Write(ref *(long*)(ConsumerLine + IdentityHeartbeatOffset), now);
        }

        if (ProducerSlot >= 0)
        {
            Volatile.Write(ref *(long*)(ProducerLine(ProducerSlot) + IdentityHeartbeatOffset), now);
        }
    }

    /// <summary>Reads an identity line and checks the peer against the operating system (slow: may read /proc).</summary>
    internal ChannelPeerInfo ReadPeer(byte* line)
    {
        int state = Volatile.Read(ref *(int*)(line + IdentityStateOffset));
        int pid = *(int*)(line + IdentityPidOffset);
        ulong startTime = *(ulong*)(line + IdentityStartTimeOffset);
        long epoch = *(long*)(line + IdentityEpochOffset);
        long heartbeat = Volatile.Read(ref *(long*)(line + IdentityHeartbeatOffset));
        long age = heartbeat == 0 ? 0 : Math.Max(0, PeerLiveness.NowNanoseconds() - heartbeat);
        ChannelPeerStatus status = state switch
        {
            StateFree => ChannelPeerStatus.None,
            StateDetached => ChannelPeerStatus.Detached,
            _ => (PeerLiveness.IsProcessAlive(pid, startTime) ?? age <= _peerTimeoutNanoseconds) ? ChannelPeerStatus.Alive : ChannelPeerStatus.Dead,
        };
        return new ChannelPeerInfo(status, pid, startTime, epoch, TimeSpan.FromTicks(age / 100));
    }

    // ---- waking ------------------------------------------------------------------------------------------------
    //
    // No lost wake-up (Dekker): a waiter (1) reads the wait word, (2) increments the waiter count with a full fence
    // (Interlocked), (3) re-checks its condition, (4) parks only while the word still has the value read in (1).
    // A waker (a) publishes (the record length, head or tail), (b) issues a full fence, (c) reads the waiter count
    // and, when it is non-zero, bumps the word and wakes. With full fences between (2)-(3) and (a)-(c), either (3)
    // sees (a), so the waiter does not park, or (c) sees (2), so the waker bumps the word after (1): the futex wait
    // in (4) then returns at once (the word differs) or is woken. The futex is not FUTEX_PRIVATE, so waiter and
    // waker may be different processes mapping the same word.

    /// <summary>Producer side, after publishing: wake the consumer if it is parked. Costs a full fence and a load.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SignalConsumer()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref Field32(ConsumerWaitersOffset)) != 0)
        {
            WakeConsumerWaiters();
        }
    }

    /// <summary>Consumer side, after releasing space: wake producers parked on a full ring.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SignalProducers()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref Field32(ProducerWaitersOffset)) != 0)
        {
            WakeProducerWaiters();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void WakeConsumerWaiters()
    {
        Interlocked.Increment(ref Field32(ConsumerWaitWordOffset));
        ChannelParking.WakeAll((int*)(_header + ConsumerWaitWordOffset));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void WakeProducerWaiters()
    {
        Interlocked.Increment(ref Field32(ProducerWaitWordOffset));
        ChannelParking.WakeAll((int*)(_header + ProducerWaitWordOffset));
    }

    // ---- waiting -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Waits until the consumer can read: spin, yield, then park (bounded by the liveness interval, so that dead
    /// producers and stuck records are noticed while parked). False on timeout, or when every producer detached
    /// cleanly and nothing is left; throws when nothing is left and a producer died.
    /// </summary>
    internal bool WaitConsumer(IChannelWaitTarget target, long timeoutNanoseconds, CancellationToken cancellationToken)
    {
        if (SpinThenYield(target, producer: false, 0, cancellationToken))
        {
            return true;
        }

        Field(EmptyEventsOffset)++;
        long start = PeerLiveness.NowNanoseconds();
        long lastCheck = long.MinValue;
        CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(s_wakeConsumerWaiters, this)
            : default;
        try
        {
            while (true)
            {
                long now = PeerLiveness.NowNanoseconds();
                if (now - lastCheck >= _livenessIntervalNanoseconds)
                {
                    lastCheck = now;
                    Heartbeat();
                    if (target.IsReadable(thorough: true))
                    {
                        return true;
                    }

                    if (target.IsDrained() && !CheckProducersForConsumer())
                    {
                        return false;
                    }
                }

                long remaining = timeoutNanoseconds < 0 ? long.MaxValue : timeoutNanoseconds - (now - start);
                if (remaining <= 0)
                {
                    return false;
                }

                int* word = (int*)(_header + ConsumerWaitWordOffset);
                int observed = Volatile.Read(ref *word);
                Interlocked.Increment(ref Field32(ConsumerWaitersOffset));
                try
                {
                    if (target.IsReadable(thorough: false))
                    {
                        return true;
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    ChannelParking.Park(word, observed, Math.Min(remaining, _livenessIntervalNanoseconds));
                }
                finally
                {
                    Interlocked.Decrement(ref Field32(ConsumerWaitersOffset));
                }

                if (target.IsReadable(thorough: false))
                {
                    return true;
                }

                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            registration.Dispose();
        }
    }

    /// <summary>
    /// Waits until a producer could claim <paramref name="requestBytes"/>; false on timeout; throws
    /// <see cref="ChannelPeerDeadException"/> when the consumer died or detached.
    /// </summary>
    internal bool WaitProducer(IChannelWaitTarget target, int requestBytes, long timeoutNanoseconds, CancellationToken cancellationToken)
    {
        if (SpinThenYield(target, producer: true, requestBytes, cancellationToken))
        {
            return true;
        }

        long start = PeerLiveness.NowNanoseconds();
        long lastCheck = long.MinValue;
        CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(s_wakeProducerWaiters, this)
            : default;
        try
        {
            while (true)
            {
                long now = PeerLiveness.NowNanoseconds();
                if (now - lastCheck >= _livenessIntervalNanoseconds)
                {
                    lastCheck = now;
                    Heartbeat();
                    if (target.HasSpace(requestBytes))
                    {
                        return true;
                    }

                    ThrowIfConsumerGone("space");
                }

                long remaining = timeoutNanoseconds < 0 ? long.MaxValue : timeoutNanoseconds - (now - start);
                if (remaining <= 0)
                {
                    return false;
                }

                int* word = (int*)(_header + ProducerWaitWordOffset);
                int observed = Volatile.Read(ref *word);
                Interlocked.Increment(ref Field32(ProducerWaitersOffset));
                try
                {
                    if (target.HasSpace(requestBytes))
                    {
                        return true;
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    ChannelParking.Park(word, observed, Math.Min(remaining, _livenessIntervalNanoseconds));
                }
                finally
                {
                    Interlocked.Decrement(ref Field32(ProducerWaitersOffset));
                }

                if (target.HasSpace(requestBytes))
                {
                    return true;
                }

                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            registration.Dispose();
        }
    }

    /// <summary>Throws <see cref="ChannelPeerDeadException"/> when the consumer was attached and is now dead or detached.</summary>
    internal void ThrowIfConsumerGone(string waitingFor)
    {
        ChannelPeerInfo consumer = ReadPeer(ConsumerLine);
        if (consumer.Status is ChannelPeerStatus.Dead or ChannelPeerStatus.Detached)
        {
            ChannelThrowHelper.ThrowPeerDead(Name, ChannelPeerRole.Consumer, -1, consumer, waitingFor);
        }
    }

    /// <summary>
    /// For a consumer facing a drained ring: true while some producer is alive or none ever attached (keep waiting);
    /// false when every producer that attached detached cleanly (completed); throws when none is alive and one died.
    /// </summary>
    internal bool CheckProducersForConsumer()
    {
        bool anyAlive = false;
        bool anyAttachedEver = false;
        int deadSlot = -1;
        ChannelPeerInfo dead = default;
        for (int slot = 0; slot < ProducerSlotCount; slot++)
        {
            ChannelPeerInfo peer = ReadPeer(ProducerLine(slot));
            switch (peer.Status)
            {
                case ChannelPeerStatus.Alive:
                    anyAlive = true;
                    break;
                case ChannelPeerStatus.Dead:
                    anyAttachedEver = true;
                    deadSlot = slot;
                    dead = peer;
                    break;
                case ChannelPeerStatus.Detached:
                    anyAttachedEver = true;
                    break;
            }
        }

        if (anyAlive || !anyAttachedEver)
        {
            return true;
        }

        if (deadSlot >= 0)
        {
            ChannelThrowHelper.ThrowPeerDead(Name, ChannelPeerRole.Producer, deadSlot, dead, "data");
        }

        return false;
    }

    // ---- counters (sums over the lines that hold them) ---------------------------------------------------------

    internal long SumProducerField(int fieldOffset)
    {
        long sum = 0;
        for (int slot = 0; slot < ProducerSlotCount; slot++)
        {
            sum += Volatile.Read(ref *(long*)(ProducerLine(slot) + fieldOffset));
        }

        return sum;
    }

    internal long ReadField(int offset) => Volatile.Read(ref Field(offset));

    /// <summary>Bytes (byte rings) or slots (descriptor rings) published and not yet consumed.</summary>
    internal long Depth
    {
        get
        {
            long head = ReadField(HeadOffset);
            long tail = ReadField(TailOffset);
            long capacity = Kind == ChannelKind.Descriptors ? *(uint*)(_header + SlotCountOffset) : *(uint*)(_header + CapacityOffset);
            return Math.Clamp(tail - head, 0, capacity);
        }
    }

    // ---- lifetime ----------------------------------------------------------------------------------------------

    internal void Start()
    {
        if (Options.HeartbeatInterval is TimeSpan interval && interval > TimeSpan.Zero && (IsConsumer || ProducerSlot >= 0))
        {
            _heartbeatTimer = new Timer(static state => ((ChannelControl)state!).Heartbeat(), this, interval, interval);
        }

        if (Options.EnableMetrics)
        {
            ChannelMetrics.Register(this);
        }
    }

    /// <summary>Detaches this object's identities (cleanly: peers see <see cref="ChannelPeerStatus.Detached"/>) and stops its timer.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _heartbeatTimer?.Dispose();
        ChannelMetrics.Unregister(this);
        if (_region.IsDisposed)
        {
            return;
        }

        if (IsConsumer)
        {
            Volatile.Write(ref *(int*)(ConsumerLine + IdentityStateOffset), StateDetached);
            WakeProducerWaiters();
        }

        if (ProducerSlot >= 0)
        {
            Volatile.Write(ref *(int*)(ProducerLine(ProducerSlot) + IdentityStateOffset), StateDetached);
            WakeConsumerWaiters();
        }
    }

    private bool SpinThenYield(IChannelWaitTarget target, bool producer, int requestBytes, CancellationToken cancellationToken)
    {
        int spins = Options.SpinCount;
        for (int i = 0; i < spins; i++)
        {
            if (producer ? target.HasSpace(requestBytes) : target.IsReadable(thorough: false))
            {
                return true;
            }

            Thread.SpinWait(8);
        }

        cancellationToken.ThrowIfCancellationRequested();
        int yields = Options.YieldCount;
        for (int i = 0; i < yields; i++)
        {
            if (producer ? target.HasSpace(requestBytes) : target.IsReadable(thorough: false))
            {
                return true;
            }

            _ = Thread.Yield();
        }

        return producer ? target.HasSpace(requestBytes) : target.IsReadable(thorough: false);
    }

    // Takes an identity line: CAS its state to "registering", fill it in, then publish "attached" with release
    // semantics (readers that see "attached" see the fields). Returns the new epoch, or 0 when another registrant
    // won the CAS.
    private long TakeIdentity(byte* line, string endpoint, bool throwIfTaken, int expectedState = -1)
    {
        ref int state = ref *(int*)(line + IdentityStateOffset);
        int current = expectedState >= 0 ? expectedState : Volatile.Read(ref state);
        if (current is StateAttached or StateRegistering)
        {
            ChannelPeerInfo holder = ReadPeer(line);
            if (holder.Status == ChannelPeerStatus.Alive)
            {
                if (throwIfTaken)
                {
                    ChannelThrowHelper.ThrowEndpointTaken(Name, endpoint, holder);
                }

                return 0;
            }
        }

        if (Interlocked.CompareExchange(ref state, StateRegistering, current) != current)
        {
            if (throwIfTaken)
            {
                ChannelThrowHelper.ThrowEndpointTaken(Name, endpoint, ReadPeer(line));
            }

            return 0;
        }

        long epoch = Interlocked.Increment(ref Field(AttachCounterOffset));
        *(int*)(line + IdentityPidOffset) = Environment.ProcessId;
        *(ulong*)(line + IdentityStartTimeOffset) = PeerLiveness.CurrentStartTime;
        *(long*)(line + IdentityEpochOffset) = epoch;
        *(long*)(line + IdentityHeartbeatOffset) = PeerLiveness.NowNanoseconds();
        if (endpoint == "producer")
        {
            *(int*)(line + SlotClaimStateOffset) = 0;
            *(int*)(line + SlotClaimLengthOffset) = 0;
        }

        Volatile.Write(ref state, StateAttached);
        return epoch;
    }
}
