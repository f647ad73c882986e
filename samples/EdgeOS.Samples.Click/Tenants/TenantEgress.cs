using EdgeOS.Net;

namespace EdgeOS.Samples.Click.Tenants;

/// <summary>
/// One tenant ToDevice's transmit queue: a single-producer, single-consumer ring of frame copies. The producer is the
/// tenant's FWP (its ToDevice, on whichever thread runs the tenant); the consumer is the host's device thread, which
/// alone calls the device port (ports are single-threaded). Fixed size, allocated once per tenant router: enqueueing
/// and draining allocate nothing.
/// </summary>
internal sealed class TenantTransmitQueue
{
    private readonly byte[] _data;
    private readonly int[] _lengths;
    private readonly int _slotBytes;
    private readonly int _mask;
    private long _head; // next slot the producer fills; written by the producer only
    private long _tail; // next slot the consumer sends; written by the consumer only
    private bool _retired;
    private readonly EgressDoorbell _doorbell;

    public TenantTransmitQueue(int slots, int slotBytes, EgressDoorbell doorbell)
    {
        _doorbell = doorbell;
        _slotBytes = slotBytes;
        _mask = slots - 1;
        _data = new byte[slots * slotBytes];
        _lengths = new int[slots];
    }

    /// <summary>Frames waiting for the host thread.</summary>
    public int Count => (int)(Volatile.Read(ref _head) - Volatile.Read(ref _tail));

    /// <summary>Whether its producer is gone for good (its tenant's router was replaced): the host drops it once empty.</summary>
    public bool IsRetired => Volatile.Read(ref _retired);

    /// <summary>Producer side: no frame will be enqueued any more (called on the replaced router's thread).</summary>
    public void Retire() => Volatile.Write(ref _retired, true);

    /// <summary>
    /// Producer: copies <paramref name="frame"/> into the ring and rings the host's doorbell (a syscall only when the host
    /// announced it is going to sleep); false when the ring is full or the frame longer than a slot.
    /// </summary>
    public bool TryEnqueue(ReadOnlySpan<byte> frame)
    {
        long head = _head;
        if (frame.Length > _slotBytes || frame.Length == 0 || head - Volatile.Read(ref _tail) > _mask)
        {
            return false;
        }

        int slot = (int)(head & _mask);
        frame.CopyTo(_data.AsSpan(slot * _slotBytes, _slotBytes));
        _lengths[slot] = frame.Length;
        Volatile.Write(ref _head, head + 1); // publishes the copy
        _doorbell.Published(); // wakes the host thread if it announced it is going to sleep
        return true;
    }

    /// <summary>
    /// Consumer (the port's thread): moves queued frames into transmit frames of <paramref name="port"/> and transmits
    /// them, <paramref name="scratch"/>.Length at a time. Frames the port cannot take now (its transmit ring is full)
    /// stay queued for the next call. Returns how many frames the port accepted.
    /// </summary>
    public int Drain(PacketPort port, Frame[] scratch)
    {
        int sent = 0;
        while (true)
        {
            long tail = _tail;
            int available = (int)Math.Min(Volatile.Read(ref _head) - tail, scratch.Length);
            if (available == 0)
            {
                return sent;
            }

            int allocated = port.AllocateTransmit(scratch.AsSpan(0, available));
            for (int i = 0; i < allocated; i++)
            {
                int slot = (int)((tail + i) & _mask);
                int length = _lengths[slot];
                _data.AsSpan(slot * _slotBytes, length).CopyTo(port.GetBuffer(scratch[i]));
                scratch[i] = scratch[i].WithLength(length);
            }

            int accepted = allocated == 0 ? 0 : port.Transmit(scratch.AsSpan(0, allocated));
            if (accepted < allocated)
            {
                port.Release(scratch.AsSpan(accepted, allocated - accepted));
            }

            Volatile.Write(ref _tail, tail + accepted); // frees the slots for the producer
            sent += accepted;
            if (accepted < available)
            {
                return sent; // the device is busy: the rest waits for the next drain
            }
        }
    }
}

/// <summary>
/// How tenants on FWP worker threads wake the host's device thread when they queue a frame for it, without a syscall per
/// frame: the host announces that it is going to sleep (<see cref="AnnounceSleep"/>), then checks the queues once more
/// and sleeps only if they are all empty; a producer that has published a frame (<see cref="Published"/>) signals the
/// host only if it finds the announcement, and takes it down (one signal per sleep, whichever producer comes first).
/// </summary>
/// <remarks>
/// No lost wake-up: each side writes its own variable, then a full fence, then reads the other's (the host: the sleep
/// flag, then every queue's head; a producer: its queue's head, then the flag). Two full fences order both store-load
/// pairs, so at least one side sees the other's write: either the host's re-check finds the frame (it does not sleep) or
/// the producer finds the flag (it signals). The signal (<see cref="ReceiveWakeup"/>, an eventfd) is counted until a
/// wait consumes it, so a signal sent between the host's re-check and its poll(2) ends that poll at once. A signal that
/// arrives after the host woke for another reason costs one spurious early wake-up, nothing else. While the host is busy
/// (its flag is down) a producer pays one fence and one read per frame, no syscall.
/// </remarks>
internal sealed class EgressDoorbell(Action? signal)
{
    private int _sleeping;
    private long _signals;

