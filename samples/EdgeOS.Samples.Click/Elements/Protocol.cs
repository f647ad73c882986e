using System.Buffers.Binary;
using System.Text;
using EdgeOS.Net.Packets;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>
/// ARPResponder(IP/MASK... ETH, ...): answers ARP requests for the listed addresses with the matching Ethernet
/// address (the reply reuses the request's buffer); other packets go to output 1 or are dropped.
/// </summary>
internal sealed class ArpResponder : Element
{
    private readonly List<(uint Address, uint Mask, byte[] Mac)> _entries = [];

    public override string PortCount => "1/1-2";

    public override string Processing => "a/ah";

    public override bool Configure(Args args, ElementErrors errors)
    {
        foreach (string arg in args.TakeRemainingPositional())
        {
            var ips = new List<(uint, uint)>();
            ulong? mac = null;
            foreach (string word in ClickConfigText.SpaceVec(arg))
            {
                if (Router.Addresses.TryEthernet(word, out ulong m) && !word.Contains('.', StringComparison.Ordinal))
                {
                    if (mac is not null)
                    {
                        errors.Error($"argument '{arg}' has more than one Ethernet address");
                    }

                    mac = m;
                }
                else if (Router.Addresses.TryPrefix(word, out uint a, out uint mask))
                {
                    ips.Add((a, mask));
                }
                else
                {
                    errors.Error($"argument '{arg}' should be 'IP/MASK ETHADDR'");
                }
            }

            if (mac is null || ips.Count == 0)
            {
                errors.Error($"argument '{arg}' should be 'IP/MASK ETHADDR'");
                continue;
            }

            byte[] bytes = new byte[6];
            CV.WriteEthernet(mac.Value, bytes);
            foreach ((uint a, uint m) in ips)
            {
                _entries.Add((a & m, m, bytes));
            }
        }

        if (!errors.HasErrors && _entries.Count == 0)
        {
            errors.Error("no arguments");
        }

        return args.Complete();
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
            Outputs[0].Push(q);
        }
    }

    private byte[]? Lookup(uint ip)
    {
        byte[]? best = null;
        int bestLen = -1;
        foreach (var e in _entries)
        {
            int len = System.Numerics.BitOperations.PopCount(e.Mask);
            if ((ip & e.Mask) == e.Address && len > bestLen)
            {
                best = e.Mac;
                bestLen = len;
            }
        }

        return best;
    }

    public override void AddHandlers(HandlerTable handlers) => handlers.AddRead("table", () =>
    {
        var sb = new StringBuilder();
        foreach (var e in _entries)
        {
            sb.Append(CV.FormatIP(e.Address)).Append('/').Append(CV.FormatIP(e.Mask)).Append(' ').Append(CV.FormatEthernet(e.Mac)).Append('\n');
        }

        return sb.ToString();
    });
}

/// <summary>
/// ARPQuerier(IP, ETH): input 0 takes IP packets (destination annotation), input 1 ARP replies. Known
/// destinations get an Ethernet header; unknown ones are held (one packet per address) while an ARP query
/// goes out. Handlers table, queries, responses, drops.
/// </summary>
internal sealed class ArpQuerier : Element
{
    private uint _ip;
    private readonly byte[] _mac = new byte[6];
    private Dictionary<uint, byte[]> _table = [];
    private Dictionary<uint, Packet> _pending = [];
    private long _queries;
    private long _responses;
    private long _drops;

    public override string PortCount => "2/1-2";

    public override string Processing => PushCode;

    public override bool Configure(Args args, ElementErrors errors)
    {
        _ip = args.Read("IP", ArgFlags.MandatoryPositional, Router.Addresses.IP, 0u);
        CV.WriteEthernet(args.Read("ETH", ArgFlags.MandatoryPositional, Router.Addresses.Ethernet, 0UL), _mac);
        return args.Complete();
    }

    public override void Push(int port, Packet p)
    {
        if (port == 1)
        {
            Learn(p);
            return;
        }

        uint dst = p.DestinationIPAnnotation;
        if (_table.TryGetValue(dst, out byte[]? mac))
        {
            Encapsulate(p, mac);
            Outputs[0].Push(p);
            return;
        }

        if (_pending.Remove(dst, out Packet? old))
        {
            _drops++;
            old.Kill();
        }

        _pending[dst] = p;
        SendQuery(dst);
    }

    private void Encapsulate(Packet p, byte[] mac)
    {
        p.Push(14);
        Span<byte> d = p.Data;
        mac.CopyTo(d);
        _mac.CopyTo(d[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(d[12..], 0x0800);
    }

    private void SendQuery(uint dst)
    {
        _queries++;
        Packet q = Router.Pool.Allocate(42);
        Span<byte> d = q.Data;
        d[..6].Fill(0xFF);
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
        (NOutputs > 1 ? Outputs[1] : Outputs[0]).Push(q);
    }

    private void Learn(Packet p)
    {
        Span<byte> d = p.Data;
        if (d.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(d[12..]) == 0x0806 && BinaryPrimitives.ReadUInt16BigEndian(d[20..]) == 2)
        {
            _responses++;
            uint ip = BinaryPrimitives.ReadUInt32BigEndian(d[28..]);
            byte[] mac = d.Slice(22, 6).ToArray();
            _table[ip] = mac;
            if (_pending.Remove(ip, out Packet? waiting))
            {
                Encapsulate(waiting, mac);
                Outputs[0].Push(waiting);
            }
        }

        p.Kill();
    }

    internal override void RebindForTenant(TenantCloner cloner)
    {
        _table = _table.ToDictionary(kv => kv.Key, kv => (byte[])kv.Value.Clone());
        _pending = _pending.ToDictionary(kv => kv.Key, kv => cloner.Map(kv.Value)!);
    }

    public override void Cleanup()
    {
        foreach (Packet p in _pending.Values)
        {
            p.Kill();
        }

        _pending.Clear();
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("table", () => string.Concat(_table.Select(kv => $"{CV.FormatIP(kv.Key)} 1 {CV.FormatEthernet(kv.Value)}\n")));
        handlers.AddRead("queries", () => Num(_queries));
        handlers.AddRead("responses", () => Num(_responses));
        handlers.AddRead("drops", () => Num(_drops));
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
            Outputs[0].Push(q);
        }
    }
}
