using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using EdgeOS.Net;
using EdgeOS.Net.Packets;
using EdgeOS.Net.Xdp;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>--xdp could not be set up: the message says why (platform, interface, address, capability, kernel).</summary>
internal sealed class XdpSetupException : Exception
{
    public XdpSetupException()
    {
    }

    public XdpSetupException(string message)
        : base(message)
    {
    }

    public XdpSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The host's UDP side over AF_XDP (--xdp IFACE): an <see cref="XdpPort"/> on queue 0 of the interface whose XDP
/// program redirects IPv4 UDP for the tenants' port range to it and passes everything else (ARP, ICMP, TCP, other
/// UDP) to the kernel, so the kernel still answers ARP and ping and serves the tenants' TCP ports. One thread polls
/// the port; each frame addressed to -l is steered by its destination port to the tenant (port - -U base), its
/// payload and reply addresses copied into the tenant's filling batch, and the frame released at once. A tenant runs
/// one batch at a time on its FWP (the same <see cref="UdpEndpoint.RunBatch"/> as over kernel sockets, so framing
/// and every response are the same); when it is done its responses are built into reply frames (MACs, addresses and
/// ports swapped, lengths and checksums filled) and transmitted on the same port, and the tenant's next batch, filled
/// meanwhile, is posted. A tenant with a batch running and a full next batch drops its further datagrams
/// (<see cref="DroppedFrames"/>): a flood costs its own datagrams, not other tenants' turns.
/// </summary>
/// <remarks>
/// Limits: a request must fit one frame (the interface's MTU: IP fragments are not reassembled on this path, where
/// memcached over kernel sockets takes datagrams up to 64 KiB); queue 0 only (an interface with more receive queues must steer the tenants' UDP to queue 0, e.g. with
/// ethtool, or use one queue); IPv4 without IP options in replies; no VLAN tags in replies; received UDP checksums are
/// not verified (a veth peer leaves them to offload). Frames for the port range that are malformed, fragmented or
/// not addressed to -l are counted and dropped: the XDP program took them from the kernel.
/// </remarks>
internal sealed class XdpUdpServer : IUdpFrontEnd
{
    public const int BatchCount = 256;
    private const int Burst = 64;
    private const int ReplyToBytes = 24;

    private readonly XdpPort _port;
    private readonly ChannelTable _channels;
    private readonly int _portBase;
    private readonly uint _address;
    private readonly Lock _gate = new();
    private readonly UdpEndpoint?[] _endpoints;
    private readonly UdpBatch?[] _filling;
    private readonly bool[] _inFlight;
    private readonly bool[] _touched;
    private readonly List<int> _touchedList = [];
    private readonly List<int> _retry = [];
    private readonly Stack<UdpBatch> _free = new(BatchCount);
    private readonly UdpBatch[] _all = new UdpBatch[BatchCount];
    private readonly byte[] _datagram = new byte[UdpServer.DatagramBytesMax];
    private readonly byte[] _replyTo = new byte[ReplyToBytes];
    private readonly Thread _thread;
    private volatile bool _stopping;
    private ushort _identification;

    private XdpUdpServer(HostOptions options, ChannelTable channels)
    {
        string iface = options.XdpInterface!;
        if (!OperatingSystem.IsLinux())
        {
            throw new XdpSetupException($"--xdp needs Linux (AF_XDP); this is {RuntimeInformation.OSDescription}");
        }

        NetworkInterface? nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == iface)
            ?? throw new XdpSetupException($"--xdp {iface}: no such network interface");
        IPAddress[] addresses = [.. nic.GetIPProperties().UnicastAddresses.Select(a => a.Address)];
        if (!addresses.Any(a => a.Equals(options.Listen)))
        {
            throw new XdpSetupException($"--xdp {iface}: -l {options.Listen} is not an address of {iface} (it has: {(addresses.Length == 0 ? "none" : string.Join(", ", addresses.Select(a => a.ToString())))})");
        }

