namespace EdgeOS.Net;

/// <summary>Reports frames the user still held when a port was disposed (<see cref="PacketPort.FramesLeaked"/>).</summary>
public sealed class FrameLeakEventArgs : EventArgs
{
    /// <summary>Creates the report.</summary>
    /// <param name="portName">The port's name.</param>
    /// <param name="leakedFrames">How many frames were not given back.</param>
    public FrameLeakEventArgs(string portName, int leakedFrames)
    {
        PortName = portName;
        LeakedFrames = leakedFrames;
    }

    /// <summary>The port's name.</summary>
    public string PortName { get; }

    /// <summary>How many frames were not given back.</summary>
    public int LeakedFrames { get; }
}
