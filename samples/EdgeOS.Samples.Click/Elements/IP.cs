using System.Buffers.Binary;
using System.Globalization;
using EdgeOS.Net.Packets;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>IP header helpers over packet bytes.</summary>
internal static class IPHeader
{
    /// <summary>Recomputes the IPv4 header checksum of <paramref name="ip"/> (header length from the IHL); a header that is shorter than 20 bytes or longer than the data is left alone.</summary>
    public static void UpdateChecksum(Span<byte> ip)
    {
        if (ip.Length < 20)
        {
            return;
        }

        int hl = (ip[0] & 0xF) * 4;
        if (hl < 20 || hl > ip.Length)
        {
            return;
        }

        ip[10] = 0;
        ip[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip[..hl]));
    }

    /// <summary>Sum of the pseudo header for a transport checksum.</summary>
    public static uint PseudoSum(ReadOnlySpan<byte> ip, byte protocol, int transportLength)
    {
        uint sum = 0;
        for (int i = 12; i < 20; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
        }

        return sum + protocol + (uint)transportLength;
    }
}

/// <summary>IPEncap(PROTO, SRC, DST; TOS, DSCP, ECT, CE, TTL, DF, IDENTIFIER): prepends a 20-byte IPv4 header.</summary>
internal sealed class IPEncap : Element
{
    private byte _proto;
    private uint _src;
    private uint _dst;
    private byte _tos;
    private byte _ttl = 250;
    private bool _df;
    private ushort _id;
    private bool _dstAnno;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        if (args.TryTake("PROTO", ArgFlags.MandatoryPositional, out string proto))
        {
            switch (proto.Trim())
            {
                case "tcp" or "TCP":
                    _proto = 6;
                    break;
                case "udp" or "UDP":
                    _proto = 17;
                    break;
                case "icmp" or "ICMP":
                    _proto = 1;
                    break;
                default:
                    if (!ByteValue(proto, out _proto, out _))
                    {
                        errors.Error("PROTO: expected IP protocol");
                    }

                    break;
            }
        }

        if (args.TryTake("SRC", ArgFlags.MandatoryPositional, out string src) && !Router.Addresses.TryIP(src, out _src))
        {
            errors.Error("SRC: parse error");
        }

        if (args.TryTake("DST", ArgFlags.MandatoryPositional, out string dst))
        {
            if (dst.Trim() == "DST_ANNO")
            {
                _dstAnno = true;
            }
            else if (!Router.Addresses.TryIP(dst, out _dst))
            {
                errors.Error("DST: parse error");
            }
        }

        _tos = args.Read("TOS", ArgFlags.None, ByteValue, (byte)0);
        if (args.TryRead("DSCP", ArgFlags.None, ByteValue, out byte dscp))
        {
            if (dscp > 63)
            {
                errors.Error("DSCP: expected integer between 0 and 63");
            }

            _tos = (byte)((_tos & 3) | (dscp << 2));
        }

        if (args.Read("ECT", ArgFlags.None, CV.Bool, false))
        {
            _tos = (byte)((_tos & 0xFC) | 2);
        }

        if (args.Read("CE", ArgFlags.None, CV.Bool, false))
        {
            _tos |= 3;
        }

        _ttl = args.Read("TTL", ArgFlags.None, ByteValue, (byte)250);
        _df = args.Read("DF", ArgFlags.None, CV.Bool, false);
        _id = args.Read("IDENTIFIER", ArgFlags.None, UInt16Value, (ushort)0);
        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        p.Push(20);
        Span<byte> ip = p.Data;
        ip[0] = 0x45;
        ip[1] = _tos;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], _id++);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], (ushort)(_df ? 0x4000 : 0));
        ip[8] = _ttl;
        ip[9] = _proto;
        uint dst = _dstAnno ? p.DestinationIPAnnotation : _dst;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], _src);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], dst);
        IPHeader.UpdateChecksum(ip);
        p.SetNetworkHeader(0, 20);
        p.DestinationIPAnnotation = dst;
        return p;
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("src", () => CV.FormatIP(_src) + "\n");
        handlers.AddWrite("src", Writer(Router.Addresses.IP, v => _src = v));
        handlers.AddRead("dst", () => CV.FormatIP(_dst) + "\n");
        handlers.AddWrite("dst", Writer(Router.Addresses.IP, v => _dst = v));
    }
}

