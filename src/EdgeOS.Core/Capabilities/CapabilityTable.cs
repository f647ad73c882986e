using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using EdgeOS.Core.Capabilities.Internal;

namespace EdgeOS.Core.Capabilities;

/// <summary>
/// The capabilities one owner (a featherweight process, a tenant) holds: a bounded table of capabilities, each an
/// object plus a <see cref="CapabilityRights"/> mask, named by opaque <see cref="CapabilityHandle"/>s that mean
/// nothing outside this table.
/// </summary>
/// <remarks>
/// <para>
/// <b>Model.</b> <see cref="Grant"/> mints a root capability for an object. <see cref="Derive"/> makes a child
/// with a subset of its source's rights, in this table or another one (that is how authority is handed to
/// another owner). Capabilities form derivation trees that span tables. <see cref="Revoke"/> kills every
/// descendant of a capability and keeps the capability; <see cref="Delete"/> kills the capability and all its
/// descendants; <see cref="Transfer"/> moves a capability to another table, keeping its place in its tree.
/// <see cref="Resolve{T}"/> and <see cref="TryResolve{T}"/> check a handle and the required rights on every use.
/// </para>
/// <para>
/// <b>Slots.</b> A table has at most <see cref="SlotsMax"/> capabilities (up to <see cref="SlotsMaxLimit"/>).
/// Its slot array starts small and doubles as needed. Slots are reclaimed eagerly: when a capability dies
/// (whatever table caused it), its slot is freed before the operation returns, so <see cref="Count"/> is exact.
/// A freed slot is reused with the next generation; a slot whose generation is exhausted (after at least
/// 1.3e8 reuses) is retired instead, so a handle value is never issued twice by a table.
/// </para>
/// <para>
/// <b>Thread safety.</b> Every member is safe to call from any thread at any time. Resolves
/// (<see cref="Resolve{T}"/>, <see cref="TryResolve{T}"/>, <see cref="GetRights"/>) take no lock and never wait.
/// Mutations are serialized by a lock per derivation tree (taken first) and a short lock per table (taken
/// inside it, one table at a time), so mutations of unrelated trees run in parallel and no lock order can
/// deadlock. Every operation is linearizable: once a mutation has returned, every resolve that starts afterwards
/// observes it; in particular, once <see cref="Revoke"/>, <see cref="Delete"/>, <see cref="Transfer"/> or
/// <see cref="Clear"/> has returned, no resolve that starts afterwards returns an object through a capability
/// it killed. A resolve that overlaps such a mutation may see the state before or after it.
/// </para>
/// <para>
/// <b>Errors.</b> Every refused operation throws a specific <see cref="CapabilityException"/> (or an
/// <see cref="ArgumentException"/> for bad arguments) and leaves every table exactly as it was.
/// </para>
/// </remarks>
public sealed partial class CapabilityTable
{
    /// <summary>The largest <see cref="SlotsMax"/> a table may have (2^20 - 1, the slot field of a handle).</summary>
    public const int SlotsMaxLimit = CapabilityHandleLayout.SlotIndexMax;

    // Slots including the never-used slot 0; small so that thousands of mostly tiny tables stay cheap.
    private const int InitialSlotArrayLength = 8;

    private readonly Lock _lock = new();
    private readonly ushort _tag;
    private readonly uint _generationBase;
    private readonly string _displayName;

    // Index = slot number; slot 0 is never used, so the handle value 0 never finds a node. Replaced (never
    // written again) when it grows; see EnsureSlotArrayLocked for why stale copies held by readers are harmless.
    private CapabilitySlot[] _slots;
    private int[] _freeSlots;
    private int _freeCount;
    private int _slotsTouched;
    private int _count;
    private int _retiredCount;

