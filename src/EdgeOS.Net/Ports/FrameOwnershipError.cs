namespace EdgeOS.Net;

/// <summary>Why a <see cref="Frame"/> handle was refused by its port (see <see cref="FrameOwnershipException"/>).</summary>
public enum FrameOwnershipError
{
    /// <summary>The handle was never issued: <c>default(Frame)</c>, a slot outside the port, or a forged generation.</summary>
    NotIssued = 1,

    /// <summary>The handle was issued by another port.</summary>
    ForeignPort = 2,

    /// <summary>The handle was already given back (released or transmitted) and its slot has not been reissued:
    /// a double release or double transmit.</summary>
    AlreadyReturned = 3,

    /// <summary>The handle was given back and its slot has since been issued again: a stale handle.</summary>
    Stale = 4,

    /// <summary>The same frame appears twice in one batch passed to release or transmit.</summary>
    DuplicateInBatch = 5,

    /// <summary>The handle's length is negative or larger than the frame's capacity.</summary>
    BadLength = 6,
}
