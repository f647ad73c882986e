namespace EdgeOS.Net.PacketSocket;

/// <summary>Configuration of a <see cref="PacketSocketPort"/>. Sizes are validated by the port's constructor.</summary>
public sealed class PacketSocketPortOptions
{
    /// <summary>The largest receive block accepted (bytes).</summary>
    public const int BlockSizeBytesMax = 1 << 22;

    /// <summary>The largest number of receive blocks accepted.</summary>
    public const int BlockCountMax = 1024;

    /// <summary>The largest number of transmit frames accepted.</summary>
    public const int TransmitFrameCountMax = 1 << 16;

    /// <summary>The interface to bind to (in the calling thread's network namespace), e.g. <c>eth0</c>.</summary>
    public required string InterfaceName { get; init; }

    /// <summary>Size of one TPACKET_V3 receive block: a power of two, at least one page (4096). Default 65536.</summary>
    public int BlockSizeBytes { get; init; } = 1 << 16;

    /// <summary>Number of receive blocks in the ring. Default 32.</summary>
    public int BlockCount { get; init; } = 32;

    /// <summary>How long the kernel waits before handing over a partly filled block (tp_retire_blk_tov). Default 4 ms.</summary>
    public int BlockTimeoutMilliseconds { get; init; } = 4;

    /// <summary>Frames the port keeps for <see cref="PacketPort.AllocateTransmit"/>. Default 256.</summary>
    public int TransmitFrameCount { get; init; } = 256;

    /// <summary>Size of each transmit frame (at least 64, at most 65536). Default 2048.</summary>
    public int TransmitFrameSizeBytes { get; init; } = 2048;

    /// <summary>Send straight to the driver, skipping the qdisc layer (PACKET_QDISC_BYPASS). Default false.</summary>
    public bool BypassQdisc { get; init; }
}
