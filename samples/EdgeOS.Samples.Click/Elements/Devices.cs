using EdgeOS.Net;
using EdgeOS.Net.PacketSocket;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>One AF_PACKET port per device name in a router, shared by its FromDevice and ToDevice.</summary>
internal static class DeviceTable
{
    public static PacketSocketPort Open(Router router, string device)
    {
        string key = "device:" + device;
        if (router.SharedResources.TryGetValue(key, out IDisposable? existing))
        {
            return (PacketSocketPort)existing;
        }

        var port = new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = device, BlockTimeoutMilliseconds = 1 });
        router.SharedResources[key] = port;
        return port;
    }

    public static bool TryOpen(Router router, string device, ElementErrors errors, out PacketSocketPort? port)
    {
        port = null;
        try
        {
            port = Open(router, device);
            return true;
        }
        catch (ArgumentException)
        {
            return errors.Error($"{device}: No such device");
        }
        catch (NetPrivilegeException ex)
        {
            return errors.Error($"{device}: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException)
        {
            return errors.Error($"{device}: {ex.Message}");
        }
    }
}

/// <summary>
/// FromDevice(DEVNAME; BURST, SNIFFER, PROMISC, METHOD): receives frames from a Linux interface through an
/// AF_PACKET (TPACKET_V3) port and pushes them (each frame copied once into a pooled packet, the ring frame
/// released at once). SNIFFER must stay true (the kernel keeps its copy) and PROMISC false; METHOD may be
/// LINUX or DEFAULT. Handlers count, reset_counts.
/// </summary>
internal sealed class FromDevice : Element, IDriverSelectable
{
    private string _device = string.Empty;
    private int _burst = 32;
    private PacketSocketPort? _port;
    private ClickTask? _task;
    private long _count;
    private readonly Frame[] _frames = new Frame[256];

    public override string PortCount => "0/1";

    public override string Processing => PushCode;

    public override bool Configure(Args args, ElementErrors errors)
    {
        _device = args.Read("DEVNAME", ArgFlags.MandatoryPositional, CV.Word, string.Empty);
        _burst = Math.Clamp(args.Read("BURST", ArgFlags.None, NonNegative, 32), 1, _frames.Length);
        if (!args.Read("SNIFFER", ArgFlags.None, CV.Bool, true))
        {
            errors.Error("SNIFFER false is not available: the kernel always keeps its copy of received frames here");
        }

        if (args.Read("PROMISC", ArgFlags.None, CV.Bool, false))
        {
            errors.Error("PROMISC true is not available here");
        }

        if (args.TryRead("METHOD", ArgFlags.None, CV.Word, out string method) && method is not ("LINUX" or "DEFAULT"))
        {
            errors.Error($"METHOD {method} is not available; use LINUX");
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        if (!DeviceTable.TryOpen(Router, _device, errors, out _port))
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
        bool ready = _port!.WaitForReceive(timeoutMilliseconds);
        if (ready)
        {
            _task!.Reschedule();
        }

        return ready;
    }

    public override bool RunTask(ClickTask task)
    {
        PacketSocketPort port = _port!;
        int n = port.Receive(_frames.AsSpan(0, _burst));
        OutputPort output = Output(0);
        long now = n > 0 ? Router.Master.NowNanoseconds : 0;
        for (int i = 0; i < n; i++)
        {
            Packet p = Router.Pool.Make(port.GetSpan(_frames[i]));
            port.Release(_frames[i]);
            p.TimestampNanoseconds = now;
            _count++;
            output.Push(p);
        }

        if (n == 0)
        {
            // Sleep until the driver's idle wait sees the ring ready (see Wait).
            task.Unschedule();
        }

        return n > 0;
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddWrite("reset_counts", (_, _) =>
        {
            _count = 0;
            return true;
        });
    }
}

/// <summary>
/// ToDevice(DEVNAME; BURST, QUIET): transmits packets on a Linux interface through the AF_PACKET port (each
/// packet copied once into a transmit frame). In pull context a task pulls up to BURST packets per run.
/// Handlers count, drops.
/// </summary>
internal sealed class ToDevice : Element
{
    private string _device = string.Empty;
    private int _burst = 16;
    private PacketSocketPort? _port;
    private ClickTask? _task;
    private IEmptyNotifier? _notifier;
    private long _count;
    private long _drops;
    private readonly Frame[] _one = new Frame[1];

    public override string PortCount => "1/0";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _device = args.Read("DEVNAME", ArgFlags.MandatoryPositional, CV.Word, string.Empty);
        _burst = Math.Max(1, args.Read("BURST", ArgFlags.None, NonNegative, 16));
        if (args.TryRead("QUIET", ArgFlags.None, CV.Bool, out bool _))
        {
            // Transmit errors are counted in the drops handler and never printed, so QUIET has nothing to silence.
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        if (!DeviceTable.TryOpen(Router, _device, errors, out _port))
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

    private void Send(Packet p)
    {
        PacketSocketPort port = _port!;
        ReadOnlySpan<byte> data = p.Data;
        if (data.Length > port.FrameCapacityBytes || port.AllocateTransmit(_one) == 0)
        {
            _drops++;
            p.Kill();
            return;
        }

        data.CopyTo(port.GetBuffer(_one[0]));
        _one[0] = _one[0].WithLength(data.Length);
        port.Transmit(_one);
        _count++;
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

        if (n == 0 && _notifier is { Active: false })
        {
            task.Unschedule();
            _notifier.AddListener(task);
        }

        return n > 0;
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddRead("drops", () => Num(_drops));
    }
}
