namespace EdgeOS.Core.Capabilities;

/// <summary>
/// The base of every error of the capability system: an operation on a <see cref="CapabilityTable"/> was refused.
/// Catch it to handle all of them; catch a subtype to handle one case.
/// </summary>
/// <remarks>
/// The operation that throws it has changed nothing: every table is exactly as it was before the call.
/// The message names the table, the slot, the generation and the rights involved, never the target object.
/// </remarks>
public class CapabilityException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public CapabilityException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What failed, and why.</param>
    public CapabilityException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What failed, and why.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public CapabilityException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