/// <summary>UDPIPEncap(SRC, SPORT, DST, DPORT; CHECKSUM): prepends IPv4 and UDP headers (UDP checksum unless CHECKSUM false). Handlers src, sport, dst, dport (read and write).</summary>
internal sealed class UdpIPEncap : Element
{
    private uint _src;
    private uint _dst;
    private ushort _sport;
    private ushort _dport;
    private bool _checksum = true;
    private ushort _id;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _src = args.Read("SRC", ArgFlags.MandatoryPositional, Router.Addresses.IP, 0u);
        _sport = args.Read("SPORT", ArgFlags.MandatoryPositional, UInt16Value, (ushort)0);
        _dst = args.Read("DST", ArgFlags.MandatoryPositional, Router.Addresses.IP, 0u);
        _dport = args.Read("DPORT", ArgFlags.MandatoryPositional, UInt16Value, (ushort)0);
        _checksum = args.Read("CHECKSUM", ArgFlags.Positional, CV.Bool, true);
        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        p.Push(28);
        Span<byte> ip = p.Data;
        ip[0] = 0x45;
        ip[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], _id++);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0);
        ip[8] = 250;
        ip[9] = 17;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], _src);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], _dst);
        IPHeader.UpdateChecksum(ip);
        Span<byte> udp = ip[20..];
        int ulen = p.Length - 20;
        BinaryPrimitives.WriteUInt16BigEndian(udp, _sport);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], _dport);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)ulen);
        udp[6] = 0;
        udp[7] = 0;
        if (_checksum)
        {
            ushort sum = InternetChecksum.Compute(udp[..ulen], IPHeader.PseudoSum(ip, 17, ulen));
            BinaryPrimitives.WriteUInt16BigEndian(udp[6..], sum == 0 ? (ushort)0xFFFF : sum);
        }

        p.SetNetworkHeader(0, 20);
        p.DestinationIPAnnotation = _dst;
        return p;
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        // Click's UDPIPEncap handlers: src, sport, dst, dport, read and write.
        handlers.AddRead("src", () => CV.FormatIP(_src) + "\n");
        handlers.AddWrite("src", Writer(Router.Addresses.IP, v => _src = v));
        handlers.AddRead("sport", () => Num(_sport));
        handlers.AddWrite("sport", Writer(UInt16Value, v => _sport = v));
        handlers.AddRead("dst", () => CV.FormatIP(_dst) + "\n");
        handlers.AddWrite("dst", Writer(Router.Addresses.IP, v => _dst = v));
        handlers.AddRead("dport", () => Num(_dport));
        handlers.AddWrite("dport", Writer(UInt16Value, v => _dport = v));
    }
}

/// <summary>SetIPAddress(IPADDR): sets the destination IP annotation.</summary>
internal sealed class SetIPAddress : Element
{
    private uint _address;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _address = args.Read("IPADDR", ArgFlags.MandatoryPositional, Router.Addresses.IP, 0u);
        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        p.DestinationIPAnnotation = _address;
        return p;
    }
}

/// <summary>GetIPAddress(OFFSET): copies 4 bytes at OFFSET (or the IP header's <c>src</c>/<c>dst</c>) into the destination IP annotation.</summary>
internal sealed class GetIPAddress : Element
{
    private int _offset;
    private bool _fromHeader;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        if (args.TryTake("OFFSET", ArgFlags.MandatoryPositional, out string offset))
        {
            switch (offset.Trim())
            {
                case "src":
                    _fromHeader = true;
                    _offset = 12;
                    break;
                case "dst":
                    _fromHeader = true;
                    _offset = 16;
                    break;
                default:
                    if (!NonNegative(offset, out _offset, out _))
                    {
                        errors.Error("OFFSET: parse error");
                    }

                    break;
            }
        }

        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        ReadOnlySpan<byte> d = _fromHeader ? p.NetworkHeader : p.Data;
        if (d.Length >= _offset + 4)
        {
            p.DestinationIPAnnotation = BinaryPrimitives.ReadUInt32BigEndian(d[_offset..]);
        }

        return p;
    }
}

/// <summary>StoreIPAddress(IPADDR, OFFSET): writes IPADDR (or the destination annotation) at OFFSET, or into the IP header's <c>src</c>/<c>dst</c> with the checksum updated.</summary>
internal sealed class StoreIPAddress : Element
{
    private uint _address;
    private bool _useAnno = true;
    private int _offset;
    private bool _header;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        List<string> rest = args.TakeRemainingPositional();
        if (rest.Count == 2)
        {
            if (!Router.Addresses.TryIP(rest[0], out _address))
            {
                errors.Error("IPADDR: parse error");
            }

            _useAnno = false;
            rest.RemoveAt(0);
        }

