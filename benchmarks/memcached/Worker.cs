using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using HdrHistogram;

namespace EdgeOS.Benchmarks.Memcached;

/// <summary>Counters of one worker; only requests scheduled (open loop) or sent (closed loop) inside the measured window count.</summary>
internal struct Counters
{
    public long Completed;
    public long Hits;
    public long Misses;
    public long Stored;
    public long ServerErrors;
    public long ProtocolErrors;
    public long Timeouts;
    public long Dropped;
    public long ConnectionErrors;
    public long SendErrors;
    public long Late;
    public long WarmupStored;
    public long WarmupFailed;

    public void Add(in Counters o)
    {
        Completed += o.Completed;
        Hits += o.Hits;
        Misses += o.Misses;
        Stored += o.Stored;
        ServerErrors += o.ServerErrors;
        ProtocolErrors += o.ProtocolErrors;
        Timeouts += o.Timeouts;
        Dropped += o.Dropped;
        ConnectionErrors += o.ConnectionErrors;
        SendErrors += o.SendErrors;
        Late += o.Late;
        WarmupStored += o.WarmupStored;
        WarmupFailed += o.WarmupFailed;
    }
}

/// <summary>One TCP connection: a ring of requests (queued, written, answered in order) and fixed buffers.</summary>
internal sealed class Connection
{
    public required Socket Socket;
    public required int Fd;
    public required int Target;
    public required int Index;
    public required bool SetsKeys;
    public required byte[] Send;
    public required byte[] Receive;
    public required long[] Time;
    public required int[] Key;
    public required byte[] Kind;
    public int Mask;
    public int SendLength;
    public int ReceiveLength;

    // Head..Written were written to the socket buffer (waiting for answers), Written..Tail are queued.
    public int Head;
    public int Written;
    public int Tail;
    public bool WantsOut;
    public bool Dirty;
    public bool Dead;
    public int WarmupNext;
}

/// <summary>
/// One generator thread: its own epoll instance, its share of the TCP connections (or one UDP socket that talks to
/// every target), its own histogram. No allocation after construction: fixed rings, pinned buffers, raw syscalls.
/// </summary>
internal sealed unsafe class Worker : IDisposable
{
    private const ulong UdpToken = ulong.MaxValue;
    private const int EventsMax = 256;
    private const int UdpWarmupWindow = 64;
    private const int TcpWarmupDepth = 16;

    private readonly Options _o;
    private readonly Requests _requests;
    private readonly int _index;
    private readonly int _epfd;
    private readonly Connection[] _connections;
    private readonly int[] _dirty;
    private int _dirtyCount;
    private readonly Socket? _udpSocket;
    private readonly int _udpFd;
    private const int UdpBatch = 32;
    private const int UdpDatagramBytesMax = 2048;

    // Native batch areas for recvmmsg/sendmmsg: UdpBatch messages, each with its own buffer and address.
    private readonly Native.MMsgHdr* _rxMessages;
    private readonly Native.MMsgHdr* _txMessages;
    private int _txCount;
    private readonly int _txDatagramBytes;
    private readonly long[] _slotTime = new long[Options.UdpInFlightMax];
    private readonly int[] _slotTarget = new int[Options.UdpInFlightMax];
    private readonly bool[] _slotBusy = new bool[Options.UdpInFlightMax];
    private readonly byte[] _slotKind = new byte[Options.UdpInFlightMax];
    private long _udpIssued;
    private long _udpOldest;
    private int _udpInFlight;
    private int _udpWarmupNext;
    private readonly int _udpWarmupEnd;
    private readonly Native.EpollEvent[] _events = GC.AllocateArray<Native.EpollEvent>(EventsMax, pinned: true);
    private readonly uint _address;
    private ulong _random;
    private readonly long _timeoutTicks;
    private readonly ulong _getThreshold;
    private bool _warmup;
    private bool _closedLoop;
    private long _measureStart = long.MaxValue;
    private long _measureEnd = long.MaxValue;

