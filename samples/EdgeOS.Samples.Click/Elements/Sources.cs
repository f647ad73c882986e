using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>Idle: never pushes, never pulls successfully; pushed packets are dropped (Idle(n)).</summary>
internal sealed class Idle : Element
{
    public override string PortCount => "-/-";

    public override string FlowCode => "x/y";

    public override void Push(int port, Packet p) => p.Kill();

    public override Packet? Pull(int port) => null;
}

/// <summary>Discard: drops every packet; in pull context its task pulls (Discard(n): ACTIVE, BURST; handlers count, reset_counts, active).</summary>
internal sealed class Discard : Element
{
    private ClickTask? _task;
    private IEmptyNotifier? _notifier;
    private long _count;
    private bool _active = true;
    private int _burst = 1;

    public override string PortCount => "1/0";

    public long Count => _count;

    internal override void RebindForTenant(TenantCloner cloner)
    {
        _task = cloner.Map(_task);
        _notifier = cloner.Map(_notifier);
    }

    public override bool Configure(Args args, ElementErrors errors)
    {
        _active = args.Read("ACTIVE", ArgFlags.None, Runtime.ClickValues.Bool, true);
        _burst = args.Read("BURST", ArgFlags.None, NonNegative, 1);
        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        if (Input(0).IsPull)
        {
            _task = Router.Master.NewTask(this);
            _notifier = FindUpstreamNotifier(this, 0);
            if (_active)
            {
                _task.Reschedule();
            }
        }

        return true;
    }

    public override void Push(int port, Packet p)
    {
        _count++;
        p.Kill();
    }

    public override bool RunTask(ClickTask task)
    {
        if (!_active)
        {
            task.Unschedule();
            return false;
        }

        int n = 0;
        InputPort input = Input(0);
        for (; n < _burst; n++)
        {
            Packet? p = input.Pull();
            if (p is null)
            {
                break;
            }

            _count++;
            p.Kill();
        }

        return FinishPullRun(task, _notifier, n);
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddWrite("reset_counts", (_, _) =>
        {
            _count = 0;
            return true;
        });
        handlers.AddRead("active", () => ElementHelpers.Bool(_active));
        handlers.AddWrite("active", Writer<bool>(Runtime.ClickValues.Bool, v =>
        {
            _active = v;
            if (v)
            {
                _task?.Reschedule();
            }
        }));
    }
}

/// <summary>Shared source state: data, limit, burst, active, stop, count.</summary>
internal abstract class SourceBase : Element
{
    protected byte[] _data = Bytes(DefaultData);
    protected long _limit = -1;
    protected int _burst = 1;
    protected bool _active = true;
    protected bool _stop;
    protected long _count;
    protected bool _timestamp = true;
    protected ClickTask? _task;
    private bool _takesBurst;

    public long Count => _count;

    internal override void RebindForTenant(TenantCloner cloner) => _task = cloner.Map(_task);

    protected void ReadCommon(Args args, bool dataPositional, bool burst)
    {
        if (args.TryRead("DATA", dataPositional ? ArgFlags.Positional : ArgFlags.None, Runtime.ClickValues.String, out string data))
        {
            _data = Bytes(data);
        }

        _limit = args.Read("LIMIT", dataPositional ? ArgFlags.Positional : ArgFlags.None, Limit, -1);
        _takesBurst = burst;
        if (burst)
        {
            _burst = args.Read("BURST", dataPositional ? ArgFlags.Positional : ArgFlags.None, NonNegative, 1);
        }

        _active = args.Read("ACTIVE", dataPositional ? ArgFlags.Positional : ArgFlags.None, Runtime.ClickValues.Bool, true);
        _stop = args.Read("STOP", ArgFlags.None, Runtime.ClickValues.Bool, false);
        _timestamp = args.Read("TIMESTAMP", ArgFlags.None, Runtime.ClickValues.Bool, true);
        if (args.TryRead("LENGTH", ArgFlags.None, NonNegative, out int length))
        {
            byte[] d = new byte[length];
            if (_data.Length > 0)
            {
                for (int i = 0; i < length; i++)
                {
                    d[i] = _data[i % _data.Length];
                }
            }

            _data = d;
        }
    }

    protected Packet MakePacket()
    {
        Packet p = Router.Pool.Make(_data);
        if (_timestamp)
        {
            p.TimestampNanoseconds = Router.Master.NowNanoseconds;
        }

        _count++;
        return p;
    }