    /// <summary>
    /// Creates an empty table that can hold up to <paramref name="slotsMax"/> capabilities.
    /// Cost: two small arrays and a random tag from the system's cryptographic generator (about 1 us).
    /// </summary>
    /// <param name="slotsMax">The largest number of capabilities the table may hold, 1 to <see cref="SlotsMaxLimit"/>.</param>
    /// <param name="ownerName">A name for diagnostics (appears in exception messages), for example the FWP's id.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slotsMax"/> is below 1 or above <see cref="SlotsMaxLimit"/>.</exception>
    public CapabilityTable(int slotsMax, string? ownerName = null)
        : this(slotsMax, ownerName, RandomTag(), RandomGenerationBase())
    {
    }

    /// <summary>Creates a table with a chosen tag and generation base (tests use this to be deterministic).</summary>
    internal CapabilityTable(int slotsMax, string? ownerName, ushort tag, uint generationBase)
    {
        if (slotsMax < 1 || slotsMax > SlotsMaxLimit)
        {
            CapabilityThrowHelper.ThrowSlotsMaxOutOfRange(slotsMax, nameof(slotsMax));
        }

        ArgumentOutOfRangeException.ThrowIfZero(tag);
        ArgumentOutOfRangeException.ThrowIfZero(generationBase);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(generationBase, CapabilityHandleLayout.GenerationMax);

        SlotsMax = slotsMax;
        OwnerName = ownerName;
        _tag = tag;
        _generationBase = generationBase;
        _displayName = ownerName is null ? "(unnamed)" : "'" + ownerName + "'";
        int length = Math.Min(slotsMax + 1, InitialSlotArrayLength);
        _slots = new CapabilitySlot[length];
        _freeSlots = new int[length];
    }

    /// <summary>The name given at construction, or <see langword="null"/>. Cost: none.</summary>
    public string? OwnerName { get; }

    /// <summary>The largest number of capabilities this table may hold. Cost: none.</summary>
    public int SlotsMax { get; }

    /// <summary>
    /// The number of live capabilities in the table. Exact at every instant (slots are reclaimed eagerly), though
    /// concurrent mutations may change it right after it is read. Cost: one load.
    /// </summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// The number of slots retired because their generations were exhausted (each after at least 1.3e8 reuses);
    /// they reduce the capacity below <see cref="SlotsMax"/>. Almost always 0. Cost: one load.
    /// </summary>
    public int RetiredSlotCount => Volatile.Read(ref _retiredCount);

    internal ushort Tag => _tag;

    internal uint GenerationBase => _generationBase;

    /// <summary>
    /// Mints a root capability for <paramref name="target"/> with <paramref name="rights"/>: the owner of an
    /// object grants itself authority over it, then derives attenuated copies for others.
    /// Cost: O(1), about 50-100 ns; allocates the capability (about 100 bytes) and its tree's lock.
    /// </summary>
    /// <remarks>
    /// Granting the same object again makes an independent root: revoking one root does not affect the other.
    /// </remarks>
    /// <param name="target">The object the capability names; never exposed by errors.</param>
    /// <param name="rights">The rights of the new capability; any mask without the reserved bits 8-15.</param>
    /// <returns>The handle of the new capability in this table.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="rights"/> contains reserved bits.</exception>
    /// <exception cref="CapabilityTableFullException">The table has no free slot.</exception>
    public CapabilityHandle Grant(object target, CapabilityRights rights)
    {
        ArgumentNullException.ThrowIfNull(target);
        ValidateRights(rights, nameof(rights));
        CapabilityNode node = Insert(target, rights, new Lock());
        return new CapabilityHandle(node.Handle);
    }

