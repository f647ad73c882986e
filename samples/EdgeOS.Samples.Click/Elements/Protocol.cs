using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EdgeOS.Net.Packets;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>
/// ARPResponder(IP/MASK... ETH, ...): answers ARP requests for the listed addresses with the matching Ethernet
/// address (the reply reuses the request's buffer); other packets go to output 1 or are dropped. The table is kept as
/// Click keeps it: an entry comes before every entry whose prefix contains it, so the first match is the most specific;
/// a repeated prefix keeps the later Ethernet address. Handlers <c>table</c> (r), <c>add</c> and <c>remove</c> (w).
/// Click's <c>lookup</c> is a read handler with a parameter, which our handler model does not have.
/// </summary>
internal sealed class ArpResponder : Element
{
    private List<(uint Address, uint Mask, byte[] Mac)> _entries = [];

    public override string PortCount => "1/1-2";

    public override string Processing => "a/ah";

    public override bool Configure(Args args, ElementErrors errors)
    {
        List<string> arguments = args.TakeRemainingPositional();
        var parsed = new List<(uint, uint, byte[])>();
        for (int i = 0; i < arguments.Count; i++)
        {
            if (ParseEntry(arguments[i], parsed, out string? problem) is false)
            {
                errors.Error(string.Create(CultureInfo.InvariantCulture, $"argument {i}: {problem}"));
            }
        }

        if (!errors.HasErrors)
        {
            var table = new List<(uint Address, uint Mask, byte[] Mac)>();
            foreach (var e in parsed)
            {
                if (!Insert(table, e))
                {
                    errors.Warning($"multiple entries for {RouteText.Prefix(e.Item1, e.Item2)}");
                }
            }

            _entries = table;
        }

        return args.Complete();
    }

    /// <summary>
    /// Parses one <c>IP/MASK [IP/MASK...] ETH</c> argument into <paramref name="into"/> (nothing is added on error),
    /// with Click's messages for the problems.
    /// </summary>
    private bool ParseEntry(string arg, List<(uint, uint, byte[])> into, out string? problem)
    {
        problem = null;
        var prefixes = new List<(uint, uint)>();
        ulong? mac = null;
        List<string> words = ClickConfigText.SpaceVec(arg);
        foreach (string word in words)
        {
            // A name for both an address and a network means the address (Click's AddressInfo note).
            if (Router.Addresses.TryIP(word, out uint exact))
            {
                prefixes.Add((exact, uint.MaxValue));
            }
            else if (Router.Addresses.TryPrefix(word, out uint a, out uint m))
            {
                prefixes.Add((a & m, m));
            }
            else if (Router.Addresses.TryEthernet(word, out ulong eth))
            {
                if (mac is not null)
                {
                    problem = "more than one ETH";
                    return false;
                }

                mac = eth;
            }
            else
            {
                problem = "expected IP/MASK ETH";
                return false;
            }
        }

        // A name can stand for both an address and an Ethernet address (AddressInfo): then it gives the ETH too.
        for (int i = 0; mac is null && i < words.Count; i++)
        {
            if (Router.Addresses.TryEthernet(words[i], out ulong eth))
            {
                mac = eth;
            }
        }

        if (prefixes.Count == 0)
        {
            problem = "missing IP/MASK";
            return false;
        }

        if (mac is null)
        {
            problem = "missing ETH";
            return false;
        }

        byte[] bytes = new byte[6];
        CV.WriteEthernet(mac.Value, bytes);
        foreach ((uint a, uint m) in prefixes)
        {
            into.Add((a, m, bytes));
        }

        return true;
    }

    /// <summary>
    /// Puts <paramref name="entry"/> before the first entry whose prefix strictly contains it (or last); an entry for
    /// the same prefix is replaced in place. Returns false when it replaced one.
    /// </summary>
    private static bool Insert(List<(uint Address, uint Mask, byte[] Mac)> table, (uint Address, uint Mask, byte[] Mac) entry)
    {
        for (int i = 0; i < table.Count; i++)
        {
            var t = table[i];
            if (t.Address == entry.Address && t.Mask == entry.Mask)
            {
                table[i] = entry;
                return false;
            }

            if ((entry.Address & t.Mask) == t.Address && (entry.Mask & t.Mask) == t.Mask)
            {
                table.Insert(i, entry);
                return true;
            }
        }

        table.Add(entry);
        return true;
    }

