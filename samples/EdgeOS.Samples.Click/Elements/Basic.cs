using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>
/// Queue / SimpleQueue / NotifierQueue / FullNoteQueue(CAPACITY): push in, pull out; drops when full (default
/// capacity 1000). Handlers length, highwater_length, capacity (rw), drops, reset_counts, reset.
/// </summary>
internal sealed class ClickQueue(bool notify) : Element, IEmptyNotifier
{
    private Packet?[] _ring = new Packet?[1001];
    private int _head;
    private int _tail;
    private int _capacity = 1000;
    private int _highwater;
    private long _drops;
    private List<ClickTask> _listeners = [];
    private readonly bool _notify = notify;

    public override string PortCount => "1/1";

    public override string Processing => "h/l";

    public int Length => _tail >= _head ? _tail - _head : _tail + _ring.Length - _head;

    public long Drops => _drops;

    public bool Active => !_notify || Length > 0;

    public void AddListener(ClickTask task)
    {
        if (_notify && !_listeners.Contains(task))
        {
            _listeners.Add(task);
        }
    }

    public override bool Configure(Args args, ElementErrors errors)
    {
        _capacity = args.Read("CAPACITY", ArgFlags.Positional, NonNegative, 1000);
        _ring = new Packet?[_capacity + 1];
        return args.Complete();
    }

    public override void Push(int port, Packet p)
    {
        int next = _tail + 1 == _ring.Length ? 0 : _tail + 1;
        if (next == _head)
        {
            _drops++;
            p.Kill();
            return;
        }

        bool wasEmpty = _head == _tail;
        _ring[_tail] = p;
        _tail = next;
        int length = Length;
        if (length > _highwater)
        {
            _highwater = length;
        }

        if (wasEmpty && _listeners.Count > 0)
        {
            foreach (ClickTask t in _listeners)
            {
                t.Reschedule();
            }
        }
    }

    public override Packet? Pull(int port)
    {
        if (_head == _tail)
        {
            return null;
        }

        Packet? p = _ring[_head];
        _ring[_head] = null;
        _head = _head + 1 == _ring.Length ? 0 : _head + 1;
        return p;
    }

    public override void Cleanup()
    {
        while (Pull(0) is Packet p)
        {
            p.Kill();
        }
    }

    internal override void RebindForTenant(TenantCloner cloner)
    {
        Packet?[] ring = new Packet?[_ring.Length];
        for (int i = 0; i < ring.Length; i++)
        {
            ring[i] = cloner.Map(_ring[i]);
        }

        _ring = ring;
        _listeners = [.. _listeners.Select(t => cloner.Map(t)!)];
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("length", () => Num(Length));
        handlers.AddRead("highwater_length", () => Num(_highwater));
        handlers.AddRead("capacity", () => Num(_capacity));
        handlers.AddWrite("capacity", Writer(NonNegative, Resize));
        handlers.AddRead("drops", () => Num(_drops));
        handlers.AddWrite("reset_counts", (_, _) =>
        {
            _drops = 0;
            _highwater = Length;
            return true;
        });
        handlers.AddWrite("reset", (_, _) =>
        {
            Cleanup();
            return true;
        });
    }

    private void Resize(int capacity)
    {
        var ring = new Packet?[capacity + 1];
        int n = 0;
        while (Pull(0) is Packet p)
        {
            if (n < capacity)
            {
                ring[n++] = p;
            }
            else
            {
                _drops++;
                p.Kill();
            }
        }

        _ring = ring;
        _head = 0;
        _tail = n;
        _capacity = capacity;
    }
}

/// <summary>Unqueue(BURST; ACTIVE, LIMIT): pulls packets and pushes them (default one per task run).</summary>
internal sealed class Unqueue : Element
{
    private int _burst = 1;
    private bool _active = true;
    private long _limit = -1;
    private long _count;
    private ClickTask? _task;
    private IEmptyNotifier? _notifier;

    public override string PortCount => "1/1";

    public override string Processing => "l/h";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _burst = args.Read("BURST", ArgFlags.Positional, NonNegative, 1);
        _active = args.Read("ACTIVE", ArgFlags.None, CV.Bool, true);
        _limit = args.Read("LIMIT", ArgFlags.None, Limit, -1);
        if (_burst == 0)
        {
            _burst = int.MaxValue;
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        _task = Router.Master.NewTask(this);
        _notifier = FindUpstreamNotifier(this, 0);
        if (_active)
        {
            _task.Reschedule();
        }

        return true;
    }