    /// <summary>
    /// Derives a child of the capability <paramref name="source"/> (of this table) with <paramref name="rights"/>,
    /// which must be a subset of the source's rights, and places it in <paramref name="into"/> (this table when
    /// <see langword="null"/>). The child dies when the source is revoked or deleted (or any of its ancestors is).
    /// Cost: O(1), about 50-150 ns; allocates the capability.
    /// </summary>
    /// <remarks>Deriving into another table is how a capability is given to another owner while the giver keeps its own.</remarks>
    /// <param name="source">A live capability of this table holding <see cref="CapabilityRights.Grant"/>.</param>
    /// <param name="rights">The child's rights: a subset of the source's rights (it may drop <see cref="CapabilityRights.Grant"/>).</param>
    /// <param name="into">The table receiving the child; <see langword="null"/> for this table.</param>
    /// <returns>The child's handle, valid in <paramref name="into"/> (or this table).</returns>
    /// <exception cref="ArgumentException"><paramref name="rights"/> contains reserved bits.</exception>
    /// <exception cref="InvalidCapabilityException"><paramref name="source"/> was never issued by this table.</exception>
    /// <exception cref="StaleCapabilityException"><paramref name="source"/> was revoked, deleted or transferred away.</exception>
    /// <exception cref="CapabilityRightsException">
    /// The source lacks <see cref="CapabilityRights.Grant"/>, or <paramref name="rights"/> has a right the source does not (amplification).
    /// </exception>
    /// <exception cref="CapabilityTableFullException">The receiving table has no free slot.</exception>
    public CapabilityHandle Derive(CapabilityHandle source, CapabilityRights rights, CapabilityTable? into = null)
    {
        ValidateRights(rights, nameof(rights));
        CapabilityTable destination = into ?? this;
        CapabilityNode parent = FindLiveOrThrow(source);
        if ((parent.Rights & CapabilityRights.Grant) == 0)
        {
            CapabilityThrowHelper.ThrowMissingRight(_displayName, parent, CapabilityRights.Grant, "deriving from it");
        }

        if ((rights & ~parent.Rights) != 0)
        {
            CapabilityThrowHelper.ThrowAmplification(_displayName, parent, rights);
        }

        lock (parent.TreeLock)
        {
            // The parent may have died between the lock-free lookup and taking the tree lock; liveness only
            // changes under this lock, so this check is final.
            if (!parent.IsLive)
            {
                ThrowMissing(source.Value);
            }

            CapabilityNode child = destination.Insert(parent.Target, rights, parent.TreeLock);
            LinkChildLocked(parent, child);
            return new CapabilityHandle(child.Handle);
        }
    }

    /// <summary>
    /// Moves the capability <paramref name="handle"/> to <paramref name="destination"/>: the capability keeps its
    /// object, its rights, its ancestors and its descendants, gets a new handle valid in
    /// <paramref name="destination"/>, and <paramref name="handle"/> becomes stale (so a second transfer of it
    /// fails with <see cref="StaleCapabilityException"/>). Revoking an ancestor still kills the moved capability.
    /// Cost: O(number of its direct children), about 100-200 ns; allocates the moved capability.
    /// </summary>
    /// <param name="handle">A live capability of this table holding <see cref="CapabilityRights.Grant"/>.</param>
    /// <param name="destination">The receiving table; not this table.</param>
    /// <returns>The capability's handle in <paramref name="destination"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is this table.</exception>
    /// <exception cref="InvalidCapabilityException"><paramref name="handle"/> was never issued by this table.</exception>
    /// <exception cref="StaleCapabilityException"><paramref name="handle"/> was revoked, deleted or already transferred.</exception>
    /// <exception cref="CapabilityRightsException">The capability lacks <see cref="CapabilityRights.Grant"/>.</exception>
    /// <exception cref="CapabilityTableFullException"><paramref name="destination"/> has no free slot.</exception>
    public CapabilityHandle Transfer(CapabilityHandle handle, CapabilityTable destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (ReferenceEquals(destination, this))
        {
            CapabilityThrowHelper.ThrowTransferToSameTable(_displayName, nameof(destination));
        }

        CapabilityNode node = FindLiveOrThrow(handle);
        if ((node.Rights & CapabilityRights.Grant) == 0)
        {
            CapabilityThrowHelper.ThrowMissingRight(_displayName, node, CapabilityRights.Grant, "transferring it");
        }

        lock (node.TreeLock)
        {
            if (!node.IsLive)
            {
                ThrowMissing(handle.Value);
            }

            // Publish the moved copy first, then kill the original: nothing fails after the insert, so a full
            // destination leaves both tables untouched.
            CapabilityNode moved = destination.Insert(node.Target, node.Rights, node.TreeLock);
            ReplaceLocked(node, moved);
            node.MarkDead();
            lock (_lock)
            {
                FreeSlotLocked(node, CapabilityDeath.Transferred);
            }

            return new CapabilityHandle(moved.Handle);
        }
    }

