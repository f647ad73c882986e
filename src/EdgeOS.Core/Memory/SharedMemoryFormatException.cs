namespace EdgeOS.Core.Memory;

/// <summary>
/// Thrown when a shared memory mapping does not carry a valid EdgeOS shared-region header: wrong magic, an
/// unsupported version, a header or data size that does not match the file, or a file shorter than the header.
/// The message names the field, the expected and the actual value. Nothing was mapped and no handle was kept.
/// </summary>
public sealed class SharedMemoryFormatException : FormatException
{
    /// <summary>Creates the exception with a default message.</summary>
    public SharedMemoryFormatException()
        : base("The shared memory region has an invalid header.")
    {
        Field = string.Empty;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public SharedMemoryFormatException(string message)
        : base(message)
    {
        Field = string.Empty;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SharedMemoryFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
    }

    internal SharedMemoryFormatException(string message, string field)
        : base(message)
    {
        Field = field;
    }

    /// <summary>The header field that was wrong (<c>magic</c>, <c>version</c>, <c>headerSize</c>, <c>dataSize</c>, <c>fileLength</c>).</summary>
    public string Field { get; }
}
