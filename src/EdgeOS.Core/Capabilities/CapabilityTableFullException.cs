namespace EdgeOS.Core.Capabilities;

/// <summary>
/// The table that should receive a new capability has no free slot: it already holds
/// <see cref="CapabilityTable.SlotsMax"/> capabilities (fewer if some slots were retired, see <see cref="CapabilityTable.RetiredSlotCount"/>).
/// </summary>
/// <remarks>
/// The operation that throws it has changed nothing: every table is exactly as it was before the call.
/// The message names the table, the slot, the generation and the rights involved, never the target object.
/// </remarks>
public sealed class CapabilityTableFullException : CapabilityException
{
    /// <summary>Creates the exception with a default message.</summary>
    public CapabilityTableFullException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What failed, and why.</param>
    public CapabilityTableFullException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What failed, and why.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public CapabilityTableFullException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