    /// <summary>
    /// Revokes every capability derived from <paramref name="handle"/>, directly or indirectly, in every table
    /// (seL4's revoke): they die, their slots are freed, and their handles become stale. The capability itself
    /// stays live with its rights and may derive again. Siblings and ancestors are unaffected.
    /// Cost: O(size of the subtree), about 30-60 ns per descendant; allocates nothing.
    /// </summary>
    /// <remarks>Linearizable: once this returns, no resolve that starts afterwards succeeds through a revoked descendant.</remarks>
    /// <param name="handle">A live capability of this table holding <see cref="CapabilityRights.Revoke"/>.</param>
    /// <exception cref="InvalidCapabilityException"><paramref name="handle"/> was never issued by this table.</exception>
    /// <exception cref="StaleCapabilityException"><paramref name="handle"/> was revoked, deleted or transferred away.</exception>
    /// <exception cref="CapabilityRightsException">The capability lacks <see cref="CapabilityRights.Revoke"/>.</exception>
    public void Revoke(CapabilityHandle handle)
    {
        CapabilityNode node = FindLiveOrThrow(handle);
        if ((node.Rights & CapabilityRights.Revoke) == 0)
        {
            CapabilityThrowHelper.ThrowMissingRight(_displayName, node, CapabilityRights.Revoke, "revoking its descendants");
        }

        lock (node.TreeLock)
        {
            if (!node.IsLive)
            {
                ThrowMissing(handle.Value);
            }

            KillDescendantsLocked(node);
        }
    }

    /// <summary>
    /// Deletes the capability <paramref name="handle"/> and, with it, every capability derived from it in every
    /// table (as <see cref="Revoke"/> would, then frees its own slot). Needs no right: a holder may always give up
    /// a capability, and what was derived from it dies with it. Siblings and ancestors are unaffected.
    /// Cost: O(1 + size of the subtree); allocates nothing.
    /// </summary>
    /// <remarks>Linearizable: once this returns, no resolve that starts afterwards succeeds through a deleted capability.</remarks>
    /// <param name="handle">A live capability of this table.</param>
    /// <exception cref="InvalidCapabilityException"><paramref name="handle"/> was never issued by this table.</exception>
    /// <exception cref="StaleCapabilityException"><paramref name="handle"/> was already revoked, deleted or transferred away.</exception>
    public void Delete(CapabilityHandle handle)
    {
        CapabilityNode node = FindLiveOrThrow(handle);
        lock (node.TreeLock)
        {
            if (!node.IsLive)
            {
                ThrowMissing(handle.Value);
            }

            DeleteLocked(node, CapabilityDeath.Deleted);
        }
    }

    /// <summary>
    /// Deletes every capability in this table, each with its descendants in every table (as <see cref="Delete"/>
    /// would for each): for an owner that is torn down or recycled before its capabilities are reissued.
    /// Cost: O(slots ever used + total size of the deleted subtrees); allocates nothing.
    /// </summary>
    /// <remarks>
    /// Not atomic as a whole: each capability is deleted atomically, and every capability present when the call
    /// started is dead when it returns, but a capability added to this table by another thread during the call
    /// may survive.
    /// </remarks>
    public void Clear()
    {
        int touched = Volatile.Read(ref _slotsTouched);
        for (int slot = 1; slot <= touched; slot++)
        {
            CapabilityNode? node = Volatile.Read(ref _slots)[slot].Node;
            if (node is null)
            {
                continue;
            }

            lock (node.TreeLock)
            {
                // It may have died since it was read (killed as a descendant of an earlier one, or by another thread).
                if (node.IsLive)
                {
                    DeleteLocked(node, CapabilityDeath.Cleared);
                }
            }
        }
    }

