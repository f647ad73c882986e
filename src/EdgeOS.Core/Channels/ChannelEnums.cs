namespace EdgeOS.Core.Channels;

/// <summary>Which sides of a channel a ring object takes on when it is created or attached.</summary>
[Flags]
public enum ChannelEndpoints
{
    /// <summary>Neither: the object only initializes or inspects the ring.</summary>
    None = 0,

    /// <summary>The producing side: registers a producer identity (for MPSC, one producer slot).</summary>
    Producer = 1,

    /// <summary>The consuming side: registers the consumer identity.</summary>
    Consumer = 2,

    /// <summary>Both sides (threads of one process sharing one object).</summary>
    Both = Producer | Consumer,
}

/// <summary>How a consumer receives messages.</summary>
public enum ChannelDeliveryMode
{
    /// <summary>
    /// Zero-copy: the handler sees spans over the ring itself (the writer's bytes); the space is released after the
    /// batch, so the spans are valid only during the handler call.
    /// </summary>
    Shared = 0,

    /// <summary>
    /// Isolation by copy: the batch is copied into the consumer's own private region and the ring space is released
    /// before the handler runs, so the producer can never observe or change what the handler reads.
    /// </summary>
    Copy = 1,
}

/// <summary>The side of a channel a peer is on.</summary>
public enum ChannelPeerRole
{
    /// <summary>A producer.</summary>
    Producer = 0,

    /// <summary>The consumer.</summary>
    Consumer = 1,
}

/// <summary>What the ring header says about a peer, checked against the operating system.</summary>
public enum ChannelPeerStatus
{
    /// <summary>No peer ever attached to this identity slot.</summary>
    None = 0,

    /// <summary>Attached and alive (its process exists with the recorded start time, or its heartbeat is fresh).</summary>
    Alive = 1,

    /// <summary>Detached cleanly (disposed its ring object).</summary>
    Detached = 2,

    /// <summary>Attached but gone: its process no longer exists, its pid was reused, or its heartbeat is stale.</summary>
    Dead = 3,
}