        if (rest.Count != 1)
        {
            errors.Error(rest.Count == 0 ? "OFFSET: required argument missing" : "too many arguments");
        }
        else
        {
            switch (rest[0].Trim())
            {
                case "src":
                    _header = true;
                    _offset = 12;
                    break;
                case "dst":
                    _header = true;
                    _offset = 16;
                    break;
                default:
                    if (!NonNegative(rest[0], out _offset, out _))
                    {
                        errors.Error("OFFSET: parse error");
                    }

                    break;
            }
        }

        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        uint a = _useAnno ? p.DestinationIPAnnotation : _address;
        Span<byte> d = _header ? p.NetworkHeader : p.Data;
        if (d.Length >= _offset + 4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(d[_offset..], a);
            if (_header && d.Length >= 20)
            {
                IPHeader.UpdateChecksum(d);
            }
        }

        return p;
    }
}

/// <summary>SetIPDSCP(DSCP): sets the DSCP field of the IP header and fixes the checksum.</summary>
internal sealed class SetIPDscp : Element
{
    private byte _dscp;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _dscp = args.Read("DSCP", ArgFlags.MandatoryPositional, ByteValue, (byte)0);
        if (_dscp > 63)
        {
            errors.Error("diffserv code point out of range");
        }

        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        Span<byte> ip = p.NetworkHeader;
        if (ip.Length >= 20)
        {
            ip[1] = (byte)((_dscp << 2) | (ip[1] & 3));
            IPHeader.UpdateChecksum(ip);
        }

        return p;
    }
}

/// <summary>DecIPTTL: decrements the TTL (incremental checksum update); packets whose TTL would expire go to output 1 or are dropped. Handler drops.</summary>
internal sealed class DecIPTtl : Element
{
    private long _drops;

    public override string PortCount => "1/1-2";

    public override string Processing => "a/ah";

    public override bool Configure(Args args, ElementErrors errors)
    {
        if (args.TryRead("MULTICAST", ArgFlags.None, CV.Bool, out bool _))
        {
            // Multicast packets are decremented like the others (Click's default), so both values behave the same here.
        }

        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        Span<byte> ip = p.NetworkHeader;
        if (ip.Length < 20 || ip[8] <= 1)
        {
            _drops++;
            CheckedOutputPush(1, p);
            return null;
        }

        ip[8]--;

        // RFC 1624 incremental update: the TTL is the high byte of its 16-bit word, so HC' = ~(~HC + ~m + m').
        uint sum = (uint)(~BinaryPrimitives.ReadUInt16BigEndian(ip[10..]) & 0xFFFF) + 0xFEFF;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~sum);
        return p;
    }

    public override void Push(int port, Packet p)
    {
        Packet? q = SimpleAction(p);
        if (q is not null)
        {
            PushOutput0(q);
        }
    }

    public override void AddHandlers(HandlerTable handlers) => handlers.AddRead("drops", () => Num(_drops));
}

/// <summary>
/// CheckIPHeader(OFFSET; INTERFACES, BADSRC, GOODDST, CHECKSUM, VERBOSE, DETAILS): checks IPv4 headers (packet
/// length, version, header length, total length, checksum, then the source address), sets the IP header and
/// destination IP annotations, trims link padding to the IP length; bad packets go to output 1 or are dropped.
/// The source check runs only when INTERFACES, BADSRC or GOODDST is given: a packet whose source is in BADSRC is
/// bad unless its destination is in GOODDST. INTERFACES A/M ... gives BADSRC the prefixes' broadcast addresses,
/// 0.0.0.0 and 255.255.255.255, and GOODDST the addresses A (an explicit BADSRC or GOODDST replaces that half).
/// Click's older form CheckIPHeader(BADSRC2, OFFSET) is accepted: a positional address list (a lone integer is
/// OFFSET) that also counts 0.0.0.0 and 255.255.255.255 as bad. The first bad packet is reported on standard
/// error, every one with VERBOSE. Handlers drops, drop_details (with DETAILS: "count TAB reason" lines).
/// </summary>
internal sealed class CheckIPHeader : Element
{
    // Click's reason order and texts (checkipheader.cc); the drop_details lines follow this order.
    private static readonly string[] s_reasons =
    [
        "tiny packet", "bad IP version", "bad IP header length", "bad IP length", "bad IP checksum", "bad source address",
    ];