    internal override void RebindForTenant(TenantCloner cloner)
    {
        _task = cloner.Map(_task);
        _notifier = cloner.Map(_notifier);
    }

    public override bool RunTask(ClickTask task)
    {
        if (!_active || (_limit >= 0 && _count >= _limit))
        {
            task.Unschedule();
            return false;
        }

        int n = 0;
        InputPort input = Input(0);
        OutputPort output = Output(0);
        while (n < _burst && (_limit < 0 || _count < _limit))
        {
            Packet? p = input.Pull();
            if (p is null)
            {
                break;
            }

            n++;
            _count++;
            output.Push(p);
        }

        return FinishPullRun(task, _notifier, n);
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddWrite("reset", (_, _) =>
        {
            _count = 0;
            _task?.Reschedule();
            return true;
        });
        handlers.AddRead("active", () => ElementHelpers.Bool(_active));
        handlers.AddWrite("active", Writer<bool>(CV.Bool, v =>
        {
            _active = v;
            if (v)
            {
                _task?.Reschedule();
            }
        }));
        handlers.AddRead("burst", () => Num(_burst));
        handlers.AddWrite("burst", Writer(NonNegative, v => _burst = v == 0 ? int.MaxValue : v));
        handlers.AddRead("limit", () => Num(_limit));
        handlers.AddWrite("limit", Writer(Limit, v =>
        {
            _limit = v;
            _task?.Reschedule();
        }));
    }
}

/// <summary>
/// Print(LABEL, MAXLENGTH; CONTENTS, TIMESTAMP, PRINTANNO, HEADROOM, ACTIVE): prints <c>LABEL: LEN | hex</c> for each
/// packet on standard error. HEADROOM adds <c> (hH tT)</c> after the length (the packet's headroom and tailroom; Click
/// has no TAILROOM keyword, HEADROOM prints both). PRINTANNO adds <c> | </c> and the 48 annotation bytes in hex, laid
/// out as Click's packet_anno.hh places the annotations this runtime keeps: destination IP at bytes 0-3, paint at
/// byte 16, VLAN TCI at bytes 20-21 (network order); the other bytes are zero (no element here sets them).
/// </summary>
internal sealed class Print : Element
{
    private string _label = string.Empty;
    private int _maxLength = 24;
    private int _contents = 1;
    private bool _timestamp;
    private bool _printAnno;
    private bool _headroom;
    private bool _active = true;
    private StringBuilder _sb = new();

    /// <summary>Size of Click's packet annotation area (Packet::anno_size), which PRINTANNO prints in full.</summary>
    internal const int AnnotationBytes = 48;

    internal override void RebindForTenant(TenantCloner cloner) => _sb = new StringBuilder();

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _label = args.Read("LABEL", ArgFlags.Positional, CV.String, string.Empty);
        long max = args.Read("MAXLENGTH", ArgFlags.Positional, Limit, 24L);
        if (args.TryRead("LENGTH", ArgFlags.None, Limit, out long length))
        {
            max = length;
        }

        if (args.TryRead("NBYTES", ArgFlags.None, Limit, out long nbytes))
        {
            max = nbytes;
        }

        _maxLength = max < 0 ? int.MaxValue : (int)max;
        if (args.TryRead("CONTENTS", ArgFlags.None, CV.Word, out string contents))
        {
            _contents = ParseContents(contents, errors);
        }

