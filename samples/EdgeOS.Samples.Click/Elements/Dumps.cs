using System.Buffers.Binary;
using EdgeOS.Net.Pcap;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>
/// FromDump(FILENAME; STOP, ACTIVE, TIMING, FORCE_IP, END_CALL): emits the packets of a pcap file with their
/// timestamps (push through a task, or on pull). Ethernet files get the IP header annotation on IPv4 frames,
/// raw IP files on every packet; FORCE_IP drops packets that are not IP. A truncated or corrupt file ends the
/// stream with a message naming the byte offset. Handlers count, filename, active (rw).
/// </summary>
internal sealed class FromDump : Element
{
    /// <inheritdoc/>
    public override string? TenantRefusal => "not available in tenant mode: files are not per tenant (every tenant would read the same file): give the host --replay FILE and use FromSteering";

    private string _filename = string.Empty;
    private bool _stop;
    private bool _active = true;
    private bool _timing;
    private bool _forceIP;
    private string? _endCall;
    private PcapReader? _reader;
    private ClickTask? _task;
    private long _count;
    private long _firstPacketTime = -1;
    private long _firstDriverTime;
    private Packet? _held;
    private bool _done;

    public override string PortCount => "0/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _filename = args.Read("FILENAME", ArgFlags.MandatoryPositional, CV.String, string.Empty);
        _stop = args.Read("STOP", ArgFlags.None, CV.Bool, false);
        _active = args.Read("ACTIVE", ArgFlags.None, CV.Bool, true);
        _timing = args.Read("TIMING", ArgFlags.None, CV.Bool, false);
        _forceIP = args.Read("FORCE_IP", ArgFlags.None, CV.Bool, false);
        if (args.TryRead("END_CALL", ArgFlags.None, CV.String, out string endCall))
        {
            _endCall = endCall;
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        try
        {
            _reader = _filename == "-" ? new PcapReader(Console.OpenStandardInput()) : PcapReader.Open(_filename);
        }
        catch (FileNotFoundException)
        {
            return errors.Error($"{_filename}: No such file or directory");
        }
        catch (DirectoryNotFoundException)
        {
            return errors.Error($"{_filename}: No such file or directory");
        }
        catch (UnauthorizedAccessException)
        {
            return errors.Error($"{_filename}: Permission denied");
        }
        catch (PcapFormatException ex)
        {
            return errors.Error($"{_filename}: {ex.Message}");
        }

        if (_reader.LinkType is not (PcapLinkType.Ethernet or PcapLinkType.Raw))
        {
            return errors.Error($"{_filename}: unsupported link type {_reader.LinkTypeValue}");
        }

        if (Output(0).IsPush)
        {
            _task = Router.Master.NewTask(this);
            if (_active)
            {
                _task.Reschedule();
            }
        }

        return true;
    }

    private Packet? Read()
    {
        if (_held is not null)
        {
            Packet h = _held;
            _held = null;
            return h;
        }

        if (_done || _reader is null)
        {
            return null;
        }

        while (true)
        {
            Packet p = Router.Pool.Allocate(PacketPool.BufferSizeBytes - PacketPool.DefaultHeadroomBytes);
            PcapRecord record;
            try
            {
                if (!_reader.TryReadNext(p.Data, out record))
                {
                    p.Kill();
                    End();
                    return null;
                }
            }
            catch (PcapFormatException ex)
            {
                p.Kill();
                Router.Master.Chatter.Write($"{Name}: {_filename}: {ex.Message}\n");
                End();
                return null;
            }

            p.Take(p.Length - record.CopiedLength);
            p.TimestampNanoseconds = record.TimestampNanoseconds;
            ReadOnlySpan<byte> d = p.Data;
            if (_reader.LinkType == PcapLinkType.Raw)
            {
                if (d.Length >= 20)
                {
                    p.SetNetworkHeader(0, (d[0] & 0xF) * 4);
                }
            }
            else if (d.Length >= 34 && BinaryPrimitives.ReadUInt16BigEndian(d[12..]) == 0x0800)
            {
                p.SetNetworkHeader(14, (d[14] & 0xF) * 4);
            }

            if (_forceIP && !p.HasNetworkHeader)
            {
                p.Kill();
                continue;
            }

            _count++;
            return p;
        }
    }

    private void End()
    {
        _done = true;
        if (_endCall is not null)
        {
            string text = _endCall;
            string handler = Language.ClickConfigText.ShiftSpaceVec(ref text);
            if (Router.TryResolveHandler(handler, this, out Element? e, out string h, out string error))
            {
                Router.CallWrite(e, h, text, new ElementErrors());
            }
            else
            {
                Router.Master.Chatter.Write($"{Name}: {error}\n");
            }
        }

        if (_stop)
        {
            PleaseStopDriver();
        }
    }

