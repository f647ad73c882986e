using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using EdgeOS.Fwp;
using EdgeOS.Samples.Memcached.Protocol;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>
/// The host's UDP side over kernel sockets. Each tenant has a non-blocking UDP socket; every socket is registered
/// (level-triggered, one-shot) on the epoll instance of one of a few receive threads (<see cref="ReceiversFor"/>).
/// A receive thread takes a ready socket's waiting datagrams with one recvmmsg into a batch from its pool and posts
/// the batch to the tenant's FWP as one message; the FWP runs every datagram's requests on a runtime worker,
/// frames the responses and sends them with sendmmsg, gives the batch back and re-arms the socket. So a tenant has
/// at most one batch in flight: a flooding tenant costs one FWP turn per batch, like any other tenant, and a
/// tenant whose FWP faults loses only the batch that was running.
/// </summary>
/// <remarks>
/// Framing as memcached 1.6: each datagram is an 8-byte frame header (request id, sequence, total, reserved; big
/// endian) and one request; a request with more than one datagram is answered "SERVER_ERROR multi-packet request
/// not supported"; each response object (one per command, one per key of a multi-get) is cut into datagrams of at
/// most 1400 bytes, each with the request id, its sequence number and the total. A datagram is read whole up to
/// 64 KiB (memcached's UDP read buffer).
/// </remarks>
internal sealed class UdpServer : IUdpFrontEnd
{
    public const int FrameHeaderBytes = 8;
    public const int DatagramBytesMax = 1400;

    private readonly UdpReceiver[] _receivers;
    private readonly List<UdpEndpoint> _endpoints = [];
    private readonly IPAddress _address;
    private readonly ChannelTable _channels;

    public UdpServer(IPAddress address, ChannelTable channels, int receivers)
    {
        _address = address;
        _channels = channels;
        _receivers = new UdpReceiver[receivers];
        for (int i = 0; i < receivers; i++)
        {
            _receivers[i] = new UdpReceiver(i);
        }
    }

    /// <summary>Receive threads for -t FWP workers: one per two workers, at most four.</summary>
    public static int ReceiversFor(int threads) => Math.Clamp(threads / 2, 1, 4);

    /// <summary>Binds the tenant's UDP port and registers it on a receive thread (tenants spread round robin).</summary>
    public void Add(Tenant tenant)
    {
        UdpReceiver receiver = _receivers[_endpoints.Count % _receivers.Length];
        UdpEndpoint endpoint = new(tenant, _address, _channels, receiver);
        _endpoints.Add(endpoint);
        receiver.Register(endpoint);
    }

    public void Start()
    {
        foreach (UdpReceiver r in _receivers)
        {
            r.Start();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Stop receiving, let the batches in flight finish (their FWPs still run), then close the sockets.
        foreach (UdpReceiver r in _receivers)
        {
            r.Stop();
        }

        foreach (UdpReceiver r in _receivers)
        {
            await r.DrainAsync().ConfigureAwait(false);
        }

        foreach (UdpEndpoint e in _endpoints)
        {
            e.Dispose();
        }

        foreach (UdpReceiver r in _receivers)
        {
            r.Dispose();
        }
    }
}

/// <summary>The host's UDP side: kernel sockets (<see cref="UdpServer"/>) or an AF_XDP port (<see cref="XdpUdpServer"/>).</summary>
internal interface IUdpFrontEnd : IAsyncDisposable
{
    /// <summary>Makes the tenant reachable on its UDP port.</summary>
    void Add(Tenant tenant);

    /// <summary>Starts receiving (after every tenant was added).</summary>
    void Start();
}

/// <summary>
/// One tenant's UDP endpoint (its kernel socket, or its port on the XDP front end) and the channel its FWP runs
/// batches of datagrams for.
/// </summary>
internal sealed unsafe class UdpEndpoint : IDisposable
{
    private readonly Socket? _socket;
    private readonly XdpUdpServer? _xdp;
    private readonly ChannelTable _channels;
    private readonly List<int> _boundaries = [];
    private UdpBatch? _batch;

