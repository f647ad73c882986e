using System.Text;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>
/// The state of one ARP table (Click's ARPTable): entries by IP address in age order, each with the packets waiting for
/// its answer, bounded by CAPACITY (waiting packets), ENTRY_CAPACITY (entries), ENTRY_PACKET_CAPACITY (packets per
/// entry) and TIMEOUT (entry life). ARPQuerier keeps one of its own unless TABLE names an <see cref="ArpTable"/>.
/// </summary>
internal sealed class ArpTableState
{
    private const long PollIntervalNs = 100_000_000; // at most 10 queries a second per address
    private const long JiffyNs = 1_000_000; // Click's userlevel jiffy (CLICK_HZ 1000)

    private Dictionary<uint, Entry> _table = [];
    private LinkedList<Entry> _age = new();
    private int _capacity = 2048;
    private int _entryCapacity;
    private int _entryPacketCapacity;
    private int _slimFactor = 2;
    private long _timeoutNs = 300_000_000_000;
    private int _packetCount;

    /// <summary>The keywords that configure a table (ARPTable's, and ARPQuerier's without TABLE).</summary>
    public static readonly string[] Keywords = ["CAPACITY", "ENTRY_CAPACITY", "ENTRY_PACKET_CAPACITY", "CAPACITY_SLIM_FACTOR", "TIMEOUT"];

    /// <summary>Packets dropped for timeouts, capacity limits and clears.</summary>
    public long Drops { get; private set; }

    /// <summary>One entry, with the packets waiting for it.</summary>
    public sealed class Entry(uint ip)
    {
        public readonly uint Ip = ip;
        public readonly byte[] Mac = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        public readonly Queue<Packet> Waiting = new();
        public bool Known;
        public long LiveAt;
        public long PolledAt;
        public LinkedListNode<Entry>? Node;
    }

    /// <summary>Reads the table keywords (<see cref="Keywords"/>).</summary>
    public void Configure(Args args, ElementErrors errors)
    {
        _capacity = args.Read("CAPACITY", ArgFlags.None, NonNegative, 2048);
        _entryCapacity = args.Read("ENTRY_CAPACITY", ArgFlags.None, NonNegative, 0);
        _entryPacketCapacity = args.Read("ENTRY_PACKET_CAPACITY", ArgFlags.None, NonNegative, 0);
        _slimFactor = args.Read("CAPACITY_SLIM_FACTOR", ArgFlags.None, NonNegative, 2);
        _timeoutNs = Math.Max(0, args.Read("TIMEOUT", ArgFlags.None, CV.TimeNanoseconds, 300_000_000_000L));
        if (_slimFactor == 0)
        {
            errors.Error("CAPACITY_SLIM_FACTOR cannot be zero");
        }
    }

    private bool Expired(Entry ae, long now) => _timeoutNs > 0 && ae.LiveAt + _timeoutNs < now;

    /// <summary>The known, unexpired entry for <paramref name="ip"/>, or null.</summary>
    public Entry? Lookup(uint ip, long now) =>
        _table.TryGetValue(ip, out Entry? ae) && ae.Known && !Expired(ae, now) ? ae : null;

    /// <summary>The entry for <paramref name="ip"/>, made (youngest in age order) when missing.</summary>
    private Entry Ensure(uint ip, long now)
    {
        if (!_table.TryGetValue(ip, out Entry? ae))
        {
            ae = new Entry(ip) { LiveAt = now, PolledAt = now - 1_000_000_000 };
            _table.Add(ip, ae);
            ae.Node = _age.AddLast(ae);
            if (_entryCapacity > 0 && _table.Count > _entryCapacity)
            {
                Slim(now);
            }
        }

        return ae;
    }