        _timestamp = args.Read("TIMESTAMP", ArgFlags.None, CV.Bool, false);
        _printAnno = args.Read("PRINTANNO", ArgFlags.None, CV.Bool, false);
        _active = args.Read("ACTIVE", ArgFlags.None, CV.Bool, true);
        _headroom = args.Read("HEADROOM", ArgFlags.None, CV.Bool, false);
        return args.Complete();
    }

    /// <summary>Writes <paramref name="p"/>'s annotations into <paramref name="area"/> where Click's packet_anno.hh puts them.</summary>
    internal static void FillAnnotationArea(Packet p, Span<byte> area)
    {
        area.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(area, p.DestinationIPAnnotation);
        area[16] = p.Paint;
        BinaryPrimitives.WriteUInt16BigEndian(area[20..], p.VlanTci);
    }

    internal static int ParseContents(string contents, ElementErrors errors)
    {
        switch (contents.ToUpperInvariant())
        {
            case "NONE" or "FALSE" or "NO":
                return 0;
            case "HEX" or "TRUE" or "YES":
                return 1;
            case "ASCII":
                return 2;
            default:
                errors.Error($"bad contents value '{contents}'; should be 'NONE', 'HEX', or 'ASCII'");
                return 1;
        }
    }

    public override Packet? SimpleAction(Packet p)
    {
        if (!_active)
        {
            return p;
        }

        StringBuilder sb = AppendPrintPrefix(_sb.Clear(), _label, _timestamp ? p : null);

        sb.Append(CultureInfo.InvariantCulture, $"{p.Length,4}");
        if (_headroom)
        {
            sb.Append(CultureInfo.InvariantCulture, $" (h{p.HeadroomBytes} t{p.TailroomBytes})");
        }

        if (_printAnno)
        {
            Span<byte> area = stackalloc byte[AnnotationBytes];
            FillAnnotationArea(p, area);
            sb.Append(" | ");
            foreach (byte b in area)
            {
                sb.Append(b.ToString("x2", CultureInfo.InvariantCulture));
            }
        }

        if (_contents > 0 && p.Length > 0 && _maxLength != 0)
        {
            sb.Append(" | ");
            ReadOnlySpan<byte> data = p.Data;
            int n = Math.Min(_maxLength, data.Length);
            for (int i = 0; i < n; i++)
            {
                if (_contents == 1)
                {
                    if (i > 0 && i % 4 == 0)
                    {
                        sb.Append(' ');
                    }

                    sb.Append(data[i].ToString("x2", CultureInfo.InvariantCulture));
                }
                else
                {
                    // Click starts every group of 8 characters with a space, the first one too (" |  abcdefgh ijk").
                    if (i % 8 == 0)
                    {
                        sb.Append(' ');
                    }

                    sb.Append(data[i] is < 32 or > 126 ? '.' : (char)data[i]);
                }
            }
        }

        sb.Append('\n');
        Router.Master.Chatter.Write(sb.ToString());
        return p;
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("active", () => ElementHelpers.Bool(_active));
        handlers.AddWrite("active", Writer<bool>(CV.Bool, v => _active = v));
    }
}

/// <summary>Tee(N): sends a copy of each packet to every output (the original to the last).</summary>
internal sealed class Tee : Element
{
    public override string PortCount => "1/1-";

    public override string Processing => PushCode;

    public override bool Configure(Args args, ElementErrors errors)
    {
        if (args.TryRead("N", ArgFlags.Positional, NonNegative, out int n) && n != NOutputs)
        {
            errors.Error($"{NOutputs} outputs implies {NOutputs} arms");
        }

        return args.Complete();
    }

    public override void Push(int port, Packet p)
    {
        OutputPort[] outputs = Outputs;
        int last = outputs.Length - 1;
        for (int i = 0; i < last; i++)
        {
            outputs[i].Push(p.Clone());
        }

        outputs[last].Push(p);
    }
}

/// <summary>Hub: a packet arriving on input N goes to every output except N.</summary>
internal sealed class Hub : Element
{
    public override string PortCount => "-/=";

    public override string Processing => PushCode;

    public override string FlowCode => "#/[^#]";

    public override void Push(int port, Packet p)
    {
        OutputPort[] outputs = Outputs;
        int last = outputs.Length - 1 == port ? outputs.Length - 2 : outputs.Length - 1;
        if (last < 0)
        {
            p.Kill();
            return;
        }

        for (int i = 0; i < last; i++)
        {
            if (i != port)
            {
                outputs[i].Push(p.Clone());
            }
        }

        outputs[last].Push(p);
    }
}

/// <summary>Null: passes packets unchanged.</summary>
internal sealed class NullElement : Element
{
    public override string PortCount => "1/1";

    public override void Push(int port, Packet p) => PushOutput0(p);

    public override Packet? Pull(int port) => Inputs[0].Pull();
}

/// <summary>Switch(OUTPUT): sends every packet to output OUTPUT (-1 drops); handler switch (rw).</summary>
internal sealed class Switch : Element
{
    private int _output;

    public override string PortCount => "1/-";

    public override string Processing => PushCode;

    public override bool Configure(Args args, ElementErrors errors)
    {
        _output = args.Read("OUTPUT", ArgFlags.Positional, CV.Int32, 0);
        return args.Complete();
    }

    public override void Push(int port, Packet p) => CheckedOutputPush(_output, p);

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("switch", () => Num(_output));
        handlers.AddWrite("switch", (value, errors) =>
        {
            if (!CV.Int32(ClickConfigText.Uncomment(value), out int v, out _))
            {
                return errors.Error("Switch output must be integer");
            }

            _output = v >= NOutputs ? -1 : v;
            return true;
        });
    }
}

