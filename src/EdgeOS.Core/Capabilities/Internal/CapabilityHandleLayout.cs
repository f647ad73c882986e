namespace EdgeOS.Core.Capabilities.Internal;

/// <summary>
/// Bit layout of a <see cref="CapabilityHandle"/> value:
/// <code>
///  63            48 47                          20 19                0
/// +----------------+------------------------------+-------------------+
/// |  table tag 16  |        generation 28         |      slot 20      |
/// +----------------+------------------------------+-------------------+
/// </code>
/// Tags are never 0 and slot 0 is never issued, so the value 0 (<c>default</c>) is never a valid handle, and a
/// resolve of it fails on the ordinary path without a dedicated check.
/// </summary>
internal static class CapabilityHandleLayout
{
    public const int GenerationShift = 20;
    public const int TagShift = 48;
    public const ulong SlotMask = (1UL << GenerationShift) - 1;

    /// <summary>The largest slot index a handle can carry; also the largest <see cref="CapabilityTable.SlotsMax"/>.</summary>
    public const int SlotIndexMax = (int)SlotMask;

    /// <summary>The largest generation; a slot whose generation would pass it is retired, never reused.</summary>
    public const uint GenerationMax = (1u << 28) - 1;

    /// <summary>The generation a retired slot is left at: every generation a handle can carry is below it, so all are stale.</summary>
    public const uint RetiredGeneration = GenerationMax + 1;

    /// <summary>
    /// Generations of a table start at a random value in [1, GenerationBaseMax], so every slot can be reused at
    /// least GenerationMax - GenerationBaseMax (about 1.3e8) times before it is retired.
    /// </summary>
    public const uint GenerationBaseMax = 1u << 27;

    public static ulong Compose(ushort tag, uint generation, int slot)
        => ((ulong)tag << TagShift) | ((ulong)generation << GenerationShift) | (uint)slot;

    public static int Slot(ulong value) => (int)(value & SlotMask);

    public static uint Generation(ulong value) => (uint)(value >> GenerationShift) & GenerationMax;

    public static ushort Tag(ulong value) => (ushort)(value >> TagShift);
}