    public override Packet? SimpleAction(Packet p)
    {
        Span<byte> d = p.Data;
        if (d.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(d[12..]) == 0x0806
            && BinaryPrimitives.ReadUInt16BigEndian(d[14..]) == 1 && BinaryPrimitives.ReadUInt16BigEndian(d[16..]) == 0x0800
            && d[18] == 6 && d[19] == 4 && BinaryPrimitives.ReadUInt16BigEndian(d[20..]) == 1)
        {
            uint target = BinaryPrimitives.ReadUInt32BigEndian(d[38..]);
            byte[]? mac = Lookup(target);
            if (mac is not null)
            {
                // Reply in place: to the asker, from us; sender and target swap.
                Span<byte> askerMac = stackalloc byte[6];
                d.Slice(22, 6).CopyTo(askerMac);
                uint askerIp = BinaryPrimitives.ReadUInt32BigEndian(d[28..]);
                askerMac.CopyTo(d);
                mac.CopyTo(d[6..]);
                BinaryPrimitives.WriteUInt16BigEndian(d[20..], 2);
                mac.CopyTo(d[22..]);
                BinaryPrimitives.WriteUInt32BigEndian(d[28..], target);
                askerMac.CopyTo(d[32..]);
                BinaryPrimitives.WriteUInt32BigEndian(d[38..], askerIp);
                if (p.Length > 42)
                {
                    p.Take(p.Length - 42);
                }

                return p;
            }
        }

        CheckedOutputPush(1, p);
        return null;
    }

    public override void Push(int port, Packet p)
    {
        Packet? q = SimpleAction(p);
        if (q is not null)
        {
            PushOutput0(q);
        }
    }

    private byte[]? Lookup(uint ip)
    {
        foreach (var e in _entries)
        {
            if ((ip & e.Mask) == e.Address)
            {
                return e.Mac;
            }
        }

        return null;
    }

    internal override void RebindForTenant(TenantCloner cloner) => _entries = [.. _entries];

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("table", () =>
        {
            var sb = new StringBuilder();
            foreach (var e in _entries)
            {
                sb.Append(RouteText.Prefix(e.Address, e.Mask)).Append(' ').Append(CV.FormatEthernet(e.Mac)).Append('\n');
            }

            return sb.ToString();
        });
        handlers.AddWrite("add", (value, errors) =>
        {
            var parsed = new List<(uint, uint, byte[])>();
            if (!ParseEntry(value, parsed, out string? problem))
            {
                return errors.Error(problem!);
            }

            // Built aside and swapped in, so a packet never sees half an update.
            var table = new List<(uint Address, uint Mask, byte[] Mac)>(_entries);
            foreach (var e in parsed)
            {
                Insert(table, e);
            }

            _entries = table;
            return true;
        });
        handlers.AddWrite("remove", (value, errors) =>
        {
            if (!Router.Addresses.TryPrefix(ClickConfigText.Uncomment(value), out uint a, out uint m))
            {
                return errors.Error("expected IP/MASK");
            }

            a &= m;
            int i = _entries.FindIndex(e => e.Address == a && e.Mask == m);
            if (i < 0)
            {
                return errors.Error($"{RouteText.Prefix(a, m)} not found");
            }

            var table = new List<(uint Address, uint Mask, byte[] Mac)>(_entries);
            table.RemoveAt(i);
            _entries = table;
            return true;
        });
    }
}

