using System.Diagnostics.Metrics;
using EdgeOS.Core.Memory;
using EdgeOS.Fwp.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeOS.Fwp;

/// <summary>
/// The featherweight-process manager: spawns instances from templates for tenants, runs them to completion on one
/// worker per core, enforces tenants' CPU budgets and priorities, contains faults, publishes metrics, and stops
/// cleanly.
/// </summary>
/// <remarks>
/// <para>
/// <b>Scheduling.</b> An instance is assigned to a worker at spawn (round robin). Posting a message to a blocked
/// instance makes it ready and queues it on its worker's run queue for its tenant's priority. A worker takes the
/// highest-priority ready instance and handles up to <see cref="FwpRuntimeOptions.MessagesPerSliceMax"/> of its
/// messages, one at a time to completion, then queues it again at the back (or blocks it when its inbox is empty).
/// Before each message, a budgeted tenant's CPU use in the current period is checked; over budget, the instance is
/// deferred to the next period, so a hogging tenant delays others by at most one message per worker.
/// </para>
/// <para>
/// <b>Faults.</b> An exception escaping a handler, including a quota overrun (<see cref="MemoryQuotaExceededException"/>)
/// and a revoked capability, ends that instance only: it is counted (<see cref="FaultCount"/>, the
/// <c>edgeos.fwp.faults</c> metric), logged, reported to <see cref="FwpRuntimeOptions.OnEnded"/>, its message dropped
/// and its instance recycled; or, if its template allows restarts, it is restarted in place from the template.
/// </para>
/// <para>
/// <b>Isolation, honestly stated.</b> Instances share the process: they are isolated by the memory safety of managed
/// code, by copy-on-write state, by capabilities (no ambient authority), by quotas and budgets, and by fault
/// containment. That is per-client isolation for trusted service code, not a sandbox for hostile code. The API is
/// shaped so that an out-of-process domain (instances in a worker process behind shared-memory channels) can be added
/// behind <see cref="FwpHandle"/> and <see cref="FwpTenant"/> without changing callers; it is not built yet.
/// </para>
/// <para>Thread-safety: every member may be called from any thread, except <see cref="RunUntilIdle"/> (one thread at a time).</para>
/// </remarks>
public sealed class FwpRuntime : IDisposable, IAsyncDisposable
{
    /// <summary>The name of the <see cref="Meter"/> the runtime publishes its metrics on.</summary>
    public const string MeterName = "EdgeOS.Fwp";

    private readonly FwpRuntimeOptions _options;
    private readonly ILogger _logger;
    private readonly FwpWorker[] _workers;
    private readonly List<FwpTemplate> _templates = [];
    private readonly Lock _lock = new();
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Action<FwpEnded>? _onEnded;
    private Task? _stopTask;
    private int _nextWorker;
    private int _started;
    private int _stopping;
    private PaddedCounter _spawnCount;

