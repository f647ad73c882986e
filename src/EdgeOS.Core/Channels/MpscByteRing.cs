using EdgeOS.Core.Channels.Internal;
using EdgeOS.Core.Memory;

namespace EdgeOS.Core.Channels;

/// <summary>
/// A many-producer, single-consumer ring of variable-length byte messages over a <see cref="MemoryRegion"/> or a
/// <see cref="SharedMemoryRegion"/>. Each producer is one ring object (one per thread or process) holding one of up to 8 producer slots; producers claim space by one atomic add on the shared tail (no compare-and-swap retry loop).
/// </summary>
/// <remarks>See <see cref="ByteRing"/> for the record format, threading, lifetime and dead-peer rules.</remarks>
public sealed unsafe class MpscByteRing : ByteRing
{
    private MpscByteRing(MemoryRegion region, byte* header, ChannelEndpoints endpoints, ChannelOptions options)
        : base(region, header, ChannelKind.MpscBytes, endpoints, options)
    {
    }

    /// <summary>
    /// Initializes a new ring at <paramref name="offset"/> in <paramref name="region"/> (clearing the header and the data
    /// area, O(capacity)) and takes on <paramref name="endpoints"/>.
    /// </summary>
    /// <param name="region">The memory; it must hold <see cref="ByteRing.RequiredBytes(int)"/> bytes at the offset and outlive the ring.</param>
    /// <param name="capacityBytes">The data capacity: a power of two between <see cref="ByteRing.CapacityBytesMin"/> and <see cref="ByteRing.CapacityBytesMax"/>.</param>
    /// <param name="endpoints">The sides this object takes on. Producer: takes a free producer slot (or one whose owner died); refused when all are held by live producers.</param>
    /// <param name="options">Waiting, liveness and metrics options; <see langword="null"/> for <see cref="ChannelOptions.Default"/>.</param>
    /// <param name="offset">Where the ring starts in the region: a multiple of 128.</param>
    /// <returns>The ring object.</returns>
    /// <exception cref="ArgumentNullException">The region is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The capacity, the offset or (MPSC) <see cref="ChannelOptions.ProducersMax"/> is out of range, or the region is too small; nothing was written.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public static MpscByteRing Create(MemoryRegion region, int capacityBytes, ChannelEndpoints endpoints = ChannelEndpoints.Both, ChannelOptions? options = null, long offset = 0)
    {
        options ??= ChannelOptions.Default;
        ChannelSetup.CheckCapacity(nameof(capacityBytes), capacityBytes, CapacityBytesMin, CapacityBytesMax);
        int producerSlots = options.ProducersMax;
        ArgumentOutOfRangeException.ThrowIfLessThan(producerSlots, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(producerSlots, ChannelDescriptor.ProducerSlotsMax, nameof(options));
        byte* header = ChannelSetup.Locate(region, offset, RequiredBytes(capacityBytes));
        ChannelDescriptor.Initialize(header, ChannelKind.MpscBytes, capacityBytes, ChannelDescriptor.MessageLengthMax(capacityBytes), producerSlots, 0);
        return new MpscByteRing(region, header, endpoints, options);
    }

    /// <summary>Initializes a new ring in the data area of a shared region (see <see cref="Create(MemoryRegion, int, ChannelEndpoints, ChannelOptions?, long)"/>).</summary>
    /// <param name="region">The shared region (created here or opened from another process).</param>
    /// <param name="capacityBytes">The data capacity (a power of two).</param>
    /// <param name="endpoints">The sides this object takes on.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <returns>The ring object (the ring starts at the beginning of the data area).</returns>
    /// <exception cref="ArgumentNullException">The region is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The capacity is out of range, or the region is too small; nothing was written.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public static MpscByteRing Create(SharedMemoryRegion region, int capacityBytes, ChannelEndpoints endpoints, ChannelOptions? options)
    {
        ArgumentNullException.ThrowIfNull(region);
        return Create(region.Data, capacityBytes, endpoints, options, 0);
    }

    /// <summary>
    /// Attaches to a ring another thread or process initialized at <paramref name="offset"/>: validates the header
    /// (magic, version, kind, capacity, limits) with reads only, then takes on <paramref name="endpoints"/>.
    /// </summary>
    /// <param name="region">The memory holding the ring.</param>
    /// <param name="endpoints">The sides this object takes on.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <param name="offset">Where the ring starts in the region: a multiple of 128.</param>
    /// <returns>The ring object.</returns>
    /// <exception cref="ArgumentNullException">The region is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The offset is out of range or the region cannot hold a header there.</exception>
    /// <exception cref="ChannelFormatException">The header is not a valid Mpsc byte ring that fits the region (the message names the field); nothing was written.</exception>
    /// <exception cref="InvalidOperationException">An endpoint asked for is held by a live peer; nothing was changed.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public static MpscByteRing Attach(MemoryRegion region, ChannelEndpoints endpoints, ChannelOptions? options = null, long offset = 0)
    {
        options ??= ChannelOptions.Default;
        byte* header = ChannelSetup.Locate(region, offset, ChannelDescriptor.HeaderSizeBytes);
        _ = ChannelDescriptor.Validate(header, region.Length - offset, ChannelKind.MpscBytes, 0);
        return new MpscByteRing(region, header, endpoints, options);
    }

    /// <summary>Attaches to a ring in the data area of a shared region (see <see cref="Attach(MemoryRegion, ChannelEndpoints, ChannelOptions?, long)"/>).</summary>
    /// <param name="region">The shared region.</param>
    /// <param name="endpoints">The sides this object takes on.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <returns>The ring object (the ring starts at the beginning of the data area).</returns>
    /// <exception cref="ArgumentNullException">The region is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The region cannot hold a header there.</exception>
    /// <exception cref="ChannelFormatException">The header is not a valid ring of this kind; nothing was written.</exception>
    /// <exception cref="InvalidOperationException">An endpoint asked for is held by a live peer; nothing was changed.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public static MpscByteRing Attach(SharedMemoryRegion region, ChannelEndpoints endpoints, ChannelOptions? options)
    {
        ArgumentNullException.ThrowIfNull(region);
        return Attach(region.Data, endpoints, options, 0);
    }
}
