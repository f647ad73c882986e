namespace EdgeOS.Net;

/// <summary>
/// Batch receive and transmit of Ethernet frames, the same for every port: AF_XDP, AF_PACKET, pcap files and the
/// in-memory pair. <see cref="PacketPort"/> implements it with the ownership rules below enforced; code that
/// should run over any port takes an <see cref="IPacketPort"/> (or a <c>TPort : IPacketPort</c> generic argument).
/// </summary>
/// <remarks>
/// <para>Ownership rules (the same for every port):</para>
/// <list type="number">
/// <item><description>Each frame is owned by exactly one party: the port (free pool, rings, kernel, file) or one user.
/// <see cref="Receive"/> and <see cref="AllocateTransmit"/> hand frames to the user.</description></item>
/// <item><description>The user gives each frame back exactly once, to the port that issued it, either with
/// <see cref="Release(Frame)"/> (drop it) or <see cref="Transmit"/> (send it, which also gives it back; a received
/// frame can be transmitted as is, e.g. an echo written in place).</description></item>
/// <item><description>A handle that is given back is dead, with all its copies. Using a dead, foreign or forged handle
/// throws <see cref="FrameOwnershipException"/> and changes nothing; so no frame can be posted twice.</description></item>
/// <item><description><see cref="OutstandingFrames"/> counts the frames the user holds; a frame not given back is a
/// leak, reported by <see cref="ThrowIfFramesOutstanding"/> and, at dispose, in the statistics.</description></item>
/// </list>
/// <para>No member allocates per packet. A port is used by one thread at a time.</para>
/// </remarks>
public interface IPacketPort : IDisposable
{
    /// <summary>A name for diagnostics (interface and queue, file name, ...).</summary>
    string Name { get; }

    /// <summary>The number of frames the port owns in all (its pool).</summary>
    int FrameCount { get; }

    /// <summary>The largest number of data bytes a transmit frame can carry.</summary>
    int FrameCapacityBytes { get; }

    /// <summary>The number of frames the user holds now (received or allocated, not yet given back).</summary>
    int OutstandingFrames { get; }

    /// <summary>Takes up to <c>frames.Length</c> received frames; they are the caller's until given back.</summary>
    /// <param name="frames">Where to store the handles.</param>
    /// <returns>How many handles were stored at the start of <paramref name="frames"/>; 0 if nothing is waiting.</returns>
    int Receive(Span<Frame> frames);

    /// <summary>Takes up to <c>frames.Length</c> empty frames to fill and transmit (length 0).</summary>
    /// <param name="frames">Where to store the handles.</param>
    /// <returns>How many handles were stored; 0 if no frame is free (release or transmit some first).</returns>
    int AllocateTransmit(Span<Frame> frames);

    /// <summary>Transmits the frames, in order, each with its <see cref="Frame.Length"/>. The accepted frames
    /// (a prefix of the batch) go back to the port; the others stay the caller's.</summary>
    /// <param name="frames">Owned frames with lengths from 1 to their capacity.</param>
    /// <returns>How many frames (from the start of the batch) were accepted.</returns>
    int Transmit(ReadOnlySpan<Frame> frames);

    /// <summary>Gives the frames back without sending them.</summary>
    /// <param name="frames">Owned frames.</param>
    void Release(ReadOnlySpan<Frame> frames);

    /// <summary>Gives one frame back without sending it.</summary>
    /// <param name="frame">An owned frame.</param>
    void Release(Frame frame);

    /// <summary>The frame's data: <see cref="Frame.Length"/> bytes, writable.</summary>
    /// <param name="frame">An owned frame.</param>
    /// <returns>A span over the data, valid until the frame is given back.</returns>
    Span<byte> GetSpan(Frame frame);

    /// <summary>The frame's whole buffer (its capacity), to write a frame to transmit.</summary>
    /// <param name="frame">An owned frame.</param>
    /// <returns>A span over the buffer, valid until the frame is given back.</returns>
    Span<byte> GetBuffer(Frame frame);

    /// <summary>Whether the caller owns <paramref name="frame"/> (it is live and from this port). Never throws.</summary>
    /// <param name="frame">Any handle.</param>
    /// <returns><see langword="true"/> if the handle may be used.</returns>
    bool IsOwned(Frame frame);

    /// <summary>A snapshot of the counters.</summary>
    /// <returns>The counters.</returns>
    PacketPortStatistics GetStatistics();

    /// <summary>Throws <see cref="FrameLeakException"/> if the user holds any frame (a leak check for tests and
    /// shutdown).</summary>
    void ThrowIfFramesOutstanding();
}