    protected bool LimitReached => _limit >= 0 && _count >= _limit;

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddWrite("reset", (_, _) =>
        {
            _count = 0;
            Restart();
            return true;
        });
        handlers.AddRead("limit", () => Num(_limit));
        handlers.AddWrite("limit", Writer(Limit, v =>
        {
            _limit = v;
            Restart();
        }));
        handlers.AddRead("active", () => ElementHelpers.Bool(_active));
        handlers.AddWrite("active", Writer<bool>(Runtime.ClickValues.Bool, v =>
        {
            _active = v;
            Restart();
        }));
        if (_takesBurst)
        {
            // InfiniteSource's burst handler: packets per task run.
            handlers.AddRead("burst", () => Num(_burst));
            handlers.AddWrite("burst", (v, errors) =>
            {
                if (!NonNegative(Language.ClickConfigText.Uncomment(v), out int b, out _) || b < 1)
                {
                    return errors.Error("burst size must be >= 1");
                }

                _burst = b;
                Restart();
                return true;
            });
        }

        handlers.AddRead("length", () => Num(_data.Length));
        handlers.AddRead("data", () => System.Text.Encoding.Latin1.GetString(_data));
        handlers.AddWrite("data", (v, _) =>
        {
            _data = Bytes(Language.ClickConfigText.Unquote(v));
            return true;
        });
    }

    protected virtual void Restart()
    {
        if (_active && _task is not null && NOutputs > 0 && Output(0).IsPush)
        {
            _task.Reschedule();
        }
    }

    protected void ReachedLimit()
    {
        if (_stop)
        {
            PleaseStopDriver();
        }
    }
}

/// <summary>InfiniteSource(DATA, LIMIT, BURST, ACTIVE; STOP, LENGTH, TIMESTAMP): as many copies of DATA as asked, push or pull.</summary>
internal sealed class InfiniteSource : SourceBase
{
    public override string PortCount => "0/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        ReadCommon(args, dataPositional: true, burst: true);
        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
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

    public override bool RunTask(ClickTask task)
    {
        if (!_active)
        {
            task.Unschedule();
            return false;
        }

        int n = _burst;
        if (_limit >= 0 && _count + n > _limit)
        {
            n = (int)Math.Max(0, _limit - _count);
        }

        OutputPort output = Output(0);
        for (int i = 0; i < n; i++)
        {
            output.Push(MakePacket());
        }

        if (LimitReached)
        {
            task.Unschedule();
            ReachedLimit();
        }

        return n > 0;
    }

    public override Packet? Pull(int port)
    {
        if (!_active)
        {
            return null;
        }

        if (LimitReached)
        {
            ReachedLimit();
            return null;
        }

        return MakePacket();
    }
}

/// <summary>RatedSource(DATA, RATE, LIMIT, ACTIVE; STOP): DATA at RATE packets per second (default 10), paced by a timer.</summary>
internal sealed class RatedSource : SourceBase
{
    private uint _rate = 10;
    private ClickTimer? _timer;
    private long _start;

    internal override void RebindForTenant(TenantCloner cloner)
    {
        base.RebindForTenant(cloner);
        _timer = cloner.Map(_timer);
    }

    public override string PortCount => "0/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        if (args.TryRead("DATA", ArgFlags.Positional, Runtime.ClickValues.String, out string data))
        {
            _data = Bytes(data);
        }

        _rate = args.Read("RATE", ArgFlags.Positional, Runtime.ClickValues.UInt32, 10u);
        _limit = args.Read("LIMIT", ArgFlags.Positional, Limit, -1);
        _active = args.Read("ACTIVE", ArgFlags.Positional, Runtime.ClickValues.Bool, true);
        _stop = args.Read("STOP", ArgFlags.None, Runtime.ClickValues.Bool, false);
        if (args.TryRead("LENGTH", ArgFlags.None, NonNegative, out int length))
        {
            byte[] d = new byte[length];
            for (int i = 0; i < length && _data.Length > 0; i++)
            {
                d[i] = _data[i % _data.Length];
            }

            _data = d;
        }

        if (_rate == 0)
        {
            errors.Error("RATE: must be positive");
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        _start = Router.Master.NowNanoseconds;
        if (Output(0).IsPush)
        {
            _timer = Router.Master.NewTimer(this);
            if (_active)
            {
                _timer.ScheduleNow();
            }
        }

        return true;
    }

    private long Interval => 1_000_000_000L / _rate;

    public override void RunTimer(ClickTimer timer)
    {
        if (!_active)
        {
            return;
        }

        if (LimitReached)
        {
            ReachedLimit();
            return;
        }

        Output(0).Push(MakePacket());
        if (LimitReached)
        {
            ReachedLimit();
            return;
        }

        timer.RescheduleAfter(Interval);
    }

    public override Packet? Pull(int port)
    {
        if (!_active)
        {
            return null;
        }

        if (LimitReached)
        {
            ReachedLimit();
            return null;
        }

        long due = ((Router.Master.NowNanoseconds - _start) / Interval) + 1;
        return _count < due ? MakePacket() : null;
    }

