namespace EdgeOS.Core.Capabilities.Internal;

/// <summary>
/// One capability: an object, a rights mask, its place in a table and its place in a derivation tree.
/// </summary>
/// <remarks>
/// <para>
/// A node is created once and never reused: a freed slot gets a new node. Its identity fields are immutable
/// and set before the node is published into a slot (release store), so a lock-free reader that sees the node
/// sees them initialized.
/// </para>
/// <para>
/// Liveness is the single word <see cref="_liveHandle"/>: the node's handle value while live, 0 once dead.
/// Killing a node is a release store of 0 done before its slot is freed; resolves read it with acquire
/// semantics and compare it to the handle they were given, which checks generation, tag and liveness in one
/// compare. Because a node is never revived and never reused, a reader that loaded the node reference before
/// the kill still sees 0 on any read made after the kill, so no resolve that starts after the killing
/// operation returned can succeed. The handle value 0 (<c>default</c>) cannot match a dead node because slot
/// 0 never holds a node.
/// </para>
/// <para>
/// The tree links (<see cref="Parent"/>, <see cref="FirstChild"/>, siblings) are read and written only under
/// <see cref="TreeLock"/>, which every node of one derivation tree shares.
/// </para>
/// </remarks>
internal sealed class CapabilityNode
{
    private ulong _liveHandle;

    public CapabilityNode(ulong handle, object target, CapabilityRights rights, CapabilityTable table, Lock treeLock)
    {
        _liveHandle = handle;
        Handle = handle;
        Target = target;
        Rights = rights;
        Table = table;
        TreeLock = treeLock;
    }

    /// <summary>The handle this node was issued under (kept after death, for diagnostics and slot bookkeeping).</summary>
    public ulong Handle { get; }

    public int Slot => CapabilityHandleLayout.Slot(Handle);

    public object Target { get; }

    public CapabilityRights Rights { get; }

    public CapabilityTable Table { get; }

    /// <summary>Serializes every change to the derivation tree this node belongs to.</summary>
    public Lock TreeLock { get; }

    public CapabilityNode? Parent { get; set; }

    public CapabilityNode? FirstChild { get; set; }

    public CapabilityNode? NextSibling { get; set; }

    public CapabilityNode? PreviousSibling { get; set; }

    /// <summary>The handle value while live, 0 once dead (acquire load).</summary>
    public ulong LiveHandle => Volatile.Read(ref _liveHandle);

    public bool IsLive => Volatile.Read(ref _liveHandle) != 0;

    /// <summary>Kills the node (release store). Caller holds <see cref="TreeLock"/>.</summary>
    public void MarkDead() => Volatile.Write(ref _liveHandle, 0);
}
