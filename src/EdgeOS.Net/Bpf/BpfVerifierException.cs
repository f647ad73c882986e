namespace EdgeOS.Net.Bpf;

/// <summary>
/// Thrown when the kernel's BPF verifier rejects a program. <see cref="VerifierLog"/> holds the verifier's
/// own explanation (the instruction trace up to the failing instruction), which the message also ends with.
/// </summary>
public sealed class BpfVerifierException : InvalidOperationException
{
    /// <summary>Creates the exception with a generic message and an empty log.</summary>
    public BpfVerifierException()
        : this("The BPF verifier rejected the program.", string.Empty, 0)
    {
    }

    /// <summary>Creates the exception with a message and an empty log.</summary>
    /// <param name="message">The message.</param>
    public BpfVerifierException(string message)
        : this(message, string.Empty, 0)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public BpfVerifierException(string message, Exception innerException)
        : base(message, innerException)
    {
        VerifierLog = string.Empty;
    }

    /// <summary>Creates the exception with the verifier log and the errno of the failed BPF_PROG_LOAD.</summary>
    /// <param name="message">The message.</param>
    /// <param name="verifierLog">The verifier log text.</param>
    /// <param name="errorNumber">The errno bpf(2) returned.</param>
    public BpfVerifierException(string message, string verifierLog, int errorNumber)
        : base(message)
    {
        VerifierLog = verifierLog;
        ErrorNumber = errorNumber;
    }

    /// <summary>The verifier log (level 1), possibly truncated to the last part if it was longer than the buffer.</summary>
    public string VerifierLog { get; }

    /// <summary>The errno of the failed BPF_PROG_LOAD (EACCES or EINVAL for a rejected program).</summary>
    public int ErrorNumber { get; }
}
