using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeOS.Net;

/// <summary>
/// A handle to one packet buffer of a <see cref="PacketPort"/>: which frame slot, which issue of it (the generation),
/// which port, and how many bytes of data it holds. It is a 16-byte value: copying it copies the handle, never the data.
/// </summary>
/// <remarks>
/// <para>
/// Ownership: a frame is owned by exactly one party at a time: the port (its free pool, its rings, the kernel) or
/// the user who received it from <see cref="PacketPort.Receive"/> or <see cref="PacketPort.AllocateTransmit"/>.
/// The user gives it back exactly once, by <see cref="PacketPort.Release(Frame)"/> or
/// <see cref="PacketPort.Transmit"/>. After that every copy of the handle is dead: using it again throws
/// <see cref="FrameOwnershipException"/> and changes nothing, even after the slot has been handed out again (the
/// new issue has another generation).
/// </para>
/// <para>
/// The data is reached through <see cref="PacketPort.GetSpan(Frame)"/>, which checks the handle each time, so a
/// dead handle can never read or write a buffer that now belongs to someone else. <c>default(Frame)</c> is never a
/// valid handle.
/// </para>
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
[DebuggerDisplay("{ToString(),nq}")]
public readonly struct Frame : IEquatable<Frame>
{
    private readonly int _slot;
    private readonly uint _generation;
    private readonly int _length;
    private readonly ushort _portTag;
    private readonly ushort _reserved;

    internal Frame(int slot, uint generation, int length, ushort portTag)
    {
        _slot = slot;
        _generation = generation;
        _length = length;
        _portTag = portTag;
        _reserved = 0;
    }

    /// <summary>The frame slot in its port (0 to <see cref="PacketPort.FrameCount"/> - 1), for diagnostics.</summary>
    public int Slot => _slot;

    /// <summary>The issue of the slot this handle names (odd for every issued handle), for diagnostics.</summary>
    public uint Generation => _generation;

    /// <summary>The number of data bytes in the frame. Received frames carry the received length; allocated transmit
    /// frames start at 0 and are given a length with <see cref="WithLength"/>.</summary>
    public int Length => _length;

    /// <summary><see langword="true"/> for <c>default(Frame)</c>, which names no frame.</summary>
    public bool IsDefault => _generation == 0;

    internal ushort PortTag => _portTag;

    /// <summary>
    /// The same handle with another data length (the length to transmit, or a trimmed received length). O(1), no
    /// check: the port checks the length against the frame's capacity when the handle is used.
    /// </summary>
    /// <param name="length">The new length in bytes.</param>
    /// <returns>A copy of this handle with <see cref="Length"/> = <paramref name="length"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Frame WithLength(int length) => new(_slot, _generation, length, _portTag);

    /// <inheritdoc/>
    public bool Equals(Frame other) =>
        _slot == other._slot && _generation == other._generation && _length == other._length && _portTag == other._portTag;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Frame other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_slot, _generation, _length, _portTag);

    /// <summary>Compares two handles field by field.</summary>
    /// <param name="left">The first handle.</param>
    /// <param name="right">The second handle.</param>
    /// <returns><see langword="true"/> if slot, generation, length and port are equal.</returns>
    public static bool operator ==(Frame left, Frame right) => left.Equals(right);

    /// <summary>Compares two handles field by field.</summary>
    /// <param name="left">The first handle.</param>
    /// <param name="right">The second handle.</param>
    /// <returns><see langword="true"/> if any of slot, generation, length and port differ.</returns>
    public static bool operator !=(Frame left, Frame right) => !left.Equals(right);

    /// <summary>Describes the handle (slot, generation, length); never the data.</summary>
    /// <returns>A short description.</returns>
    public override string ToString() =>
        IsDefault ? "Frame(default)" : $"Frame(slot {_slot}, generation {_generation}, {_length} bytes, port #{_portTag})";
}
