namespace EdgeOS.Net;

/// <summary>
/// Thrown when the kernel refuses an operation for lack of privilege (EPERM or EACCES); the message and
/// <see cref="Capability"/> name the Linux capability the process needs.
/// </summary>
public sealed class NetPrivilegeException : UnauthorizedAccessException
{
    /// <summary>Creates the exception with a message and no capability named.</summary>
    public NetPrivilegeException()
        : this("The kernel refused the operation for lack of privilege.", string.Empty)
    {
    }

    /// <summary>Creates the exception with a message and no capability named.</summary>
    /// <param name="message">The message.</param>
    public NetPrivilegeException(string message)
        : this(message, string.Empty)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public NetPrivilegeException(string message, Exception innerException)
        : base(message, innerException)
    {
        Capability = string.Empty;
    }

    /// <summary>Creates the exception naming the capability (or capabilities) needed.</summary>
    /// <param name="message">The message, which also names the capability.</param>
    /// <param name="capability">The capability, e.g. <c>CAP_NET_RAW</c> or <c>CAP_BPF and CAP_NET_ADMIN</c>.</param>
    public NetPrivilegeException(string message, string capability)
        : base(message)
    {
        Capability = capability;
    }

    /// <summary>The Linux capability (or capabilities) the operation needs, e.g. <c>CAP_NET_RAW</c>.</summary>
    public string Capability { get; }
}
