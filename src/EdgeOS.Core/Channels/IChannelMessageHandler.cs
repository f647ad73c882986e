namespace EdgeOS.Core.Channels;

/// <summary>
/// Receives messages from <see cref="ByteRing.Read{THandler}(ref THandler, int, ChannelDeliveryMode)"/>. Implement it on
/// a struct (or a ref struct, which may hold spans) so the JIT specializes and inlines the call per message.
/// </summary>
public interface IChannelMessageHandler
{
    /// <summary>Handles one message. The span is valid only during the call.</summary>
    /// <param name="type">The message type the producer gave (non-negative).</param>
    /// <param name="message">The payload (possibly empty).</param>
    void OnMessage(int type, ReadOnlySpan<byte> message);
}

/// <summary>A delegate form of <see cref="IChannelMessageHandler"/> with caller state (pass a static lambda to avoid allocating).</summary>
/// <typeparam name="TState">The caller's state.</typeparam>
/// <param name="state">The state passed to the read call.</param>
/// <param name="type">The message type.</param>
/// <param name="message">The payload, valid only during the call.</param>
public delegate void ChannelMessageHandler<in TState>(TState state, int type, ReadOnlySpan<byte> message);