/// <summary>
/// ARPQuerier(IP, ETH, keywords) or ARPQuerier(NAME, keywords): input 0 takes IP packets (destination annotation),
/// input 1 ARP replies. Known destinations get an Ethernet header; 255.255.255.255 and the BROADCAST address go to
/// FF-FF-FF-FF-FF-FF, multicast to 01-00-5E plus the low 23 address bits, 0.0.0.0 is dropped; other packets wait in
/// the ARP table (in arrival order) while queries go out, at most one per address every 100 ms. The table is Click's
/// ARPTable: CAPACITY bounds the waiting packets (2048; 0 = no limit; past it the oldest entries' packets are dropped
/// down to CAPACITY - CAPACITY/CAPACITY_SLIM_FACTOR), ENTRY_CAPACITY the entries (0 = no limit; the oldest go first),
/// ENTRY_PACKET_CAPACITY the packets per entry (0 = no limit), TIMEOUT the life of an entry (300 s; 0 = forever).
/// POLL_TIMEOUT (60 s; 0 = never) is the age after which a use of a known entry also sends a renewal query, unicast to
/// the known address unless BROADCAST_POLL is true. Expired entries are removed when the table is next slimmed, read
/// or missed (Click does it from a timer; the handlers show the same table). TABLE names an ARPTable element whose table
/// the querier uses instead of its own (shared by every querier naming it; per tenant in multi-tenant mode); with TABLE
/// the table keywords above belong to the ARPTable and are refused here (Click parses and ignores them). Handlers table, stats, queries, responses, drops, count, length, ipaddr (rw), broadcast (rw),
/// insert, delete, clear.
/// </summary>
internal sealed class ArpQuerier : Element
{
    private const long PollIntervalNs = 100_000_000; // Click: at most 10 queries a second per address

    private uint _ip;
    private uint _broadcast;
    private readonly byte[] _mac = new byte[6];
    private long _pollTimeoutNs = 60_000_000_000;
    private bool _broadcastPoll;
    private bool _zeroWarned;

    private ArpTableState _own = new();
    private ArpTable? _shared;
    private long _queries;
    private long _responses;
    private long _drops;

    /// <summary>The table in use: the TABLE element's (per tenant: the tenant's copy of it) or this querier's own.</summary>
    private ArpTableState Table => _shared is null ? _own : _shared.State;

    public override string PortCount => "2/1-2";

    public override string Processing => PushCode;

    public override string FlowCode => "xy/x";

    public override bool Configure(Args args, ElementErrors errors)
    {
        if (args.TryTake("TABLE", ArgFlags.None, out string tableName))
        {
            string name = ClickConfigText.TryParseString(tableName, out string unquoted) ? unquoted : tableName;
            Element? found = Router.FindRelative(name, this);
            if (found is null)
            {
                errors.Error($"TABLE: no element named '{name}'");
            }
            else if (found is not ArpTable table)
            {
                errors.Error($"TABLE: type mismatch: '{found.Name}' is not an ARPTable");
            }
            else
            {
                _shared = table;

                // Click parses the table keywords and drops them when TABLE is given; here they are refused instead.
                foreach (string keyword in ArpTableState.Keywords)
                {
                    if (args.TryTake(keyword, ArgFlags.None, out _))
                    {
                        errors.Error($"{keyword}: not allowed with TABLE (set it on the ARPTable)");
                    }
                }
            }
        }

        if (_shared is null)
        {
            _own.Configure(args, errors);
        }

        _pollTimeoutNs = Math.Max(0, args.Read("POLL_TIMEOUT", ArgFlags.None, CV.TimeNanoseconds, 60_000_000_000L));
        _broadcastPoll = args.Read("BROADCAST_POLL", ArgFlags.None, CV.Bool, false);
        bool haveBroadcast = args.TryRead("BROADCAST", ArgFlags.None, Router.Addresses.IP, out uint broadcast);
        // The one-argument form: NAME stands for both the IP address (or prefix) and the Ethernet address, read as if
        // it were written twice.
        Args positional = args;
        if (args.RemainingPositional == 1)
        {
            string name = args.TakeRemainingPositional()[0];
            positional = new Args([name, name], errors);
        }

        (uint ip, uint mask) = positional.Read("IP", ArgFlags.MandatoryPositional, AddressAndPrefix, (0u, 0u));
        ulong eth = positional.Read("ETH", ArgFlags.MandatoryPositional, Router.Addresses.Ethernet, 0UL);
        _ip = ip;
        CV.WriteEthernet(eth, _mac);
        _broadcast = haveBroadcast ? broadcast : ip | ~mask;
        if (!haveBroadcast && _broadcast == _ip)
        {
            _broadcast = uint.MaxValue;
        }

        return args.Complete();
    }

