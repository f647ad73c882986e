using System.Runtime.CompilerServices;
using EdgeOS.Core.Channels;
using EdgeOS.Core.Memory;

namespace EdgeOS.Fwp.Internal;

/// <summary>
/// An instance's inbox: an EdgeOS.Core <see cref="MpscByteRing"/> in a <see cref="MemoryRegion"/> the instance owns
/// (created once, kept while the instance is pooled, so spawning creates no ring), behind a gate that ties it to one
/// incarnation.
/// </summary>
/// <remarks>
/// <para>
/// Producers (any thread posting through a handle) are serialized by <see cref="_lock"/>, which makes "is this
/// incarnation still open" and "write the record" one atomic step: a stale handle can never put a message into a
/// recycled instance, and <see cref="Close"/> returning means no producer is writing. Under the lock they use the
/// ring's single producer endpoint, whose record is published (length word with release) before TryWrite returns.
/// The consumer (the instance's worker, or the stopping thread once the workers exited) reads lock-free with the
/// ring's consumer endpoint, one message at a time, zero-copy.
/// </para>
/// <para>
/// The ring's producer and consumer endpoints live in this one object (the ring allows producer and consumer to run
/// concurrently on different threads). Heartbeats and per-ring metrics are off: the instance is in-process and the
/// runtime publishes its own metrics.
/// </para>
/// </remarks>
internal sealed class FwpInbox : IDisposable
{
    private const int MessageType = 1;

    private readonly MemoryRegion _region;
    private readonly MpscByteRing _ring;
    private readonly Lock _lock = new();

    // The id of the incarnation allowed to receive; 0 while closed.
    private long _openId;

    public FwpInbox(int capacityBytes, MemoryAccount account, string name)
    {
        _region = MemoryRegion.Allocate(ByteRing.RequiredBytes(capacityBytes), new MemoryRegionOptions { Account = account, ZeroFill = true });
        try
        {
            var options = new ChannelOptions { Name = name, ProducersMax = 1, EnableMetrics = false, HeartbeatInterval = null };
            _ring = MpscByteRing.Create(_region, capacityBytes, ChannelEndpoints.Both, options);
        }
        catch
        {
            _region.Dispose();
            throw;
        }

        MessageBytesMax = _ring.MessageLengthMax;
    }

    public int MessageBytesMax { get; }

    /// <summary>Whether a message waits or is being written (consumer side; a producer may add one right after).</summary>
    public bool HasMessages
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _ring.DepthBytes != 0;
    }

    public static int MessageBytesMaxFor(int capacityBytes) => (capacityBytes / 8) - 8;

    /// <summary>Opens the inbox for incarnation <paramref name="id"/>. The inbox is empty (it was drained or dropped when closed).</summary>
    /// <remarks>
    /// No lock needed: no producer can hold <paramref name="id"/> yet (the handle is published after this), and a
    /// producer with an older id compares under the lock and sees 0 or the new id, never its own.
    /// </remarks>
    public void Open(long id) => Volatile.Write(ref _openId, id);

    /// <summary>Closes the inbox: once this returns no producer can add a message.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _openId = 0;
        }
    }

    /// <summary>Appends a message for incarnation <paramref name="id"/>; any thread.</summary>
    public FwpPostStatus TryWrite(long id, ReadOnlySpan<byte> message)
    {
        lock (_lock)
        {
            if (_openId != id)
            {
                return FwpPostStatus.Ended;
            }

            return _ring.TryWrite(MessageType, message) ? FwpPostStatus.Posted : FwpPostStatus.InboxFull;
        }
    }

    /// <summary>Delivers the oldest message, if any, to <paramref name="handler"/> (consumer only). Returns whether there was one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadOne<THandler>(ref THandler handler)
        where THandler : struct, IChannelMessageHandler => _ring.Read(ref handler, 1, ChannelDeliveryMode.Shared) != 0;

    /// <summary>Removes every published message and returns how many there were (consumer only, or with the inbox closed).</summary>
    public int DropAll()
    {
        var drop = default(DropHandler);
        int count = 0;
        int read;
        while ((read = _ring.Read(ref drop, int.MaxValue, ChannelDeliveryMode.Shared)) != 0)
        {
            count += read;
        }

        return count;
    }

    public void Dispose()
    {
        _ring.Dispose();
        _region.Dispose();
    }

    private struct DropHandler : IChannelMessageHandler
    {
        public readonly void OnMessage(int type, ReadOnlySpan<byte> message)
        {
        }
    }
}
