namespace EdgeOS.Fwp;

/// <summary>The outcome of <see cref="FwpHandle.TryPost"/>.</summary>
public enum FwpPostStatus
{
    /// <summary>The message is in the inbox; the instance will handle it.</summary>
    Posted = 0,

    /// <summary>The inbox has no room for the message now (back-pressure: retry later or drop).</summary>
    InboxFull = 1,

    /// <summary>The instance this handle named has ended (exited, faulted or stopped); the message was not taken.</summary>
    Ended = 2,
}
