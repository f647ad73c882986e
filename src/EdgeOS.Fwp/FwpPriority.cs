namespace EdgeOS.Fwp;

/// <summary>
/// The scheduling priority of a tenant's instances: a worker always runs a runnable instance of a higher priority
/// before one of a lower priority (within a budget period; budgets still apply).
/// </summary>
public enum FwpPriority
{
    /// <summary>Latency-sensitive tenants.</summary>
    High = 0,

    /// <summary>The default.</summary>
    Normal = 1,

    /// <summary>Background and bulk tenants.</summary>
    Low = 2,
}