    private const int BadSourceReason = 5;

    private int _offset;
    private uint[] _badSources = [];
    private uint[] _goodDestinations = [];
    private bool _verbose;
    private bool _details;
    private bool _checksum = true;
    private long _drops;
    private long[] _reasonDrops = new long[6];

    public override string PortCount => "1/1-2";

    internal override void RebindForTenant(TenantCloner cloner) => _reasonDrops = (long[])_reasonDrops.Clone();

    public override string Processing => "a/ah";

    public long Drops => _drops;

    public override bool Configure(Args args, ElementErrors errors)
    {
        ArgParser<uint[]> addresses = AddressList;
        if (args.TryTake("INTERFACES", ArgFlags.None, out string interfaces))
        {
            ParseInterfaces(interfaces, errors);
        }

        if (args.TryRead("BADSRC", ArgFlags.None, addresses, out uint[] badsrc))
        {
            _badSources = badsrc;
        }

        if (args.TryRead("GOODDST", ArgFlags.None, addresses, out uint[] gooddst))
        {
            _goodDestinations = gooddst;
        }

        _offset = args.Read("OFFSET", ArgFlags.None, NonNegative, 0);
        _verbose = args.Read("VERBOSE", ArgFlags.None, CV.Bool, false);
        _details = args.Read("DETAILS", ArgFlags.None, CV.Bool, false);
        _checksum = args.Read("CHECKSUM", ArgFlags.None, CV.Bool, true);
        if (errors.HasErrors)
        {
            return false; // as Click, which stops after the keyword pass fails
        }

        // Positional arguments: a lone integer is OFFSET; anything else is the old (BADSRC2, OFFSET) form.
        List<string> positional = args.TakeRemainingPositional();
        if (positional.Count == 1 && NonNegative(positional[0], out int offset, out _))
        {
            _offset = offset;
        }
        else if (positional.Count > 0)
        {
            if (AddressList(positional[0], out uint[] old, out _))
            {
                _badSources = [.. old, 0, 0xFFFFFFFF];
            }
            else
            {
                errors.Error("BADSRC: parse error");
            }

            if (positional.Count > 1)
            {
                if (NonNegative(positional[1], out offset, out _))
                {
                    _offset = offset;
                }
                else
                {
                    errors.Error($"OFFSET: {CV.ArgumentError(NonNegative, positional[1])}");
                }
            }
        }

        bool complete = args.Complete();
        if (positional.Count > 2)
        {
            errors.Error("too many arguments");
            return false;
        }

        return complete;
    }

    private bool AddressList(string text, out uint[] value, out string expected)
    {
        expected = "list of IP addresses";
        var list = new List<uint>();
        foreach (string a in ClickConfigText.SpaceVec(text))
        {
            if (!Router.Addresses.TryIP(a, out uint ip))
            {
                value = [];
                return false;
            }

            list.Add(ip);
        }

        value = [.. list];
        return true;
    }

    private void ParseInterfaces(string text, ElementErrors errors)
    {
        var bad = new List<uint>();
        var good = new List<uint>();
        foreach (string a in ClickConfigText.SpaceVec(text))
        {
            if (!Router.Addresses.TryPrefix(a, out uint ip, out uint mask))
            {
                errors.Error("INTERFACES: parse error");
                return;
            }

            // The subnet's broadcast address is never a legal source; the interface's own address is a destination
            // that exempts a packet from the source check.
            bad.Add((ip & mask) | ~mask);
            good.Add(ip);
        }

        bad.Add(0);
        bad.Add(0xFFFFFFFF);
        _badSources = [.. bad];
        _goodDestinations = [.. good];
    }

    public override Packet? SimpleAction(Packet p)
    {
        int reason = Check(p);
        if (reason < 0)
        {
            return p;
        }

        Drop(reason, p);
        return null;
    }

    public override void Push(int port, Packet p)
    {
        int reason = Check(p);
        if (reason < 0)
        {
            PushOutput0(p);
        }
        else
        {
            Drop(reason, p);
        }
    }