        _channels = channels;
        _portBase = options.UdpPortBase;
        _address = BinaryPrimitives.ReadUInt32BigEndian(options.Listen.GetAddressBytes());
        _endpoints = new UdpEndpoint?[options.Tenants];
        _filling = new UdpBatch?[options.Tenants];
        _inFlight = new bool[options.Tenants];
        _touched = new bool[options.Tenants];
        try
        {
            _port = new XdpPort(new XdpPortOptions
            {
                InterfaceName = iface,
                QueueId = 0,
                UdpPortLow = options.UdpPortBase,
                UdpPortHigh = options.UdpPortBase + options.Tenants - 1,
            });
        }
        catch (NetPrivilegeException e)
        {
            string capability = e.Capability.Length == 0 ? "CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF" : e.Capability;
            throw new XdpSetupException($"--xdp {iface}: the kernel refused AF_XDP for lack of {capability} (run as root or grant it): {e.Message}", e);
        }
        catch (PlatformNotSupportedException e)
        {
            throw new XdpSetupException($"--xdp {iface}: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or ArgumentException or Net.Bpf.BpfVerifierException)
        {
            throw new XdpSetupException($"--xdp {iface}: cannot attach AF_XDP to queue 0: {e.Message}", e);
        }

        for (int i = 0; i < BatchCount; i++)
        {
            _all[i] = new UdpBatch();
            _free.Push(_all[i]);
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "memcached-xdp" };
    }

    /// <summary>Frames for the tenants' ports that were dropped: malformed, not for -l, no batch free, tenant busy and full.</summary>
    public long DroppedFrames { get; private set; }

    /// <summary>Reply frames that could not be transmitted (no transmit frame free).</summary>
    public long UnsentFrames { get; private set; }

    /// <summary>The kernel-socket front end, or with --xdp the AF_XDP one.</summary>
    public static IUdpFrontEnd CreateFrontEnd(HostOptions options, ChannelTable channels) =>
        options.XdpInterface is null
            ? new UdpServer(options.Listen, channels, UdpServer.ReceiversFor(options.Threads))
            : new XdpUdpServer(options, channels);

    public void Add(Tenant tenant) => _endpoints[tenant.Index] = new UdpEndpoint(tenant, _channels, this);

    public void Start() => _thread.Start();

    private void Run()
    {
        Span<Frame> frames = stackalloc Frame[Burst];
        while (!_stopping)
        {
            bool ready = _port.WaitForReceive(_retry.Count > 0 ? 1 : 50);
            lock (_gate)
            {
                if (ready)
                {
                    int n = _port.Receive(frames);
                    for (int i = 0; i < n; i++)
                    {
                        Steer(_port.GetSpan(frames[i]));
                    }

                    if (n > 0)
                    {
                        _port.Release(frames[..n]);
                    }
                }

                foreach (int t in _touchedList)
                {
                    _touched[t] = false;
                    if (!_inFlight[t] && _filling[t] is not null)
                    {
                        Post(t);
                    }
                }

                _touchedList.Clear();
                for (int k = _retry.Count - 1; k >= 0; k--)
                {
                    int t = _retry[k];
                    _retry.RemoveAt(k);
                    PostHanded(t);
                }
            }
        }
    }

    // One received frame: to the tenant its destination port names, or counted and dropped.
    private void Steer(Span<byte> frame)
    {
        if (!EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out _) || ethernet.EtherType != 0x0800
            || !Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet ip, out _) || ip.Protocol != 17 || ip.IsFragment
            || ip.Destination != _address
            || !UdpDatagram.TryParse(ip, out UdpDatagram udp, out _, verifyChecksum: false))
        {
            DroppedFrames++;
            return;
        }

        int t = udp.DestinationPort - _portBase;
        if ((uint)t >= (uint)_endpoints.Length || _endpoints[t] is null)
        {
            DroppedFrames++;
            return;
        }

        UdpBatch? batch = _filling[t];
        if (batch is null)
        {
            if (_free.Count == 0)
            {
                DroppedFrames++;
                return;
            }

            batch = _filling[t] = _free.Pop();
        }

        Span<byte> replyTo = _replyTo;
        ethernet.Source.CopyTo(replyTo);
        ethernet.Destination.CopyTo(replyTo[6..]);
        BinaryPrimitives.WriteUInt32LittleEndian(replyTo[12..], ip.Source);
        BinaryPrimitives.WriteUInt32LittleEndian(replyTo[16..], ip.Destination);
        BinaryPrimitives.WriteUInt16LittleEndian(replyTo[20..], udp.SourcePort);
        BinaryPrimitives.WriteUInt16LittleEndian(replyTo[22..], udp.DestinationPort);
        if (!batch.TryAdd(udp.Payload, replyTo))
        {
            DroppedFrames++;
            return;
        }

