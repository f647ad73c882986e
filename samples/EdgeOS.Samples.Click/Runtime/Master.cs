using System.Diagnostics;

namespace EdgeOS.Samples.Click.Runtime;

/// <summary>Something the driver waits on when no task has work (a device's receive queue).</summary>
internal interface IDriverSelectable
{
    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for input; returns whether input is ready.</summary>
    bool Wait(int timeoutMilliseconds);
}

/// <summary>
/// The driver (Click's Master and RouterThread for one thread): runs scheduled tasks round-robin, fires
/// timers in expiry order, keeps real or simulated time (<c>--simtime</c>), and stops when the router's run
/// count drops to 0 and no stop handler (DriverManager, Script) raises it again.
/// </summary>
internal sealed class Master
{
    /// <summary>Where simulated time starts (Unix seconds), as Click's simulated clock starts at a fixed point.</summary>
    public const long SimulatedEpochNanoseconds = 1_000_000_000L * 1_000_000_000L;

    private readonly List<ClickTask> _tasks = [];
    private readonly HashSet<ClickTask> _inList = [];
    private readonly PriorityQueue<ClickTimer, (long Expiry, long Sequence)> _timers = new();
    private readonly List<IDriverSelectable> _selectables = [];
    private readonly long _realEpochNanoseconds;
    private readonly long _startTicks;
    private long _simulatedNow;
    private readonly List<IBatchObserver> _batchObservers = [];
    private long _timerSequence;
    private volatile bool _interrupted;

    public Master(bool simulatedTime = false)
    {
        SimulatedTime = simulatedTime;
        _realEpochNanoseconds = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        _startTicks = Stopwatch.GetTimestamp();
        _simulatedNow = SimulatedEpochNanoseconds;
    }

    /// <summary>Where elements print (Click's chatter: standard error by default).</summary>
    public TextWriter Chatter { get; set; } = Console.Error;

    /// <summary>Whether this driver runs a multi-tenant host's template or tenant routers (<c>click --tenants</c>).</summary>
    public bool TenantMode { get; init; }

    /// <summary>In tenant mode with <c>--device</c>: the host's device, on which tenants' ToDevice elements transmit; else null.</summary>
    public Tenants.TenantEgress? TenantEgress { get; init; }

    /// <summary>Whether time is simulated (jumps to the next timer when idle).</summary>
    public bool SimulatedTime { get; }

    /// <summary>The router this driver runs.</summary>
    public Router? Router { get; private set; }

    /// <summary>Current driver time, nanoseconds since the Unix epoch (simulated or real).</summary>
    public long NowNanoseconds => SimulatedTime
        ? _simulatedNow
        : _realEpochNanoseconds + (long)((Stopwatch.GetTimestamp() - _startTicks) * (1_000_000_000.0 / Stopwatch.Frequency));

    /// <summary>Whether a tenant handler announces its batches (<see cref="StartBatch"/>): tenant mode in real time.</summary>
    public bool AnnouncesBatches => TenantMode && !SimulatedTime;

    /// <summary>Registers an element to be told when a tenant's next batch starts (tenant mode).</summary>
    internal void AddBatchObserver(IBatchObserver observer) => _batchObservers.Add(observer);

    /// <summary>
    /// A tenant's batch that arrived at <paramref name="nanoseconds"/> starts: the observers are told (elements such as
    /// Counter then need no clock reading of their own per packet).
    /// </summary>
    internal void StartBatch(long nanoseconds)
    {
        List<IBatchObserver> observers = _batchObservers;
        for (int i = 0; i < observers.Count; i++)
        {
            observers[i].BatchStarting(nanoseconds);
        }
    }