    private int Check(Packet p)
    {
        Span<byte> d = p.Data;
        if (d.Length < _offset + 20)
        {
            return 0;
        }

        Span<byte> ip = d[_offset..];
        if (ip[0] >> 4 != 4)
        {
            return 1;
        }

        int hl = (ip[0] & 0xF) * 4;
        if (hl < 20)
        {
            return 2;
        }

        // A header longer than the packet fails here too (the total length is at least the header length).
        int len = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (len < hl || len > ip.Length)
        {
            return 3;
        }

        if (_checksum && !InternetChecksum.Verify(ip[..hl]))
        {
            return 4;
        }

        // Without INTERFACES, BADSRC or GOODDST the list is empty and this is one length test.
        if (_badSources.Length != 0 && IsBadSource(ip))
        {
            return BadSourceReason;
        }

        if (ip.Length > len)
        {
            p.Take(ip.Length - len);
        }

        p.SetNetworkHeader(_offset, hl);
        p.DestinationIPAnnotation = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        return -1;
    }

    private bool IsBadSource(ReadOnlySpan<byte> ip)
    {
        uint src = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]);
        if (Array.IndexOf(_badSources, src) < 0)
        {
            return false;
        }

        uint dst = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        return Array.IndexOf(_goodDestinations, dst) < 0;
    }

    private void Drop(int reason, Packet p)
    {
        if (_drops == 0 || _verbose)
        {
            Router.Master.Chatter.Write($"{Name}: IP header check failed: {s_reasons[reason]}\n");
        }

        _drops++;
        _reasonDrops[reason]++;
        CheckedOutputPush(1, p);
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("drops", () => Num(_drops));
        if (_details)
        {
            handlers.AddRead("drop_details", () => string.Concat(s_reasons.Select((r, i) => string.Create(CultureInfo.InvariantCulture, $"{_reasonDrops[i]}\t{r}\n"))));
        }
    }
}

/// <summary>MarkIPHeader(OFFSET): sets the IP header annotation at OFFSET (header length from the packet).</summary>
internal sealed class MarkIPHeader : Element
{
    private int _offset;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _offset = args.Read("OFFSET", ArgFlags.Positional, NonNegative, 0);
        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        Span<byte> d = p.Data;
        int hl = d.Length > _offset ? (d[_offset] & 0xF) * 4 : 20;
        p.SetNetworkHeader(_offset, hl);
        return p;
    }

    public override void Push(int port, Packet p) => PushOutput0(SimpleAction(p)!);
}

/// <summary>
/// CheckICMPHeader / CheckUDPHeader / CheckTCPHeader(VERBOSE, DETAILS): check the transport header after the IP header
/// annotation; bad packets to output 1 or dropped. Handlers drops, and with DETAILS true drop_details (counts for Click's
/// three reasons: not the protocol or not a first fragment, bad packet length, bad checksum).
/// </summary>
internal sealed class CheckTransportHeader(CheckTransportHeader.Kind kind) : Element
{
    public enum Kind
    {
        Icmp,
        Udp,
        Tcp,
    }

    private readonly Kind _kind = kind;
    private bool _verbose;
    private bool _details;
    private long _drops;
    private long _notProtocolDrops; // DETAILS: Click's three reasons, kept as fields so a tenant's copy has its own counts
    private long _lengthDrops;
    private long _checksumDrops;

    public override string PortCount => "1/1-2";

    public override string Processing => "a/ah";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _verbose = args.Read("VERBOSE", ArgFlags.None, CV.Bool, false);
        _details = args.Read("DETAILS", ArgFlags.None, CV.Bool, false);
        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        string? reason = Check(p);
        if (reason is null)
        {
            return p;
        }

        _drops++;
        if (_details)
        {
            if (reason == "bad packet length")
            {
                _lengthDrops++;
            }
            else if (reason.StartsWith("bad ", StringComparison.Ordinal))
            {
                _checksumDrops++;
            }
            else
            {
                _notProtocolDrops++;
            }
        }

