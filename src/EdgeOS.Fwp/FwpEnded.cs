namespace EdgeOS.Fwp;

/// <summary>What the runtime reports when an instance ends (see <see cref="FwpRuntimeOptions.OnEnded"/>).</summary>
public readonly struct FwpEnded
{
    internal FwpEnded(long id, FwpTenant tenant, FwpTemplate template, FwpEndReason reason, Exception? exception)
    {
        Id = id;
        Tenant = tenant;
        Template = template;
        Reason = reason;
        Exception = exception;
    }

    /// <summary>The instance's id.</summary>
    public long Id { get; }

    /// <summary>The tenant it ran for.</summary>
    public FwpTenant Tenant { get; }

    /// <summary>The template it was spawned from.</summary>
    public FwpTemplate Template { get; }

    /// <summary>Why it ended.</summary>
    public FwpEndReason Reason { get; }

    /// <summary>The exception that ended it, for the fault reasons; otherwise <see langword="null"/>.</summary>
    public Exception? Exception { get; }
}