    /// <summary>Queues <paramref name="p"/> for <paramref name="dst"/> (or drops it past ENTRY_PACKET_CAPACITY); returns whether a query should go out now.</summary>
    public bool AppendQuery(uint dst, Packet p, long now)
    {
        Slim(now);
        Entry ae = Ensure(dst, now);

        // While packets still go to this address, keep the entry just short of expiring (in age order too).
        if (_timeoutNs > 0 && ae.LiveAt < now - _timeoutNs)
        {
            ae.LiveAt = now - _timeoutNs;
            LinkedListNode<Entry>? next = ae.Node!.Next;
            while (next is not null && next.Value.LiveAt < ae.LiveAt)
            {
                next = next.Next;
            }

            if (next != ae.Node.Next)
            {
                _age.Remove(ae.Node);
                ae.Node = next is null ? _age.AddLast(ae) : _age.AddBefore(next, ae);
            }
        }

        if (_entryPacketCapacity > 0 && ae.Waiting.Count >= _entryPacketCapacity)
        {
            Drops++;
            p.Kill();
            return false;
        }

        _packetCount++;
        if (_capacity > 0 && _packetCount > _capacity)
        {
            Slim(now);
        }

        ae.Waiting.Enqueue(p);
        if (now >= ae.PolledAt + PollIntervalNs)
        {
            ae.PolledAt = now;
            return true;
        }

        return false;
    }

    /// <summary>Drops expired entries and, past ENTRY_CAPACITY, the oldest; past CAPACITY, the oldest waiting packets.</summary>
    public void Slim(long now)
    {
        while (_age.First is { } first && (Expired(first.Value, now) || (_entryCapacity > 0 && _table.Count > _entryCapacity)))
        {
            Entry ae = first.Value;
            _age.RemoveFirst();
            _table.Remove(ae.Ip);
            DropWaiting(ae, int.MaxValue);
        }

        if (_capacity > 0 && _packetCount > _capacity)
        {
            int slimTo = Math.Max(1, _capacity - (_capacity / _slimFactor));
            for (LinkedListNode<Entry>? n = _age.First; n is not null && _packetCount > slimTo; n = n.Next)
            {
                DropWaiting(n.Value, _packetCount - slimTo);
            }
        }
    }

    private void DropWaiting(Entry ae, int most)
    {
        while (most-- > 0 && ae.Waiting.TryDequeue(out Packet? p))
        {
            p.Kill();
            _packetCount--;
            Drops++;
        }
    }

    /// <summary>
    /// Records <paramref name="ip"/> at <paramref name="mac"/> (FF-FF-FF-FF-FF-FF records it as unknown), making the
    /// entry youngest; with <paramref name="release"/>, hands back its waiting packets in arrival order.
    /// </summary>
    public Queue<Packet>? Insert(uint ip, ReadOnlySpan<byte> mac, long now, bool release)
    {
        Entry ae = Ensure(ip, now);
        mac.CopyTo(ae.Mac);
        ae.Known = mac.IndexOfAnyExcept((byte)0xFF) >= 0;
        ae.LiveAt = now;
        ae.PolledAt = now - 1_000_000_000;
        if (ae.Node!.Next is not null)
        {
            _age.Remove(ae.Node);
            ae.Node = _age.AddLast(ae);
        }

        if (!release || ae.Waiting.Count == 0)
        {
            return null;
        }

        var packets = new Queue<Packet>(ae.Waiting);
        _packetCount -= ae.Waiting.Count;
        ae.Waiting.Clear();
        return packets;
    }

    /// <summary>Deletes every entry; their waiting packets are dropped (and counted).</summary>
    public void Clear()
    {
        foreach (Entry ae in _age)
        {
            DropWaiting(ae, int.MaxValue);
        }

        _table.Clear();
        _age.Clear();
        _packetCount = 0;
    }

    /// <summary>Entries after slimming.</summary>
    public int Count(long now)
    {
        Slim(now);
        return _table.Count;
    }

    /// <summary>Waiting packets after slimming.</summary>
    public int Length(long now)
    {
        Slim(now);
        return _packetCount;
    }

