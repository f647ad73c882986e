namespace EdgeOS.Net.Steering;

/// <summary>How <see cref="PacketSteering"/> picks the consumer of a frame.</summary>
public enum SteeringMode
{
    /// <summary>
    /// By IPv4 UDP or TCP destination port, through the rules added with
    /// <see cref="PacketSteering.MapDestinationPorts"/> (single ports and ranges). Frames no rule matches are unmatched.
    /// </summary>
    DestinationPort = 0,

    /// <summary>
    /// By a hash of the IPv4 UDP/TCP 5-tuple (source and destination address and port, protocol), spread evenly over
    /// all consumers: every packet of a flow goes to the same consumer.
    /// </summary>
    FlowHash = 1,
}

/// <summary>How a <see cref="SteeringConsumer"/> receives its frames.</summary>
public enum SteeringDelivery
{
    /// <summary>
    /// Zero-copy: the descriptor carries the port's frame handle; the consumer reads the port's buffer and gives the
    /// frame back with <see cref="SteeringConsumer.Return(in SteeredPacket)"/> (from its own thread). Until then the
    /// frame is out of the port's pool.
    /// </summary>
    SharedFrame = 0,

    /// <summary>
    /// Isolation by copy: the frame is copied into one of the consumer's own buffers (its own memory region) and the
    /// port's frame is given back at once; the consumer returns the buffer when done. The consumer never sees port
    /// memory, and holding buffers never starves the port.
    /// </summary>
    Copy = 1,
}

/// <summary>Which transport protocols a destination-port rule of <see cref="PacketSteering"/> applies to.</summary>
[Flags]
public enum SteeringProtocols
{
    /// <summary>IPv4 UDP.</summary>
    Udp = 1,

    /// <summary>IPv4 TCP.</summary>
    Tcp = 2,

    /// <summary>Both UDP and TCP.</summary>
    UdpAndTcp = Udp | Tcp,
}