    public Worker(Options o, Requests requests, int index)
    {
        _o = o;
        _requests = requests;
        _index = index;
        _random = (ulong)(o.Seed + (index * 7919)) | 1;
        _timeoutTicks = (long)(o.TimeoutSeconds * Stopwatch.Frequency);
        _getThreshold = (ulong)(o.GetRatio * ulong.MaxValue);
        _address = BitConverter.ToUInt32(o.Host.GetAddressBytes());
        _epfd = Native.epoll_create1(0);
        if (_epfd < 0)
        {
            throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        Histogram = new LongHistogram(1, 60L * 1_000_000_000, 3);
        LagHistogram = new LongHistogram(1, 60L * 1_000_000_000, 2);
        if (o.Udp)
        {
            _connections = [];
            _dirty = [];
            _udpSocket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _udpSocket.Bind(new IPEndPoint(o.Host, 0));
            // A deep receive buffer so a burst of answers is not dropped by our own socket (root may exceed rmem_max).
            int want = 16 * 1024 * 1024;
            try
            {
                _udpSocket.SetRawSocketOption(1, 33 /* SO_RCVBUFFORCE */, BitConverter.GetBytes(want));
            }
            catch (SocketException)
            {
                _udpSocket.ReceiveBufferSize = want;
            }

            _udpSocket.Blocking = false;
            _udpFd = (int)_udpSocket.Handle;
            _txDatagramBytes = 8 + requests.RequestBytesMax;
            _rxMessages = AllocateBatch(UdpDatagramBytesMax);
            _txMessages = AllocateBatch(_txDatagramBytes);
            Register(_udpFd, Native.EpollIn, UdpToken);
            // Each worker sets the keys of the targets t with t % threads == index.
            _udpWarmupNext = 0;
            _udpWarmupEnd = CountOwnedTargets(o.Targets, o.Threads, index) * o.Keys;
        }
        else
        {
            var list = new List<Connection>();
            int ringSize = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(o.OpenLoop ? Options.QueueMax : o.Depth, TcpWarmupDepth));
            int bufferBytes = Math.Max(16 * 1024, requests.RequestBytesMax + 512);
            for (int c = index; c < o.Connections; c += o.Threads)
            {
                int target = c % o.Targets;
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                socket.Connect(new IPEndPoint(o.Host, o.PortBase + target));
                socket.Blocking = false;
                var connection = new Connection
                {
                    Socket = socket,
                    Fd = (int)socket.Handle,
                    Target = target,
                    Index = list.Count,
                    SetsKeys = c < o.Targets,
                    Send = GC.AllocateArray<byte>(bufferBytes, pinned: true),
                    Receive = GC.AllocateArray<byte>(bufferBytes, pinned: true),
                    Time = new long[ringSize],
                    Key = new int[ringSize],
                    Kind = new byte[ringSize],
                    Mask = ringSize - 1,
                };
                Register(connection.Fd, Native.EpollIn, (ulong)list.Count);
                list.Add(connection);
            }

            _connections = [.. list];
            _dirty = new int[_connections.Length];
        }
    }

    public LongHistogram Histogram { get; }

    /// <summary>How late the generator sent open-loop requests against their schedule: large values mean it was the bottleneck.</summary>
    public LongHistogram LagHistogram { get; }

    public Counters Counters;

    /// <summary>UdpBatch messages with one buffer and one address each, in native memory freed by Dispose.</summary>
    private static Native.MMsgHdr* AllocateBatch(int bufferBytes)
    {
        var messages = (Native.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(UdpBatch * sizeof(Native.MMsgHdr)));
        var iovs = (Native.IoVec*)NativeMemory.AllocZeroed((nuint)(UdpBatch * sizeof(Native.IoVec)));
        var names = (Native.SockaddrIn*)NativeMemory.AllocZeroed((nuint)(UdpBatch * sizeof(Native.SockaddrIn)));
        byte* buffers = (byte*)NativeMemory.AllocZeroed((nuint)(UdpBatch * bufferBytes));
        for (int i = 0; i < UdpBatch; i++)
        {
            iovs[i].Base = buffers + (i * bufferBytes);
            iovs[i].Length = bufferBytes;
            messages[i].Iov = &iovs[i];
            messages[i].IovLength = 1;
            messages[i].Name = &names[i];
            messages[i].NameLength = sizeof(Native.SockaddrIn);
        }

        return messages;
    }

