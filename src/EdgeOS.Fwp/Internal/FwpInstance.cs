using System.Runtime.CompilerServices;
using EdgeOS.Core.Capabilities;
using EdgeOS.Core.Memory;

namespace EdgeOS.Fwp.Internal;

/// <summary>
/// One featherweight-process instance object: reused across incarnations (spawn, run, end, recycle, pool). Each
/// incarnation has its own id; a <see cref="FwpHandle"/> names an incarnation, so a stale handle never reaches the
/// next one.
/// </summary>
/// <remarks>
/// State protocol (<see cref="StateValue"/>): Pooled -> Blocked at spawn. A producer that posted moves
/// Blocked -> Ready with a compare-and-swap and, if it won, queues the instance on its worker: so an instance is on
/// at most one run queue. The worker moves Ready -> Running, and at the end of a slice either back to Ready (queued
/// or deferred), or to Blocked, or to Exited/Faulted and then Pooled. Going to Blocked, the worker exchanges the state
/// (a full fence) and then re-reads the inbox; a producer publishes its message and then compare-and-swaps the state
/// (a full fence): whichever goes second sees the other, so a message is never left in the inbox of a blocked
/// instance that nobody queued.
/// </remarks>
internal sealed class FwpInstance
{
    internal const int Pooled = 0;
    internal const int Blocked = 1;
    internal const int Ready = 2;
    internal const int Running = 3;
    internal const int Exited = 4;
    internal const int Faulted = 5;

    private static int s_nextSerial;

    private readonly CapabilityHandle[] _handles;
    private readonly long _serial;
    private uint _incarnation;
    private CapabilityHandle[]? _tenantGrants;
    private int _derivedCount;
    private int _state;
    private long _id;
    private long _exitRequestedId;

    // The incarnation's own CPU budget (timestamp ticks per budget period; 0: none), its period number and its use.
    // Read and written only by the worker running the instance (one at a time), so plain fields.
    private long _budgetTicks;
    private long _budgetPeriod;
    private long _budgetUsedTicks;

    public FwpInstance(FwpTemplate template)
    {
        Template = template;
        Inbox = new FwpInbox(template.InboxSizeBytes, template.Account, "fwp inbox of " + template.Name);
        Table = new CapabilityTable(template.CapabilitiesMax, "fwp of " + template.Name);
        _handles = new CapabilityHandle[template.CapabilityCount];
        _serial = (uint)Interlocked.Increment(ref s_nextSerial);

        // The view stays with the instance across incarnations (charged to nobody while pooled): spawning re-targets
        // its account instead of renting a view, so a burst of spawns from a warm pool allocates nothing.
        View = template.Image.CreateView(MemoryAccount.Unlimited);
    }

    public FwpTemplate Template { get; }

    public FwpInbox Inbox { get; }

    public CapabilityTable Table { get; }

    public long Id => Volatile.Read(ref _id);

    public FwpTenant? Tenant { get; private set; }

    public CowView View { get; }

    public FwpWorker? Worker { get; private set; }

    public int RestartCount { get; set; }

    /// <summary>Set by <see cref="FwpContext.Exit"/> during a handler; read by the worker after it.</summary>
    public bool ExitAfterMessage { get; set; }

    public int StateValue => Volatile.Read(ref _state);

    /// <summary>Whether the incarnation has its own CPU budget (<see cref="FwpTemplateOptions.InstanceCpuBudgetPerPeriod"/>).</summary>
    public bool HasBudget => _budgetTicks != 0;

    public bool IsExitRequested => Volatile.Read(ref _exitRequestedId) == Volatile.Read(ref _id);

    /// <summary>
    /// Starts an incarnation. The caller publishes the returned handle only after this returns, so every field written
    /// here happens-before any use through the handle.
    /// </summary>
    /// <summary>
    /// The next incarnation's id: this instance object's serial in the high 32 bits, its incarnation count in the low
    /// 32 bits, so ids are unique in the process without a shared counter (an instance object would have to be
    /// reused 2^32 times for an id to repeat). Only the spawning thread, which owns the pooled instance, calls it.
    /// </summary>
    public long NextId()
    {
        if (++_incarnation == 0)
        {
            _incarnation = 1;
        }

        return (_serial << 32) | _incarnation;
    }

