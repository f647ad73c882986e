namespace EdgeOS.Core.Capabilities;

/// <summary>
/// The capability is live and has the required rights, but the object it names is not of the type the caller asked
/// for in <see cref="CapabilityTable.Resolve{T}"/>.
/// </summary>
/// <remarks>
/// The operation that throws it has changed nothing: every table is exactly as it was before the call.
/// The message names the table, the slot, the generation and the rights involved, never the target object.
/// </remarks>
public sealed class CapabilityTypeMismatchException : CapabilityException
{
    /// <summary>Creates the exception with a default message.</summary>
    public CapabilityTypeMismatchException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What failed, and why.</param>
    public CapabilityTypeMismatchException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What failed, and why.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public CapabilityTypeMismatchException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
