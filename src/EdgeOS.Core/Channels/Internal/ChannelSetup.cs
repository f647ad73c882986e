using System.Numerics;
using EdgeOS.Core.Memory;
using static EdgeOS.Core.Channels.Internal.ChannelDescriptor;

namespace EdgeOS.Core.Channels.Internal;

/// <summary>Argument checks shared by the create and attach entry points of every ring kind.</summary>
internal static unsafe class ChannelSetup
{
    internal static void CheckCapacity(string paramName, long capacity, int min, int max)
    {
        if (capacity < min || capacity > max || !BitOperations.IsPow2(capacity))
        {
            ChannelThrowHelper.ThrowCapacity(paramName, capacity, min, max);
        }
    }

    /// <summary>The header address of a ring at <paramref name="offset"/>, after checking that <paramref name="requiredBytes"/> fit.</summary>
    internal static byte* Locate(MemoryRegion region, long offset, long requiredBytes)
    {
        ArgumentNullException.ThrowIfNull(region);
        if (offset < 0 || (offset % LineBytes) != 0)
        {
            ChannelThrowHelper.ThrowOffset(offset);
        }

        if (offset > region.Length || region.Length - offset < requiredBytes)
        {
            ChannelThrowHelper.ThrowRegionTooSmall(offset, requiredBytes, region.Length);
        }

        return region.DangerousPointer + offset;
    }
}