    private static void FreeBatch(Native.MMsgHdr* messages)
    {
        if (messages == null)
        {
            return;
        }

        NativeMemory.Free(messages[0].Iov->Base);
        NativeMemory.Free(messages[0].Name);
        NativeMemory.Free(messages[0].Iov);
        NativeMemory.Free(messages);
    }

    private static int CountOwnedTargets(int targets, int threads, int index) => index < targets ? ((targets - 1 - index) / threads) + 1 : 0;

    private static class BitOperations
    {
        public static uint RoundUpToPowerOf2(uint v) => System.Numerics.BitOperations.RoundUpToPowerOf2(v);
    }

    /// <summary>Sets every key of the targets this worker owns, a bounded number at a time, and waits for the answers.</summary>
    public void SetKeys()
    {
        _warmup = true;
        _closedLoop = true;
        long now = Stopwatch.GetTimestamp();
        if (_o.Udp)
        {
            for (int i = 0; i < UdpWarmupWindow && _udpWarmupNext < _udpWarmupEnd; i++)
            {
                IssueNextUdp(now);
            }

            FlushDirty();
        }
        else
        {
            foreach (Connection c in _connections)
            {
                for (int i = 0; i < TcpWarmupDepth && c.SetsKeys && c.WarmupNext < _o.Keys; i++)
                {
                    Enqueue(c, _o.Keys == 0 ? 0 : c.WarmupNext++, Requests.Set, now);
                }
            }

            FlushDirty();
        }

        // Lost UDP sets are counted, not retried: a later get of that key is a miss and shows up in the report.
        while (Outstanding() > 0)
        {
            Poll(Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 1000));
        }

