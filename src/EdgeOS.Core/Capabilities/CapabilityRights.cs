namespace EdgeOS.Core.Capabilities;

/// <summary>
/// The rights a capability carries: what its holder may do with the object it names.
/// </summary>
/// <remarks>
/// <para>
/// Bits 0-7 are the system rights below. <see cref="Grant"/> and <see cref="Revoke"/> govern the capability
/// itself (deriving, transferring, revoking); the other system rights are conventional meanings for the
/// object's own operations, checked by the code that resolves the capability.
/// </para>
/// <para>
/// Bits 8-15 are reserved for future system rights: <see cref="CapabilityTable.Grant"/> and
/// <see cref="CapabilityTable.Derive"/> refuse masks that contain them (<see cref="ArgumentException"/>).
/// Bits 16-31 (<see cref="User0"/> to <see cref="User15"/>) are free for applications to define, for example
/// "may flush" on a cache object; the capability system only ever compares them as bits.
/// </para>
/// <para>Rights only ever shrink along a derivation chain (attenuation); nothing can add a right.</para>
/// </remarks>
[Flags]
public enum CapabilityRights : uint
{
    /// <summary>No rights: the capability only proves that its holder may name the object.</summary>
    None = 0,

    /// <summary>May read the object's state.</summary>
    Read = 1u << 0,

    /// <summary>May modify the object's state.</summary>
    Write = 1u << 1,

    /// <summary>May run the object (code, a handler, a template).</summary>
    Execute = 1u << 2,

    /// <summary>May send messages to the object (for example write to a channel).</summary>
    Send = 1u << 3,

    /// <summary>May receive messages from the object (for example read from a channel).</summary>
    Receive = 1u << 4,

    /// <summary>May map the object's memory into its own address space or view.</summary>
    Map = 1u << 5,

    /// <summary>
    /// May derive new capabilities from this one (<see cref="CapabilityTable.Derive"/>) and move it to another
    /// table (<see cref="CapabilityTable.Transfer"/>).
    /// </summary>
    Grant = 1u << 6,

    /// <summary>
    /// May revoke every capability derived from this one while keeping this one (<see cref="CapabilityTable.Revoke"/>).
    /// </summary>
    Revoke = 1u << 7,

    /// <summary>Application-defined right, bit 16.</summary>
    User0 = 1u << 16,

    /// <summary>Application-defined right, bit 17.</summary>
    User1 = 1u << 17,

    /// <summary>Application-defined right, bit 18.</summary>
    User2 = 1u << 18,

    /// <summary>Application-defined right, bit 19.</summary>
    User3 = 1u << 19,

    /// <summary>Application-defined right, bit 20.</summary>
    User4 = 1u << 20,

    /// <summary>Application-defined right, bit 21.</summary>
    User5 = 1u << 21,

    /// <summary>Application-defined right, bit 22.</summary>
    User6 = 1u << 22,

    /// <summary>Application-defined right, bit 23.</summary>
    User7 = 1u << 23,

    /// <summary>Application-defined right, bit 24.</summary>
    User8 = 1u << 24,

    /// <summary>Application-defined right, bit 25.</summary>
    User9 = 1u << 25,

    /// <summary>Application-defined right, bit 26.</summary>
    User10 = 1u << 26,

    /// <summary>Application-defined right, bit 27.</summary>
    User11 = 1u << 27,

    /// <summary>Application-defined right, bit 28.</summary>
    User12 = 1u << 28,

    /// <summary>Application-defined right, bit 29.</summary>
    User13 = 1u << 29,

    /// <summary>Application-defined right, bit 30.</summary>
    User14 = 1u << 30,

    /// <summary>Application-defined right, bit 31.</summary>
    User15 = 1u << 31,

    /// <summary>Every system right (bits 0-7).</summary>
    AllSystem = Read | Write | Execute | Send | Receive | Map | Grant | Revoke,

    /// <summary>Every application-defined right (bits 16-31).</summary>
    AllUser = 0xFFFF_0000,

    /// <summary>Every right that exists: <see cref="AllSystem"/> and <see cref="AllUser"/> (never the reserved bits 8-15).</summary>
    All = AllSystem | AllUser,
}
