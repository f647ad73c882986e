using System.Globalization;

namespace EdgeOS.Fwp;

/// <summary>
/// A capability a template grants to every instance, named by its index in the template (so that it can be stored
/// in the template's state region and read back by every instance). It means nothing without an instance context:
/// <see cref="FwpContext.Resolve{T}"/> looks it up in the instance's own capability table.
/// </summary>
/// <remarks>Holding a <see cref="FwpCapability"/> grants nothing by itself: the authority is the per-instance
/// capability derived from it, which the tenant's revocation kills.</remarks>
public readonly struct FwpCapability : IEquatable<FwpCapability>
{
    private readonly int _index;

    internal FwpCapability(int index) => _index = index + 1;

    /// <summary>Whether this is the default (null) value, which names no capability.</summary>
    public bool IsNull => _index == 0;

    /// <summary>The index of the grant in its template, plus one (0 is the null capability).</summary>
    internal int Index => _index;

    /// <summary>Whether two values name the same grant.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(FwpCapability left, FwpCapability right) => left._index == right._index;

    /// <summary>Whether two values name different grants.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(FwpCapability left, FwpCapability right) => left._index != right._index;

    /// <inheritdoc/>
    public bool Equals(FwpCapability other) => _index == other._index;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is FwpCapability other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _index;

    /// <summary>A short description for diagnostics. Cost: allocates a string.</summary>
    /// <returns>For example <c>FwpCapability#2</c>.</returns>
    public override string ToString() => IsNull ? "FwpCapability(null)" : "FwpCapability#" + (_index - 1).ToString(CultureInfo.InvariantCulture);
}
