using EdgeOS.Net.Internal;

namespace EdgeOS.Net.Xdp.Internal;

/// <summary>
/// The layout of one AF_XDP ring mapping as the kernel reports it in <c>struct xdp_mmap_offsets</c>, and the
/// checks this package applies before deriving any pointer from it.
/// </summary>
/// <remarks>
/// <code>
/// mapping (mmap of the socket at the ring's page offset), offsets from XDP_MMAP_OFFSETS:
///   +producer  u32   written by the producer side (user for fill/tx, kernel for rx/completion)
///   +consumer  u32   written by the consumer side
///   +flags     u32   XDP_RING_NEED_WAKEUP, written by the kernel
///   +desc      entries * entry size: xdp_desc (16 bytes) for rx/tx, u64 UMEM address for fill/completion
/// mapping length = desc + entries * entry size
/// </code>
/// The kernel places producer and consumer on separate cache lines; the offsets are trusted only after
/// <see cref="Validate"/>: each u32 field lies wholly inside the mapping, before the descriptor array, 4-byte
/// aligned, and the descriptor array is 8-byte aligned and not absurdly far in (one page at most today; we allow
/// up to 64 KiB so that a future kernel adding fields does not break us).
/// </remarks>
internal static class XdpRingDescriptor
{
    internal const int RxTxEntryBytes = 16;
    internal const int UmemEntryBytes = 8;
    internal const ulong DescriptorOffsetMax = 64 * 1024;

    /// <summary>Validates the offsets and returns the mapping length; throws (changing nothing) if any is unusable.</summary>
    internal static ulong Validate(string ring, in Interop.Xdp.RingOffset offsets, uint entries, int entryBytes)
    {
        ulong desc = offsets.Desc;
        if (desc > DescriptorOffsetMax || desc % 8 != 0)
        {
            KernelNetThrowHelper.ThrowBadKernelOffset(ring, "desc", desc, desc + ((ulong)entries * (ulong)entryBytes));
        }

        ulong mappingBytes = desc + ((ulong)entries * (ulong)entryBytes);
        CheckWord(ring, "producer", offsets.Producer, desc, mappingBytes);
        CheckWord(ring, "consumer", offsets.Consumer, desc, mappingBytes);
        CheckWord(ring, "flags", offsets.Flags, desc, mappingBytes);
        return mappingBytes;
    }

    private static void CheckWord(string ring, string field, ulong offset, ulong desc, ulong mappingBytes)
    {
        if (offset % 4 != 0 || offset + 4 > desc || offset + 4 > mappingBytes)
        {
            KernelNetThrowHelper.ThrowBadKernelOffset(ring, field, offset, mappingBytes);
        }
    }
}
