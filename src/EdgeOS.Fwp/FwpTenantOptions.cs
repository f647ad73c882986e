using EdgeOS.Core.Memory;

namespace EdgeOS.Fwp;

/// <summary>A tenant's limits: memory quota, CPU budget per period, priority. Read once, by <see cref="FwpRuntime.CreateTenant"/>.</summary>
public sealed class FwpTenantOptions
{
    /// <summary>The most bytes of private state copies the tenant's instances may hold together; unlimited by default.</summary>
    public long MemoryQuotaBytes { get; set; } = MemoryAccount.UnlimitedQuotaBytes;

    /// <summary>
    /// The CPU time the tenant's handlers may use per budget period (<see cref="FwpRuntimeOptions.BudgetPeriod"/>),
    /// summed over all workers; <see cref="TimeSpan.Zero"/> (the default) for no budget. A tenant over budget is
    /// deferred to the next period; an overrun (a handler is never interrupted) is carried over as debt.
    /// </summary>
    public TimeSpan CpuBudgetPerPeriod { get; set; }

    /// <summary>The priority of the tenant's instances on the run queues. Default <see cref="FwpPriority.Normal"/>.</summary>
    public FwpPriority Priority { get; set; } = FwpPriority.Normal;

    /// <summary>The most capabilities the tenant's table holds (one per template grant it uses). Default 1024.</summary>
    public int CapabilitiesMax { get; set; } = 1024;
}
