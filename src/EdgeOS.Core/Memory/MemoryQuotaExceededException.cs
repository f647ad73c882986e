namespace EdgeOS.Core.Memory;

/// <summary>
/// Thrown when a charge would take a <see cref="MemoryAccount"/> (or one of its ancestors) over its quota.
/// Nothing was charged and nothing was allocated.
/// </summary>
public sealed class MemoryQuotaExceededException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public MemoryQuotaExceededException()
        : base("A memory quota would be exceeded.")
    {
        AccountName = string.Empty;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public MemoryQuotaExceededException(string message)
        : base(message)
    {
        AccountName = string.Empty;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MemoryQuotaExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
        AccountName = string.Empty;
    }

    internal MemoryQuotaExceededException(string message, string accountName, long quotaBytes, long usedBytes, long requestedBytes)
        : base(message)
    {
        AccountName = accountName;
        QuotaBytes = quotaBytes;
        UsedBytes = usedBytes;
        RequestedBytes = requestedBytes;
    }

    /// <summary>The name of the account whose quota would have been exceeded (the charged account or an ancestor).</summary>
    public string AccountName { get; }

    /// <summary>That account's quota.</summary>
    public long QuotaBytes { get; }

    /// <summary>That account's use when the charge was refused.</summary>
    public long UsedBytes { get; }

    /// <summary>The bytes that were requested.</summary>
    public long RequestedBytes { get; }
}