    public UdpEndpoint(Tenant tenant, IPAddress address, ChannelTable channels, UdpReceiver receiver)
    {
        Tenant = tenant;
        Receiver = receiver;
        _channels = channels;
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
        _socket.Bind(new IPEndPoint(address, tenant.UdpPort));
        Descriptor = (int)_socket.SafeHandle.DangerousGetHandle();
        VerboseLog.Listening(tenant.Context, Descriptor, "udp");
        Session = new ProtocolSession(tenant.Context) { Descriptor = Descriptor, Boundaries = _boundaries };
        Channel = new TenantChannel(tenant, Session, NullWriter.Instance, Descriptor, resetAfterEach: true) { Datagrams = this };
        channels.Add(Channel);
    }

    /// <summary>An endpoint on the XDP front end: no socket; memcached's connection number is the tenant's UDP port.</summary>
    public UdpEndpoint(Tenant tenant, ChannelTable channels, XdpUdpServer xdp)
    {
        Tenant = tenant;
        _xdp = xdp;
        _channels = channels;
        Descriptor = tenant.UdpPort;
        VerboseLog.Listening(tenant.Context, Descriptor, "udp");
        Session = new ProtocolSession(tenant.Context) { Descriptor = Descriptor, Boundaries = _boundaries };
        Channel = new TenantChannel(tenant, Session, NullWriter.Instance, Descriptor, resetAfterEach: true) { Datagrams = this };
        channels.Add(Channel);
    }

    public Tenant Tenant { get; }

    /// <summary>The receive thread (kernel sockets); null on the XDP front end.</summary>
    public UdpReceiver? Receiver { get; }

    public int Descriptor { get; }

    /// <summary>The endpoint's number on its receive thread (the epoll data).</summary>
    public int Index { get; set; }

    public ProtocolSession Session { get; }

    public TenantChannel Channel { get; }

    /// <summary>Receive thread: hands the batch over; the FWP's <see cref="RunBatch"/> takes it.</summary>
    public void Hand(UdpBatch batch) => _batch = batch;

    /// <summary>Receive thread: the batch that could not be posted (the FWP ended).</summary>
    public UdpBatch? TakeBack()
    {
        UdpBatch? batch = _batch;
        _batch = null;
        return batch;
    }

    /// <summary>
    /// Runs on the tenant's FWP: every datagram of the batch in order, then the responses out. The batch goes back and
    /// the socket is re-armed whatever happens (a request that throws faults the FWP after this returns the batch).
    /// </summary>
    public void RunBatch()
    {
        UdpBatch batch = _batch!;
        _batch = null;
        ArrayBufferWriter<byte> output = batch.Output;
        Session.BoundaryWriter = output;
        ServerContext context = Tenant.Context;
        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                int length = batch.ReceivedLength(i);
                if (length < UdpServer.FrameHeaderBytes)
                {
                    continue;
                }

                ReadOnlySpan<byte> datagram = batch.Slot(i, length);
                ushort requestId = BinaryPrimitives.ReadUInt16BigEndian(datagram);
                int start = output.WrittenCount;
                _boundaries.Clear();
                if (datagram[4] != 0 || datagram[5] != 1)
                {
                    output.Write("SERVER_ERROR multi-packet request not supported\r\n"u8);
                }
                else
                {
                    ReadOnlySequence<byte> input = new(batch.SlotMemory(i, length));
                    try
                    {
                        Session.Process(ref input, output);
                    }
                    finally
                    {
                        Session.Reset();
                    }
                }

                Interlocked.Add(ref context.BytesRead, length);
                _boundaries.Add(output.WrittenCount);
                foreach (int end in _boundaries)
                {
                    batch.AddResponse(i, requestId, start, end);
                    start = Math.Max(start, end);
                }
            }
        }
        finally
        {
            Session.BoundaryWriter = null;
            if (_xdp is not null)
            {
                Interlocked.Add(ref context.BytesWritten, _xdp.Complete(this, batch));
            }
            else
            {
                Interlocked.Add(ref context.BytesWritten, batch.Send(Descriptor));
                Receiver!.Return(batch);
                Receiver.Arm(this);
            }
        }
    }

    public void Dispose()
    {
        _channels.Remove(Channel);
        _socket?.Dispose();
    }

    /// <summary>The channel's output for TCP-style processing; UDP writes into the batch's buffer instead.</summary>
    private sealed class NullWriter : IBufferWriter<byte>
    {
        public static readonly NullWriter Instance = new();

        public void Advance(int count) => throw new InvalidOperationException("UDP responses go to the batch's buffer");

        public Memory<byte> GetMemory(int sizeHint = 0) => throw new InvalidOperationException("UDP responses go to the batch's buffer");

        public Span<byte> GetSpan(int sizeHint = 0) => throw new InvalidOperationException("UDP responses go to the batch's buffer");
    }
}