/// <summary>PaintSwitch(ANNO): sends each packet to the output its paint annotation names (dropped when none).</summary>
internal sealed class PaintSwitch : Element
{
    public override string PortCount => "1/-";

    public override string Processing => PushCode;

    public override bool Configure(Args args, ElementErrors errors)
    {
        if (args.TryTake("ANNO", ArgFlags.Positional, out string anno) && anno is not ("PAINT" or "20"))
        {
            errors.Error("ANNO: only the PAINT annotation is supported");
        }

        return args.Complete();
    }

    public override void Push(int port, Packet p) => CheckedOutputPush(p.Paint, p);
}

/// <summary>RoundRobinSwitch: sends packets to outputs in turn.</summary>
internal sealed class RoundRobinSwitch : Element
{
    private int _next;

    public override string PortCount => "1/1-";

    public override string Processing => PushCode;

    public override void Push(int port, Packet p)
    {
        int i = _next;
        _next = i + 1 == NOutputs ? 0 : i + 1;
        Outputs[i].Push(p);
    }
}

/// <summary>HashSwitch(OFFSET, LENGTH): chooses the output by a hash of LENGTH bytes at OFFSET (short packets go to output 0).</summary>
internal sealed class HashSwitch : Element
{
    private int _offset;
    private int _length;

    public override string PortCount => "1/1-";

    public override string Processing => PushCode;

    public override bool Configure(Args args, ElementErrors errors)
    {
        _offset = args.Read("OFFSET", ArgFlags.MandatoryPositional, NonNegative, 0);
        _length = args.Read("LENGTH", ArgFlags.MandatoryPositional, NonNegative, 0);
        if (!errors.HasErrors && _length == 0)
        {
            errors.Error("length must be > 0");
        }

        return args.Complete();
    }

    public override void Push(int port, Packet p)
    {
        ReadOnlySpan<byte> data = p.Data;
        if (data.Length < _offset + _length)
        {
            PushOutput0(p);
            return;
        }

        uint h = 0;
        foreach (byte b in data.Slice(_offset, _length))
        {
            h = (h * 33) ^ b;
        }

        Outputs[(int)(h % (uint)NOutputs)].Push(p);
    }
}

/// <summary>Paint(COLOR): sets the paint annotation; handler color (rw).</summary>
internal sealed class Paint : Element
{
    private byte _color;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _color = args.Read("COLOR", ArgFlags.MandatoryPositional, ElementHelpers.ByteValue, (byte)0);
        if (args.TryTake("ANNO", ArgFlags.Positional, out string anno) && anno is not ("PAINT" or "20"))
        {
            errors.Error("ANNO: only the PAINT annotation is supported");
        }

        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        p.Paint = _color;
        return p;
    }

    public override void Push(int port, Packet p)
    {
        p.Paint = _color;
        PushOutput0(p);
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("color", () => Num(_color));
        handlers.AddWrite("color", Writer(ElementHelpers.ByteValue, v => _color = v));
    }
}

/// <summary>PaintTee(COLOR): every packet goes to output 0; packets painted COLOR are also copied to output 1.</summary>
internal sealed class PaintTee : Element
{
    private byte _color;

    public override string PortCount => "1/2";

    public override string Processing => "a/ah";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _color = args.Read("COLOR", ArgFlags.MandatoryPositional, ElementHelpers.ByteValue, (byte)0);
        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        if (p.Paint == _color)
        {
            Outputs[1].Push(p.Clone());
        }

        return p;
    }
}

/// <summary>CheckPaint(COLOR): packets painted COLOR go to output 0; others go to output 1 if present, else are dropped.</summary>
internal sealed class CheckPaint : Element
{
    private byte _color;

    public override string PortCount => "1/1-2";

    public override string Processing => "a/ah";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _color = args.Read("COLOR", ArgFlags.MandatoryPositional, ElementHelpers.ByteValue, (byte)0);
        return args.Complete();
    }

    public override void Push(int port, Packet p)
    {
        if (p.Paint == _color)
        {
            PushOutput0(p);
        }
        else
        {
            CheckedOutputPush(1, p);
        }
    }

    public override Packet? Pull(int port)
    {
        Packet? p = Inputs[0].Pull();
        if (p is not null && p.Paint != _color)
        {
            CheckedOutputPush(1, p);
            return null;
        }

        return p;
    }
}