    /// <summary>Moves simulated time forward by <paramref name="nanoseconds"/> (tests; the driver moves it to the next timer).</summary>
    /// <exception cref="InvalidOperationException">The driver runs in real time.</exception>
    internal void AdvanceSimulatedTime(long nanoseconds)
    {
        if (!SimulatedTime)
        {
            throw new InvalidOperationException("the driver runs in real time");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(nanoseconds);
        _simulatedNow += nanoseconds;
    }

    /// <summary>Task slices run so far.</summary>
    public long TaskRuns { get; private set; }

    internal void Attach(Router router) => Router = router;

    /// <summary>Makes a task bound to this driver.</summary>
    public ClickTask NewTask(Element owner) => new(owner) { Master = this };

    /// <summary>Makes a timer bound to this driver.</summary>
    public ClickTimer NewTimer(Element owner) => new(owner) { Master = this };

    /// <summary>Registers a device the driver may block on when idle.</summary>
    public void AddSelectable(IDriverSelectable selectable) => _selectables.Add(selectable);

    /// <summary>Asks the run loop to end (SIGINT).</summary>
    public void Interrupt() => _interrupted = true;

    internal void Enqueue(ClickTask task)
    {
        if (_inList.Add(task))
        {
            _tasks.Add(task);
        }
    }

    internal void AddTimer(ClickTimer timer)
    {
        timer.Sequence = ++_timerSequence;
        _timers.Enqueue(timer, (timer.ExpiryNanoseconds, timer.Sequence));
    }

    /// <summary>Runs until the router stops (run count at or below 0 with no stop handler reviving it) or <see cref="Interrupt"/>.</summary>
    public void Run(CancellationToken cancellationToken = default)
    {
        Router router = Router ?? throw new InvalidOperationException("no router");
        using CancellationTokenRegistration reg = cancellationToken.Register(Interrupt);
        while (!_interrupted)
        {
            if (router.RunCount <= 0)
            {
                int before = router.RunCount;
                foreach (IDriverStopHandler h in router.StopHandlers)
                {
                    h.HandleStop();
                    if (router.RunCount > 0)
                    {
                        break;
                    }
                }

                if (router.RunCount <= 0 || router.RunCount == before)
                {
                    break;
                }
            }

            bool worked = RunTasksOnce();
            bool fired = RunTimers();
            if (worked || fired || _tasks.Count > 0)
            {
                continue;
            }

            // Idle: nothing scheduled.
            if (SimulatedTime)
            {
                if (!TryPeekTimer(out long next))
                {
                    if (_selectables.Count == 0)
                    {
                        break;
                    }

                    WaitSelectables(10);
                    continue;
                }

                _simulatedNow = Math.Max(_simulatedNow, next);
                continue;
            }

            int waitMs = 100;
            if (TryPeekTimer(out long expiry))
            {
                waitMs = (int)Math.Clamp((expiry - NowNanoseconds) / 1_000_000, 0, 100);
            }

            if (_selectables.Count > 0)
            {
                WaitSelectables(waitMs);
            }
            else if (waitMs > 0)
            {
                Thread.Sleep(waitMs);
            }
        }
    }

    private void WaitSelectables(int timeoutMs)
    {
        int each = Math.Max(1, timeoutMs / _selectables.Count);
        foreach (IDriverSelectable s in _selectables)
        {
            if (s.Wait(each))
            {
                return;
            }
        }
    }

    /// <summary>One round over the scheduled tasks; returns whether any did work.</summary>
    public bool RunTasksOnce()
    {
        bool worked = false;
        int count = _tasks.Count;
        int write = 0;
        for (int i = 0; i < count; i++)
        {
            ClickTask t = _tasks[i];
            if (t.Scheduled)
            {
                TaskRuns++;
                worked |= t.Owner.RunTask(t);
                if (_interrupted || (Router?.RunCount ?? 1) <= 0)
                {
                    // Keep the remaining tasks in order for a restart by a stop handler.
                    for (int j = i; j < count; j++)
                    {
                        _tasks[write++] = _tasks[j];
                    }

                    for (int j = count; j < _tasks.Count; j++)
                    {
                        _tasks[write++] = _tasks[j];
                    }

                    _tasks.RemoveRange(write, _tasks.Count - write);
                    return worked;
                }
            }

            if (t.Scheduled)
            {
                _tasks[write++] = t;
            }
            else
            {
                _inList.Remove(t);
            }
        }

        for (int i = count; i < _tasks.Count; i++)
        {
            _tasks[write++] = _tasks[i];
        }

        _tasks.RemoveRange(write, _tasks.Count - write);
        return worked;
    }

    private bool TryPeekTimer(out long expiry)
    {
        while (_timers.TryPeek(out ClickTimer? t, out var prio))
        {
            if (t.ExpiryNanoseconds == prio.Expiry && t.Sequence == prio.Sequence)
            {
                expiry = prio.Expiry;
                return true;
            }

            _timers.Dequeue();
        }

        expiry = 0;
        return false;
    }

    /// <summary>Fires every timer that has expired; returns whether any fired.</summary>
    public bool RunTimers()
    {
        bool fired = false;
        if (!TryPeekTimer(out _))
        {
            return false; // nothing scheduled: no clock read (tenants call this after every batch)
        }

        long now = NowNanoseconds;
        int guard = 0;
        while (TryPeekTimer(out long expiry) && expiry <= now && guard++ < 10_000)
        {
            ClickTimer t = _timers.Dequeue();
            t.ExpiryNanoseconds = -1;
            t.Owner.RunTimer(t);
            fired = true;
            if ((Router?.RunCount ?? 1) <= 0)
            {
                break;
            }
        }

        return fired;
    }
}

/// <summary>An element told when a tenant's next batch of packets starts (<see cref="Master.StartBatch"/>).</summary>
internal interface IBatchObserver
{
    /// <summary>The next batch starts; it arrived at <paramref name="nanoseconds"/>.</summary>
    /// <param name="nanoseconds">The new batch's arrival time.</param>
    void BatchStarting(long nanoseconds);
}
