using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>
/// A write handler named in an element's configuration (Click's HandlerCall): <c>[ELEMENT.]HANDLER [VALUE]</c>,
/// resolved once the router's handlers exist. Resolution follows Click's cp_handler_name: <c>.name</c> is a global
/// handler; <c>e.name</c> is handler <c>name</c> of element <c>e</c> (found relative to the context element's
/// compound); a name without an element is the context element's own handler when it has one, else a global handler.
/// </summary>
internal sealed class WriteHandlerCall
{
    private WriteHandlerCall(Element? element, string handler, string value)
    {
        Element = element;
        Handler = handler;
        Value = value;
    }

    /// <summary>The element whose handler is called, or null for a global handler.</summary>
    public Element? Element { get; private set; }

    /// <summary>The handler's name.</summary>
    public string Handler { get; }

    /// <summary>The value written.</summary>
    public string Value { get; }

    /// <summary>Resolves <paramref name="text"/> (handler name, then the value) for <paramref name="context"/>; reports Click's messages.</summary>
    public static WriteHandlerCall? Resolve(string text, Element context, ElementErrors errors)
    {
        string value = text;
        string word = ClickConfigText.ShiftSpaceVec(ref value);
        if (!ClickConfigText.TryParseString(word, out string name) || name.Length == 0)
        {
            errors.Error("syntax error");
            return null;
        }

        Router router = context.Router;
        int dot = name.IndexOf('.', StringComparison.Ordinal);
        Element? element = null;
        bool global = false;
        string handler = name;
        if (dot == 0)
        {
            global = true;
            handler = name[1..];
        }
        else if (dot == name.Length - 1)
        {
            errors.Error("syntax error");
            return null;
        }
        else if (dot > 0 && router.FindRelative(name[..dot], context) is Element found)
        {
            element = found;
            handler = name[(dot + 1)..];
        }

        if (element is null && !global)
        {
            if (router.HandlersOf(context).Find(name) is not null)
            {
                element = context;
            }
            else if (dot < 0 || router.GlobalHandlers.Find(name) is not null)
            {
                global = true;
            }
            else
            {
                errors.Error($"no element named '{name[..dot]}'");
                return null;
            }
        }

        Handler? h = element is null ? router.GlobalHandlers.Find(handler) : router.HandlersOf(element).Find(handler);
        if (h?.Write is null)
        {
            errors.Error($"no '{(element is null ? handler : element.Name + "." + handler)}' write handler");
            return null;
        }

        return new WriteHandlerCall(element, handler, value);
    }

    /// <summary>Calls the handler on <paramref name="router"/>; its complaints go to the chatter, as Click's default error handler prints them.</summary>
    public void Call(Router router)
    {
        var errors = new ElementErrors();
        if (!router.CallWrite(Element, Handler, Value, errors))
        {
            foreach (string m in errors.Messages)
            {
                router.Master.Chatter.Write(m + "\n");
            }
        }
    }

    /// <summary>The same call for a tenant's router (its copy of the element).</summary>
    public WriteHandlerCall ForTenant(TenantCloner cloner) =>
        new(Element is null ? null : cloner.Map(Element), Handler, Value);
}

/// <summary>
/// Click's RateEWMAX over jiffies (epochs of one millisecond, CLICK_HZ 1000 at user level) with stability shift 4
/// (alpha 1/16) and <see cref="Scale"/> bits of fraction: the count of the epoch that just closed updates the average,
/// each further empty epoch updates it with zero (100 or more empty epochs reset it to zero).
/// </summary>
internal struct RateEwma
{
    private const int StabilityShift = 4;
    private const long Compensation = 1L << (StabilityShift - 1);

    /// <summary>The average, samples per epoch with <see cref="Scale"/> bits of fraction.</summary>
    public long ScaledAverage;

    /// <summary>Samples in the current (open) epoch.</summary>
    public ulong Current;

    /// <summary>The current epoch (jiffies).</summary>
    public uint Epoch;

    /// <summary>Bits of fraction.</summary>
    public int Scale;

