namespace EdgeOS.Fwp;

/// <summary>The life-cycle state of a featherweight-process instance.</summary>
public enum FwpState
{
    /// <summary>Runnable: queued on its worker (or deferred to the next budget period).</summary>
    Ready = 0,

    /// <summary>Its handler is running on a worker.</summary>
    Running = 1,

    /// <summary>Waiting for a message: its inbox is empty and it is on no run queue.</summary>
    Blocked = 2,

    /// <summary>Ended normally (or by shutdown); its instance has been, or is being, recycled.</summary>
    Exited = 3,

    /// <summary>Ended by a fault (an exception, a quota overrun); its instance has been, or is being, recycled.</summary>
    Faulted = 4,
}