    private long Now => Router.Master.NowNanoseconds;

    /// <summary>
    /// The IP argument: an address or an address with a prefix length (the prefix gives the default broadcast address); a
    /// name that AddressInfo gives both an address and a network reads as that address with the network's mask.
    /// </summary>
    private ArgParser<(uint Address, uint Mask)> AddressAndPrefix => (string text, out (uint Address, uint Mask) value, out string expected) =>
    {
        expected = "IP address prefix";
        bool ok = Router.Addresses.TryPrefix(text, out uint a, out uint m);
        if (ok && Router.Addresses.TryIP(text, out uint exact))
        {
            a = exact;
        }

        value = (a, m);
        return ok;
    };

    public override void Push(int port, Packet p)
    {
        if (port == 0)
        {
            HandleIP(p);
        }
        else
        {
            HandleResponse(p);
            p.Kill();
        }
    }

    private void HandleIP(Packet p)
    {
        if (_ip == 0)
        {
            _drops++;
            p.Kill();
            return;
        }

        uint dst = p.DestinationIPAnnotation;
        ArpTableState table = Table;
        if (table.Lookup(dst, Now) is ArpTableState.Entry ae)
        {
            long now = Now;
            bool poll = _pollTimeoutNs > 0 && now >= ae.LiveAt + _pollTimeoutNs && now >= ae.PolledAt + PollIntervalNs;
            if (poll)
            {
                ae.PolledAt = now;
                SendQuery(dst, _broadcastPoll ? null : ae.Mac);
            }

            Send(p, ae.Mac);
            return;
        }

        if (dst == uint.MaxValue || dst == _broadcast)
        {
            Send(p, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        else if ((dst >> 28) == 0xE)
        {
            Send(p, [0x01, 0x00, 0x5E, (byte)((dst >> 16) & 0x7F), (byte)(dst >> 8), (byte)dst]);
        }
        else if (dst == 0)
        {
            if (!_zeroWarned)
            {
                _zeroWarned = true;
                Router.Master.Chatter.Write($"{Declaration}: would query for 0.0.0.0; missing dest IP addr annotation?\n");
            }

            _drops++;
            p.Kill();
        }
        else
        {
            if (table.AppendQuery(dst, p, Now))
            {
                SendQuery(dst, null);
            }
        }
    }

    private void Send(Packet p, ReadOnlySpan<byte> dstMac)
    {
        p.Push(14);
        Span<byte> d = p.Data;
        dstMac.CopyTo(d);
        _mac.CopyTo(d[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(d[12..], 0x0800);
        PushOutput0(p);
    }

    /// <summary>Sends a query for <paramref name="dst"/>: broadcast, or to <paramref name="unicast"/> (a renewal poll).</summary>
    private void SendQuery(uint dst, byte[]? unicast)
    {
        _queries++;
        Packet q = Router.Pool.Allocate(42);
        Span<byte> d = q.Data;
        if (unicast is null)
        {
            d[..6].Fill(0xFF);
        }
        else
        {
            unicast.CopyTo(d);
        }

        _mac.CopyTo(d[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(d[12..], 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(d[14..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(d[16..], 0x0800);
        d[18] = 6;
        d[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(d[20..], 1);
        _mac.CopyTo(d[22..]);
        BinaryPrimitives.WriteUInt32BigEndian(d[28..], _ip);
        d.Slice(32, 6).Clear();
        BinaryPrimitives.WriteUInt32BigEndian(d[38..], dst);
        Outputs[^1].Push(q);
    }

    private void HandleResponse(Packet p)
    {
        Span<byte> d = p.Data;
        if (d.Length < 42)
        {
            return;
        }

        _responses++;
        if (BinaryPrimitives.ReadUInt16BigEndian(d[12..]) == 0x0806 && BinaryPrimitives.ReadUInt16BigEndian(d[14..]) == 1
            && BinaryPrimitives.ReadUInt16BigEndian(d[16..]) == 0x0800 && BinaryPrimitives.ReadUInt16BigEndian(d[20..]) == 2
            && (d[22] & 1) == 0)
        {
            Queue<Packet>? released = Table.Insert(BinaryPrimitives.ReadUInt32BigEndian(d[28..]), d.Slice(22, 6), Now, release: true);
            while (released is not null && released.TryDequeue(out Packet? waiting))
            {
                HandleIP(waiting);
            }
        }
    }

    internal override void RebindForTenant(TenantCloner cloner)
    {
        _own = _own.CloneForTenant(cloner);
        _shared = _shared is null ? null : (ArpTable)cloner.Map(_shared);
    }

    public override void Cleanup()
    {
        if (_shared is null)
        {
            _own.Clear();
        }
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("table", () => Table.Text(Now));
        handlers.AddRead("stats", () => string.Create(
            CultureInfo.InvariantCulture, $"{_drops + Table.Drops} packets killed\n{_queries} ARP queries sent\n"));
        handlers.AddRead("count", () => Num(Table.Count(Now)));
        handlers.AddRead("length", () => Num(Table.Length(Now)));
        handlers.AddRead("queries", () => Num(_queries));
        handlers.AddRead("responses", () => Num(_responses));
        handlers.AddRead("drops", () => Num(_drops));
        handlers.AddRead("ipaddr", () => CV.FormatIP(_ip) + "\n");
        handlers.AddWrite("ipaddr", Writer(Router.Addresses.IP, v => _ip = v));
        handlers.AddRead("broadcast", () => CV.FormatIP(_broadcast) + "\n");
        handlers.AddWrite("broadcast", Writer(Router.Addresses.IP, v => _broadcast = v));
        handlers.AddWrite("insert", (value, errors) => Table.WriteInsert(value, Router.Addresses, Now, errors));
        handlers.AddWrite("delete", (value, errors) => Table.WriteDelete(value, Router.Addresses, Now, errors));
        handlers.AddWrite("clear", (_, _) =>
        {
            _queries = _drops = _responses = 0;
            Table.Clear();
            return true;
        });
    }
}

/// <summary>ICMPPingResponder: turns ICMP echo requests into echo replies in place (addresses swapped, TTL 255); other packets go to output 1 or are dropped.</summary>
internal sealed class IcmpPingResponder : Element
{
    public override string PortCount => "1/1-2";

    public override string Processing => "a/ah";

    public override Packet? SimpleAction(Packet p)
    {
        Span<byte> ip = p.NetworkHeader;
        if (ip.Length >= 28 && ip[9] == 1)
        {
            int hl = (ip[0] & 0xF) * 4;
            int len = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(ip[2..]), ip.Length);
            if (len >= hl + 8 && ip[hl] == 8 && (BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3FFF) == 0)
            {
                uint src = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]);
                uint dst = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
                BinaryPrimitives.WriteUInt32BigEndian(ip[12..], dst);
                BinaryPrimitives.WriteUInt32BigEndian(ip[16..], src);
                ip[8] = 255;
                IPHeader.UpdateChecksum(ip);
                Span<byte> icmp = ip[hl..len];
                icmp[0] = 0;
                icmp[2] = 0;
                icmp[3] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
                p.DestinationIPAnnotation = src;
                return p;
            }
        }

        CheckedOutputPush(1, p);
        return null;
    }

    public override void Push(int port, Packet p)
    {
        Packet? q = SimpleAction(p);
        if (q is not null)
        {
            PushOutput0(q);
        }
    }
}