    public RateEwma(int scale, uint epoch)
    {
        Scale = scale;
        Epoch = epoch;
    }

    /// <summary>Closes the open epoch when <paramref name="now"/> is later; returns the closed epoch's sample count (0 when none closed).</summary>
    public ulong AdvanceTo(uint now)
    {
        if (now == Epoch)
        {
            return 0;
        }

        ulong closed = Current;
        ScaledAverage += ((long)(closed << Scale) + Compensation - ScaledAverage) >> StabilityShift;
        uint empty = now - Epoch - 1;
        if (empty >= 100)
        {
            ScaledAverage = 0;
        }
        else
        {
            for (; empty > 0; empty--)
            {
                ScaledAverage += (Compensation - ScaledAverage) >> StabilityShift;
            }
        }

        Current = 0;
        Epoch = now;
        return closed;
    }

    /// <summary>The rate per second as Click unparses it (cp_unparse_real2 of average times CLICK_HZ).</summary>
    public readonly string Unparse() => UnparseReal2((ulong)ScaledAverage * 1000, Scale);

    /// <summary>The rate times 8 (bits), with Click's scale adjustment for the byte rate.</summary>
    public readonly string UnparseTimesEight() => Scale >= 3
        ? UnparseReal2((ulong)ScaledAverage * 1000, Scale - 3)
        : UnparseReal2((ulong)ScaledAverage * 1000 * 8, Scale);

    /// <summary>
    /// A fixed-point number with <paramref name="fracBits"/> bits of fraction in decimal, as Click's cp_unparse_real2
    /// prints it: the integer part, then the shortest run of decimal digits that reads back as the same binary fraction
    /// (Knuth's print_scaled method, in 32-bit unsigned arithmetic as Click does it).
    /// </summary>
    public static string UnparseReal2(ulong value, int fracBits)
    {
        string integer = (value >> fracBits).ToString(CultureInfo.InvariantCulture);
        uint one = 1u << fracBits;
        uint frac = (uint)(value & (one - 1));
        if (frac == 0)
        {
            return integer;
        }

        var sb = new StringBuilder(integer).Append('.');
        uint r = unchecked((10 * frac) + 5);
        uint allowed = 10;
        uint rounder = 5;
        while (rounder < (one >> 1))
        {
            rounder *= 10;
        }

        do
        {
            if (allowed > one)
            {
                r = unchecked(r + (one >> 1) - rounder);
            }

            sb.Append((char)('0' + (r >> fracBits)));
            r = unchecked(10 * (r & (one - 1)));
            allowed = unchecked(allowed * 10);
        }
        while (r > allowed);

        return sb.ToString();
    }
}

/// <summary>
/// Counter(COUNT_CALL, BYTE_COUNT_CALL): counts packets and bytes. COUNT_CALL <c>N HANDLER [VALUE]</c> calls write
/// handler HANDLER with VALUE when the packet count reaches N (once, before the packet goes on); BYTE_COUNT_CALL likewise
/// when the byte count reaches or passes N. Handlers count, byte_count, rate, bit_rate, byte_rate (Click's EWMA over
/// one-millisecond epochs, alpha 1/16: packets with 10 bits of fraction, bytes with 4), reset / reset_counts (counts,
/// rates and triggers), count_call (rw; written as <c>N [HANDLER [VALUE]]</c>, the handler may be omitted to keep the
/// current one) and byte_count_call (w).
/// </summary>
/// <remarks>
/// Click updates its rate EWMA on every packet, which reads the clock on every packet. Counter sits on the benchmark's
/// hot path, so here a packet costs two increments and one well-predicted compare: the packet count against the next
/// "event" (the COUNT_CALL count, the next rate sample, or the next packet while a BYTE_COUNT_CALL is armed). A rate
/// sample reads the clock and credits the packets since the previous sample; when an epoch has ended since, those
/// before the current packet go to the closing epoch and the current one to the new epoch. Samples come every
/// <c>stride</c> packets: 1/16 of the larger of the last closed epoch's count and the current epoch's so far, from 1
/// to 1024. Under 32 packets a millisecond every packet is sampled, which is exactly Click's EWMA; above, ~16 samples
/// or more fall in each epoch and at most a stride of packets (~1/16 of an epoch's) can land in the wrong epoch at a
/// boundary. Reads of the rate handlers sample first. The trade-off: exact per-packet epochs would cost a clock read
/// (~20 ns) per packet, about a quarter of the firewall benchmark's whole per-packet budget.
/// </remarks>
internal sealed class Counter : Element, IBatchObserver
{
    private bool _sampledPerBatch;

