using EdgeOS.Net;
using EdgeOS.Net.PacketSocket;
using EdgeOS.Net.Xdp;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>
/// A device opened for a router: its port, how to wait for received frames, and how to wait for received frames or a
/// <see cref="ReceiveWakeup"/> another thread signals (the tenant host's device thread, woken by tenants' ToDevice).
/// </summary>
internal sealed class OpenDevice(PacketPort port, Func<int, bool> wait, Func<int, ReceiveWakeup, bool> waitOrWake, string method) : IDisposable
{
    public PacketPort Port { get; } = port;

    public Func<int, bool> Wait { get; } = wait;

    public Func<int, ReceiveWakeup, bool> WaitOrWake { get; } = waitOrWake;

    public string Method { get; } = method;

    public void Dispose() => Port.Dispose();
}

/// <summary>One port per device name in a router, shared by its FromDevice and ToDevice.</summary>
internal static class DeviceTable
{
    /// <summary>Opens (or finds) <paramref name="device"/>: AF_PACKET for LINUX, AF_XDP for XDP (UDP ports <paramref name="udpLow"/>..<paramref name="udpHigh"/>).</summary>
    public static bool TryOpen(Router router, string device, string method, int udpLow, int udpHigh, ElementErrors errors, out OpenDevice? open)
    {
        open = null;
        string key = "device:" + device;
        if (router.SharedResources.TryGetValue(key, out IDisposable? existing))
        {
            open = (OpenDevice)existing;
            if (method != "DEFAULT" && open.Method != method)
            {
                open = null;
                return errors.Error($"{device}: already opened with METHOD {((OpenDevice)existing).Method}");
            }

            return true;
        }

        if (!TryOpenPort(device, method, udpLow, udpHigh, out open, out string? error))
        {
            return errors.Error(error!);
        }

        router.SharedResources[key] = open!;
        return true;
    }

    /// <summary>
    /// Opens <paramref name="device"/> as FromDevice does: METHOD XDP gives an AF_XDP <see cref="XdpPort"/> whose program
    /// redirects UDP to ports <paramref name="udpLow"/>..<paramref name="udpHigh"/> (the rest stays with the kernel);
    /// LINUX or DEFAULT an AF_PACKET <see cref="PacketSocketPort"/> that sees every frame. On failure
    /// <paramref name="error"/> is Click-style: <c>DEVICE: No such device</c>, or the port's message (a missing
    /// privilege names the capability).
    /// </summary>
    public static bool TryOpenPort(string device, string method, int udpLow, int udpHigh, out OpenDevice? open, out string? error)
    {
        open = null;
        error = null;
        try
        {
            if (method == "XDP")
            {
                var xdp = new XdpPort(new XdpPortOptions { InterfaceName = device, UdpPortLow = udpLow, UdpPortHigh = udpHigh });
                open = new OpenDevice(xdp, xdp.WaitForReceive, xdp.WaitForReceive, "XDP");
            }
            else
            {
                var ps = new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = device, BlockTimeoutMilliseconds = 1 });
                open = new OpenDevice(ps, ps.WaitForReceive, ps.WaitForReceive, "LINUX");
            }

            return true;
        }
        catch (ArgumentException)
        {
            error = $"{device}: No such device";
        }
        catch (NetPrivilegeException ex)
        {
            error = $"{device}: {ex.Message}";
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException)
        {
            error = $"{device}: {ex.Message}";
        }

        return false;
    }

    /// <summary>Parses <c>LOW-HIGH</c> (or one port) for XDP_UDP_PORTS.</summary>
    public static bool TryParsePorts(string text, out int low, out int high)
    {
        string[] parts = text.Trim().Split('-');
        low = high = 0;
        return parts.Length is 1 or 2
            && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out low)
            && int.TryParse(parts[^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out high)
            && low <= high && high <= 65535;
    }
}