/// <summary>
/// A receive thread: an epoll instance over its tenants' sockets (one-shot, so a socket whose batch is in flight is
/// not reported again until its FWP re-arms it) and a fixed pool of batches; with every batch in flight it waits for
/// one to come back, so the memory of the UDP side is bounded by <see cref="BatchesPerReceiver"/>.
/// </summary>
internal sealed unsafe class UdpReceiver : IDisposable
{
    public const int BatchesPerReceiver = 64;
    private const int EventsMax = 256;
    private const ulong WakeData = ulong.MaxValue;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly List<UdpEndpoint> _endpoints = [];
    private readonly Stack<UdpBatch> _free = new(BatchesPerReceiver);
    private readonly UdpBatch[] _all = new UdpBatch[BatchesPerReceiver];
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _available = new(BatchesPerReceiver, BatchesPerReceiver);
    private readonly Queue<UdpEndpoint> _unposted = new();
    private readonly Thread _thread;
    private volatile bool _stopping;

    public UdpReceiver(int index)
    {
        _epoll = UdpNative.epoll_create1(0x80000); // EPOLL_CLOEXEC
        _wake = UdpNative.eventfd(0, 0x80000 | 0x800); // EFD_CLOEXEC | EFD_NONBLOCK
        if (_epoll < 0 || _wake < 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        byte* ev = stackalloc byte[16];
        UdpNative.WriteEvent(ev, UdpNative.EpollIn, WakeData);
        if (UdpNative.epoll_ctl(_epoll, UdpNative.EpollCtlAdd, _wake, ev) != 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        for (int i = 0; i < BatchesPerReceiver; i++)
        {
            _all[i] = new UdpBatch();
            _free.Push(_all[i]);
        }

        _thread = new Thread(Run) { IsBackground = true, Name = $"memcached-udp-{index}" };
    }

    public void Register(UdpEndpoint endpoint)
    {
        endpoint.Index = _endpoints.Count;
        _endpoints.Add(endpoint);
        byte* ev = stackalloc byte[16];
        UdpNative.WriteEvent(ev, UdpNative.EpollIn | UdpNative.EpollOneShot, (ulong)endpoint.Index);
        if (UdpNative.epoll_ctl(_epoll, UdpNative.EpollCtlAdd, endpoint.Descriptor, ev) != 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }
    }

    public void Start() => _thread.Start();

    /// <summary>Asks epoll to report the endpoint's socket again (any thread).</summary>
    public void Arm(UdpEndpoint endpoint)
    {
        byte* ev = stackalloc byte[16];
        UdpNative.WriteEvent(ev, UdpNative.EpollIn | UdpNative.EpollOneShot, (ulong)endpoint.Index);
        _ = UdpNative.epoll_ctl(_epoll, UdpNative.EpollCtlMod, endpoint.Descriptor, ev);
    }

    public void Return(UdpBatch batch)
    {
        batch.Clear();
        lock (_gate)
        {
            _free.Push(batch);
        }

        _available.Release();
    }

    private UdpBatch? Rent()
    {
        while (!_available.Wait(100))
        {
            if (_stopping)
            {
                return null;
            }
        }

        lock (_gate)
        {
            return _free.Pop();
        }
    }

    private void Run()
    {
        byte* events = (byte*)NativeMemory.Alloc((nuint)(EventsMax * UdpNative.EpollEventBytes));
        try
        {
            while (!_stopping)
            {
                int n = UdpNative.epoll_wait(_epoll, events, EventsMax, _unposted.Count > 0 ? 1 : -1);
                for (int i = 0; i < n && !_stopping; i++)
                {
                    ulong data = UdpNative.ReadEventData(events + (i * UdpNative.EpollEventBytes));
                    if (data != WakeData)
                    {
                        Receive(_endpoints[(int)data]);
                    }
                }

                // Tenants whose inbox was full: try again (their socket stays disarmed meanwhile).
                for (int k = _unposted.Count; k > 0 && !_stopping; k--)
                {
                    Post(_unposted.Dequeue());
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    private void Receive(UdpEndpoint endpoint)
    {
        UdpBatch? batch = Rent();
        if (batch is null)
        {
            return;
        }

        if (batch.Receive(endpoint.Descriptor) <= 0)
        {
            // Nothing after all, or an error the socket reported (an ICMP unreachable from an earlier reply): listen on.
            Return(batch);
            Arm(endpoint);
            return;
        }

        endpoint.Hand(batch);
        Post(endpoint);
    }

    private void Post(UdpEndpoint endpoint)
    {
        switch (endpoint.Channel.Post(ChannelOp.ProcessDatagrams))
        {
            case FwpPostStatus.Posted:
                break;
            case FwpPostStatus.InboxFull:
                _unposted.Enqueue(endpoint);
                break;
            default:
                // The tenant's FWP has ended (the host is stopping): its datagrams are dropped, its socket stays quiet.
                UdpBatch? batch = endpoint.TakeBack();
                if (batch is not null)
                {
                    Return(batch);
                }

                break;
        }
    }

    public void Stop()
    {
        _stopping = true;
        long one = 1;
        _ = UdpNative.write(_wake, (byte*)&one, 8);
    }

    /// <summary>Waits (up to 5 s) for the thread to end and the batches in flight to come back.</summary>
    public Task DrainAsync() => Task.Run(() =>
    {
        if ((_thread.ThreadState & ThreadState.Unstarted) == 0)
        {
            _ = _thread.Join(TimeSpan.FromSeconds(5));
        }

        DateTime deadline = DateTime.UtcNow.AddSeconds(5);
        while (_available.CurrentCount + _unposted.Count < BatchesPerReceiver && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
    });

    public void Dispose()
    {
        _ = UdpNative.close(_epoll);
        _ = UdpNative.close(_wake);
        if (_available.CurrentCount + _unposted.Count == BatchesPerReceiver)
        {
            foreach (UdpBatch b in _all)
            {
                b.Dispose();
            }
        }

        // else: a batch is still in an FWP that did not finish in time; its memory stays until the process ends.
        _available.Dispose();
    }
}

/// <summary>
/// Up to <see cref="Slots"/> datagrams of one socket, received with one recvmmsg, and their responses, sent with
/// sendmmsg. Each slot is 64 KiB of native memory that is touched only as far as datagrams fill it, so an idle batch
/// costs address space, not resident memory.
/// </summary>
internal sealed unsafe class UdpBatch : IDisposable
{
    public const int Slots = 16;
    public const int SlotBytes = 65536;
    private const int SendMax = 64;
    private const int OutputRetainedMax = 256 * 1024;

    private readonly byte* _slots;
    private readonly byte* _names;
    private readonly UdpNative.MMsgHdr* _recv;
    private readonly UdpNative.IoVec* _recvIov;
    private readonly UdpNative.MMsgHdr* _send;
    private readonly UdpNative.IoVec* _sendIov;
    private readonly byte* _headers;
    private readonly NativeSlot[] _memories = new NativeSlot[Slots];
    private Response[] _responses = new Response[64];
    private int _responseCount;

    public UdpBatch()
    {
        _slots = (byte*)NativeMemory.Alloc((nuint)Slots * SlotBytes);
        _names = (byte*)NativeMemory.AllocZeroed((nuint)(Slots * UdpNative.NameBytes));
        _recv = (UdpNative.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Slots * sizeof(UdpNative.MMsgHdr)));
        _recvIov = (UdpNative.IoVec*)NativeMemory.AllocZeroed((nuint)(Slots * sizeof(UdpNative.IoVec)));
        _send = (UdpNative.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(SendMax * sizeof(UdpNative.MMsgHdr)));
        _sendIov = (UdpNative.IoVec*)NativeMemory.AllocZeroed((nuint)(SendMax * 2 * sizeof(UdpNative.IoVec)));
        _headers = (byte*)NativeMemory.AllocZeroed((nuint)(SendMax * UdpServer.FrameHeaderBytes));
        for (int i = 0; i < Slots; i++)
        {
            _memories[i] = new NativeSlot(_slots + ((long)i * SlotBytes));
            _recvIov[i].Base = _slots + ((long)i * SlotBytes);
            _recvIov[i].Length = SlotBytes;
        }
    }

    /// <summary>Datagrams received.</summary>
    public int Count { get; private set; }

    /// <summary>The responses of every datagram of the batch, one after the other.</summary>
    public ArrayBufferWriter<byte> Output { get; private set; } = new(16384);

    /// <summary>Takes the socket's waiting datagrams (up to <see cref="Slots"/>); returns the count, or -1.</summary>
    public int Receive(int descriptor)
    {
        for (int i = 0; i < Slots; i++)
        {
            _recv[i].Name = _names + (i * UdpNative.NameBytes);
            _recv[i].NameLength = UdpNative.NameBytes;
            _recv[i].Iov = _recvIov + i;
            _recv[i].IovLength = 1;
            _recv[i].Flags = 0;
        }

        int n = UdpNative.recvmmsg(descriptor, _recv, Slots, UdpNative.MsgDontWait, null);
        Count = Math.Max(n, 0);
        return n;
    }

    public int ReceivedLength(int i) => (int)_recv[i].Length;

    public bool IsFull => Count == Slots;

    /// <summary>
    /// XDP: adds a datagram taken from a frame (the UDP payload, at most 64 KiB) and what its reply needs (up to
    /// <see cref="UdpNative.NameBytes"/> bytes: addresses and ports); false when the batch is full.
    /// </summary>
    public bool TryAdd(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> replyTo)
    {
        if (Count == Slots || payload.Length > SlotBytes)
        {
            return false;
        }

        payload.CopyTo(new Span<byte>(_slots + ((long)Count * SlotBytes), SlotBytes));
        replyTo.CopyTo(new Span<byte>(_names + (Count * UdpNative.NameBytes), UdpNative.NameBytes));
        _recv[Count].Length = (uint)payload.Length;
        Count++;
        return true;
    }

    /// <summary>XDP: what <see cref="TryAdd"/> kept for datagram <paramref name="slot"/>'s reply.</summary>
    public ReadOnlySpan<byte> ReplyTo(int slot) => new(_names + (slot * UdpNative.NameBytes), UdpNative.NameBytes);

    public int ResponseCount => _responseCount;

    /// <summary>XDP: writes response datagram <paramref name="k"/> (frame header and payload); returns its length.</summary>
    public int WriteResponse(int k, Span<byte> datagram, out int slot)
    {
        ref Response r = ref _responses[k];
        slot = r.Slot;
        BinaryPrimitives.WriteUInt16BigEndian(datagram, r.RequestId);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], r.Sequence);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[4..], r.Total);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[6..], 0);
        Output.WrittenSpan.Slice(r.Offset, r.Length).CopyTo(datagram[UdpServer.FrameHeaderBytes..]);
        return UdpServer.FrameHeaderBytes + r.Length;
    }

    public ReadOnlySpan<byte> Slot(int i, int length) => new(_slots + ((long)i * SlotBytes), length);

    /// <summary>The datagram's request (after the frame header) as memory the protocol's input sequence can hold.</summary>
    public ReadOnlyMemory<byte> SlotMemory(int i, int length) =>
        _memories[i].Memory.Slice(UdpServer.FrameHeaderBytes, length - UdpServer.FrameHeaderBytes);

    /// <summary>Cuts Output[start..end] (one response object of datagram <paramref name="slot"/>) into datagrams.</summary>
    public void AddResponse(int slot, ushort requestId, int start, int end)
    {
        int length = end - start;
        if (length <= 0)
        {
            return;
        }

        const int chunk = UdpServer.DatagramBytesMax - UdpServer.FrameHeaderBytes;
        int total = (length + chunk - 1) / chunk;
        if (total > ushort.MaxValue)
        {
            return; // memcached cannot number it either
        }

        for (int seq = 0; seq < total; seq++)
        {
            if (_responseCount == _responses.Length)
            {
                Array.Resize(ref _responses, _responses.Length * 2); // a large multi-get: grows once, kept
            }

            int offset = start + (seq * chunk);
            _responses[_responseCount++] = new Response(slot, requestId, (ushort)seq, (ushort)total, offset, Math.Min(chunk, end - offset));
        }
    }

    /// <summary>Sends every response datagram to the address its request came from; returns the bytes sent.</summary>
    public long Send(int descriptor)
    {
        long bytes = 0;
        fixed (byte* output = Output.WrittenSpan)
        {
            for (int first = 0; first < _responseCount; first += SendMax)
            {
                int count = Math.Min(SendMax, _responseCount - first);
                for (int k = 0; k < count; k++)
                {
                    ref Response r = ref _responses[first + k];
                    byte* header = _headers + (k * UdpServer.FrameHeaderBytes);
                    BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(header, 2), r.RequestId);
                    BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(header + 2, 2), r.Sequence);
                    BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(header + 4, 2), r.Total);
                    BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(header + 6, 2), 0);
                    UdpNative.IoVec* iov = _sendIov + (k * 2);
                    iov[0].Base = header;
                    iov[0].Length = UdpServer.FrameHeaderBytes;
                    iov[1].Base = output + r.Offset;
                    iov[1].Length = r.Length;
                    _send[k] = default;
                    _send[k].Name = _names + (r.Slot * UdpNative.NameBytes);
                    _send[k].NameLength = _recv[r.Slot].NameLength;
                    _send[k].Iov = iov;
                    _send[k].IovLength = 2;
                }

                bytes += SendAll(descriptor, count);
            }
        }

        return bytes;
    }

    // sendmmsg until all went: a full send buffer waits (up to 100 ms a time) for room, as the blocking send of
    // memcached's UDP path would; a datagram the kernel refuses (e.g. an unreachable address) is skipped.
    private long SendAll(int descriptor, int count)
    {
        long bytes = 0;
        int done = 0;
        int waits = 0;
        while (done < count)
        {
            int n = UdpNative.sendmmsg(descriptor, _send + done, (uint)(count - done), UdpNative.MsgDontWait);
            if (n > 0)
            {
                for (int k = done; k < done + n; k++)
                {
                    bytes += _send[k].Length;
                }

                done += n;
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (n < 0 && errno == UdpNative.EAgain && waits++ < 50)
            {
                UdpNative.PollFd p = new() { Fd = descriptor, Events = UdpNative.PollOut };
                _ = UdpNative.poll(&p, 1, 100);
                continue;
            }

            if (n < 0 && errno == UdpNative.EIntr)
            {
                continue;
            }

            done++;
        }

        return bytes;
    }

    public void Clear()
    {
        Count = 0;
        _responseCount = 0;
        if (Output.Capacity > OutputRetainedMax)
        {
            Output = new ArrayBufferWriter<byte>(16384); // a large response's buffer is not kept in the pool
        }
        else
        {
            Output.ResetWrittenCount();
        }
    }

    public void Dispose()
    {
        NativeMemory.Free(_slots);
        NativeMemory.Free(_names);
        NativeMemory.Free(_recv);
        NativeMemory.Free(_recvIov);
        NativeMemory.Free(_send);
        NativeMemory.Free(_sendIov);
        NativeMemory.Free(_headers);
    }

    private readonly record struct Response(int Slot, ushort RequestId, ushort Sequence, ushort Total, int Offset, int Length);

    /// <summary>A slot of native memory as <see cref="Memory{T}"/> (the protocol parses a sequence over it).</summary>
    private sealed class NativeSlot(byte* start) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(start, SlotBytes);

        public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
