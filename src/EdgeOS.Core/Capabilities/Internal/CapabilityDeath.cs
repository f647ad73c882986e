namespace EdgeOS.Core.Capabilities.Internal;

/// <summary>Why the last occupant of a slot left it; used only to word <see cref="StaleCapabilityException"/> messages.</summary>
internal enum CapabilityDeath : byte
{
    None = 0,

    /// <summary>An ancestor was revoked or deleted.</summary>
    Revoked,

    /// <summary>The capability itself was deleted.</summary>
    Deleted,

    /// <summary>The capability was moved to another table.</summary>
    Transferred,

    /// <summary>The table was cleared.</summary>
    Cleared,
}
