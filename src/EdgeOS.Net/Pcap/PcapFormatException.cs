namespace EdgeOS.Net.Pcap;

/// <summary>
/// A pcap file is truncated or corrupt. <see cref="Offset"/> is the byte offset in the file (from its start) of the
/// field or record that is wrong; the message says what was expected there.
/// </summary>
public sealed class PcapFormatException : FormatException
{
    /// <summary>Creates the exception with a default message.</summary>
    public PcapFormatException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What failed, and why.</param>
    public PcapFormatException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What failed, and why.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public PcapFormatException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a problem at <paramref name="offset"/>.</summary>
    /// <param name="message">What failed, and why.</param>
    /// <param name="offset">The byte offset of the bad field or record.</param>
    public PcapFormatException(string? message, long offset)
        : base(message)
    {
        Offset = offset;
    }

    /// <summary>The byte offset in the file of the bad field or record (-1 when created without one).</summary>
    public long Offset { get; } = -1;
}
