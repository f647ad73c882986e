namespace EdgeOS.Core.Capabilities;

/// <summary>
/// The handle was issued by the table but its capability no longer exists: it was revoked (an ancestor
/// capability was revoked or deleted), deleted, cleared with its table, or transferred to another table.
/// </summary>
/// <remarks>
/// The operation that throws it has changed nothing: every table is exactly as it was before the call.
/// The message names the table, the slot, the generation and the rights involved, never the target object.
/// </remarks>
public sealed class StaleCapabilityException : CapabilityException
{
    /// <summary>Creates the exception with a default message.</summary>
    public StaleCapabilityException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What failed, and why.</param>
    public StaleCapabilityException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What failed, and why.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public StaleCapabilityException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
