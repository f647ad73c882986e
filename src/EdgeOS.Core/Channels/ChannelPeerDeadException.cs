namespace EdgeOS.Core.Channels;

/// <summary>
/// Thrown when a channel operation cannot make progress because the other side is gone: a producer waiting for
/// space whose consumer died or detached, or a consumer waiting for data when no producer is alive and at least
/// one died. The properties say which peer, its process id and how long ago it last showed a heartbeat.
/// </summary>
public sealed class ChannelPeerDeadException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public ChannelPeerDeadException()
        : base("The channel's peer is gone.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public ChannelPeerDeadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ChannelPeerDeadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal ChannelPeerDeadException(string message, ChannelPeerRole role, ChannelPeerInfo peer)
        : base(message)
    {
        Role = role;
        Peer = peer;
    }

    /// <summary>Which side the dead peer was on.</summary>
    public ChannelPeerRole Role { get; }

    /// <summary>What the header said about the peer when it was found gone.</summary>
    public ChannelPeerInfo Peer { get; }
}