    private const uint MaxStride = 1024;

    private ulong _count;
    private ulong _byteCount;
    private ulong _nextEvent = ulong.MaxValue;

    // Tenant mode: the jiffy of the last batch (kept next to the per-packet fields, see BatchStarting).
    private ulong _batchJiffy;

    private ulong _countTrigger = ulong.MaxValue;
    private ulong _byteTrigger = ulong.MaxValue;
    private bool _countTriggered;
    private bool _byteTriggered;
    private string? _countCallText;
    private string? _byteCallText;
    private WriteHandlerCall? _countCall;
    private WriteHandlerCall? _byteCall;

    private RateEwma _rate;
    private RateEwma _byteRate;
    private ulong _sampledCount;
    private ulong _sampledBytes;
    private ulong _nextSample;
    private ulong _stride = 1;
    private ulong _lastClosed;

    public override string PortCount => "1/1";

    public long Count => (long)_count;

    public long ByteCount => (long)_byteCount;

    public override bool Configure(Args args, ElementErrors errors)
    {
        if (args.TryTake("COUNT_CALL", ArgFlags.None, out string countCall))
        {
            _countCallText = ParseTrigger("COUNT_CALL", countCall, errors, out _countTrigger);
        }

        if (args.TryTake("BYTE_COUNT_CALL", ArgFlags.None, out string byteCall))
        {
            _byteCallText = ParseTrigger("BYTE_COUNT_CALL", byteCall, errors, out _byteTrigger);
        }

        return args.Complete();
    }

    // The first word is the count (unsigned, saturating at the maximum with an overflow error as Click reports it).
    private static string? ParseTrigger(string keyword, string text, ElementErrors errors, out ulong trigger)
    {
        string rest = ClickConfigText.Uncomment(text);
        string first = ClickConfigText.ShiftSpaceVec(ref rest);
        trigger = ulong.MaxValue;
        if (CV64(first, out ulong n))
        {
            trigger = n;
        }
        else if (ClickValues.IntegerError(first, 0, ulong.MaxValue, signed: false) is null or "invalid number")
        {
            errors.Error($"{keyword} type mismatch");
            return null;
        }
        else
        {
            errors.Error($"{keyword} overflow, max {ulong.MaxValue.ToString(CultureInfo.InvariantCulture)}");
        }

        return rest;
    }

    private static bool CV64(string text, out ulong value) => ClickValues.UInt64(text, out value, out _);

    public override bool Initialize(ElementErrors errors)
    {
        if (_countCallText is not null && (_countCall = WriteHandlerCall.Resolve(_countCallText, this, errors)) is null)
        {
            return false;
        }

        if (_byteCallText is not null && (_byteCall = WriteHandlerCall.Resolve(_byteCallText, this, errors)) is null)
        {
            return false;
        }

        Reset();
        return true;
    }

    internal override void RebindForTenant(TenantCloner cloner)
    {
        _countCall = _countCall?.ForTenant(cloner);
        _byteCall = _byteCall?.ForTenant(cloner);
        Master master = cloner.Tenant.Master;
        if (master.AnnouncesBatches)
        {
            // A tenant's packets arrive in batches, all at the batch's time: one sample per batch (when the next one
            // starts) credits them to the right epoch, and the per-packet path keeps only the counts and the triggers.
            master.AddBatchObserver(this);
            _sampledPerBatch = true;
            _batchJiffy = _rate.Epoch;
            _nextSample = ulong.MaxValue;
            Rearm();
        }
    }