/// <summary>
/// FromDevice(DEVNAME, PROMISC, SNAPLEN; BURST, SNIFFER, FORCE_IP, PROTOCOL, OUTBOUND, HEADROOM, TIMESTAMP, METHOD,
/// XDP_UDP_PORTS): receives frames from a Linux interface and pushes them (each frame copied once into a pooled packet,
/// the ring frame released at once). METHOD LINUX (or DEFAULT) uses an AF_PACKET (TPACKET_V3) port and sees every
/// frame; METHOD XDP uses an AF_XDP port whose XDP program redirects only UDP to the ports XDP_UDP_PORTS
/// (<c>LOW-HIGH</c>, default all) and passes the rest (ARP, ICMP, ...) to the kernel. As Click's: SNAPLEN (14 to 65535,
/// default 2046) cuts longer frames; PROTOCOL (an Ethernet type, default 0 = all) keeps only frames of that type;
/// FORCE_IP true sends IP frames to output 0 with the IP header annotation set and the others to output 1 (dropped when
/// it is not connected); HEADROOM (at most 8190) is the packets' headroom; TIMESTAMP false leaves the timestamp
/// annotation unset; BURST (1 to 256, default 32) frames per run. SNIFFER must stay true, PROMISC and OUTBOUND false
/// (the port never sees the interface's outgoing frames). Handlers count, reset_counts, and kernel_drops: the frames
/// the kernel dropped before FromDevice could receive them, since the device was opened (read from the kernel at each
/// call, see <see cref="PacketPort.TryReadKernelDroppedFrames"/>; AF_PACKET's count resets when read, the port sums
/// it), printed as Click prints a known count, or <c>??</c> when the kernel does not say.
/// </summary>
internal sealed class FromDevice : Element, IDriverSelectable
{
    /// <inheritdoc/>
    public override string? TenantRefusal => "not available in tenant mode: devices belong to the host, which steers their traffic to the tenants (click --tenants N --device IFACE): use FromSteering";

    private string _device = string.Empty;
    private int _burst = 32;
    private string _method = "DEFAULT";
    private int _udpLow;
    private int _udpHigh = 65535;
    private int _snapLength = 2046;
    private int _protocol;
    private bool _forceIP;
    private int _headroom = PacketPool.DefaultHeadroomBytes;
    private bool _timestamp = true;
    private OpenDevice? _open;
    private ClickTask? _task;
    private long _count;
    private readonly Frame[] _frames = new Frame[256];

    public override string PortCount => "0/1-2";

    public override string Processing => PushCode;

