using System.Runtime.InteropServices;

namespace EdgeOS.Net.Internal;

/// <summary>
/// The port's record of one frame slot. <see cref="Generation"/> is odd while the user owns the slot and even while
/// the port does: issuing and giving back each add 1, so a handle (which carries the odd generation of its issue)
/// is live exactly when it equals the slot's generation, a single compare.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FrameSlot
{
    /// <summary>Where the frame's data starts (absolute address; the port keeps the memory mapped).</summary>
    public nint Address;

    /// <summary>Odd: owned by the user under this generation. Even: owned by the port.</summary>
    public uint Generation;

    /// <summary>How many bytes may be written from <see cref="Address"/>.</summary>
    public int CapacityBytes;
}