    protected override void Restart()
    {
        if (_active && _timer is { Scheduled: false } && !LimitReached)
        {
            _timer.ScheduleNow();
        }
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        base.AddHandlers(handlers);
        handlers.AddRead("rate", () => Num(_rate));
        handlers.AddWrite("rate", Writer<uint>(Runtime.ClickValues.UInt32, v => _rate = Math.Max(1, v)));
    }
}

/// <summary>TimedSource(INTERVAL, DATA; LIMIT, STOP, ACTIVE): one packet every INTERVAL seconds (default 0.5).</summary>
internal sealed class TimedSource : SourceBase
{
    private long _interval = 500_000_000;
    private ClickTimer? _timer;

    internal override void RebindForTenant(TenantCloner cloner)
    {
        base.RebindForTenant(cloner);
        _timer = cloner.Map(_timer);
    }

    public override string PortCount => "0/1";

    public override string Processing => PushCode;

    public override bool Configure(Args args, ElementErrors errors)
    {
        _interval = args.Read("INTERVAL", ArgFlags.Positional, Runtime.ClickValues.TimeNanoseconds, 500_000_000L);
        if (args.TryRead("DATA", ArgFlags.Positional, Runtime.ClickValues.String, out string data))
        {
            _data = Bytes(data);
        }

        _limit = args.Read("LIMIT", ArgFlags.None, Limit, -1);
        _stop = args.Read("STOP", ArgFlags.None, Runtime.ClickValues.Bool, false);
        _active = args.Read("ACTIVE", ArgFlags.None, Runtime.ClickValues.Bool, true);
        if (_interval <= 0)
        {
            errors.Error("INTERVAL: must be positive");
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        _timer = Router.Master.NewTimer(this);
        if (_active)
        {
            _timer.ScheduleAfter(_interval);
        }

        return true;
    }

    public override void RunTimer(ClickTimer timer)
    {
        if (!_active)
        {
            return;
        }

        if (!LimitReached)
        {
            Output(0).Push(MakePacket());
        }

        if (LimitReached)
        {
            ReachedLimit();
            return;
        }

        timer.RescheduleAfter(_interval);
    }

    protected override void Restart()
    {
        if (_active && _timer is { Scheduled: false } && !LimitReached)
        {
            _timer.ScheduleAfter(_interval);
        }
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        base.AddHandlers(handlers);
        handlers.AddRead("interval", () => Runtime.ClickValues.FormatSeconds(_interval) + "\n");
        handlers.AddWrite("interval", Writer<long>(Runtime.ClickValues.TimeNanoseconds, v => _interval = Math.Max(1, v)));
    }
}

/// <summary>RandomSource(LENGTH, LIMIT, BURST, ACTIVE; STOP): packets of LENGTH random bytes (seeded per element name, so runs repeat).</summary>
internal sealed class RandomSource : SourceBase
{
    private int _length;
    private Random _random = new(0);

    internal override void RebindForTenant(TenantCloner cloner)
    {
        base.RebindForTenant(cloner);
        _random = new Random(Name.Aggregate(17, (h, c) => (h * 31) + c)); // each tenant repeats the same sequence, as a fresh run would
    }

    public override string PortCount => "0/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _length = args.Read("LENGTH", ArgFlags.MandatoryPositional, NonNegative, 0);
        _limit = args.Read("LIMIT", ArgFlags.Positional, Limit, -1);
        _burst = args.Read("BURST", ArgFlags.Positional, NonNegative, 1);
        _active = args.Read("ACTIVE", ArgFlags.Positional, Runtime.ClickValues.Bool, true);
        _stop = args.Read("STOP", ArgFlags.None, Runtime.ClickValues.Bool, false);
        _random = new Random(Name.Aggregate(17, (h, c) => (h * 31) + c));
        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
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

    private Packet MakeRandom()
    {
        Packet p = Router.Pool.Allocate(_length);
        _random.NextBytes(p.Data);
        p.TimestampNanoseconds = Router.Master.NowNanoseconds;
        _count++;
        return p;
    }

    public override bool RunTask(ClickTask task)
    {
        if (!_active)
        {
            task.Unschedule();
            return false;
        }

        int n = 0;
        for (; n < _burst && !LimitReached; n++)
        {
            Output(0).Push(MakeRandom());
        }

        if (LimitReached)
        {
            task.Unschedule();
            ReachedLimit();
        }

        return n > 0;
    }

    public override Packet? Pull(int port)
    {
        if (!_active)
        {
            return null;
        }

        if (LimitReached)
        {
            ReachedLimit();
            return null;
        }

        return MakeRandom();
    }
}
