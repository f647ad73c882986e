namespace EdgeOS.Core.Capabilities;

/// <summary>
/// A capability lacks a right the operation needs (a right required by a resolve, <see cref="CapabilityRights.Grant"/>
/// to derive or transfer, <see cref="CapabilityRights.Revoke"/> to revoke), or a derive asked for rights its source
/// does not hold (amplification).
/// </summary>
/// <remarks>
/// The operation that throws it has changed nothing: every table is exactly as it was before the call.
/// The message names the table, the slot, the generation and the rights involved, never the target object.
/// </remarks>
public sealed class CapabilityRightsException : CapabilityException
{
    /// <summary>Creates the exception with a default message.</summary>
    public CapabilityRightsException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What failed, and why.</param>
    public CapabilityRightsException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What failed, and why.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public CapabilityRightsException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
