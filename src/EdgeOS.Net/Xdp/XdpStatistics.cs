namespace EdgeOS.Net.Xdp;

/// <summary>The kernel's counters for one AF_XDP socket (XDP_STATISTICS). Fields an older kernel lacks are 0.</summary>
public readonly struct XdpStatistics
{
    /// <summary>Frames dropped for reasons other than an invalid descriptor (e.g. the frame did not fit the chunk).</summary>
    public ulong RxDropped { get; init; }

    /// <summary>Received frames dropped because of an invalid descriptor.</summary>
    public ulong RxInvalidDescriptors { get; init; }

    /// <summary>Transmit descriptors the kernel rejected (bad address or length).</summary>
    public ulong TxInvalidDescriptors { get; init; }

    /// <summary>Frames dropped because the receive ring was full (the user is not receiving fast enough).</summary>
    public ulong RxRingFull { get; init; }

    /// <summary>Times the kernel found the fill ring empty (no frame to receive into).</summary>
    public ulong FillRingEmpty { get; init; }

    /// <summary>Times the kernel found the transmit ring empty when woken.</summary>
    public ulong TxRingEmpty { get; init; }
}
