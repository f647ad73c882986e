namespace EdgeOS.Core.Capabilities;

/// <summary>
/// The outcome of <see cref="CapabilityTable.TryResolve{T}"/>: success, or why the capability could not be used.
/// Each failure corresponds to the exception <see cref="CapabilityTable.Resolve{T}"/> throws in the same case.
/// </summary>
public enum CapabilityStatus
{
    /// <summary>The handle names a live capability with the required rights and an object of the requested type.</summary>
    Ok = 0,

    /// <summary>
    /// The handle was never issued by this table: the default handle, a handle of another table, a slot outside
    /// the table, or a forged value (<see cref="InvalidCapabilityException"/>).
    /// </summary>
    InvalidHandle,

    /// <summary>
    /// The handle was issued by this table but its capability no longer exists: it was revoked (an ancestor was
    /// revoked or deleted), deleted, or transferred to another table (<see cref="StaleCapabilityException"/>).
    /// </summary>
    Stale,

    /// <summary>The capability is live but lacks some of the required rights (<see cref="CapabilityRightsException"/>).</summary>
    InsufficientRights,

    /// <summary>
    /// The capability is live and has the rights, but its object is not of the requested type
    /// (<see cref="CapabilityTypeMismatchException"/>).
    /// </summary>
    WrongType,
}