        _warmup = false;
    }

    /// <summary>Runs the load from start: warm-up load until measureStart, measured until measureEnd, then drains.</summary>
    public void Load(long start, long measureStart, long measureEnd)
    {
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        _measureStart = measureStart;
        _measureEnd = measureEnd;
        _closedLoop = !_o.OpenLoop;
        while (Stopwatch.GetTimestamp() < start)
        {
            Thread.SpinWait(10);
        }

        if (_o.OpenLoop)
        {
            RunOpenLoop(start, measureEnd);
        }
        else
        {
            RunClosedLoop(measureEnd);
        }

        // Drain: nothing new is sent; every answer still arriving counts until the timeout after the end.
        _closedLoop = false;
        long drainEnd = measureEnd + _timeoutTicks;
        while (Outstanding() > 0 && Stopwatch.GetTimestamp() < drainEnd)
        {
            Poll(Math.Min(drainEnd, Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 1000)));
        }

        ExpireEverything();
        LoadAllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    }

    /// <summary>Managed bytes this worker's thread allocated during <see cref="Load"/>: the hot path is meant to keep it near zero.</summary>
    public long LoadAllocatedBytes { get; private set; }

    private void RunOpenLoop(long start, long end)
    {
        double ratePerWorker = _o.Rate / _o.Threads;
        double intervalTicks = Stopwatch.Frequency / ratePerWorker;
        long sequence = 0;
        long nextDue = start;
        long spinTicks = Stopwatch.Frequency / 50_000; // 20 µs: closer than this we poll without sleeping
        while (nextDue < end)
        {
            long now = Stopwatch.GetTimestamp();
            while (nextDue <= now && nextDue < end)
            {
                if (nextDue >= _measureStart)
                {
                    LagHistogram.RecordValue(Math.Max(1, TicksToNs(now - nextDue)));
                }

                IssueRandom(nextDue);
                sequence++;
                nextDue = start + (long)(sequence * intervalTicks);
            }

            FlushDirty();
            long wake = nextDue - now <= spinTicks ? now : nextDue - spinTicks;
            Poll(Math.Min(wake, now + (Stopwatch.Frequency / 1000)));
        }
    }

    private void RunClosedLoop(long end)
    {
        long now = Stopwatch.GetTimestamp();
        if (_o.Udp)
        {
            int window = _o.Connections * _o.Depth / _o.Threads;
            for (int i = 0; i < Math.Max(1, window); i++)
            {
                IssueRandom(now);
            }

            FlushDirty();
        }
        else
        {
            foreach (Connection c in _connections)
            {
                for (int i = 0; i < _o.Depth; i++)
                {
                    Enqueue(c, NextKey(), NextKind(), now);
                }
            }

            FlushDirty();
        }

        while (Stopwatch.GetTimestamp() < end)
        {
            Poll(Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 1000));
        }
    }

    private long Outstanding()
    {
        if (_o.Udp)
        {
            return _udpInFlight;
        }

        long n = 0;
        foreach (Connection c in _connections)
        {
            n += c.Dead ? 0 : c.Tail - c.Head;
        }

        return n;
    }

    private bool InWindow(long time) => !_warmup && time >= _measureStart && time < _measureEnd;

    private ulong NextRandom()
    {
        ulong x = _random;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        _random = x;
        return x;
    }

    private int NextKey() => (int)((NextRandom() >> 32) % (ulong)_o.Keys);

    private byte NextKind() => NextRandom() < _getThreshold ? Requests.Get : Requests.Set;

    private void IssueRandom(long time)
    {
        if (_o.Udp)
        {
            IssueUdp((int)((NextRandom() >> 32) % (ulong)_o.Targets), NextKey(), NextKind(), time);
        }
        else
        {
            Connection c = _connections[(int)((NextRandom() >> 32) % (ulong)_connections.Length)];
            Enqueue(c, NextKey(), NextKind(), time);
        }
    }

    // ---- TCP ----

    private void Enqueue(Connection c, int key, byte kind, long time)
    {
        if (c.Dead)
        {
            CountConnectionError(time);
            return;
        }

        if (c.Tail - c.Head > c.Mask)
        {
            if (InWindow(time))
            {
                Counters.Dropped++;
            }

            return;
        }

        int i = c.Tail & c.Mask;
        c.Time[i] = time;
        c.Key[i] = key;
        c.Kind[i] = kind;
        c.Tail++;
        if (!c.Dirty)
        {
            c.Dirty = true;
            _dirty[_dirtyCount++] = c.Index;
        }
    }

    private void FlushDirty()
    {
        if (_txCount > 0)
        {
            FlushUdp();
        }

        for (int i = 0; i < _dirtyCount; i++)
        {
            Connection c = _connections[_dirty[i]];
            c.Dirty = false;
            Flush(c, _dirty[i]);
        }

        _dirtyCount = 0;
    }

    private void Flush(Connection c, int index)
    {
        if (c.Dead)
        {
            return;
        }

        while (c.Written != c.Tail)
        {
            int i = c.Written & c.Mask;
            byte[] request = _requests.For(c.Kind[i], c.Key[i]);
            if (c.SendLength + request.Length > c.Send.Length)
            {
                break;
            }

            request.CopyTo(c.Send, c.SendLength);
            c.SendLength += request.Length;
            c.Written++;
        }

        if (c.SendLength > 0)
        {
            nint n;
            fixed (byte* p = c.Send)
            {
                n = Native.send(c.Fd, p, c.SendLength, Native.MsgDontWait | Native.MsgNoSignal);
            }

            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is not (Native.EAgain or Native.EIntr))
                {
                    Kill(c, index);
                    return;
                }

                n = 0;
            }

            if (n > 0)
            {
                c.Send.AsSpan((int)n, c.SendLength - (int)n).CopyTo(c.Send);
                c.SendLength -= (int)n;
            }
        }

        bool wantsOut = c.SendLength > 0 || c.Written != c.Tail;
        if (wantsOut != c.WantsOut)
        {
            c.WantsOut = wantsOut;
            Modify(c.Fd, wantsOut ? Native.EpollIn | Native.EpollOut : Native.EpollIn, (ulong)index);
        }
    }

    private void ReadTcp(Connection c, int index)
    {
        while (!c.Dead)
        {
            nint n;
            fixed (byte* p = c.Receive)
            {
                n = Native.recv(c.Fd, p + c.ReceiveLength, c.Receive.Length - c.ReceiveLength, Native.MsgDontWait);
            }

            if (n == 0)
            {
                Kill(c, index);
                return;
            }

            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Native.EIntr)
                {
                    continue;
                }

                if (errno != Native.EAgain)
                {
                    Kill(c, index);
                }

                return;
            }

            c.ReceiveLength += (int)n;
            long now = Stopwatch.GetTimestamp();
            int position = 0;
            while (c.Head != c.Written)
            {
                Reply reply = ReplyParser.Parse(c.Receive.AsSpan(position, c.ReceiveLength - position), out int consumed);
                if (reply == Reply.Incomplete)
                {
                    break;
                }

                if (reply == Reply.ProtocolError)
                {
                    CountProtocolError(c.Time[c.Head & c.Mask]);
                    Kill(c, index);
                    return;
                }

                position += consumed;
                int i = c.Head & c.Mask;
                c.Head++;
                Complete(reply, c.Time[i], now);
                if (_closedLoop)
                {
                    Continue(c, now);
                }
            }

            if (position < c.ReceiveLength && c.Head == c.Written)
            {
                // Bytes nobody asked for: the stream is out of step, nothing after this can be trusted.
                CountProtocolError(now);
                Kill(c, index);
                return;
            }

            c.Receive.AsSpan(position, c.ReceiveLength - position).CopyTo(c.Receive);
            c.ReceiveLength -= position;
            if (c.ReceiveLength == c.Receive.Length)
            {
                CountProtocolError(now);
                Kill(c, index);
                return;
            }
        }
    }

    private void Continue(Connection c, long now)
    {
        if (_warmup)
        {
            if (c.WarmupNext < _o.Keys)
            {
                Enqueue(c, c.WarmupNext++, Requests.Set, now);
            }
        }
        else
        {
            Enqueue(c, NextKey(), NextKind(), now);
        }
    }

    private void Kill(Connection c, int index)
    {
        if (c.Dead)
        {
            return;
        }

        c.Dead = true;
        Native.EpollEvent ev = default;
        _ = Native.epoll_ctl(_epfd, Native.EpollCtlDel, c.Fd, &ev);
        for (int q = c.Head; q != c.Tail; q++)
        {
            CountConnectionError(c.Time[q & c.Mask]);
        }

        c.Head = c.Written = c.Tail;
        c.Socket.Dispose();
        Console.Error.WriteLine($"worker {_index}: connection {index} to port {_o.PortBase + c.Target} closed or failed; its requests count as connection errors");
    }

    // ---- UDP ----

    private void IssueNextUdp(long now)
    {
        // Warm-up order: this worker's targets, every key of each.
        int owned = _udpWarmupNext / _o.Keys;
        int target = _index + (owned * _o.Threads);
        int key = _udpWarmupNext % _o.Keys;
        _udpWarmupNext++;
        IssueUdp(target, key, Requests.Set, now);
    }

    private void IssueUdp(int target, int key, byte kind, long time)
    {
        if (_udpIssued - _udpOldest == Options.UdpInFlightMax)
        {
            int oldest = (int)(_udpOldest & 0xFFFF);
            if (_slotBusy[oldest])
            {
                Expire(oldest);
            }

            _udpOldest++;
        }

        int id = (int)(_udpIssued & 0xFFFF);
        _udpIssued++;
        _slotBusy[id] = true;
        _slotTime[id] = time;
        _slotTarget[id] = target;
        _slotKind[id] = kind;
        _udpInFlight++;
        byte[] request = _requests.For(kind, key);
        Native.MMsgHdr* m = &_txMessages[_txCount];
        var datagram = new Span<byte>(m->Iov->Base, 8 + request.Length);
        BinaryPrimitives.WriteUInt16BigEndian(datagram, (ushort)id);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[4..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[6..], 0);
        request.CopyTo(datagram[8..]);
        m->Iov->Length = datagram.Length;
        *m->Name = new Native.SockaddrIn
        {
            Family = (ushort)AddressFamily.InterNetwork,
            PortBigEndian = BinaryPrimitives.ReverseEndianness((ushort)(_o.PortBase + target)),
            Address = _address,
        };
        m->NameLength = sizeof(Native.SockaddrIn);
        _txCount++;
        if (_txCount == UdpBatch)
        {
            FlushUdp();
        }
    }

    /// <summary>Sends the batched datagrams with sendmmsg; ones the kernel refuses stay in flight and become timeouts.</summary>
    private void FlushUdp()
    {
        int sent = 0;
        while (sent < _txCount)
        {
            int n = Native.sendmmsg(_udpFd, _txMessages + sent, (uint)(_txCount - sent), Native.MsgDontWait);
            if (n <= 0)
            {
                if (n < 0 && Marshal.GetLastPInvokeError() == Native.EIntr)
                {
                    continue;
                }

                // Not sent: their slots stay busy and time out as lost; the send error says why.
                for (int i = sent; i < _txCount; i++)
                {
                    int id = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(_txMessages[i].Iov->Base, 2));
                    if (InWindow(_slotTime[id]))
                    {
                        Counters.SendErrors++;
                    }
                }

                break;
            }

            sent += n;
        }

        _txCount = 0;
    }

    private void ReadUdp()
    {
        while (true)
        {
            for (int i = 0; i < UdpBatch; i++)
            {
                _rxMessages[i].NameLength = sizeof(Native.SockaddrIn);
                _rxMessages[i].Iov->Length = UdpDatagramBytesMax;
            }

            int count = Native.recvmmsg(_udpFd, _rxMessages, UdpBatch, Native.MsgDontWait, null);
            if (count < 0)
            {
                if (Marshal.GetLastPInvokeError() == Native.EIntr)
                {
                    continue;
                }

                return;
            }

            long now = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                HandleDatagram(new ReadOnlySpan<byte>(_rxMessages[i].Iov->Base, (int)_rxMessages[i].Length), _rxMessages[i].Name->PortBigEndian, now);
            }

            if (count < UdpBatch)
            {
                return;
            }
        }
    }

    private void HandleDatagram(ReadOnlySpan<byte> d, ushort portBigEndian, long now)
    {
        if (d.Length < 8)
        {
            CountProtocolError(now);
            return;
        }

        int id = BinaryPrimitives.ReadUInt16BigEndian(d);
        int port = BinaryPrimitives.ReverseEndianness(portBigEndian);
        if (!_slotBusy[id] || port != _o.PortBase + _slotTarget[id])
        {
            // An answer after its request timed out (its id may since be reused for another target).
            Counters.Late++;
            return;
        }

        long time = _slotTime[id];
        Free(id);
        Reply reply = BinaryPrimitives.ReadUInt16BigEndian(d[2..]) != 0 || BinaryPrimitives.ReadUInt16BigEndian(d[4..]) != 1
            ? Reply.ProtocolError
            : ReplyParser.Parse(d[8..], out int consumed) is Reply r && r != Reply.Incomplete && consumed == d.Length - 8 ? r : Reply.ProtocolError;
        Complete(reply, time, now);
        if (_closedLoop)
        {
            ContinueUdp(now);
        }
    }

    private void ContinueUdp(long now)
    {
        if (_warmup)
        {
            if (_udpWarmupNext < _udpWarmupEnd)
            {
                IssueNextUdp(now);
            }
        }
        else
        {
            IssueRandom(now);
        }
    }

    private void Free(int id)
    {
        _slotBusy[id] = false;
        _udpInFlight--;
    }

    private void Expire(int id)
    {
        long time = _slotTime[id];
        Free(id);
        if (_warmup)
        {
            Counters.WarmupFailed++;
        }
        else if (InWindow(time))
        {
            Counters.Timeouts++;
        }
    }

    private void ExpireUdp(long now)
    {
        while (_udpOldest != _udpIssued)
        {
            int id = (int)(_udpOldest & 0xFFFF);
            if (_slotBusy[id])
            {
                if (now - _slotTime[id] < _timeoutTicks)
                {
                    return;
                }

                Expire(id);
                if (_closedLoop)
                {
                    ContinueUdp(now);
                }
            }

            _udpOldest++;
        }
    }

    private void ExpireEverything()
    {
        if (_o.Udp)
        {
            while (_udpOldest != _udpIssued)
            {
                int id = (int)(_udpOldest & 0xFFFF);
                if (_slotBusy[id])
                {
                    Expire(id);
                }

                _udpOldest++;
            }

            return;
        }

        foreach (Connection c in _connections)
        {
            for (int q = c.Head; q != c.Tail && !c.Dead; q++)
            {
                if (InWindow(c.Time[q & c.Mask]))
                {
                    Counters.Timeouts++;
                }
            }

            c.Head = c.Written = c.Tail;
        }
    }

    // ---- common ----

    private void Complete(Reply reply, long time, long now)
    {
        if (_warmup)
        {
            if (reply == Reply.Stored)
            {
                Counters.WarmupStored++;
            }
            else
            {
                Counters.WarmupFailed++;
            }

            return;
        }

        if (!InWindow(time))
        {
            return;
        }

        Counters.Completed++;
        Histogram.RecordValue(Math.Max(1, TicksToNs(now - time)));
        switch (reply)
        {
            case Reply.Hit:
                Counters.Hits++;
                break;
            case Reply.Miss:
                Counters.Misses++;
                break;
            case Reply.Stored:
                Counters.Stored++;
                break;
            case Reply.ServerError:
                Counters.ServerErrors++;
                break;
            default:
                Counters.ProtocolErrors++;
                break;
        }
    }

    private void CountConnectionError(long time)
    {
        if (_warmup)
        {
            Counters.WarmupFailed++;
        }
        else if (InWindow(time))
        {
            Counters.ConnectionErrors++;
        }
    }

    private void CountProtocolError(long time)
    {
        if (InWindow(time) || _warmup)
        {
            Counters.ProtocolErrors++;
        }
    }

    private static long TicksToNs(long ticks) => Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1e9 / Stopwatch.Frequency));

    /// <summary>Waits for events until <paramref name="until"/> (at most), handles them, flushes, and expires old UDP requests.</summary>
    private void Poll(long until)
    {
        long now = Stopwatch.GetTimestamp();
        long waitNs = Math.Max(0, TicksToNs(until - now));
        Native.Timespec timeout = new() { Seconds = waitNs / 1_000_000_000, Nanoseconds = waitNs % 1_000_000_000 };
        int n;
        fixed (Native.EpollEvent* events = _events)
        {
            n = Native.epoll_pwait2(_epfd, events, EventsMax, &timeout, null);
        }

        for (int i = 0; i < n; i++)
        {
            ulong token = _events[i].Data;
            uint ev = _events[i].Events;
            if (token == UdpToken)
            {
                ReadUdp();
                continue;
            }

            int index = (int)token;
            Connection c = _connections[index];
            if ((ev & (Native.EpollIn | Native.EpollErr | Native.EpollHup)) != 0)
            {
                ReadTcp(c, index);
            }

            if ((ev & Native.EpollOut) != 0 && !c.Dirty)
            {
                Flush(c, index);
            }
        }

        if (_o.Udp)
        {
            ExpireUdp(Stopwatch.GetTimestamp());
        }

        FlushDirty();
    }

    private void Register(int fd, uint events, ulong token)
    {
        Native.EpollEvent ev = new() { Events = events, Data = token };
        if (Native.epoll_ctl(_epfd, Native.EpollCtlAdd, fd, &ev) != 0)
        {
            throw new IOException($"epoll_ctl(ADD) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private void Modify(int fd, uint events, ulong token)
    {
        Native.EpollEvent ev = new() { Events = events, Data = token };
        _ = Native.epoll_ctl(_epfd, Native.EpollCtlMod, fd, &ev);
    }

    public void Dispose()
    {
        foreach (Connection c in _connections)
        {
            c.Socket.Dispose();
        }

        _udpSocket?.Dispose();
        FreeBatch(_rxMessages);
        FreeBatch(_txMessages);
        _ = Native.close(_epfd);
    }
}