    /// <summary>The <c>table</c> handler: <c>IP VALID ETH AGE</c> per entry, oldest first (age in whole jiffies).</summary>
    public string Text(long now)
    {
        Slim(now);
        var sb = new StringBuilder();
        foreach (Entry ae in _age)
        {
            long age = (now - ae.LiveAt) / JiffyNs * JiffyNs;
            sb.Append(CV.FormatIP(ae.Ip)).Append(' ').Append(ae.Known && !Expired(ae, now) ? '1' : '0').Append(' ')
              .Append(CV.FormatEthernet(ae.Mac)).Append(' ').Append(CV.FormatTimestamp(age)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The <c>insert</c> handler: <c>IP ETH</c>.</summary>
    public bool WriteInsert(string value, AddressTable addresses, long now, ElementErrors errors)
    {
        var args = new Args(ClickConfigText.SpaceVec(ClickConfigText.Uncomment(value)), errors);
        uint ip = args.Read("IP", ArgFlags.MandatoryPositional, addresses.IP, 0u);
        ulong eth = args.Read("ETH", ArgFlags.MandatoryPositional, addresses.Ethernet, 0UL);
        if (!args.Complete())
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[6];
        CV.WriteEthernet(eth, mac);
        Insert(ip, mac, now, release: false);
        return true;
    }

    /// <summary>The <c>delete</c> handler: <c>IP</c>. As Click: the entry stays, marked unknown (FF-FF-FF-FF-FF-FF).</summary>
    public bool WriteDelete(string value, AddressTable addresses, long now, ElementErrors errors)
    {
        var args = new Args(ClickConfigText.SpaceVec(ClickConfigText.Uncomment(value)), errors);
        uint ip = args.Read("IP", ArgFlags.MandatoryPositional, addresses.IP, 0u);
        if (!args.Complete())
        {
            return false;
        }

        Insert(ip, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], now, release: false);
        return true;
    }

    /// <summary>A copy for one tenant: same limits, its own entries and waiting packets (copied into the tenant's pool).</summary>
    public ArpTableState CloneForTenant(TenantCloner cloner)
    {
        var copy = (ArpTableState)MemberwiseClone();
        copy._table = [];
        copy._age = new LinkedList<Entry>();
        foreach (Entry old in _age)
        {
            var ae = new Entry(old.Ip) { Known = old.Known, LiveAt = old.LiveAt, PolledAt = old.PolledAt };
            old.Mac.CopyTo(ae.Mac);
            foreach (Packet p in old.Waiting)
            {
                ae.Waiting.Enqueue(cloner.Map(p)!);
            }

            ae.Node = copy._age.AddLast(ae);
            copy._table.Add(ae.Ip, ae);
        }

        return copy;
    }
}

/// <summary>
/// ARPTable(CAPACITY, ENTRY_CAPACITY, ENTRY_PACKET_CAPACITY, CAPACITY_SLIM_FACTOR, TIMEOUT): an ARP table with no ports
/// that ARPQuerier elements share through their TABLE keyword (limits as ARPQuerier documents them). Handlers table,
/// drops, count, length, insert (<c>IP ETH</c>), delete (<c>IP</c>), clear. Each tenant has its own copy.
/// </summary>
internal sealed class ArpTable : Element
{
    /// <summary>The table (replaced by a tenant's own copy in a tenant's router).</summary>
    public ArpTableState State { get; private set; } = new();

    public override string PortCount => "0/0";

    public override bool Configure(Args args, ElementErrors errors)
    {
        State.Configure(args, errors);
        return args.Complete();
    }

    private long Now => Router.Master.NowNanoseconds;

    internal override void RebindForTenant(TenantCloner cloner) => State = State.CloneForTenant(cloner);

    public override void Cleanup() => State.Clear();

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("table", () => State.Text(Now));
        handlers.AddRead("drops", () => Num(State.Drops));
        handlers.AddRead("count", () => Num(State.Count(Now)));
        handlers.AddRead("length", () => Num(State.Length(Now)));
        handlers.AddWrite("insert", (value, errors) => State.WriteInsert(value, Router.Addresses, Now, errors));
        handlers.AddWrite("delete", (value, errors) => State.WriteDelete(value, Router.Addresses, Now, errors));
        handlers.AddWrite("clear", (_, _) =>
        {
            State.Clear();
            return true;
        });
    }
}