    /// <summary>Signals tenants sent to the host (how many of its announced sleeps a queued frame cut short).</summary>
    public long Signals => Interlocked.Read(ref _signals);

    /// <summary>Host: it is about to sleep; the caller must check the queues again afterwards and sleep only if they are empty.</summary>
    public void AnnounceSleep() => Interlocked.Exchange(ref _sleeping, 1); // a full fence: the re-check reads after this write

    /// <summary>Host: it is awake again (signals are not needed while it works).</summary>
    public void EndSleep() => Volatile.Write(ref _sleeping, 0);

    /// <summary>Producer, after publishing a frame: wakes the host if it announced it is going to sleep.</summary>
    public void Published()
    {
        Interlocked.MemoryBarrier(); // the head written before is visible before the flag is read
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.Exchange(ref _sleeping, 0) != 0)
        {
            Interlocked.Increment(ref _signals);
            signal?.Invoke();
        }
    }

    /// <summary>Wakes the host now whatever its state (a stop request); the signal is kept until its next wait if it is awake.</summary>
    public void Wake() => signal?.Invoke();
}

/// <summary>
/// The host's device, as tenants see it (<c>click --tenants N --device IFACE</c>): a tenant's <c>ToDevice(IFACE)</c>
/// writes into a <see cref="TenantTransmitQueue"/> of its own, and the host's device thread (the only thread that
/// calls the port) drains every queue onto the device after each poll. So transmit is serialized on the port's
/// thread whatever thread runs a tenant (FWP workers or the host's), and tenants never contend with each other. When the
/// host thread goes to sleep, a tenant that queues a frame wakes it through <see cref="Doorbell"/>, which calls
/// <paramref name="wake"/> (the driver's: signal the <see cref="EdgeOS.Net.ReceiveWakeup"/> the host's wait polls).
/// </summary>
internal sealed class TenantEgress(string deviceName, int frameBytesMax, Action? wake = null)
{
    /// <summary>Slots of each tenant ToDevice's transmit queue (frames waiting for the host thread).</summary>
    public const int QueueSlots = 256;

    private readonly Lock _sync = new();
    private readonly Frame[] _scratch = new Frame[64];
    private TenantTransmitQueue[] _queues = [];
    private long _transmitted;

    /// <summary>How tenants wake the host thread when they queue frames while it sleeps.</summary>
    public EgressDoorbell Doorbell { get; } = new(wake);

    /// <summary>The host's device (<c>--device</c>): the only one a tenant's ToDevice may name.</summary>
    public string DeviceName { get; } = deviceName;

    /// <summary>The longest frame the device transmits (its port's frame capacity).</summary>
    public int FrameBytesMax { get; } = frameBytesMax;

    /// <summary>Frames the host transmitted for the tenants.</summary>
    public long TransmittedFrames => Volatile.Read(ref _transmitted);

    /// <summary>Frames waiting in the tenants' queues.</summary>
    public int PendingFrames
    {
        get
        {
            int n = 0;
            foreach (TenantTransmitQueue q in Volatile.Read(ref _queues))
            {
                n += q.Count;
            }

            return n;
        }
    }

    /// <summary>A new transmit queue for one tenant's ToDevice (called when the tenant builds its router, on its FWP's thread).</summary>
    public TenantTransmitQueue AddQueue()
    {
        var queue = new TenantTransmitQueue(QueueSlots, FrameBytesMax, Doorbell);
        lock (_sync)
        {
            Volatile.Write(ref _queues, [.. _queues, queue]);
        }

        return queue;
    }

    /// <summary>The port's thread: transmits what the tenants queued; returns how many frames went out.</summary>
    public int Transmit(PacketPort port)
    {
        int sent = 0;
        bool retiredEmpty = false;
        foreach (TenantTransmitQueue q in Volatile.Read(ref _queues))
        {
            sent += q.Drain(port, _scratch);
            retiredEmpty |= q.IsRetired && q.Count == 0;
        }

        if (retiredEmpty)
        {
            // Rare (a tenant restarted): queues whose router was replaced and that are sent out leave the list.
            lock (_sync)
            {
                Volatile.Write(ref _queues, [.. _queues.Where(q => !(q.IsRetired && q.Count == 0))]);
            }
        }

        _transmitted += sent;
        return sent;
    }

    /// <summary>Transmit queues registered now (one per tenant router with a ToDevice, until a replaced one is sent out).</summary>
    public int QueueCount => Volatile.Read(ref _queues).Length;
}
