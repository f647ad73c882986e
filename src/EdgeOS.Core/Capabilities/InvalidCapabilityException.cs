namespace EdgeOS.Core.Capabilities;

/// <summary>
/// The handle was never issued by the table it was used with: the null (<c>default</c>) handle, a handle of
/// another table, a slot outside the table, or a forged or guessed value.
/// </summary>
/// <remarks>
/// The operation that throws it has changed nothing: every table is exactly as it was before the call.
/// The message names the table, the slot, the generation and the rights involved, never the target object.
/// </remarks>
public sealed class InvalidCapabilityException : CapabilityException
{
    /// <summary>Creates the exception with a default message.</summary>
    public InvalidCapabilityException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What failed, and why.</param>
    public InvalidCapabilityException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What failed, and why.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public InvalidCapabilityException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
