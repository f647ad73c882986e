using EdgeOS.Core.Capabilities;
using EdgeOS.Core.Memory;
using EdgeOS.Fwp.Internal;

namespace EdgeOS.Fwp;

/// <summary>
/// A tenant of a <see cref="FwpRuntime"/>: the owner its instances run for, with a memory account (quota), a CPU
/// budget per period, a priority, and a capability table through which all its instances' authority flows.
/// Create with <see cref="FwpRuntime.CreateTenant"/>.
/// </summary>
/// <remarks>
/// <see cref="Revoke"/> deletes the tenant's capabilities and so, through the derivation trees, every capability its
/// instances hold from templates, and nothing of any other tenant. Thread-safety: every member may be called
/// concurrently.
/// </remarks>
public sealed class FwpTenant
{
    private readonly Dictionary<FwpTemplate, CapabilityHandle[]> _grants = [];
    private readonly Lock _grantsLock = new();
    private readonly long _budgetTicks;
    private readonly long _periodTicks;
    private long _period;
    private long _usedTicks;
    private PaddedCounter _spawnedCount;
    private long _endedCount;
    private long _handledCount;
    private long _deferralCount;
    private long _faultCount;
    private int _revoked;

    internal FwpTenant(FwpRuntime runtime, string name, FwpTenantOptions options, MemoryAccount parentAccount, long periodTicks, long budgetTicks)
    {
        Runtime = runtime;
        Name = name;
        Priority = options.Priority;
        Account = new MemoryAccount(name, options.MemoryQuotaBytes, parentAccount);
        Capabilities = new CapabilityTable(options.CapabilitiesMax, "tenant " + name);
        _periodTicks = periodTicks;
        _budgetTicks = budgetTicks;
    }

    /// <summary>The tenant's name.</summary>
    public string Name { get; }

    /// <summary>The runtime the tenant belongs to.</summary>
    public FwpRuntime Runtime { get; }

    /// <summary>The scheduling priority of its instances.</summary>
    public FwpPriority Priority { get; }

    /// <summary>The account its instances' private state copies are charged to (its quota); a child of the runtime's.</summary>
    public MemoryAccount Account { get; }

    /// <summary>The tenant's capability table: the roots of all its instances' template capabilities.</summary>
    public CapabilityTable Capabilities { get; }

    /// <summary>Live instances of the tenant.</summary>
    public long LiveCount
    {
        get
        {
            // Ended first (it never exceeds spawned): a concurrent end between the reads only makes the result smaller.
            long ended = Volatile.Read(ref _endedCount);
            return Volatile.Read(ref _spawnedCount.Value) - ended;
        }
    }

    /// <summary>Messages its instances handled (including ones whose handler faulted).</summary>
    public long HandledCount => Volatile.Read(ref _handledCount);

    /// <summary>How many times one of its instances was deferred to the next period for lack of budget.</summary>
    public long DeferralCount => Volatile.Read(ref _deferralCount);

    /// <summary>Faults of its instances (each counted once, whether restarted or ended).</summary>
    public long FaultCount => Volatile.Read(ref _faultCount);

    /// <summary>Whether <see cref="Revoke"/> was called.</summary>
    public bool IsRevoked => Volatile.Read(ref _revoked) != 0;

    internal bool HasBudget => _budgetTicks != 0;

    /// <summary>
    /// Revokes the tenant: deletes every capability in its table, which kills every capability its instances
    /// derived from them (their next use fails with <see cref="StaleCapabilityException"/>, which faults an instance
    /// that does not handle it), and refuses further spawns for it. Other tenants are untouched. Idempotent.
    /// Cost: O(the tenant's capabilities and their descendants).
    /// </summary>
    public void Revoke()
    {
        lock (_grantsLock)
        {
            Volatile.Write(ref _revoked, 1);
            Capabilities.Clear();
            _grants.Clear();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"FwpTenant '{Name}' ({LiveCount} live)";

    /// <summary>The tenant's capabilities derived from <paramref name="template"/>'s grants (made on first use).</summary>
    internal CapabilityHandle[] GetGrants(FwpTemplate template)
    {
        lock (_grantsLock)
        {
            if (_revoked != 0)
            {
                FwpThrowHelper.ThrowTenantRevoked(Name);
            }

            if (!_grants.TryGetValue(template, out CapabilityHandle[]? handles))
            {
                handles = new CapabilityHandle[template.CapabilityCount];
                for (int i = 0; i < handles.Length; i++)
                {
                    handles[i] = template.Table.Derive(template.GrantRoot(i), template.GrantRights(i) | CapabilityRights.Grant, Capabilities);
                }

                _grants.Add(template, handles);
            }

            return handles;
        }
    }

    // Spawned (written by spawning threads) and ended (written by workers) are on different cache lines, so that a
    // spawn and an end on two cores do not pass one line back and forth.
    internal void CountSpawned() => Interlocked.Increment(ref _spawnedCount.Value);

    internal void CountEnded() => Interlocked.Increment(ref _endedCount);

    internal void CountHandled() => Interlocked.Increment(ref _handledCount);

    internal void CountDeferral() => Interlocked.Increment(ref _deferralCount);

    internal void CountFault() => Interlocked.Increment(ref _faultCount);

    /// <summary>
    /// Whether the tenant used its budget for the period containing <paramref name="now"/>. Rolls the period first:
    /// each elapsed period pays back one budget of debt. Under concurrency (instances on several workers) the roll
    /// and the charges race benignly: a charge may land in either period, which can misplace at most one message
    /// per worker.
    /// </summary>
    internal bool IsOverBudget(long now)
    {
        if (_budgetTicks == 0)
        {
            return false;
        }

        long period = now / _periodTicks;
        long previous = Volatile.Read(ref _period);
        if (period > previous && Interlocked.CompareExchange(ref _period, period, previous) == previous)
        {
            long payBack = (period - previous) > long.MaxValue / _budgetTicks ? long.MaxValue : (period - previous) * _budgetTicks;
            long used;
            long next;
            do
            {
                used = Volatile.Read(ref _usedTicks);
                next = used > payBack ? used - payBack : 0;
            }
            while (Interlocked.CompareExchange(ref _usedTicks, next, used) != used);
        }

        return Volatile.Read(ref _usedTicks) >= _budgetTicks;
    }

    internal void ChargeCpu(long ticks) => Interlocked.Add(ref _usedTicks, ticks);
}
