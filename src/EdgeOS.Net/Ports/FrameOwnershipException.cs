namespace EdgeOS.Net;

/// <summary>
/// A <see cref="Frame"/> handle was used that the caller does not own: never issued, issued by another port, already
/// released or transmitted (double post), stale (its slot was reissued), repeated within one batch, or with a length
/// outside the frame.
/// </summary>
/// <remarks>
/// The operation that throws it has changed nothing: every frame of the batch, valid or not, is owned exactly as
/// before the call, and the port's counters are unchanged. <see cref="Error"/> says which rule was broken.
/// </remarks>
public sealed class FrameOwnershipException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public FrameOwnershipException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What failed, and why.</param>
    public FrameOwnershipException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What failed, and why.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public FrameOwnershipException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for <paramref name="error"/> on <paramref name="frame"/>.</summary>
    /// <param name="message">What failed, and why.</param>
    /// <param name="error">The rule that was broken.</param>
    /// <param name="frame">The offending handle.</param>
    public FrameOwnershipException(string? message, FrameOwnershipError error, Frame frame)
        : base(message)
    {
        Error = error;
        Frame = frame;
    }

    /// <summary>Which ownership rule was broken (0 when created without one).</summary>
    public FrameOwnershipError Error { get; }

    /// <summary>The offending handle (<c>default</c> when created without one).</summary>
    public Frame Frame { get; }
}
