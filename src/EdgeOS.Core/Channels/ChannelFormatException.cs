namespace EdgeOS.Core.Channels;

/// <summary>
/// Thrown when memory does not hold a valid EdgeOS channel: a header with the wrong magic, version, kind, capacity
/// or slot size (on attach; nothing is written then), or a record in the data area whose length field is
/// impossible (on read; records before it were delivered and released, nothing after it is delivered).
/// The message names the field with the expected and the actual value.
/// </summary>
public sealed class ChannelFormatException : FormatException
{
    /// <summary>Creates the exception with a default message.</summary>
    public ChannelFormatException()
        : base("The memory does not hold a valid channel.")
    {
        Field = string.Empty;
        DataOffset = -1;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public ChannelFormatException(string message)
        : base(message)
    {
        Field = string.Empty;
        DataOffset = -1;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ChannelFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
        DataOffset = -1;
    }

    internal ChannelFormatException(string message, string field, long dataOffset)
        : base(message)
    {
        Field = field;
        DataOffset = dataOffset;
    }

    /// <summary>
    /// The field that was wrong: a header field (<c>magic</c>, <c>version</c>, <c>kind</c>, <c>headerSize</c>,
    /// <c>dataCapacity</c>, <c>messageLengthMax</c>, <c>slotSize</c>, <c>slotCount</c>, <c>producerSlotCount</c>)
    /// or <c>recordLength</c> for a record in the data area.
    /// </summary>
    public string Field { get; }

    /// <summary>For a bad record, its offset in the data area; -1 for a header field.</summary>
    public long DataOffset { get; }
}