        if (_verbose && _drops <= 20)
        {
            Router.Master.Chatter.Write($"{Name}: {reason}\n");
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

    private string? Check(Packet p)
    {
        Span<byte> ip = p.NetworkHeader;
        if (ip.Length < 20)
        {
            return "no IP header";
        }

        byte expected = _kind switch { Kind.Icmp => 1, Kind.Udp => 17, _ => 6 };
        int hl = (ip[0] & 0xF) * 4;
        int len = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(ip[2..]), ip.Length);
        if (ip[9] != expected || (BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1FFF) != 0)
        {
            return "not " + _kind.ToString().ToUpperInvariant() + " or not first fragment";
        }

        int tlen = len - hl;
        ReadOnlySpan<byte> t = tlen > 0 ? ip.Slice(hl, tlen) : [];
        switch (_kind)
        {
            case Kind.Icmp:
                if (t.Length < 8)
                {
                    return "bad packet length";
                }

                return InternetChecksum.Verify(t) ? null : "bad ICMP checksum";
            case Kind.Udp:
                if (t.Length < 8 || BinaryPrimitives.ReadUInt16BigEndian(t[4..]) > t.Length || BinaryPrimitives.ReadUInt16BigEndian(t[4..]) < 8)
                {
                    return "bad packet length";
                }

                int ulen = BinaryPrimitives.ReadUInt16BigEndian(t[4..]);
                if (BinaryPrimitives.ReadUInt16BigEndian(t[6..]) != 0 && !InternetChecksum.Verify(t[..ulen], IPHeader.PseudoSum(ip, 17, ulen)))
                {
                    return "bad UDP checksum";
                }

                return null;
            default:
                if (t.Length < 20 || (t[12] >> 4) * 4 < 20 || (t[12] >> 4) * 4 > t.Length)
                {
                    return "bad packet length";
                }

                return InternetChecksum.Verify(t, IPHeader.PseudoSum(ip, 6, t.Length)) ? null : "bad TCP checksum";
        }
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("drops", () => Num(_drops));
        if (_details)
        {
            // As CheckIPHeader's: one line per reason, the count right-aligned in 15 columns, the reason in 24.
            string proto = _kind.ToString().ToUpperInvariant();
            handlers.AddRead("drop_details", () => string.Create(
                CultureInfo.InvariantCulture,
                $"{_notProtocolDrops,15} packets due to: {"not " + proto,24}\n{_lengthDrops,15} packets due to: {"bad packet length",24}\n{_checksumDrops,15} packets due to: {"bad " + proto + " checksum",24}\n"));
        }
    }
}

/// <summary>
/// LinearIPLookup(ADDR/MASK [GW] OUT, ...): longest-prefix match of the destination IP annotation over a route list;
/// sets the annotation to the gateway when there is one; packets without a route are dropped. The gateway may be
/// written <c>-</c> (none). A repeated prefix in the configuration keeps the first route, as Click's does. Handlers
/// (IPRouteTable's): <c>table</c> (r, one route a line, <c>ADDR/MASK GW OUT</c>), <c>add</c>, <c>set</c> (add or
/// replace), <c>remove</c> (<c>ADDR/MASK [GW OUT]</c>) and <c>ctrl</c> (lines of <c>add</c>/<c>set</c>/<c>remove</c>
/// commands, all or none applied) and <c>lookup ADDR</c> (read with a parameter: the output, then the gateway if the
/// route has one, <c>-1</c> without a route; <c>expected IP address</c> otherwise). Routes live in slots (a removed route frees its slot for the next add), which is also the order the
/// table shows; the packet path reads an array of the live routes, most specific first, replaced on every change.
/// </summary>
internal sealed class LinearIPLookup : Element
{
    private List<Route> _slots = [];
    private (uint Address, uint Mask, uint Gateway, int Output)[] _sorted = [];

    /// <summary>One route; <see cref="Live"/> is false for a removed route's slot.</summary>
    private readonly record struct Route(uint Address, uint Mask, uint Gateway, int Output, bool Live = true)
    {
        public override string ToString() => string.Create(
            CultureInfo.InvariantCulture,
            $"{RouteText.Prefix(Address, Mask)} {(Gateway == 0 ? "-" : CV.FormatIP(Gateway))} {Output}");
    }

    public override string PortCount => "1/-";

    public override string Processing => PushCode;

    public override bool Configure(Args args, ElementErrors errors)
    {
        List<string> routes = args.TakeRemainingPositional();
        for (int i = 0; i < routes.Count; i++)
        {
            if (TryParseRoute(routes[i], forRemove: false, out Route r) && r.Output >= 0 && r.Output < NOutputs)
            {
                Add(r, replace: false, out _);
            }
            else
            {
                errors.Error(string.Create(CultureInfo.InvariantCulture, $"argument {i + 1} should be 'ADDR/MASK [GATEWAY] OUTPUT'"));
            }
        }

        Rebuild();
        return args.Complete();
    }