    /// <summary>Creates a runtime; call <see cref="Start"/> (or host it with <c>AddFwpRuntime</c>) to start its workers.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="logger">Where faults and life-cycle events are logged; none when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <see cref="MeterName"/> meter; a new meter when <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public FwpRuntime(FwpRuntimeOptions? options = null, ILogger<FwpRuntime>? logger = null, IMeterFactory? meterFactory = null)
    {
        _options = options ?? new FwpRuntimeOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.WorkerCount, "options.WorkerCount");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.WorkerCount, 1024, "options.WorkerCount");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.BudgetPeriod, TimeSpan.Zero, "options.BudgetPeriod");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.MessagesPerSliceMax, "options.MessagesPerSliceMax");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.IdleSpinTime, TimeSpan.Zero, "options.IdleSpinTime");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.IdleSpinTime, TimeSpan.FromSeconds(1), "options.IdleSpinTime");
        ArgumentNullException.ThrowIfNull(_options.TimeProvider, "options.TimeProvider");
        ArgumentNullException.ThrowIfNull(_options.Name, "options.Name");
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _onEnded = _options.OnEnded;
        Time = _options.TimeProvider;
        BudgetPeriodTicks = Math.Max(1, (long)(_options.BudgetPeriod.TotalSeconds * Time.TimestampFrequency));
        Account = new MemoryAccount(_options.Name, _options.MemoryQuotaBytes);
        IsManual = _options.WorkerCount == 0;
        _workers = new FwpWorker[Math.Max(1, _options.WorkerCount)];
        long idleSpinTicks = (long)(_options.IdleSpinTime.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new FwpWorker(this, i, _options.MessagesPerSliceMax, idleSpinTicks);
        }

        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableUpDownCounter("edgeos.fwp.live", () => LiveCount, "{instance}", "Live featherweight-process instances.");
        _meter.CreateObservableCounter("edgeos.fwp.spawns", () => SpawnCount, "{instance}", "Instances spawned (rate: spawns per second).");
        _meter.CreateObservableCounter("edgeos.fwp.faults", () => FaultCount, "{fault}", "Instances faulted (exception, quota overrun, revoked capability).");
        _meter.CreateObservableCounter("edgeos.fwp.budget_deferrals", () => DeferralCount, "{deferral}", "Instances deferred to the next period because their tenant, or the instance itself, was over its CPU budget.");
        _meter.CreateObservableCounter("edgeos.fwp.messages", () => HandledCount, "{message}", "Messages handled.");
        _meter.CreateObservableCounter("edgeos.fwp.messages_dropped", () => DroppedCount, "{message}", "Messages dropped because their instance ended or the runtime stopped.");
        _meter.CreateObservableGauge("edgeos.fwp.queue_depth", () => QueueDepth, "{instance}", "Runnable instances waiting on run queues (including budget-deferred ones).");
    }

    /// <summary>Whether this is a manual runtime (no worker threads; see <see cref="RunUntilIdle"/>).</summary>
    public bool IsManual { get; }

    /// <summary>The number of workers (1 for a manual runtime).</summary>
    public int WorkerCount => _workers.Length;

    /// <summary>The root memory account: every tenant's account is its child.</summary>
    public MemoryAccount Account { get; }

    /// <summary>Live instances (spawned, not ended).</summary>
    public long LiveCount
    {
        get
        {
            // Ended first: a concurrent end between the two reads can only make the result smaller, never negative.
            long ended = SumWorkerCounters(static (ref WorkerCounters c) => ref c.Ended);
            return Volatile.Read(ref _spawnCount.Value) - ended;
        }
    }

    /// <summary>Instances spawned since creation (a spawn refused by a stop is not counted).</summary>
    public long SpawnCount => Volatile.Read(ref _spawnCount.Value);

    /// <summary>Faults since creation (restarted or ended).</summary>
    public long FaultCount => SumWorkerCounters(static (ref WorkerCounters c) => ref c.Faults);

    /// <summary>Budget deferrals since creation.</summary>
    public long DeferralCount => SumWorkerCounters(static (ref WorkerCounters c) => ref c.Deferrals);

    /// <summary>Messages handled since creation.</summary>
    public long HandledCount => SumWorkerCounters(static (ref WorkerCounters c) => ref c.Handled);

    /// <summary>Messages dropped since creation (their instance ended, or the runtime stopped in drop mode).</summary>
    public long DroppedCount => SumWorkerCounters(static (ref WorkerCounters c) => ref c.Dropped);

    /// <summary>Runnable instances waiting on run queues, including budget-deferred ones (racy snapshot).</summary>
    public long QueueDepth
    {
        get
        {
            long depth = 0;
            foreach (FwpWorker worker in _workers)
            {
                depth += worker.QueueDepth;
            }

            return depth;
        }
    }

    /// <summary>Whether <see cref="StopAsync"/> (or dispose) was called.</summary>
    public bool IsStopping => Volatile.Read(ref _stopping) != 0;

    internal TimeProvider Time { get; }

    internal long BudgetPeriodTicks { get; }

    internal Meter Meter => _meter;

    /// <summary>Starts the worker threads (none for a manual runtime). Idempotent.</summary>
    /// <exception cref="InvalidOperationException">The runtime is stopping or stopped.</exception>
    public void Start()
    {
        if (IsStopping)
        {
            FwpThrowHelper.ThrowNotRunning("start");
        }

        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        if (!IsManual)
        {
            foreach (FwpWorker worker in _workers)
            {
                worker.StartThread();
            }
        }

        FwpLog.Started(_logger, _options.Name, IsManual ? 0 : _workers.Length);
    }

    /// <summary>Creates a tenant: its memory account (a child of <see cref="Account"/>), budget, priority and capability table.</summary>
    /// <param name="name">The tenant's name (logs, metrics, account).</param>
    /// <param name="options">Its limits; <see langword="null"/> for none.</param>
    /// <returns>The tenant.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public FwpTenant CreateTenant(string name, FwpTenantOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        options ??= new FwpTenantOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.MemoryQuotaBytes, "options.MemoryQuotaBytes");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CpuBudgetPerPeriod, TimeSpan.Zero, "options.CpuBudgetPerPeriod");
        if ((uint)options.Priority > (uint)FwpPriority.Low)
        {
            throw new ArgumentOutOfRangeException("options.Priority", options.Priority, "Unknown priority.");
        }

        long budgetTicks = options.CpuBudgetPerPeriod == TimeSpan.Zero ? 0 : ToBudgetTicks(options.CpuBudgetPerPeriod);
        return new FwpTenant(this, name, options, Account, BudgetPeriodTicks, budgetTicks);
    }

    /// <summary>
    /// Spawns an instance of <paramref name="template"/> for <paramref name="tenant"/>: takes a ready instance from the
    /// template's pool (or makes one), gives it a private copy-on-write view of the template's state charged to the
    /// tenant, opens its inbox and assigns it a worker. It starts blocked, waiting for its first message.
    /// Cost: O(1) whatever the state size, tens of nanoseconds from a warm pool, no allocation (unless the pool is
    /// empty or the template sets <see cref="FwpTemplateOptions.InstanceMemoryQuotaBytes"/>). Its capabilities are
    /// derived on first use.
    /// </summary>
    /// <param name="template">The template, used by this runtime only.</param>
    /// <param name="tenant">A tenant of this runtime.</param>
    /// <returns>The handle of the new incarnation.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="tenant"/> belongs to another runtime.</exception>
    /// <exception cref="InvalidOperationException">The runtime is stopping, the tenant was revoked, or the template belongs to another runtime.</exception>
    /// <exception cref="ObjectDisposedException">The template was disposed.</exception>
    public FwpHandle Spawn(FwpTemplate template, FwpTenant tenant)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(tenant);
        if (!ReferenceEquals(template.Runtime, this))
        {
            Bind(template);
        }

        if (!ReferenceEquals(tenant.Runtime, this))
        {
            FwpThrowHelper.ThrowForeignTenant(tenant.Name);
        }

        if (tenant.IsRevoked)
        {
            FwpThrowHelper.ThrowSpawnRevoked(tenant.Name);
        }

        // Announce the spawn before checking for a stop (both interlocked): either this sees the stop, or the stop
        // sees this instance in the live count and waits for it (see StopCore).
        Interlocked.Increment(ref _spawnCount.Value);
        if (Volatile.Read(ref _stopping) != 0)
        {
            Interlocked.Decrement(ref _spawnCount.Value);
            FwpThrowHelper.ThrowNotRunning("spawn");
        }

        FwpInstance instance;
        long id;
        try
        {
            instance = template.RentInstance();
            FwpWorker[] workers = _workers;
            FwpWorker worker = workers.Length == 1 ? workers[0] : workers[(uint)Interlocked.Increment(ref _nextWorker) % (uint)workers.Length];
            id = instance.NextId();
            try
            {
                instance.Start(id, tenant, worker, template.InstanceCpuBudgetPerPeriod == TimeSpan.Zero ? 0 : ToBudgetTicks(template.InstanceCpuBudgetPerPeriod));
            }
            catch
            {
                instance.Recycle();
                template.ReturnToPool(instance);
                throw;
            }
        }
        catch
        {
            Interlocked.Decrement(ref _spawnCount.Value);
            throw;
        }

        tenant.CountSpawned();
        return new FwpHandle(instance, id);
    }

    /// <summary>
    /// Manual runtimes: runs ready instances on the calling thread until no instance is runnable (blocked ones wait
    /// for messages, budget-deferred ones for the next period). Returns the number of slices run.
    /// </summary>
    /// <returns>The number of instance slices run (0 when nothing was runnable).</returns>
    /// <exception cref="InvalidOperationException">The runtime has worker threads.</exception>
    public int RunUntilIdle()
    {
        if (!IsManual)
        {
            FwpThrowHelper.ThrowNotManual();
        }

        int total = 0;
        int ran;
        while ((ran = _workers[0].RunAvailable(int.MaxValue)) != 0)
        {
            total += ran;
        }

        return total;
    }

    /// <summary>
    /// Stops the runtime: refuses new spawns and posts, then, as <see cref="FwpRuntimeOptions.ShutdownMode"/> says,
    /// handles every accepted message (budgets no longer apply) or drops what is not being handled, then ends every
    /// instance (reason <see cref="FwpEndReason.Shutdown"/>). When <paramref name="cancellationToken"/> fires
    /// before a drain finishes, the rest is dropped. Idempotent: later calls return the first call's task.
    /// </summary>
    /// <param name="cancellationToken">Turns a drain into a drop when it fires.</param>
    /// <returns>A task that completes when every instance ended and every worker thread exited.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_stopTask is null)
            {
                Interlocked.Exchange(ref _stopping, 1);
                FwpShutdownMode mode = cancellationToken.IsCancellationRequested ? FwpShutdownMode.Drop : _options.ShutdownMode;

                // Synchronously: no post is accepted once its inbox is closed, and the workers know the mode before
                // this returns. The rest (joining the workers, ending the instances) runs on its own thread.
                foreach (FwpInstance instance in SnapshotInstances())
                {
                    if (instance.StateValue != FwpInstance.Pooled)
                    {
                        instance.Inbox.Close();
                    }
                }

                foreach (FwpWorker worker in _workers)
                {
                    worker.RequestStop(mode);
                }

                _stopTask = Task.Factory.StartNew(() => StopCore(mode, cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            return _stopTask;
        }
    }

    /// <summary>Stops the runtime (as <see cref="StopAsync"/> with the configured mode) and waits for it.</summary>
    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    /// <summary>Stops the runtime (as <see cref="StopAsync"/> with the configured mode).</summary>
    /// <returns>A task that completes when the runtime stopped.</returns>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <inheritdoc/>
    public override string ToString() => $"FwpRuntime '{_options.Name}' ({WorkerCount} workers, {LiveCount} live)";

    internal void LogDeferral(FwpTenant tenant, long id, bool instanceBudget)
    {
        if (instanceBudget)
        {
            FwpLog.InstanceDeferred(_logger, id, tenant.Name);
        }
        else
        {
            FwpLog.Deferred(_logger, tenant.Name, id);
        }
    }

    internal void LogFault(FwpInstance instance, FwpEndReason reason, Exception exception, bool restarted)
    {
        if (restarted)
        {
            FwpLog.Restarted(_logger, instance.Id, instance.Tenant!.Name, instance.Template.Name, reason, instance.RestartCount, instance.Template.RestartsMax, exception);
        }
        else
        {
            FwpLog.Faulted(_logger, instance.Id, instance.Tenant!.Name, instance.Template.Name, reason, exception);
        }
    }

    /// <summary>Ends an incarnation and recycles its instance. Called by the instance's worker, or by the stop after the workers exited.</summary>
    internal void EndInstance(FwpInstance instance, FwpEndReason reason, Exception? exception)
    {
        instance.SetState(reason is FwpEndReason.Exited or FwpEndReason.Shutdown ? FwpInstance.Exited : FwpInstance.Faulted);
        int dropped = instance.Close();
        ref WorkerCounters counters = ref instance.Worker!.Counters;
        if (dropped != 0)
        {
            Interlocked.Add(ref counters.Dropped, dropped);
        }

        FwpTenant tenant = instance.Tenant!;
        FwpTemplate template = instance.Template;
        if (_onEnded is not null)
        {
            try
            {
                _onEnded(new FwpEnded(instance.Id, tenant, template, reason, exception));
            }
#pragma warning disable CA1031 // A host callback must not take a worker down.
            catch (Exception callbackException)
#pragma warning restore CA1031
            {
                FwpLog.CallbackFailed(_logger, _options.Name, callbackException);
            }
        }

        instance.Recycle();
        tenant.CountEnded();
        Interlocked.Increment(ref counters.Ended);
        template.ReturnToPool(instance);
    }

    /// <summary>A CPU budget in <see cref="Time"/>'s timestamp ticks (at least 1).</summary>
    private long ToBudgetTicks(TimeSpan budget) => Math.Max(1, (long)(budget.TotalSeconds * Time.TimestampFrequency));

    private delegate ref long CounterSelector(ref WorkerCounters counters);

    private long SumWorkerCounters(CounterSelector select)
    {
        long sum = 0;
        foreach (FwpWorker worker in _workers)
        {
            sum += Volatile.Read(ref select(ref worker.Counters));
        }

        return sum;
    }

    private void Bind(FwpTemplate template)
    {
        ObjectDisposedException.ThrowIf(template.IsDisposed, template);
        if (!template.TryBind(this))
        {
            FwpThrowHelper.ThrowTemplateBoundElsewhere(template.Name);
        }

        lock (_lock)
        {
            if (!_templates.Contains(template))
            {
                _templates.Add(template);
            }
        }
    }

    private void StopCore(FwpShutdownMode mode, CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration registration = cancellationToken.Register(() =>
        {
            foreach (FwpWorker worker in _workers)
            {
                worker.RequestStop(FwpShutdownMode.Drop);
            }
        });

        foreach (FwpWorker worker in _workers)
        {
            worker.Join();
        }

        // The workers are gone: this thread is now the only consumer. Handle what is left (a drain, or messages whose
        // wake-up raced the stop), then end every instance; spawns that announced themselves before the stop are
        // waited for by looping until the live count is zero.
        var spinner = default(SpinWait);
        while (LiveCount != 0)
        {
            foreach (FwpInstance instance in SnapshotInstances())
            {
                int state = instance.StateValue;
                if (state == FwpInstance.Pooled)
                {
                    continue;
                }

                instance.Inbox.Close();
                if (mode == FwpShutdownMode.Drain && !cancellationToken.IsCancellationRequested)
                {
                    instance.Worker!.RunInstance(instance, ignoreBudgets: true, sliceMax: int.MaxValue);
                }

                if (instance.StateValue != FwpInstance.Pooled)
                {
                    EndInstance(instance, FwpEndReason.Shutdown, null);
                }
            }

            spinner.SpinOnce();
        }

        FwpLog.Stopped(_logger, _options.Name, mode, SumWorkerCounters(static (ref WorkerCounters c) => ref c.Ended), DroppedCount);
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private FwpInstance[] SnapshotInstances()
    {
        FwpTemplate[] templates;
        lock (_lock)
        {
            templates = [.. _templates];
        }

        return [.. templates.SelectMany(t => t.SnapshotInstances())];
    }
}
