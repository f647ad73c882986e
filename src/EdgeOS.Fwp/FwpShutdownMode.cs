namespace EdgeOS.Fwp;

/// <summary>What <see cref="FwpRuntime.StopAsync"/> does with messages still in inboxes.</summary>
public enum FwpShutdownMode
{
    /// <summary>Handle every message already accepted (budgets no longer apply), then end the instances.</summary>
    Drain = 0,

    /// <summary>Finish the messages being handled, drop the rest (counted), then end the instances.</summary>
    Drop = 1,
}
