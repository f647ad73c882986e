namespace EdgeOS.Fwp;

/// <summary>Why an instance ended.</summary>
public enum FwpEndReason
{
    /// <summary>Its handler called <see cref="FwpContext.Exit"/>, or <see cref="FwpHandle.Exit"/> was called.</summary>
    Exited = 0,

    /// <summary>An exception escaped its handler (other than the two below).</summary>
    Faulted = 1,

    /// <summary>A write to its state was refused by its memory quota (or its tenant's).</summary>
    QuotaExceeded = 2,

    /// <summary>A capability it used was revoked (for example its tenant's) or never valid.</summary>
    CapabilityFault = 3,

    /// <summary>The runtime stopped.</summary>
    Shutdown = 4,
}
