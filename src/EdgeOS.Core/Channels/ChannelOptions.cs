namespace EdgeOS.Core.Channels;

/// <summary>How a ring object waits, detects dead peers and reports metrics. Immutable once passed to a ring.</summary>
public sealed class ChannelOptions
{
    /// <summary>The options used when <see langword="null"/> is passed.</summary>
    public static ChannelOptions Default { get; } = new();

    /// <summary>A name for diagnostics and the <c>channel.name</c> metrics tag. Default <c>"channel"</c>.</summary>
    public string Name { get; init; } = "channel";

    /// <summary>How many times a waiter spins (busy-polls with a CPU pause) before yielding. Default 100.</summary>
    public int SpinCount { get; init; } = 100;

    /// <summary>How many times a waiter yields its time slice after spinning before it parks. Default 10.</summary>
    public int YieldCount { get; init; } = 10;

    /// <summary>
    /// How long a record claimed by a dead producer may block the consumer before it is skipped, and how old a
    /// heartbeat may be before a peer without a process id is considered dead. Default 2 seconds.
    /// </summary>
    public TimeSpan PeerTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often a parked waiter wakes to check its peer's liveness and to refresh its own heartbeat. It bounds how
    /// late a dead peer is noticed. Default 50 milliseconds.
    /// </summary>
    public TimeSpan LivenessCheckInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// When set, a timer writes this object's heartbeats at this interval even while it is idle (needed only when
    /// peers cannot check process ids, e.g. off Linux or across pid namespaces). Default <see langword="null"/>:
    /// heartbeats are written on attach, every 4096 messages and while waiting.
    /// </summary>
    public TimeSpan? HeartbeatInterval { get; init; }

    /// <summary>How many producers an MPSC ring created with these options admits at once (1 to 8). Default 8.</summary>
    public int ProducersMax { get; init; } = 8;

    /// <summary>Whether the object reports to the <c>EdgeOS.Core.Channels</c> meter while it is alive. Default <see langword="true"/>.</summary>
    public bool EnableMetrics { get; init; } = true;
}