        if (!_touched[t])
        {
            _touched[t] = true;
            _touchedList.Add(t);
        }
    }

    // Under the gate: the tenant's filling batch goes to its FWP.
    private void Post(int t)
    {
        UdpBatch batch = _filling[t]!;
        _filling[t] = null;
        _inFlight[t] = true;
        _endpoints[t]!.Hand(batch);
        PostHanded(t);
    }

    private void PostHanded(int t)
    {
        UdpEndpoint endpoint = _endpoints[t]!;
        switch (endpoint.Channel.Post(ChannelOp.ProcessDatagrams))
        {
            case Fwp.FwpPostStatus.Posted:
                break;
            case Fwp.FwpPostStatus.InboxFull:
                _retry.Add(t);
                break;
            default:
                // The FWP ended (shutting down): the batch comes back, the tenant takes no more.
                UdpBatch? batch = endpoint.TakeBack();
                if (batch is not null)
                {
                    batch.Clear();
                    _free.Push(batch);
                }

                break;
        }
    }

    /// <summary>On the tenant's FWP: transmits the batch's responses, takes the batch back, posts the next one.</summary>
    public long Complete(UdpEndpoint endpoint, UdpBatch batch)
    {
        lock (_gate)
        {
            long bytes = _port.IsDisposed ? 0 : Transmit(batch);
            batch.Clear();
            _free.Push(batch);
            int t = endpoint.Tenant.Index;
            _inFlight[t] = false;
            if (_filling[t] is not null && !_stopping)
            {
                Post(t);
            }

            return bytes;
        }
    }

    private long Transmit(UdpBatch batch)
    {
        long bytes = 0;
        Span<Frame> tx = stackalloc Frame[32];
        int k = 0;
        while (k < batch.ResponseCount)
        {
            int got = _port.AllocateTransmit(tx[..Math.Min(tx.Length, batch.ResponseCount - k)]);
            if (got == 0)
            {
                UnsentFrames += batch.ResponseCount - k;
                break;
            }

            for (int j = 0; j < got; j++)
            {
                int length = batch.WriteResponse(k + j, _datagram, out int slot);
                ReadOnlySpan<byte> to = batch.ReplyTo(slot);
                int frameLength = PacketBuilder.WriteUdp(
                    _port.GetBuffer(tx[j]),
                    sourceMac: to.Slice(6, 6),
                    destinationMac: to[..6],
                    sourceAddress: BinaryPrimitives.ReadUInt32LittleEndian(to[16..]),
                    destinationAddress: BinaryPrimitives.ReadUInt32LittleEndian(to[12..]),
                    sourcePort: BinaryPrimitives.ReadUInt16LittleEndian(to[22..]),
                    destinationPort: BinaryPrimitives.ReadUInt16LittleEndian(to[20..]),
                    payload: _datagram.AsSpan(0, length),
                    identification: _identification++);
                tx[j] = tx[j].WithLength(frameLength);
                bytes += length;
            }

            int accepted = _port.Transmit(tx[..got]);
            if (accepted < got)
            {
                _port.Release(tx[accepted..got]);
                UnsentFrames += got - accepted;
            }

            k += got;
        }

        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        if ((_thread.ThreadState & ThreadState.Unstarted) == 0)
        {
            await Task.Run(() => _thread.Join(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        }

        // The batches in flight finish on their FWPs (which still run) and transmit; then the port goes.
        DateTime deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            lock (_gate)
            {
                if (!_inFlight.Any(f => f) || _retry.Count > 0)
                {
                    break;
                }
            }

            await Task.Delay(10).ConfigureAwait(false);
        }

        bool idle;
        lock (_gate)
        {
            idle = !_inFlight.Any(f => f);
            _port.Dispose();
        }

        foreach (UdpEndpoint? e in _endpoints)
        {
            e?.Dispose();
        }

        if (idle)
        {
            foreach (UdpBatch b in _all)
            {
                b.Dispose();
            }
        }
    }
}
