namespace EdgeOS.Net.Steering;

/// <summary>Configuration of a <see cref="PacketSteering"/>. Validated by its constructor.</summary>
public sealed class PacketSteeringOptions
{
    /// <summary>The most consumers one steering accepts.</summary>
    public const int ConsumersMax = 4096;

    /// <summary>The most frames steered per <see cref="PacketSteering.Steer"/> chunk (larger batches are processed in chunks).</summary>
    public const int BatchSizeMax = 1024;

    /// <summary>By destination port rules (default) or by 5-tuple hash.</summary>
    public SteeringMode Mode { get; init; }

    /// <summary>
    /// In <see cref="SteeringMode.FlowHash"/> mode, hash both directions of a flow alike (A:p to B:q and B:q to A:p go to
    /// the same consumer). Default <see langword="false"/>. Refused in port mode.
    /// </summary>
    public bool SymmetricHash { get; init; }

    /// <summary>The hash seed (<see cref="SteeringMode.FlowHash"/>): the same seed gives the same placement in every run and process. Default 0.</summary>
    public uint HashSeed { get; init; }

    /// <summary>The most frames <see cref="PacketSteering.Poll"/> receives from the port at once (1 to <see cref="BatchSizeMax"/>). Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>A name for diagnostics and the <c>steering.name</c> metrics tag. Default <c>"steering"</c>.</summary>
    public string Name { get; init; } = "steering";
}

/// <summary>Configuration of one <see cref="SteeringConsumer"/>.</summary>
public sealed class SteeringConsumerOptions
{
    /// <summary>The most descriptor ring slots (and, in copy mode, buffers) a consumer may have.</summary>
    public const int SlotCountMax = 1 << 16;

    /// <summary>The largest copy buffer.</summary>
    public const int BufferSizeBytesMax = 65536;

    /// <summary>Shared frame (default) or copy.</summary>
    public SteeringDelivery Delivery { get; init; }

    /// <summary>Descriptor ring slots: a power of two from 2 to <see cref="SlotCountMax"/>. Default 1024.</summary>
    public int SlotCount { get; init; } = 1024;

    /// <summary>
    /// Copy mode: the number of the consumer's own buffers (1 to <see cref="SlotCountMax"/>). Default 0: as many as
    /// <see cref="SlotCount"/>. Refused in shared mode.
    /// </summary>
    public int BufferCount { get; init; }

    /// <summary>
    /// Copy mode: the size of each buffer (64 to <see cref="BufferSizeBytesMax"/>); longer frames are dropped and
    /// counted. Default 0: 2048. Refused in shared mode.
    /// </summary>
    public int BufferSizeBytes { get; init; }
}
