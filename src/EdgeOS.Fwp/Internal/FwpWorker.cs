using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using EdgeOS.Core.Capabilities;
using EdgeOS.Core.Channels;
using EdgeOS.Core.Memory;

namespace EdgeOS.Fwp.Internal;

/// <summary>
/// One worker: a thread (none in a manual runtime), run queues per priority, and the list of instances deferred to
/// the next budget period. Instances are run to completion, a slice of messages at a time.
/// </summary>
/// <remarks>
/// <para>
/// Idle protocol: a worker with empty queues first spins for <see cref="FwpRuntimeOptions.IdleSpinTime"/>
/// (<see cref="Thread.SpinWait(int)"/> between looks at its queues, no system call), then parks on a semaphore. A
/// producer (a post that made an instance ready) always just enqueues; it pays for a wake-up only when the worker
/// announced that it parks (<see cref="_sleeping"/> = 1), so posting to a busy or spinning worker costs no system call.
/// </para>
/// <para>
/// No lost wake-up (a Dekker-style handshake, both sides with a full fence between their write and their read): the
/// worker writes <see cref="_sleeping"/> = 1 with an interlocked exchange, then looks at its queues; a producer
/// enqueues, then reads <see cref="_sleeping"/>. The enqueue's linearization point is the interlocked
/// compare-and-swap that reserves the tail slot of the <see cref="ConcurrentQueue{T}"/> (a full fence; a reader that
/// sees the slot reserved but not yet written waits for it rather than reporting the queue empty). So either the
/// worker's look comes after the producer's reservation and sees the instance (it does not wait), or the producer's
/// read comes after the worker's exchange and sees 1, wins the exchange back to 0 and releases the semaphore (at most
/// one producer wins, so one release per park). A release that arrives after the worker stopped waiting for another
/// reason (timeout, stop) leaves a count on the semaphore, which costs one empty loop later: harmless.
/// </para>
/// </remarks>
// The semaphore is never disposed: late producers may still release it after the worker exited, and a SemaphoreSlim
// whose wait handle was never requested holds no unmanaged resource.
#pragma warning disable CA1001
internal sealed class FwpWorker
#pragma warning restore CA1001
{
    // Thread.SpinWait iterations between two looks at the queues while idle-spinning (a few hundred nanoseconds:
    // short against a wake-up, long enough not to hammer the queues' cache lines that producers write).
    private const int SpinIterationsPerLook = 4;

    // A power of two: how many looks between two yields of the core while idle-spinning. A yield is a system call
    // (and, on a busy machine, gives the core away for a time slice), so an idle worker that yields often notices a
    // post late; one that never yields can starve the very thread that would post to it on an oversubscribed machine.
    private const int YieldEveryLooks = 32;
    private const int StopNone = 0;
    private const int StopDrain = 1;
    private const int StopDrop = 2;

    private readonly FwpRuntime _runtime;
    private readonly ConcurrentQueue<FwpInstance>[] _queues = [new(), new(), new()];
    private readonly List<FwpInstance> _deferred = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly int _sliceMax;
    private readonly long _idleSpinTicks;
    private long _nextPeriodStart;
    private int _sleeping;
    private int _stopMode;
    private int _deferredCount;
    private Thread? _thread;

    /// <summary>Messages handled, instances ended, messages dropped, faults, deferrals: written by this worker only (or by the stop once it exited).</summary>
    public WorkerCounters Counters;

    public FwpWorker(FwpRuntime runtime, int index, int sliceMax, long idleSpinTicks)
    {
        _idleSpinTicks = idleSpinTicks;
        _runtime = runtime;
        Index = index;
        _sliceMax = sliceMax;
    }

    public int Index { get; }

    public int QueueDepth => _queues[0].Count + _queues[1].Count + _queues[2].Count + Volatile.Read(ref _deferredCount);

    private bool QueuesEmpty => _queues[0].IsEmpty && _queues[1].IsEmpty && _queues[2].IsEmpty;

    public void StartThread()
    {
        _thread = new Thread(ThreadMain)
        {
            IsBackground = true,
            Name = "fwp-worker-" + Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        _thread.Start();
    }

    /// <summary>
    /// Queues a ready instance (any thread) and wakes the worker if it is parked. Cost: a lock-free enqueue (no
    /// allocation once the queue's segment is warm) and one read of a flag; a semaphore release only when the worker
    /// parked (see the idle protocol in the remarks of this class).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(FwpInstance instance)
    {
        _queues[(int)instance.Tenant!.Priority].Enqueue(instance);

        // Read after the enqueue's tail reservation (a full fence): see the remarks for why no wake-up is lost.
        if (Volatile.Read(ref _sleeping) != 0)
        {
            Wake();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Wake()
    {
        if (Interlocked.Exchange(ref _sleeping, 0) != 0)
        {
            _signal.Release();
        }
    }

    public void RequestStop(FwpShutdownMode mode)
    {
        Volatile.Write(ref _stopMode, mode == FwpShutdownMode.Drop ? StopDrop : StopDrain);
        _signal.Release();
    }

    public void Join() => _thread?.Join();

    /// <summary>Runs queued instances until the queues are empty or <paramref name="dispatchesMax"/> slices ran. Worker thread only.</summary>
    public int RunAvailable(int dispatchesMax)
    {
        bool ignoreBudgets = Volatile.Read(ref _stopMode) != StopNone;
        if (_deferred.Count != 0 && (ignoreBudgets || _runtime.Time.GetTimestamp() >= _nextPeriodStart))
        {
            // A new period: the deferred get another chance (each is checked against its tenant's budget again).
            foreach (FwpInstance instance in _deferred)
            {
                _queues[(int)instance.Tenant!.Priority].Enqueue(instance);
            }

            _deferred.Clear();
            Volatile.Write(ref _deferredCount, 0);
        }

        int ran = 0;
        while (ran < dispatchesMax && Volatile.Read(ref _stopMode) != StopDrop && TryDequeue(out FwpInstance? instance))
        {
            RunInstance(instance, ignoreBudgets, _sliceMax);
            ran++;
        }

        return ran;
    }

    public bool HasDeferred => _deferred.Count != 0;

    /// <summary>
    /// Runs one instance for up to <paramref name="sliceMax"/> messages: stops early when its inbox is empty (it
    /// blocks), when its tenant is over budget (deferred), or when it ends.
    /// </summary>
    public void RunInstance(FwpInstance instance, bool ignoreBudgets, int sliceMax)
    {
        FwpTenant tenant = instance.Tenant!;
        FwpDispatcher dispatcher = instance.Template.Dispatcher;
        FwpInbox inbox = instance.Inbox;
        bool budgeted = (tenant.HasBudget || instance.HasBudget) && !ignoreBudgets;
        long start = budgeted ? _runtime.Time.GetTimestamp() : 0;
        instance.SetState(FwpInstance.Running);
        for (int handled = 0; ; handled++)
        {
            if (Volatile.Read(ref _stopMode) == StopDrop)
            {
                // Dropping: the stop ends the instance (and counts what its inbox still holds) once the worker is gone.
                instance.SetState(FwpInstance.Ready);
                return;
            }

            if (instance.IsExitRequested)
            {
                _runtime.EndInstance(instance, FwpEndReason.Exited, null);
                return;
            }

            if (budgeted)
            {
                if (tenant.IsOverBudget(start))
                {
                    Defer(instance, tenant, start, instanceBudget: false);
                    return;
                }

                if (instance.IsOverBudget(start, _runtime.BudgetPeriodTicks))
                {
                    Defer(instance, tenant, start, instanceBudget: true);
                    return;
                }
            }

            if (handled == sliceMax)
            {
                instance.SetState(FwpInstance.Ready);
                _queues[(int)tenant.Priority].Enqueue(instance);
                return;
            }

            var delivery = new Delivery(dispatcher, instance);
            if (!inbox.TryReadOne(ref delivery))
            {
                if (instance.BlockAndRecheck())
                {
                    _queues[(int)tenant.Priority].Enqueue(instance);
                }

                return;
            }

            Exception? fault = delivery.Fault;
            tenant.CountHandled();
            Interlocked.Increment(ref Counters.Handled);
            if (budgeted)
            {
                long now = _runtime.Time.GetTimestamp();
                if (tenant.HasBudget)
                {
                    tenant.ChargeCpu(now - start);
                }

                instance.ChargeCpu(now - start);
                start = now;
            }

            if (fault is not null && !Fault(instance, tenant, fault))
            {
                return;
            }

            if (instance.ExitAfterMessage)
            {
                _runtime.EndInstance(instance, FwpEndReason.Exited, null);
                return;
            }
        }
    }

    private void Defer(FwpInstance instance, FwpTenant tenant, long now, bool instanceBudget)
    {
        instance.SetState(FwpInstance.Ready);
        if (_deferred.Count == 0)
        {
            long period = _runtime.BudgetPeriodTicks;
            _nextPeriodStart = ((now / period) + 1) * period;
        }

        _deferred.Add(instance);
        Volatile.Write(ref _deferredCount, _deferred.Count);
        tenant.CountDeferral();
        Interlocked.Increment(ref Counters.Deferrals);
        _runtime.LogDeferral(tenant, instance.Id, instanceBudget);
    }

    /// <summary>Counts and logs a fault; restarts the instance (true: keep running it) or ends it (false).</summary>
    private bool Fault(FwpInstance instance, FwpTenant tenant, Exception exception)
    {
        FwpEndReason reason = exception switch
        {
            MemoryQuotaExceededException => FwpEndReason.QuotaExceeded,
            CapabilityException => FwpEndReason.CapabilityFault,
            _ => FwpEndReason.Faulted,
        };
        tenant.CountFault();
        Interlocked.Increment(ref Counters.Faults);
        if (instance.RestartCount < instance.Template.RestartsMax)
        {
            instance.RestartCount++;
            instance.ExitAfterMessage = false;
            _runtime.LogFault(instance, reason, exception, restarted: true);
            instance.ResetForRestart();
            return true;
        }

        _runtime.LogFault(instance, reason, exception, restarted: false);
        _runtime.EndInstance(instance, reason, exception);
        return false;
    }

    /// <summary>
    /// Runs the handler for the message the ring delivers, inside the ring's read. Every exception is caught here, so
    /// the ring's read always completes (the record is consumed) and the fault is handled after it.
    /// </summary>
    private struct Delivery(FwpDispatcher dispatcher, FwpInstance instance) : IChannelMessageHandler
    {
        public Exception? Fault;

        public void OnMessage(int type, ReadOnlySpan<byte> message)
        {
            try
            {
                dispatcher.Handle(new FwpContext(instance), message);
            }
#pragma warning disable CA1031 // Fault containment: whatever a handler throws ends that instance only.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Fault = exception;
            }
        }
    }

    private bool TryDequeue(out FwpInstance instance)
    {
        ConcurrentQueue<FwpInstance>[] queues = _queues;
        for (int i = 0; i < queues.Length; i++)
        {
            if (queues[i].TryDequeue(out FwpInstance? found))
            {
                instance = found;
                return true;
            }
        }

        instance = null!;
        return false;
    }

    private void ThreadMain()
    {
        while (true)
        {
            if (RunAvailable(64) != 0)
            {
                continue;
            }

            int stop = Volatile.Read(ref _stopMode);
            if (stop == StopDrop || (stop == StopDrain && QueuesEmpty && !HasDeferred))
            {
                return;
            }

            if (stop == StopDrain)
            {
                continue;
            }

            if (SpinWhileIdle())
            {
                continue;
            }

            Interlocked.Exchange(ref _sleeping, 1);
            if (!QueuesEmpty || Volatile.Read(ref _stopMode) != StopNone)
            {
                Interlocked.Exchange(ref _sleeping, 0);
                continue;
            }

            _signal.Wait(HasDeferred ? MillisecondsUntilNextPeriod() : Timeout.Infinite);
            Interlocked.Exchange(ref _sleeping, 0);
        }
    }

    /// <summary>
    /// Busy-waits up to the idle spin budget for work (or a stop request). True if there is something to do, false
    /// if the budget ran out with the queues still empty. Deferred instances do not end the spin: their period comes
    /// in milliseconds, which the parked wait's timeout covers.
    /// </summary>
    private bool SpinWhileIdle()
    {
        if (_idleSpinTicks == 0)
        {
            return !QueuesEmpty;
        }

        long deadline = Stopwatch.GetTimestamp() + _idleSpinTicks;
        for (int look = 1; ; look++)
        {
            if (!QueuesEmpty || Volatile.Read(ref _stopMode) != StopNone)
            {
                return true;
            }

            // Every few looks, offer the core to another runnable thread (a no-op system call when there is none): on
            // an oversubscribed machine the thread that would post to this worker may be waiting for this very core.
            if ((look & (YieldEveryLooks - 1)) == 0)
            {
                Thread.Yield();
            }
            else
            {
                Thread.SpinWait(SpinIterationsPerLook);
            }

            if (Stopwatch.GetTimestamp() >= deadline)
            {
                return !QueuesEmpty;
            }
        }
    }

    private int MillisecondsUntilNextPeriod()
    {
        long remaining = _nextPeriodStart - _runtime.Time.GetTimestamp();
        double milliseconds = remaining * 1000.0 / _runtime.Time.TimestampFrequency;
        return (int)Math.Clamp(Math.Ceiling(milliseconds), 1, 100);
    }
}
