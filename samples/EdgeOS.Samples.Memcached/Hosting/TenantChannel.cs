using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using EdgeOS.Fwp;
using EdgeOS.Samples.Memcached.Protocol;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>What a channel asks its tenant's FWP to do.</summary>
internal enum ChannelOp
{
    /// <summary>Run the protocol over <see cref="TenantChannel.Input"/>, writing to <see cref="TenantChannel.Output"/>.</summary>
    Process = 1,

    /// <summary>The connection ended: give back a partly received value.</summary>
    Abort = 2,

    /// <summary>UDP: run the batch of datagrams the channel's <see cref="TenantChannel.Datagrams"/> endpoint holds.</summary>
    ProcessDatagrams = 3,
}

/// <summary>
/// One client channel of a tenant (a TCP connection, or a tenant's UDP socket): its protocol session and the
/// hand-off between the I/O side and the tenant's FWP. The I/O side sets <see cref="Input"/>, posts a 12-byte message
/// (operation, slot, generation) to the tenant's inbox and awaits this object; the FWP handler runs the session on a
/// runtime worker, writes the responses straight into <see cref="Output"/> (the connection's pipe writer) and
/// completes it. One request is outstanding per channel, so the completion is one reusable
/// <see cref="ManualResetValueTaskSourceCore{TResult}"/>: nothing is allocated per request.
/// </summary>
internal sealed class TenantChannel : IValueTaskSource<SessionStatus>
{
    public const int MessageBytes = 12;

    private ManualResetValueTaskSourceCore<SessionStatus> _core;

    public TenantChannel(Tenant tenant, ProtocolSession session, IBufferWriter<byte> output, int descriptor, bool resetAfterEach)
    {
        Tenant = tenant;
        Session = session;
        Output = output;
        Descriptor = descriptor;
        ResetAfterEach = resetAfterEach;

        // The continuation (socket flush, next read) must not run on the FWP worker that completes us.
        _core.RunContinuationsAsynchronously = true;
    }

    public Tenant Tenant { get; }

    public ProtocolSession Session { get; }

    public IBufferWriter<byte> Output { get; }

    /// <summary>The number memcached's verbose output names the connection by (its socket's file descriptor).</summary>
    public int Descriptor { get; }

    /// <summary>UDP: every datagram is a request of its own, so the session is reset after each.</summary>
    public bool ResetAfterEach { get; }

    /// <summary>The unprocessed input; the handler slices off what it consumed.</summary>
    public ReadOnlySequence<byte> Input;

    /// <summary>The FWP restart count the session's pending state belongs to (see <see cref="ProtocolSession.Forget"/>).</summary>
    public int RestartEpoch;

    /// <summary>UDP: the tenant's endpoint whose received batch <see cref="ChannelOp.ProcessDatagrams"/> runs.</summary>
    public UdpEndpoint? Datagrams { get; init; }

    public int Slot { get; set; }

    public int Generation { get; set; }

    /// <summary>
    /// Posts <paramref name="op"/> to the tenant's FWP and returns the awaitable completion. Returns
    /// <see cref="SessionStatus.Close"/> at once when the FWP ended (host shutting down).
    /// </summary>
    public ValueTask<SessionStatus> RunAsync(ChannelOp op)
    {
        _core.Reset();
        Span<byte> message = stackalloc byte[MessageBytes];
        BinaryPrimitives.WriteInt32LittleEndian(message, (int)op);
        BinaryPrimitives.WriteInt32LittleEndian(message[4..], Slot);
        BinaryPrimitives.WriteInt32LittleEndian(message[8..], Generation);
        FwpPostStatus posted = Tenant.Fwp.TryPost(message);
        if (posted != FwpPostStatus.Posted)
        {
            return PostSlowAsync(op, posted);
        }

        return new ValueTask<SessionStatus>(this, _core.Version);
    }

    /// <summary>
    /// Posts <paramref name="op"/> without an awaiter (UDP batches: the handler itself sends the responses and
    /// re-arms the socket, and completes nothing). Never waits: the caller retries when the inbox is full.
    /// </summary>
    public FwpPostStatus Post(ChannelOp op)
    {
        Span<byte> message = stackalloc byte[MessageBytes];
        BinaryPrimitives.WriteInt32LittleEndian(message, (int)op);
        BinaryPrimitives.WriteInt32LittleEndian(message[4..], Slot);
        BinaryPrimitives.WriteInt32LittleEndian(message[8..], Generation);
        return Tenant.Fwp.TryPost(message);
    }

    // The inbox holds a message per channel of the tenant up to its size; beyond that (a burst on many connections
    // of one tenant) the poster waits for the FWP to drain it. Allocates, but only when the inbox is full.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private async ValueTask<SessionStatus> PostSlowAsync(ChannelOp op, FwpPostStatus posted)
    {
        byte[] message = new byte[MessageBytes];
        BinaryPrimitives.WriteInt32LittleEndian(message, (int)op);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), Slot);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(8), Generation);
        while (posted == FwpPostStatus.InboxFull)
        {
            await Task.Delay(1).ConfigureAwait(false);
            posted = Tenant.Fwp.TryPost(message);
        }

        if (posted != FwpPostStatus.Posted)
        {
            return SessionStatus.Close;
        }

        return await new ValueTask<SessionStatus>(this, _core.Version).ConfigureAwait(false);
    }

    /// <summary>Called by the handler when the operation is done.</summary>
    public void Complete(SessionStatus status) => _core.SetResult(status);

    /// <summary>Called by the handler when the operation failed (the FWP faults after this).</summary>
    public void Fail(Exception error) => _core.SetException(error);

    SessionStatus IValueTaskSource<SessionStatus>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SessionStatus>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<SessionStatus>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>
/// Every open channel of the host, by slot: what the template grants its instances (read right) so that a handler
/// can turn the slot in a message into its channel. A handler only accepts a channel of its own tenant (the channel
/// names the FWP incarnation it belongs to), so a stale or forged slot reaches nothing of another tenant.
/// </summary>
internal sealed class ChannelTable
{
    private readonly Lock _gate = new();
    private readonly Stack<int> _free = new();
    private TenantChannel?[] _slots = new TenantChannel?[1024];
    private int _used;
    private int _generation;

    /// <summary>Gives the channel a slot and a generation (a connection's start: rare, so a lock).</summary>
    public void Add(TenantChannel channel)
    {
        lock (_gate)
        {
            int slot;
            if (_free.Count > 0)
            {
                slot = _free.Pop();
            }
            else
            {
                if (_used == _slots.Length)
                {
                    // Readers index a snapshot of the array; a grown array holds every live channel before it is published.
                    TenantChannel?[] grown = new TenantChannel?[_slots.Length * 2];
                    _slots.CopyTo(grown, 0);
                    Volatile.Write(ref _slots, grown);
                }

                slot = _used++;
            }

            channel.Slot = slot;
            channel.Generation = ++_generation;
            Volatile.Write(ref _slots[slot], channel);
        }
    }

    public void Remove(TenantChannel channel)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_slots[channel.Slot], channel))
            {
                Volatile.Write(ref _slots[channel.Slot], null);
                _free.Push(channel.Slot);
            }
        }
    }

    /// <summary>The channel in <paramref name="slot"/> if its generation matches, else null. Lock-free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TenantChannel? Find(int slot, int generation)
    {
        TenantChannel?[] slots = Volatile.Read(ref _slots);
        if ((uint)slot >= (uint)slots.Length)
        {
            return null;
        }

        TenantChannel? channel = Volatile.Read(ref slots[slot]);
        return channel is not null && channel.Generation == generation ? channel : null;
    }
}
