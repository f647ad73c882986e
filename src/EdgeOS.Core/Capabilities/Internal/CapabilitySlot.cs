namespace EdgeOS.Core.Capabilities.Internal;

/// <summary>One entry of a table's slot array.</summary>
/// <remarks>
/// Written only under the table's lock. <see cref="Node"/> is published with a release store after the node is
/// fully built, and read without a lock by resolves. <see cref="Generation"/> and <see cref="LastDeath"/> are
/// read without a lock only to choose between "invalid" and "stale" after a resolve has already failed. When a
/// slot is freed the generation is advanced (release) before the node is cleared (release), and the diagnosis
/// reads them in the opposite order (acquire), so an issued handle is always reported stale, never invalid,
/// even by a reader racing the free. Nothing read here can turn a failure into a success.
/// </remarks>
internal struct CapabilitySlot
{
    /// <summary>The live capability in this slot, or null when the slot is free (or retired).</summary>
    public CapabilityNode? Node;

    /// <summary>
    /// Generation of the current occupant; when the slot is free, the generation its next occupant will get;
    /// <see cref="CapabilityHandleLayout.RetiredGeneration"/> when retired. Every handle of this slot with a
    /// generation in [table base, Generation) was issued once and is now stale.
    /// </summary>
    public uint Generation;

    /// <summary>Why the previous occupant (generation <c>Generation - 1</c>) left.</summary>
    public CapabilityDeath LastDeath;
}
