namespace EdgeOS.Net;

/// <summary>
/// A snapshot of a port's counters (<see cref="PacketPort.GetStatistics"/>). Counters are since the port was
/// created; they stay readable after the port is disposed.
/// </summary>
public readonly struct PacketPortStatistics
{
    /// <summary>Frames handed to the user by <see cref="PacketPort.Receive"/>.</summary>
    public long ReceivedFrames { get; init; }

    /// <summary>Data bytes in the received frames.</summary>
    public long ReceivedBytes { get; init; }

    /// <summary>Frames accepted by <see cref="PacketPort.Transmit"/>.</summary>
    public long TransmittedFrames { get; init; }

    /// <summary>Data bytes in the transmitted frames.</summary>
    public long TransmittedBytes { get; init; }

    /// <summary>Frames that arrived but were dropped before the user saw them (no free frame, ring full, kernel drop).
    /// A port with a kernel socket learns of the kernel's drops only when it reads the kernel's counters
    /// (<see cref="PacketPort.TryReadKernelDroppedFrames"/>, or the port's own statistics method): they are included as
    /// of the last such read.</summary>
    public long ReceiveDroppedFrames { get; init; }

    /// <summary>Frames accepted for transmit that never left (the peer or device dropped them).</summary>
    public long TransmitDroppedFrames { get; init; }

    /// <summary>Frames held by the user right now (received or allocated, not yet released or transmitted).</summary>
    public int OutstandingFrames { get; init; }

    /// <summary>Frames the user still held when the port was disposed: leaks. 0 on a correct program.</summary>
    public int LeakedFrames { get; init; }
}