    private bool Due(Packet p)
    {
        if (!_timing)
        {
            return true;
        }

        long now = Router.Master.NowNanoseconds;
        if (_firstPacketTime < 0)
        {
            _firstPacketTime = p.TimestampNanoseconds;
            _firstDriverTime = now;
        }

        return p.TimestampNanoseconds - _firstPacketTime <= now - _firstDriverTime;
    }

    public override bool RunTask(ClickTask task)
    {
        if (!_active)
        {
            task.Unschedule();
            return false;
        }

        int n = 0;
        OutputPort output = Output(0);
        for (; n < 32; n++)
        {
            Packet? p = Read();
            if (p is null)
            {
                break;
            }

            if (!Due(p))
            {
                _held = p;
                break;
            }

            output.Push(p);
        }

        if (_done && _held is null)
        {
            task.Unschedule();
        }

        return n > 0;
    }

    public override Packet? Pull(int port)
    {
        if (!_active)
        {
            return null;
        }

        Packet? p = Read();
        if (p is not null && !Due(p))
        {
            _held = p;
            return null;
        }

        return p;
    }

    public override void Cleanup()
    {
        _held?.Kill();
        _held = null;
        _reader?.Dispose();
        _reader = null;
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddRead("filename", () => _filename + "\n");
        handlers.AddRead("active", () => ElementHelpers.Bool(_active));
        handlers.AddWrite("active", Writer<bool>(CV.Bool, v =>
        {
            _active = v;
            if (v)
            {
                _task?.Reschedule();
            }
        }));
    }
}

/// <summary>
/// ToDump(FILENAME; SNAPLEN, ENCAP): writes packets to a pcap file (<c>-</c> for standard output); ENCAP is
/// ETHER (default) or IP. Pushed packets are written and then dropped (or passed to output 0 if connected);
/// in pull context a task pulls. Handlers count, filename.
/// </summary>
internal sealed class ToDump : Element
{
    /// <inheritdoc/>
    public override string? TenantRefusal => "not available in tenant mode: files are not per tenant (every tenant would write the same file)";

    private string _filename = string.Empty;
    private int _snaplen = 2000;
    private PcapLinkType _encap = PcapLinkType.Ethernet;
    private PcapWriter? _writer;
    private long _count;
    private ClickTask? _task;
    private IEmptyNotifier? _notifier;

    public override string PortCount => "1/0-1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _filename = args.Read("FILENAME", ArgFlags.MandatoryPositional, CV.String, string.Empty);
        _snaplen = args.Read("SNAPLEN", ArgFlags.Positional, NonNegative, 2000);
        if (args.TryRead("ENCAP", ArgFlags.Positional, CV.Word, out string encap))
        {
            switch (encap.ToUpperInvariant())
            {
                case "ETHER":
                    _encap = PcapLinkType.Ethernet;
                    break;
                case "IP":
                    _encap = PcapLinkType.Raw;
                    break;
                default:
                    errors.Error($"bad encapsulation type '{encap}'; expected ETHER or IP");
                    break;
            }
        }

        if (_snaplen == 0)
        {
            _snaplen = 65535;
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        var options = new PcapWriterOptions { LinkType = _encap, SnapLengthBytes = _snaplen };
        try
        {
            _writer = _filename == "-" ? new PcapWriter(Console.OpenStandardOutput(), options) : PcapWriter.Create(_filename, options);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return errors.Error($"{_filename}: {ex.Message}");
        }

        if (Input(0).IsPull)
        {
            _task = Router.Master.NewTask(this);
            _notifier = FindUpstreamNotifier(this, 0);
            _task.Reschedule();
        }

        return true;
    }

    private void Write(Packet p)
    {
        _count++;
        ReadOnlySpan<byte> d = p.Data;
        long ts = p.TimestampNanoseconds != 0 ? p.TimestampNanoseconds : Router.Master.NowNanoseconds;
        _writer!.Write(d.Length > _snaplen ? d[.._snaplen] : d, ts, d.Length);
    }

    public override void Push(int port, Packet p)
    {
        Write(p);
        if (NOutputs > 0)
        {
            Outputs[0].Push(p);
        }
        else
        {
            p.Kill();
        }
    }

    public override Packet? Pull(int port)
    {
        Packet? p = Inputs[0].Pull();
        if (p is not null)
        {
            Write(p);
        }

        return p;
    }

    public override bool RunTask(ClickTask task)
    {
        int n = 0;
        for (; n < 32; n++)
        {
            Packet? p = Input(0).Pull();
            if (p is null)
            {
                break;
            }

            Write(p);
            p.Kill();
        }

        return FinishPullRun(task, _notifier, n);
    }

    public override void Cleanup()
    {
        _writer?.Dispose();
        _writer = null;
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddRead("filename", () => _filename + "\n");
    }
}