    /// <summary>
    /// Checks <paramref name="handle"/> and returns the object it names, as a <typeparamref name="T"/>.
    /// Cost: a few loads and compares (about 1-2 ns, no lock, no allocation) on success.
    /// </summary>
    /// <remarks>
    /// Lock-free and safe concurrently with any mutation. Once a revoke, delete, transfer or clear that kills the
    /// capability has returned, every later call fails.
    /// </remarks>
    /// <typeparam name="T">The type the caller expects the object to be (or derive from, or implement).</typeparam>
    /// <param name="handle">A handle of this table.</param>
    /// <param name="required">The rights the use needs; <see cref="CapabilityRights.None"/> only checks that the capability is live.</param>
    /// <returns>The object the capability names.</returns>
    /// <exception cref="InvalidCapabilityException"><paramref name="handle"/> was never issued by this table (null, foreign, out of range, forged).</exception>
    /// <exception cref="StaleCapabilityException">The capability was revoked, deleted or transferred away.</exception>
    /// <exception cref="CapabilityRightsException">The capability lacks some of <paramref name="required"/>.</exception>
    /// <exception cref="CapabilityTypeMismatchException">The object is not a <typeparamref name="T"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Resolve<T>(CapabilityHandle handle, CapabilityRights required)
        where T : class
    {
        CapabilityNode? node = FindLive(handle.Value);
        if (node is not null && (node.Rights & required) == required && node.Target is T target)
        {
            return target;
        }

        return ResolveFailed<T>(handle.Value, required, node);
    }

    /// <summary>
    /// Checks <paramref name="handle"/> like <see cref="Resolve{T}"/> but reports failure as a status instead of
    /// throwing: for hot paths that handle a bad handle as ordinary input. Never throws.
    /// Cost: as <see cref="Resolve{T}"/> on success; a failure costs a few more loads.
    /// </summary>
    /// <typeparam name="T">The type the caller expects the object to be (or derive from, or implement).</typeparam>
    /// <param name="handle">Any handle value.</param>
    /// <param name="required">The rights the use needs.</param>
    /// <param name="target">The object when the result is <see cref="CapabilityStatus.Ok"/>; otherwise <see langword="null"/>.</param>
    /// <returns><see cref="CapabilityStatus.Ok"/>, or why the capability cannot be used.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public CapabilityStatus TryResolve<T>(CapabilityHandle handle, CapabilityRights required, out T? target)
        where T : class
    {
        CapabilityNode? node = FindLive(handle.Value);
        if (node is not null && (node.Rights & required) == required && node.Target is T found)
        {
            target = found;
            return CapabilityStatus.Ok;
        }

        target = null;
        return ClassifyFailure<T>(handle.Value, required, node);
    }

    /// <summary>Returns the rights of the live capability <paramref name="handle"/>. Cost: as a resolve; lock-free.</summary>
    /// <param name="handle">A handle of this table.</param>
    /// <returns>The capability's rights.</returns>
    /// <exception cref="InvalidCapabilityException"><paramref name="handle"/> was never issued by this table.</exception>
    /// <exception cref="StaleCapabilityException">The capability was revoked, deleted or transferred away.</exception>
    public CapabilityRights GetRights(CapabilityHandle handle) => FindLiveOrThrow(handle).Rights;

    /// <summary>A short description for diagnostics: the owner name, the count and the bound. Cost: allocates a string.</summary>
    /// <returns>For example <c>CapabilityTable 'fwp-7' (3 of 64 slots in use)</c>.</returns>
    public override string ToString() => $"CapabilityTable {_displayName} ({Count} of {SlotsMax} slots in use)";