    public void Start(long id, FwpTenant tenant, FwpWorker worker, long budgetTicks)
    {
        _budgetTicks = budgetTicks;
        _budgetPeriod = 0;
        _budgetUsedTicks = 0;
        long quota = Template.InstanceMemoryQuotaBytes;
        MemoryAccount account = quota == MemoryAccount.UnlimitedQuotaBytes ? tenant.Account : new MemoryAccount(tenant.Name, quota, tenant.Account);
        View.ResetAndReassign(account);
        Tenant = tenant;
        Worker = worker;
        RestartCount = 0;
        ExitAfterMessage = false;
        Volatile.Write(ref _id, id);
        Inbox.Open(id);
        Volatile.Write(ref _state, Blocked);
    }

    /// <summary>Makes a blocked instance ready; true if the caller must queue it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWake() => Interlocked.CompareExchange(ref _state, Ready, Blocked) == Blocked;

    public void SetState(int state) => Volatile.Write(ref _state, state);

    /// <summary>Worker: Running -> Blocked, then the re-check half of the protocol. True if the instance must be queued again.</summary>
    public bool BlockAndRecheck()
    {
        Interlocked.Exchange(ref _state, Blocked);
        return (Inbox.HasMessages || IsExitRequested) && TryWake();
    }

    /// <summary>
    /// Whether the incarnation used its own budget for the period containing <paramref name="now"/> (false without a
    /// budget). Rolls the period first: each elapsed period pays back one budget of debt, as for tenants. Worker only.
    /// </summary>
    public bool IsOverBudget(long now, long periodTicks)
    {
        long budget = _budgetTicks;
        if (budget == 0)
        {
            return false;
        }

        long period = now / periodTicks;
        long elapsed = period - _budgetPeriod;
        if (elapsed > 0)
        {
            _budgetPeriod = period;
            long payBack = elapsed > long.MaxValue / budget ? long.MaxValue : elapsed * budget;
            _budgetUsedTicks = _budgetUsedTicks > payBack ? _budgetUsedTicks - payBack : 0;
        }

        return _budgetUsedTicks >= budget;
    }

    /// <summary>Charges CPU time to the incarnation's own budget (worker only; nothing to do without one).</summary>
    public void ChargeCpu(long ticks)
    {
        if (_budgetTicks != 0)
        {
            _budgetUsedTicks += ticks;
        }
    }

    public void RequestExit(long id) => Volatile.Write(ref _exitRequestedId, id);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public CapabilityHandle GetCapabilityHandle(FwpCapability capability)
    {
        uint index = (uint)(capability.Index - 1);
        if (index < (uint)_handles.Length)
        {
            CapabilityHandle handle = _handles[index];
            if (!handle.IsNull)
            {
                return handle;
            }
        }

        return DeriveCapability(capability);
    }

    public bool TryGetCapabilityHandle(FwpCapability capability, out CapabilityHandle handle)
    {
        try
        {
            handle = GetCapabilityHandle(capability);
            return true;
        }
        catch (StaleCapabilityException)
        {
            handle = default;
            return false;
        }
    }

    /// <summary>Drops the state's private copies and the capabilities: the incarnation starts over from the template.</summary>
    public void ResetForRestart()
    {
        View.Reset();
        ClearCapabilities();
    }

    /// <summary>Ends the incarnation: closes the inbox (no producer can add afterwards), drops what is left.</summary>
    public int Close()
    {
        Inbox.Close();
        return Inbox.DropAll();
    }

    /// <summary>Gives back the view and the capabilities; the instance can be pooled afterwards.</summary>
    public void Recycle()
    {
        Volatile.Write(ref _id, 0);
        View.ResetAndReassign(MemoryAccount.Unlimited);
        ClearCapabilities();
        Tenant = null;
        Worker = null;
        Volatile.Write(ref _state, Pooled);
    }

    /// <summary>Frees the inbox memory (the instance is dropped from its template).</summary>
    public void Free()
    {
        View.Dispose();
        Inbox.Dispose();
        Table.Clear();
    }

    private void ClearCapabilities()
    {
        _tenantGrants = null;
        if (_derivedCount != 0 || Table.Count != 0)
        {
            Table.Clear();
            Array.Clear(_handles);
            _derivedCount = 0;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private CapabilityHandle DeriveCapability(FwpCapability capability)
    {
        int index = capability.Index - 1;
        if (capability.IsNull || index >= _handles.Length)
        {
            FwpThrowHelper.ThrowForeignCapability(capability, Template.Name);
        }

        FwpTenant tenant = Tenant!;
        _tenantGrants ??= tenant.GetGrants(Template);
        CapabilityHandle handle = tenant.Capabilities.Derive(_tenantGrants[index], Template.GrantRights(index), Table);
        _handles[index] = handle;
        _derivedCount++;
        return handle;
    }
}
