namespace EdgeOS.Net.Steering;

/// <summary>
/// Takes steered frames inline, on the steering's thread: the receiver of <see cref="PacketSteering.Poll{TSink}"/>.
/// For consumers that run on the port's thread anyway (a host that copies each frame into its tenant's batch): no
/// descriptor ring, no hand-back from another thread.
/// </summary>
/// <remarks>
/// Implement it on a struct: <see cref="PacketSteering.Poll{TSink}"/> is generic over the struct, so the call is
/// direct (and can be inlined), never a virtual or interface dispatch.
/// </remarks>
public interface ISteeringSink
{
    /// <summary>Takes one steered frame.</summary>
    /// <param name="consumer">The index of the frame's consumer (<see cref="SteeringConsumer.Index"/>).</param>
    /// <param name="frame">The frame's bytes, valid only during this call (the steering gives the frame back to the port after the batch).</param>
    /// <param name="flowHash">The 5-tuple hash in <see cref="SteeringMode.FlowHash"/> mode; 0 in port mode.</param>
    void Deliver(int consumer, ReadOnlySpan<byte> frame, uint flowHash);
}