    public override bool Configure(Args args, ElementErrors errors)
    {
        _device = args.Read("DEVNAME", ArgFlags.MandatoryPositional, CV.Word, string.Empty);
        bool promisc = args.Read("PROMISC", ArgFlags.Positional, CV.Bool, false);
        _snapLength = args.Read("SNAPLEN", ArgFlags.Positional, CV.Int32, 2046);
        _burst = args.Read("BURST", ArgFlags.None, CV.Int32, 32);
        bool sniffer = args.Read("SNIFFER", ArgFlags.None, CV.Bool, true);
        _forceIP = args.Read("FORCE_IP", ArgFlags.None, CV.Bool, false);
        _protocol = args.Read("PROTOCOL", ArgFlags.None, CV.Int32, 0);
        bool outbound = args.Read("OUTBOUND", ArgFlags.None, CV.Bool, false);
        _headroom = args.Read("HEADROOM", ArgFlags.None, CV.Int32, PacketPool.DefaultHeadroomBytes);
        _timestamp = args.Read("TIMESTAMP", ArgFlags.None, CV.Bool, true);
        if (!sniffer)
        {
            errors.Error("SNIFFER false is not available: the kernel always keeps its copy of received frames here");
        }

        if (promisc)
        {
            errors.Error("PROMISC true is not available here");
        }

        if (outbound)
        {
            errors.Error("OUTBOUND true is not available: the port never sees the interface's outgoing frames");
        }

        if (_snapLength is > 65535 or < 14)
        {
            errors.Error("SNAPLEN out of range");
        }

        if (_headroom is > 8190 or < 0)
        {
            errors.Error("HEADROOM out of range");
        }

        if (_burst <= 0 || _burst > _frames.Length)
        {
            errors.Error($"BURST out of range (1 to {_frames.Length})");
        }

        if (_protocol is < 0 or > 0xFFFF)
        {
            errors.Error("PROTOCOL out of range");
        }

        if (args.TryRead("METHOD", ArgFlags.None, CV.Word, out string method))
        {
            _method = method;
            if (method is not ("LINUX" or "DEFAULT" or "XDP"))
            {
                errors.Error($"METHOD {method} is not available; use LINUX or XDP");
            }
        }

        if (args.TryRead("XDP_UDP_PORTS", ArgFlags.None, CV.String, out string ports)
            && (_method != "XDP" || !DeviceTable.TryParsePorts(ports, out _udpLow, out _udpHigh)))
        {
            errors.Error("XDP_UDP_PORTS: expected LOW-HIGH port range, with METHOD XDP");
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        if (!DeviceTable.TryOpen(Router, _device, _method, _udpLow, _udpHigh, errors, out _open))
        {
            return false;
        }

        _task = Router.Master.NewTask(this);
        _task.Reschedule();
        Router.Master.AddSelectable(this);
        return true;
    }

    public bool Wait(int timeoutMilliseconds)
    {
        bool ready = _open!.Wait(timeoutMilliseconds);
        if (ready)
        {
            _task!.Reschedule();
        }

        return ready;
    }

    public override bool RunTask(ClickTask task)
    {
        PacketPort port = _open!.Port;
        int n = port.Receive(_frames.AsSpan(0, _burst));
        OutputPort output = Output(0);
        long now = n > 0 ? Router.Master.NowNanoseconds : 0;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<byte> frame = port.GetSpan(_frames[i]);
            if (_protocol != 0 && (frame.Length < 14 || ((frame[12] << 8) | frame[13]) != _protocol))
            {
                port.Release(_frames[i]); // not the wanted Ethernet type: never counted or pushed, as in Click
                continue;
            }

            Packet p = Router.Pool.Make(frame.Length > _snapLength ? frame[.._snapLength] : frame, _headroom);
            port.Release(_frames[i]);
            p.TimestampNanoseconds = _timestamp ? now : 0;
            _count++;
            if (!_forceIP)
            {
                output.Push(p);
            }
            else if (ForceIP(p))
            {
                output.Push(p);
            }
            else
            {
                CheckedOutputPush(1, p);
            }
        }

        if (n == 0)
        {
            // Sleep until the driver's idle wait sees the ring ready (see Wait).
            task.Unschedule();
        }

        return n > 0;
    }

    // FORCE_IP on an Ethernet frame: an IPv4 frame (type 0x0800, a whole minimal IP header) gets its IP header
    // annotation; anything else is not IP.
    private static bool ForceIP(Packet p)
    {
        Span<byte> d = p.Data;
        if (d.Length < 14 + 20 || d[12] != 0x08 || d[13] != 0x00 || d[14] >> 4 != 4)
        {
            return false;
        }

        int headerLength = (d[14] & 0x0F) * 4;
        if (headerLength < 20 || 14 + headerLength > d.Length)
        {
            return false;
        }

        p.SetNetworkHeader(14, headerLength);
        return true;
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddRead("kernel_drops", KernelDrops);

        // Click names the device's link type; both our methods deliver Ethernet frames (what ToDump's USE_ENCAP_FROM reads).
        handlers.AddRead("encap", () => "ETHER\n");
        handlers.AddWrite("reset_counts", (_, _) =>
        {
            _count = 0;
            return true;
        });
    }

    // Click's format: the count when the kernel reports it exactly ("<d" would be an upper bound only, which neither of
    // our ports gives), "??" when nothing is known: no open device, or the kernel refused the statistics call.
    private string KernelDrops()
    {
        PacketPort? port = _open?.Port;
        if (port is null || port.IsDisposed)
        {
            return "??\n";
        }

        try
        {
            return port.TryReadKernelDroppedFrames(out long drops) ? Num(drops) : "??\n";
        }
        catch (IOException)
        {
            return "??\n";
        }
    }
}