    // Ordering argument of the lock-free lookup:
    // - _slots is read with acquire. A handle reaches a reader only after the Grant/Derive/Transfer that issued
    //   it returned (some happens-before edge carries it), and any array growth happened before that, so the
    //   reader sees an array that holds the node (arrays are only replaced, never written after replacement).
    // - The node was published into the slot with a release store after its immutable fields were set, and is
    //   reached through that reference (data dependency), so Target and Rights are seen initialized.
    // - LiveHandle is read with acquire and compared with the full handle value: generation, tag and liveness in
    //   one compare. Killers store 0 with release before freeing the slot, and a node is never revived, so a
    //   reader whose load happens after a kill returned always fails, even with a stale array or node reference.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private CapabilityNode? FindLive(ulong value)
    {
        CapabilitySlot[] slots = Volatile.Read(ref _slots);
        uint slot = (uint)value & (uint)CapabilityHandleLayout.SlotMask;
        if (slot < (uint)slots.Length)
        {
            CapabilityNode? node = slots[slot].Node;
            if (node is not null && node.LiveHandle == value)
            {
                return node;
            }
        }

        return null;
    }

    private CapabilityNode FindLiveOrThrow(CapabilityHandle handle)
    {
        CapabilityNode? node = FindLive(handle.Value);
        if (node is null)
        {
            ThrowMissing(handle.Value);
        }

        return node;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private T ResolveFailed<T>(ulong value, CapabilityRights required, CapabilityNode? node)
        where T : class
    {
        if (node is null)
        {
            ThrowMissing(value);
        }

        if ((node.Rights & required) != required)
        {
            CapabilityThrowHelper.ThrowMissingRight(_displayName, node, required, "this use");
        }

        CapabilityThrowHelper.ThrowWrongType(_displayName, node, typeof(T));
        throw new UnreachableException();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private CapabilityStatus ClassifyFailure<T>(ulong value, CapabilityRights required, CapabilityNode? node)
        where T : class
    {
        if (node is null)
        {
            return Diagnose(value).Status;
        }

        return (node.Rights & required) != required ? CapabilityStatus.InsufficientRights : CapabilityStatus.WrongType;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowMissing(ulong value)
    {
        HandleDiagnosis diagnosis = Diagnose(value);
        if (diagnosis.Kind == HandleProblem.Stale)
        {
            CapabilityThrowHelper.ThrowStale(_displayName, diagnosis);
        }

        CapabilityThrowHelper.ThrowInvalid(_displayName, diagnosis);
    }

    /// <summary>
    /// Says why <paramref name="value"/> names no live capability. Lock-free: it runs only after a lookup failed.
    /// Exact even when racing a mutation: every generation in [base, slot generation) was issued exactly once for
    /// the slot, so such a handle is stale; anything else was never issued (see FreeSlotLocked for the ordering).
    /// </summary>
    internal HandleDiagnosis Diagnose(ulong value)
    {
        int slot = CapabilityHandleLayout.Slot(value);
        uint generation = CapabilityHandleLayout.Generation(value);
        if (value == 0)
        {
            return new HandleDiagnosis(HandleProblem.Null, 0, 0, SlotsMax, CapabilityDeath.None, 0);
        }

        if (CapabilityHandleLayout.Tag(value) != _tag)
        {
            return new HandleDiagnosis(HandleProblem.Foreign, slot, generation, SlotsMax, CapabilityDeath.None, 0);
        }

        if (slot == 0 || slot > SlotsMax)
        {
            return new HandleDiagnosis(HandleProblem.OutOfRange, slot, generation, SlotsMax, CapabilityDeath.None, 0);
        }

        CapabilitySlot[] slots = Volatile.Read(ref _slots);
        if (slot <= Volatile.Read(ref _slotsTouched) && slot < slots.Length && generation >= _generationBase)
        {
            // Node first, then generation (both acquire), the reverse of the order FreeSlotLocked writes them:
            // if the node is already gone, the generation has already moved past the handle's.
            ref CapabilitySlot entry = ref slots[slot];
            CapabilityNode? node = Volatile.Read(ref entry.Node);
            uint current = Volatile.Read(ref entry.Generation);
            if (generation < current)
            {
                uint reusesSince = current - 1 - generation;
                CapabilityDeath death = reusesSince == 0 ? entry.LastDeath : CapabilityDeath.None;
                return new HandleDiagnosis(HandleProblem.Stale, slot, generation, SlotsMax, death, reusesSince);
            }

            // Killed but its slot not yet freed: only visible to a reader racing the killing operation.
            if (node is not null && node.Handle == value)
            {
                return new HandleDiagnosis(HandleProblem.Stale, slot, generation, SlotsMax, CapabilityDeath.None, 0);
            }
        }

        return new HandleDiagnosis(HandleProblem.NeverIssued, slot, generation, SlotsMax, CapabilityDeath.None, 0);
    }

    private static void ValidateRights(CapabilityRights rights, string paramName)
    {
        if ((rights & ~CapabilityRights.All) != 0)
        {
            CapabilityThrowHelper.ThrowReservedRights(rights, paramName);
        }
    }

    /// <summary>
    /// Creates a capability in this table and publishes it. The caller holds <paramref name="treeLock"/> when the
    /// capability joins an existing tree, and links it into the tree afterwards (still under that lock).
    /// Throws <see cref="CapabilityTableFullException"/> having changed nothing.
    /// </summary>
    private CapabilityNode Insert(object target, CapabilityRights rights, Lock treeLock)
    {
        lock (_lock)
        {
            if (_freeCount == 0 && _slotsTouched >= SlotsMax)
            {
                CapabilityThrowHelper.ThrowTableFull(_displayName, _count, SlotsMax, _retiredCount);
            }

            int slot;
            uint generation;
            if (_freeCount > 0)
            {
                slot = _freeSlots[_freeCount - 1];
                generation = _slots[slot].Generation;
            }
            else
            {
                slot = _slotsTouched + 1;
                generation = _generationBase;
                EnsureSlotArrayLocked(slot);
            }

            // Allocate before touching the bookkeeping, so an out-of-memory here changes nothing either.
            var node = new CapabilityNode(CapabilityHandleLayout.Compose(_tag, generation, slot), target, rights, this, treeLock);
            if (slot > _slotsTouched)
            {
                _slotsTouched = slot;
                _slots[slot].Generation = generation;
            }
            else
            {
                _freeCount--;
            }

            Volatile.Write(ref _slots[slot].Node, node);
            _count++;
            return node;
        }
    }

    // Growth copies the array and publishes the copy with release; the old array is never written again. A reader
    // still holding the old array may see a node that has since died (its LiveHandle check fails) or miss a node
    // published later (it cannot hold that node's handle yet: see FindLive), so it never resolves wrongly.
    private void EnsureSlotArrayLocked(int slot)
    {
        CapabilitySlot[] slots = _slots;
        if (slot < slots.Length)
        {
            return;
        }

        int length = (int)Math.Min((long)slots.Length * 2, (long)SlotsMax + 1);
        var grown = new CapabilitySlot[length];
        Array.Copy(slots, grown, slots.Length);
        int[] freeSlots = new int[length];
        Array.Copy(_freeSlots, freeSlots, _freeCount);
        _freeSlots = freeSlots;
        Volatile.Write(ref _slots, grown);
    }

    /// <summary>Frees the slot of a node already marked dead. Caller holds the node's tree lock and this table's lock.</summary>
    private void FreeSlotLocked(CapabilityNode node, CapabilityDeath death)
    {
        int slot = node.Slot;
        ref CapabilitySlot entry = ref _slots[slot];
        Debug.Assert(ReferenceEquals(entry.Node, node) && !node.IsLive, "Only a dead node occupying its slot is freed.");

        // Order matters for Diagnose, which reads without the lock: the generation moves on (release) before the
        // node reference is cleared (release). A reader that sees the slot empty therefore also sees the new
        // generation, and reports the old handle as stale rather than as never issued.
        entry.LastDeath = death;
        if (entry.Generation >= CapabilityHandleLayout.GenerationMax)
        {
            // Reusing the slot would repeat a handle value issued before: retire it instead.
            Volatile.Write(ref entry.Generation, CapabilityHandleLayout.RetiredGeneration);
            _retiredCount++;
        }
        else
        {
            Volatile.Write(ref entry.Generation, entry.Generation + 1);
            _freeSlots[_freeCount++] = slot;
        }

        Volatile.Write(ref entry.Node, null);
        _count--;
    }

    /// <summary>Kills a node and its subtree and frees their slots. Caller holds the node's tree lock.</summary>
    private static void DeleteLocked(CapabilityNode node, CapabilityDeath death)
    {
        KillDescendantsLocked(node);
        node.MarkDead();
        CapabilityTable table = node.Table;
        lock (table._lock)
        {
            table.FreeSlotLocked(node, death);
        }

        UnlinkLocked(node);
    }

    /// <summary>
    /// Kills every descendant of <paramref name="root"/> (not <paramref name="root"/>), frees their slots in their
    /// tables and detaches the subtree. Caller holds the tree lock. Iterative pre-order walk over the parent and
    /// sibling links, so it needs no stack and no allocation; one table lock is held at a time and kept across
    /// consecutive descendants of the same table.
    /// </summary>
    private static void KillDescendantsLocked(CapabilityNode root)
    {
        CapabilityNode? node = root.FirstChild;
        if (node is null)
        {
            return;
        }

        CapabilityTable? locked = null;
        try
        {
            while (node is not null)
            {
                node.MarkDead();
                if (!ReferenceEquals(node.Table, locked))
                {
                    locked?._lock.Exit();
                    locked = node.Table;
                    locked._lock.Enter();
                }

                locked.FreeSlotLocked(node, CapabilityDeath.Revoked);
                node = NextInSubtree(node, root);
            }
        }
        finally
        {
            locked?._lock.Exit();
        }

        // The dead subtree keeps its internal links but nothing live points into it any more.
        root.FirstChild = null;
    }

    private static CapabilityNode? NextInSubtree(CapabilityNode node, CapabilityNode root)
    {
        if (node.FirstChild is not null)
        {
            return node.FirstChild;
        }

        while (!ReferenceEquals(node, root))
        {
            if (node.NextSibling is not null)
            {
                return node.NextSibling;
            }

            node = node.Parent!;
        }

        return null;
    }

    private static void LinkChildLocked(CapabilityNode parent, CapabilityNode child)
    {
        child.Parent = parent;
        child.NextSibling = parent.FirstChild;
        if (parent.FirstChild is not null)
        {
            parent.FirstChild.PreviousSibling = child;
        }

        parent.FirstChild = child;
    }

    private static void UnlinkLocked(CapabilityNode node)
    {
        if (node.PreviousSibling is not null)
        {
            node.PreviousSibling.NextSibling = node.NextSibling;
        }
        else if (node.Parent is not null)
        {
            node.Parent.FirstChild = node.NextSibling;
        }

        if (node.NextSibling is not null)
        {
            node.NextSibling.PreviousSibling = node.PreviousSibling;
        }

        node.Parent = null;
        node.NextSibling = null;
        node.PreviousSibling = null;
    }

    /// <summary>Puts <paramref name="moved"/> in <paramref name="old"/>'s place in the tree. Caller holds the tree lock.</summary>
    private static void ReplaceLocked(CapabilityNode old, CapabilityNode moved)
    {
        moved.Parent = old.Parent;
        moved.PreviousSibling = old.PreviousSibling;
        moved.NextSibling = old.NextSibling;
        moved.FirstChild = old.FirstChild;
        if (old.PreviousSibling is not null)
        {
            old.PreviousSibling.NextSibling = moved;
        }
        else if (old.Parent is not null)
        {
            old.Parent.FirstChild = moved;
        }

        if (old.NextSibling is not null)
        {
            old.NextSibling.PreviousSibling = moved;
        }

        for (CapabilityNode? child = moved.FirstChild; child is not null; child = child.NextSibling)
        {
            child.Parent = moved;
        }

        old.Parent = null;
        old.FirstChild = null;
        old.NextSibling = null;
        old.PreviousSibling = null;
    }

    private static ushort RandomTag() => (ushort)RandomNumberGenerator.GetInt32(1, ushort.MaxValue + 1);

    private static uint RandomGenerationBase()
        => (uint)RandomNumberGenerator.GetInt32(1, (int)CapabilityHandleLayout.GenerationBaseMax + 1);
}