    /// <summary>
    /// A tenant's next batch, arrived at <paramref name="nanoseconds"/>, starts. In the same jiffy as the last one
    /// nothing is done (one field on the line the packets touch anyway); in a later one, the packets counted since the
    /// last sample all arrived in the last batch's jiffy, the rate's epoch: they are credited to it and the epoch moves.
    /// </summary>
    void IBatchObserver.BatchStarting(long nanoseconds)
    {
        ulong jiffy = (uint)(nanoseconds / 1_000_000);
        if (jiffy != _batchJiffy)
        {
            _batchJiffy = jiffy;
            Sample((uint)jiffy);
            Rearm();
        }
    }

    private uint Jiffies => (uint)(Router.Master.NowNanoseconds / 1_000_000);

    private void Reset()
    {
        _count = _byteCount = 0;
        _countTriggered = _byteTriggered = false;
        uint now = Jiffies;
        _rate = new RateEwma(10, now);
        _byteRate = new RateEwma(4, now);
        _sampledCount = _sampledBytes = 0;
        _stride = 1;
        _lastClosed = 0;
        _nextSample = _sampledPerBatch ? ulong.MaxValue : 1;
        Rearm();
    }

    private void Rearm()
    {
        ulong next = _nextSample;
        if (!_countTriggered && _countTrigger > _count && _countTrigger < next)
        {
            next = _countTrigger;
        }

        // An armed BYTE_COUNT_CALL is checked on every packet (packets have no size bound to skip ahead with).
        if (!_byteTriggered && _byteTrigger != ulong.MaxValue)
        {
            next = _count + 1;
        }

        _nextEvent = next;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override Packet? SimpleAction(Packet p)
    {
        _byteCount += (uint)p.Length;
        if (++_count >= _nextEvent)
        {
            Event((uint)p.Length);
        }

        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override void Push(int port, Packet p)
    {
        _byteCount += (uint)p.Length;
        if (++_count >= _nextEvent)
        {
            Event((uint)p.Length);
        }

        PushOutput0(p);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Event(uint length)
    {
        if (_count >= _nextSample)
        {
            Sample(Jiffies, length);
        }

        if (_count == _countTrigger && !_countTriggered)
        {
            _countTriggered = true;
            _countCall?.Call(Router);
        }

        if (_byteCount >= _byteTrigger && !_byteTriggered)
        {
            _byteTriggered = true;
            _byteCall?.Call(Router);
        }

        Rearm();
    }

    // Credits the packets since the last sample, closing epochs that ended since. When an epoch ended, the packets
    // before the one being counted now (if any: a handler read samples with no packet, currentLength null) arrived
    // before this sample and go to the closing epoch; the current packet goes to the new one, as in Click.
    private void Sample(uint now, uint? currentLength = null) =>
        Sample(now, currentLength is null ? 0 : 1UL, currentLength ?? 0);

    // As above, with the packets and bytes (the last ones counted) that arrived in the new epoch given as numbers.
    private void Sample(uint now, ulong keepCount, ulong keepBytes)
    {
        uint previous = _rate.Epoch;
        if ((int)(now - previous) < 0)
        {
            now = previous; // a batch time older than a handler read's clock time: never go back
        }

        if (now != previous)
        {
            _rate.Current += _count - _sampledCount - keepCount;
            _byteRate.Current += _byteCount - _sampledBytes - keepBytes;
            _sampledCount = _count - keepCount;
            _sampledBytes = _byteCount - keepBytes;
        }

        ulong closed = _rate.AdvanceTo(now);
        _byteRate.AdvanceTo(now);
        if (now != previous)
        {
            // The closed epoch's count sets the pace of the new one; after idle epochs, start again from every packet.
            _lastClosed = now - previous == 1 ? closed : 0;
        }

        _rate.Current += _count - _sampledCount;
        _byteRate.Current += _byteCount - _sampledBytes;
        _sampledCount = _count;
        _sampledBytes = _byteCount;

        // 1/16 of the larger of the last epoch's and this epoch's count so far: the stride grows within an epoch too
        // (by 1/16 a sample), so a clock that stands still (simulated time) costs ~100 samples, then one per 1024.
        _stride = Math.Clamp(Math.Max(_lastClosed, _rate.Current) >> 4, 1, MaxStride);
        _nextSample = _sampledPerBatch ? ulong.MaxValue : _count + _stride;
    }

    private enum RateKind
    {
        Packets,
        Bits,
        Bytes,
    }

    private string ReadRate(RateKind kind)
    {
        Sample(Jiffies);
        Rearm();
        return kind switch
        {
            RateKind.Packets => _rate.Unparse(),
            RateKind.Bits => _byteRate.UnparseTimesEight(),
            _ => _byteRate.Unparse(),
        } + "\n";
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num((long)_count));
        handlers.AddRead("byte_count", () => Num((long)_byteCount));
        handlers.AddRead("rate", () => ReadRate(RateKind.Packets));
        handlers.AddRead("bit_rate", () => ReadRate(RateKind.Bits));
        handlers.AddRead("byte_rate", () => ReadRate(RateKind.Bytes));
        HandlerWrite reset = (_, _) =>
        {
            Reset();
            return true;
        };
        handlers.AddWrite("reset", reset);
        handlers.AddWrite("reset_counts", reset);
        handlers.AddRead("count_call", () => _countCall is null ? string.Empty : Num((long)_countTrigger));
        handlers.AddWrite("count_call", (value, errors) => WriteTrigger("count_call", value, errors, byteCount: false));
        handlers.AddWrite("byte_count_call", (value, errors) => WriteTrigger("byte_count_call", value, errors, byteCount: true));
    }

    private bool WriteTrigger(string name, string value, ElementErrors errors, bool byteCount)
    {
        string rest = ClickConfigText.Uncomment(value);
        if (!CV64(ClickConfigText.ShiftSpaceVec(ref rest), out ulong n))
        {
            return errors.Error($"'{name}' first word should be unsigned (count)");
        }

        WriteHandlerCall? call = byteCount ? _byteCall : _countCall;
        if (rest.Trim().Length > 0 && (call = WriteHandlerCall.Resolve(rest, this, errors)) is null)
        {
            return false;
        }

        if (byteCount)
        {
            (_byteTrigger, _byteCall, _byteTriggered) = (n, call, false);
        }
        else
        {
            (_countTrigger, _countCall, _countTriggered) = (n, call, false);
        }

        Rearm();
        return true;
    }
}

/// <summary>
/// AverageCounter(IGNORE): counts packets and bytes; rate and byte_rate are the strict average between the first and
/// the latest packet, in one-millisecond jiffies as Click measures them (at least one jiffy), printed as a double.
/// IGNORE (unsigned seconds, default 0) leaves out packets in the first IGNORE seconds. Handlers count, byte_count, rate,
/// byte_rate, reset.
/// </summary>
internal sealed class AverageCounter : Element
{
    private ulong _count;
    private ulong _byteCount;
    private uint _first;
    private uint _last;
    private uint _ignoreJiffies;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        uint seconds = args.Read("IGNORE", ArgFlags.Positional, ClickValues.UInt32, 0u);
        _ignoreJiffies = unchecked(seconds * 1000);
        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        uint now = (uint)(Router.Master.NowNanoseconds / 1_000_000);
        if (_first == 0)
        {
            _first = now;
        }

        if (now - _first >= _ignoreJiffies)
        {
            _count++;
            _byteCount += (uint)p.Length;
        }

        _last = now;
        return p;
    }

    private string Rate(ulong count)
    {
        uint d = _last - _first - _ignoreJiffies;
        if (d < 1)
        {
            d = 1;
        }

        // Click prints the double with "%.12g".
        return (count * 1000.0 / d).ToString("G12", CultureInfo.InvariantCulture) + "\n";
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num((long)_count));
        handlers.AddRead("byte_count", () => Num((long)_byteCount));
        handlers.AddRead("rate", () => Rate(_count));
        handlers.AddRead("byte_rate", () => Rate(_byteCount));
        handlers.AddWrite("reset", (_, _) =>
        {
            _count = _byteCount = 0;
            _first = _last = 0;
            return true;
        });
    }
}
