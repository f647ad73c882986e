using System.Runtime.CompilerServices;

namespace EdgeOS.Net.Xdp.Internal;

/// <summary>
/// One mapped AF_XDP ring (fill, completion, rx or tx): pointers derived from a validated
/// <see cref="XdpRingDescriptor"/> layout, plus this side's cached indices.
/// </summary>
/// <remarks>
/// Ordering (single user thread against the kernel; the kernel side uses smp_load_acquire / smp_store_release on
/// the same words, see net/xdp/xsk_queue.h):
/// <list type="bullet">
/// <item><description>Producing (fill, tx): read the consumer index with acquire before overwriting the entries it
/// freed; write the entries; publish them by storing the producer index with release, so the kernel's acquire load
/// of the producer sees the entries.</description></item>
/// <item><description>Consuming (rx, completion): load the producer index with acquire, then read the entries;
/// store the consumer index with release only after the reads, so the kernel cannot overwrite an entry we are
/// still reading.</description></item>
/// </list>
/// Indices are free-running u32 counters; entry i lives at i &amp; mask (entries is a power of two).
/// </remarks>
internal unsafe struct XdpRing
{
    internal uint* Producer;
    internal uint* Consumer;
    internal uint* Flags;
    internal byte* Entries;
    internal uint Mask;
    internal uint Size;

    /// <summary>Producer side: our next index to write. Consumer side: our next index to read.</summary>
    internal uint Local;

    /// <summary>Producer side: the last consumer index seen + size. Consumer side: the last producer index seen.</summary>
    internal uint Cached;

    internal nint MapAddress;
    internal nuint MapLength;

    internal readonly bool IsMapped => MapAddress != 0;

    /// <summary>Whether the kernel asked to be woken (XDP_RING_NEED_WAKEUP) before it looks at this ring again.</summary>
    internal readonly bool NeedsWakeup
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Volatile.Read(ref *Flags) & Interop.Xdp.RingNeedWakeup) != 0;
    }

    /// <summary>Producer: how many entries can be written now (refreshing the consumer index only when needed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint ProducerFree(uint wanted)
    {
        uint free = Cached - Local;
        if (free >= wanted)
        {
            return free;
        }

        Cached = Volatile.Read(ref *Consumer) + Size;
        return Cached - Local;
    }

    /// <summary>Producer: publishes everything written up to <see cref="Local"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly void ProducerSubmit() => Volatile.Write(ref *Producer, Local);

    /// <summary>Consumer: how many entries are ready (refreshing the producer index only when needed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint ConsumerAvailable(uint wanted)
    {
        uint available = Cached - Local;
        if (available >= wanted)
        {
            return available;
        }

        Cached = Volatile.Read(ref *Producer);
        return Cached - Local;
    }

    /// <summary>Consumer: gives back everything read up to <see cref="Local"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly void ConsumerRelease() => Volatile.Write(ref *Consumer, Local);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly ref ulong AddressAt(uint index) => ref *(ulong*)(Entries + ((index & Mask) * XdpRingDescriptor.UmemEntryBytes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly ref Interop.Xdp.Descriptor DescriptorAt(uint index) =>
        ref *(Interop.Xdp.Descriptor*)(Entries + ((index & Mask) * XdpRingDescriptor.RxTxEntryBytes));
}
