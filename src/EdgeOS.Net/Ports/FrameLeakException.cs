namespace EdgeOS.Net;

/// <summary>
/// Frames were still held by the user when the port was checked with <see cref="PacketPort.ThrowIfFramesOutstanding"/>:
/// some received or allocated frame was never released or transmitted.
/// </summary>
public sealed class FrameLeakException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public FrameLeakException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What failed, and why.</param>
    public FrameLeakException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What failed, and why.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public FrameLeakException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for <paramref name="outstandingFrames"/> frames not returned.</summary>
    /// <param name="message">What failed, and why.</param>
    /// <param name="outstandingFrames">How many frames the user still holds.</param>
    public FrameLeakException(string? message, int outstandingFrames)
        : base(message)
    {
        OutstandingFrames = outstandingFrames;
    }

    /// <summary>How many frames were still held by the user.</summary>
    public int OutstandingFrames { get; }
}
