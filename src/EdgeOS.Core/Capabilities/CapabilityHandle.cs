using System.Globalization;
using EdgeOS.Core.Capabilities.Internal;

namespace EdgeOS.Core.Capabilities;

/// <summary>
/// An opaque 64-bit name for a capability in one <see cref="CapabilityTable"/>. It means nothing outside that
/// table and carries no authority by itself: every use goes through the table, which checks it.
/// </summary>
/// <remarks>
/// <para>
/// A handle packs a slot index, the generation of that slot and a random per-table tag. The table rejects a
/// handle whose tag is not its own (a handle of another table), whose slot it does not have, or whose
/// generation is not the one of the slot's current occupant (the capability was revoked, deleted or moved and
/// the slot may have been reused). Generations of a table start at a random value and a
/// (slot, generation) pair is never issued twice by one table, so a stale handle can never come back to life
/// and guessing a valid handle of another table means guessing about 43 random bits.
/// </para>
/// <para>
/// <c>default</c> (<see cref="Null"/>) is never valid in any table. Copying a handle is free and does not copy
/// the capability: two copies name the same capability and both die with it.
/// </para>
/// </remarks>
public readonly struct CapabilityHandle : IEquatable<CapabilityHandle>
{
    private readonly ulong _value;

    internal CapabilityHandle(ulong value) => _value = value;

    /// <summary>The null handle (<c>default</c>): names no capability in any table. Cost: none.</summary>
    public static CapabilityHandle Null => default;

    /// <summary>Whether this is the null (<c>default</c>) handle. Cost: one compare. A non-null handle may still be stale or foreign.</summary>
    public bool IsNull => _value == 0;

    internal ulong Value => _value;

    /// <summary>
    /// Rebuilds a handle from <see cref="ToRawValue"/>, for serialization (for example a handle carried in a
    /// channel message). Cost: none. Never throws.
    /// </summary>
    /// <remarks>
    /// This confers nothing: the result is checked by the table on every use exactly like any other handle, so
    /// an arbitrary value is simply rejected (<see cref="InvalidCapabilityException"/>).
    /// </remarks>
    /// <param name="value">A value previously returned by <see cref="ToRawValue"/>.</param>
    /// <returns>The handle with that raw value.</returns>
    public static CapabilityHandle FromRawValue(ulong value) => new(value);

    /// <summary>
    /// The handle's 64-bit value, for serialization only (see <see cref="FromRawValue"/>). Do not log it: together
    /// with the table it is the name of the capability. Cost: none. Never throws.
    /// </summary>
    /// <returns>The raw 64-bit value; 0 for the null handle.</returns>
    public ulong ToRawValue() => _value;

    /// <summary>Whether both handles have the same value (they name the same capability of the same table). Cost: one compare.</summary>
    /// <param name="other">The handle to compare with.</param>
    /// <returns><see langword="true"/> when the values are equal.</returns>
    public bool Equals(CapabilityHandle other) => _value == other._value;

    /// <summary>Whether <paramref name="obj"/> is a <see cref="CapabilityHandle"/> with the same value. Cost: a type check and a compare.</summary>
    /// <param name="obj">The object to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public override bool Equals(object? obj) => obj is CapabilityHandle other && Equals(other);

    /// <summary>A hash of the handle's value. Cost: a few instructions.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>
    /// A short description for diagnostics that shows the slot only, never the generation or the table tag, so a
    /// log line cannot be turned back into a usable handle. Cost: allocates a short string.
    /// </summary>
    /// <returns>For example <c>CapabilityHandle(slot 5)</c> or <c>CapabilityHandle(null)</c>.</returns>
    public override string ToString()
        => _value == 0
            ? "CapabilityHandle(null)"
            : string.Create(CultureInfo.InvariantCulture, $"CapabilityHandle(slot {CapabilityHandleLayout.Slot(_value)})");

    /// <summary>Whether both handles have the same value. Cost: one compare.</summary>
    /// <param name="left">The first handle.</param>
    /// <param name="right">The second handle.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(CapabilityHandle left, CapabilityHandle right) => left._value == right._value;

    /// <summary>Whether the handles have different values. Cost: one compare.</summary>
    /// <param name="left">The first handle.</param>
    /// <param name="right">The second handle.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(CapabilityHandle left, CapabilityHandle right) => left._value != right._value;
}