    /// <summary>
    /// Click's route syntax: <c>ADDR/MASK [GW|-] OUT</c>; for a removal the output (and gateway) may be left out,
    /// which gives output -1 (then only the prefix has to match).
    /// </summary>
    private bool TryParseRoute(string text, bool forRemove, out Route route)
    {
        route = default;
        List<string> words = ClickConfigText.SpaceVec(text);
        if (words.Count == 0 || !Router.Addresses.TryPrefix(words[0], out uint a, out uint m))
        {
            return false;
        }

        int next = 1;
        uint gw = 0;
        if (next < words.Count && (words[next] == "-" || Router.Addresses.TryIP(words[next], out gw)))
        {
            next++;
        }

        int output = -1;
        if (next < words.Count)
        {
            if (!CV.Int32(words[next], out output, out _))
            {
                return false;
            }

            next++;
        }
        else if (!forRemove)
        {
            return false;
        }

        route = new Route(a & m, m, gw, output);
        return next == words.Count;
    }

    /// <summary>Adds <paramref name="r"/>; an existing route for its prefix is replaced only with <paramref name="replace"/>.</summary>
    private bool Add(Route r, bool replace, out Route? old)
    {
        old = null;
        for (int i = 0; i < _slots.Count; i++)
        {
            Route s = _slots[i];
            if (s.Live && s.Address == r.Address && s.Mask == r.Mask)
            {
                old = s;
                if (!replace)
                {
                    return false;
                }

                _slots[i] = r;
                return true;
            }
        }

        int free = _slots.FindIndex(s => !s.Live);
        if (free >= 0)
        {
            _slots[free] = r;
        }
        else
        {
            _slots.Add(r);
        }

        return true;
    }

    /// <summary>Removes the route for <paramref name="r"/>'s prefix (and, when its output is not negative, its gateway and output).</summary>
    private bool Remove(Route r, out Route? old)
    {
        for (int i = 0; i < _slots.Count; i++)
        {
            Route s = _slots[i];
            if (s.Live && s.Address == r.Address && s.Mask == r.Mask && (r.Output < 0 || (s.Gateway == r.Gateway && s.Output == r.Output)))
            {
                old = s;
                _slots[i] = s with { Live = false };
                return true;
            }
        }

        old = null;
        return false;
    }

    private void Rebuild() => _sorted =
    [
        .. _slots.Where(r => r.Live).OrderByDescending(r => System.Numerics.BitOperations.PopCount(r.Mask))
            .Select(r => (r.Address, r.Mask, r.Gateway, r.Output)),
    ];

    private enum Command
    {
        Add,
        Set,
        Remove,
    }

    /// <summary>
    /// Runs one route command with Click's messages; on success <paramref name="undo"/> is the command that reverts it.
    /// </summary>
    private bool Run(Command command, string text, ElementErrors errors, out (Command Command, Route Route) undo)
    {
        undo = default;
        bool remove = command == Command.Remove;
        if (!TryParseRoute(text, remove, out Route r) || r.Output < (remove ? -1 : 0) || r.Output >= NOutputs)
        {
            return errors.Error(remove ? "expected 'ADDR/MASK [GATEWAY OUTPUT]'" : "expected 'ADDR/MASK [GATEWAY] OUTPUT'");
        }

        if (remove)
        {
            if (!Remove(r, out Route? removed))
            {
                return errors.Error($"route '{r}' not found");
            }

            undo = (Command.Add, removed!.Value);
        }
        else
        {
            if (!Add(r, command == Command.Set, out Route? old))
            {
                return errors.Error($"conflict with existing route '{old}'");
            }

            undo = old is { } o ? (Command.Set, o) : (Command.Remove, r);
        }

        return true;
    }

    private bool Single(Command command, string value, ElementErrors errors)
    {
        bool ok = Run(command, ClickConfigText.Uncomment(value), errors, out _);
        Rebuild();
        return ok;
    }

    private bool Ctrl(string value, ElementErrors errors)
    {
        var done = new List<(Command Command, Route Route)>();
        bool ok = true;
        foreach (string line in ClickConfigText.Uncomment(value).Split('\n'))
        {
            List<string> words = ClickConfigText.SpaceVec(line);
            if (words.Count == 0)
            {
                continue;
            }

            Command? command = words[0] switch
            {
                "add" => Command.Add,
                "set" => Command.Set,
                "remove" => Command.Remove,
                _ => null,
            };
            if (command is null)
            {
                ok = errors.Error($"bad command '{words[0]}'");
                break;
            }

            if (!Run(command.Value, string.Join(' ', words.Skip(1)), errors, out var undo))
            {
                ok = false;
                break;
            }

            done.Add(undo);
        }

        if (!ok)
        {
            // Undo what this write did, newest first.
            for (int i = done.Count - 1; i >= 0; i--)
            {
                (Command c, Route r) = done[i];
                if (c == Command.Remove)
                {
                    Remove(r, out _);
                }
                else
                {
                    Add(r, replace: true, out _);
                }
            }
        }

        Rebuild();
        return ok;
    }