/// <summary>
/// ToDevice(DEVNAME; BURST, METHOD): transmits packets on a Linux interface through the device's port (each
/// packet copied once into a transmit frame; a packet the device cannot take now is dropped and counted). In pull
/// context a task pulls up to BURST packets per run (default 1, as Click's; 0 or less is "bad BURST"). In tenant mode with <c>--device IFACE</c>, DEVNAME must be IFACE:
/// the tenant's packets go to its own <see cref="Tenants.TenantTransmitQueue"/> (dropped and counted when it is
/// full), which the host's device thread transmits (METHOD is then the host's: <c>--method</c>). Handlers count, drops.
/// </summary>
internal sealed class ToDevice : Element
{
    /// <inheritdoc/>
    public override string? TenantRefusal => _egress is null
        ? "not available in tenant mode without a device: give the host --device IFACE to transmit on IFACE"
        : null;

    private string _device = string.Empty;
    private int _burst = 16;
    private OpenDevice? _open;
    private string _method = "DEFAULT";
    private ClickTask? _task;
    private IEmptyNotifier? _notifier;
    private long _count;
    private long _drops;
    private Tenants.TenantEgress? _egress;
    private Tenants.TenantTransmitQueue? _queue;
    private readonly Frame[] _one = new Frame[1];

    public override string PortCount => "1/0";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _device = args.Read("DEVNAME", ArgFlags.MandatoryPositional, CV.Word, string.Empty);
        _burst = args.Read("BURST", ArgFlags.None, CV.Int32, 1);
        if (args.TryRead("METHOD", ArgFlags.None, CV.Word, out string method))
        {
            _method = method;
            if (method is not ("LINUX" or "DEFAULT" or "XDP"))
            {
                errors.Error($"METHOD {method} is not available; use LINUX or XDP");
            }
        }

        // Click's userlevel ToDevice takes no QUIET (the kernel one does): here it is an unknown argument, as there.
        if (!args.Complete())
        {
            return false;
        }

        return _burst > 0 || errors.Error("bad BURST");
    }

    public override bool Initialize(ElementErrors errors)
    {
        Master master = Router.Master;
        if (master.TenantEgress is Tenants.TenantEgress egress)
        {
            // The template of a tenant host with a device: no port here; each tenant's copy gets a transmit queue.
            if (_device != egress.DeviceName)
            {
                return errors.Error($"{_device}: tenants transmit only on the host's device '{egress.DeviceName}' (--device)");
            }

            _egress = egress;
        }
        else if (!master.TenantMode && !DeviceTable.TryOpen(Router, _device, _method, 0, 65535, errors, out _open))
        {
            return false;
        }

        if (Input(0).IsPull)
        {
            _task = Router.Master.NewTask(this);
            _notifier = FindUpstreamNotifier(this, 0);
            _task.Reschedule();
        }

        return true;
    }

    internal override void RebindForTenant(TenantCloner cloner)
    {
        _task = cloner.Map(_task);
        _notifier = cloner.Map(_notifier);
        _queue = _egress!.AddQueue();
    }

    /// <summary>Tenant mode: this router is being replaced (its tenant restarted); its transmit queue retires once drained.</summary>
    internal void RetireTenantQueue()
    {
        if (_queue is not null)
        {
            _queue.Retire();
        }
    }

    private void Send(Packet p)
    {
        if (_queue is not null)
        {
            if (_queue.TryEnqueue(p.Data))
            {
                _count++;
            }
            else
            {
                _drops++;
            }

            p.Kill();
            return;
        }

        PacketPort port = _open!.Port;
        ReadOnlySpan<byte> data = p.Data;
        if (data.Length == 0 || data.Length > port.FrameCapacityBytes || port.AllocateTransmit(_one) == 0)
        {
            _drops++;
            p.Kill();
            return;
        }

        data.CopyTo(port.GetBuffer(_one[0]));
        _one[0] = _one[0].WithLength(data.Length);
        if (port.Transmit(_one) == 1)
        {
            _count++;
        }
        else
        {
            port.Release(_one[0]); // the device's queue is full: the frame stays ours, give it back
            _drops++;
        }

        p.Kill();
    }

    public override void Push(int port, Packet p) => Send(p);

    public override bool RunTask(ClickTask task)
    {
        int n = 0;
        for (; n < _burst; n++)
        {
            Packet? p = Input(0).Pull();
            if (p is null)
            {
                break;
            }

            Send(p);
        }

        return FinishPullRun(task, _notifier, n);
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddRead("drops", () => Num(_drops));
    }
}