    public override void Push(int port, Packet p)
    {
        uint dst = p.DestinationIPAnnotation;
        var routes = _sorted;
        for (int i = 0; i < routes.Length; i++)
        {
            ref readonly var r = ref routes[i];
            if ((dst & r.Mask) == r.Address)
            {
                if (r.Gateway != 0)
                {
                    p.DestinationIPAnnotation = r.Gateway;
                }

                Outputs[r.Output].Push(p);
                return;
            }
        }

        p.Kill();
    }

    internal override void RebindForTenant(TenantCloner cloner) => _slots = [.. _slots];

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("table", () => string.Concat(_slots.Where(r => r.Live).Select(r => r + "\n")));
        handlers.AddWrite("add", (v, e) => Single(Command.Add, v, e));
        handlers.AddWrite("set", (v, e) => Single(Command.Set, v, e));
        handlers.AddWrite("remove", (v, e) => Single(Command.Remove, v, e));
        handlers.AddWrite("ctrl", Ctrl);
        handlers.AddReadParam("lookup", (parameter, errors) =>
        {
            if (!Router.Addresses.TryIP(parameter.Trim(), out uint address))
            {
                errors.Error("expected IP address");
                return null;
            }

            (int output, uint gateway) = Lookup(address);
            return gateway != 0
                ? string.Create(CultureInfo.InvariantCulture, $"{output} {CV.FormatIP(gateway)}\n")
                : string.Create(CultureInfo.InvariantCulture, $"{output}\n");
        });
    }

    /// <summary>The route the packet path would take for <paramref name="address"/>: its output and gateway, or output -1.</summary>
    private (int Output, uint Gateway) Lookup(uint address)
    {
        foreach (var r in _sorted)
        {
            if ((address & r.Mask) == r.Address)
            {
                return (r.Output, r.Gateway);
            }
        }

        return (-1, 0);
    }
}

/// <summary>
/// IPMirror: swaps the IP source and destination addresses; for TCP and UDP in a first fragment (offset 0) with 8
/// transport bytes present, also swaps the ports, and for TCP the sequence and acknowledgement numbers, as Click's
/// IPMirror does. The checksums stay valid (each is a sum over the swapped fields). Needs the IP header annotation
/// (MarkIPHeader, CheckIPHeader); a packet without it, or with a header shorter than 20 bytes, passes unchanged.
/// </summary>
internal sealed class IPMirror : Element
{
    public override string PortCount => "1/1";

    public override Packet? SimpleAction(Packet p)
    {
        Span<byte> ip = p.NetworkHeader;
        if (ip.Length < 20)
        {
            return p;
        }

        Span<byte> tmp = stackalloc byte[4];
        ip.Slice(12, 4).CopyTo(tmp);
        ip.Slice(16, 4).CopyTo(ip.Slice(12, 4));
        tmp.CopyTo(ip.Slice(16, 4));
        byte protocol = ip[9];
        bool firstFragment = (BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1FFF) == 0;
        Span<byte> l4 = p.TransportHeader;
        if (protocol is 6 or 17 && firstFragment && l4.Length >= 8)
        {
            l4[..2].CopyTo(tmp);
            l4.Slice(2, 2).CopyTo(l4);
            tmp[..2].CopyTo(l4.Slice(2, 2));
            if (protocol == 6 && l4.Length >= 12)
            {
                l4.Slice(4, 4).CopyTo(tmp);
                l4.Slice(8, 4).CopyTo(l4.Slice(4, 4));
                tmp.CopyTo(l4.Slice(8, 4));
            }
        }

        return p;
    }

    public override void Push(int port, Packet p) => PushOutput0(SimpleAction(p)!);
}

/// <summary>Click's text forms of prefixes and routes, shared by the ARP and route table elements.</summary>
internal static class RouteText
{
    /// <summary>Click's <c>ADDR/MASK</c>: the mask as a prefix length when it is one, otherwise dotted.</summary>
    public static string Prefix(uint address, uint mask)
    {
        int ones = System.Numerics.BitOperations.PopCount(mask);
        bool contiguous = ones == 0 ? mask == 0 : mask == uint.MaxValue << (32 - ones);
        return CV.FormatIP(address) + "/" + (contiguous ? ones.ToString(CultureInfo.InvariantCulture) : CV.FormatIP(mask));
    }
}
