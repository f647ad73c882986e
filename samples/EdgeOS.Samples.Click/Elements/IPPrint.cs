using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>
/// IPPrint(LABEL; CONTENTS, PAYLOAD, MAXLENGTH, NBYTES, ID, TIMESTAMP, PAINT, TOS, TTL, SWAP, LENGTH, AGGREGATE, ACTIVE,
/// OUTFILE, CHANNEL): prints each packet that has an IP header in Click's tcpdump-like line, on standard error (the
/// chatter) or, with OUTFILE, in that file. The line is <c>LABEL: </c>, the timestamp (TIMESTAMP, default true), the
/// aggregate annotation as <c>#N</c> and/or the paint as <c>paint N</c> (<c>#N.P</c> with both) followed by <c>: </c>,
/// then <c>id</c>, <c>ttl</c>, <c>tos</c>, <c>length</c> fields when asked, then the TCP, UDP or ICMP description
/// (ICMP types and codes by Click's names; <c>truncated-ip</c>, <c>truncated-tcp</c> and friends when headers are
/// cut), the fragment note, and with CONTENTS or PAYLOAD (false/none, hex, ascii) the packet's (or its transport
/// payload's) first MAXLENGTH bytes (default 1500, -1 for all; NBYTES is the old name). SWAP (default true, as in
/// Click's code) reads ICMP echo identifiers and sequence numbers in network order; false prints them as a
/// little-endian host reads them. CHANNEL takes only <c>default</c> (this host has no other chatter channel). Packets
/// without a network header pass unprinted, as in Click. Handler active (rw).
/// </summary>
internal sealed class IPPrint : Element, IDisposable
{
    private string _label = string.Empty;
    private int _contents;
    private bool _payload;
    private int _bytes = 1500;
    private bool _timestamp = true;
    private bool _id;
    private bool _ttl;
    private bool _tos;
    private bool _len;
    private bool _paint;
    private bool _aggregate;
    private bool _swap = true;
    private bool _active = true;
    private string? _outfileName;
    private StreamWriter? _outfile;
    private StringBuilder _sb = new();

    private static readonly Dictionary<int, string> s_icmpTypes = new()
    {
        [0] = "echo-reply", [3] = "unreachable", [4] = "sourcequench", [5] = "redirect", [8] = "echo", [9] = "routeradvert",
        [10] = "routersolicit", [11] = "timeexceeded", [12] = "parameterproblem", [13] = "timestamp", [14] = "timestamp-reply",
        [15] = "inforeq", [16] = "inforeq-reply", [17] = "maskreq", [18] = "maskreq-reply",
    };

    private static readonly Dictionary<int, string[]> s_icmpCodes = new()
    {
        [3] =
        [
            "net", "host", "protocol", "port", "needfrag", "srcroutefail", "netunknown", "hostunknown", "isolated",
            "netprohibited", "hostprohibited", "tosnet", "toshost", "filterprohibited", "hostprecedence", "precedencecutoff",
        ],
        [5] = ["net", "host", "tosnet", "toshost"],
        [11] = ["transit", "reassembly"],
        [12] = ["erroratptr", "missingopt", "length"],
    };

    private static readonly Dictionary<int, string> s_protocols = new() { [1] = "icmp", [2] = "igmp", [4] = "ipip", [6] = "tcp", [17] = "udp" };

    public override string PortCount => "1/1";

    public override string? TenantRefusal => _outfileName is null ? null : "IPPrint with OUTFILE writes one file; run it without --tenants";

    internal override void RebindForTenant(TenantCloner cloner) => _sb = new StringBuilder();

    public override bool Configure(Args args, ElementErrors errors)
    {
        _label = args.Read("LABEL", ArgFlags.Positional, CV.String, string.Empty);
        string contents = args.Read("CONTENTS", ArgFlags.None, CV.Word, "no");
        string payload = args.Read("PAYLOAD", ArgFlags.None, CV.Word, "no");
        _bytes = args.Read("MAXLENGTH", ArgFlags.None, CV.Int32, 1500);
        _bytes = args.Read("NBYTES", ArgFlags.None, CV.Int32, _bytes);
        _id = args.Read("ID", ArgFlags.None, CV.Bool, false);
        _timestamp = args.Read("TIMESTAMP", ArgFlags.None, CV.Bool, true);
        _paint = args.Read("PAINT", ArgFlags.None, CV.Bool, false);
        _tos = args.Read("TOS", ArgFlags.None, CV.Bool, false);
        _ttl = args.Read("TTL", ArgFlags.None, CV.Bool, false);
        _swap = args.Read("SWAP", ArgFlags.None, CV.Bool, true);
        _len = args.Read("LENGTH", ArgFlags.None, CV.Bool, false);
        _aggregate = args.Read("AGGREGATE", ArgFlags.None, CV.Bool, false);
        _active = args.Read("ACTIVE", ArgFlags.None, CV.Bool, true);
        if (args.TryRead("OUTFILE", ArgFlags.None, CV.String, out string outfile))
        {
            _outfileName = outfile;
        }

        if (args.TryRead("CHANNEL", ArgFlags.None, CV.Word, out string channel) && channel != "default")
        {
            errors.Error($"CHANNEL: no chatter channel '{channel}' (this host has only 'default')");
        }

        if (!args.Complete())
        {
            return false;
        }

        if (CV.Bool(contents, out bool on, out _))
        {
            _contents = on ? 1 : 0;
        }
        else
        {
            _contents = contents.ToUpperInvariant() switch
            {
                "NONE" => 0,
                "HEX" => 1,
                "ASCII" => 2,
                _ => -1,
            };
            if (_contents < 0)
            {
                return errors.Error($"bad contents value '{contents.ToUpperInvariant()}'; should be 'NONE', 'HEX', or 'ASCII'");
            }
        }

        int payloadValue = payload.ToUpperInvariant() switch
        {
            "NO" or "FALSE" => 0,
            "YES" or "TRUE" or "HEX" => 1,
            "ASCII" => 2,
            _ => -1,
        };
        if (payloadValue < 0)
        {
            // Click's message names the CONTENTS value here (a slip in its code); ours names the PAYLOAD value.
            return errors.Error($"bad payload value '{payload.ToUpperInvariant()}'; should be 'false', 'hex', or 'ascii'");
        }

        if (payloadValue > 0 && _contents > 0)
        {
            return errors.Error("specify at most one of PAYLOAD and CONTENTS");
        }

        if (payloadValue > 0)
        {
            _contents = payloadValue;
            _payload = true;
        }

        return true;
    }

    public override bool Initialize(ElementErrors errors)
    {
        if (_outfileName is not null)
        {
            try
            {
                _outfile = new StreamWriter(new FileStream(_outfileName, FileMode.Create, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { NewLine = "\n" };
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                return errors.Error($"{_outfileName}: {ex.Message}");
            }
        }

        return true;
    }

    public override void Cleanup()
    {
        _outfile?.Dispose();
        _outfile = null;
    }

    /// <summary>Closes OUTFILE (the router's cleanup does it too).</summary>
    public void Dispose() => Cleanup();

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("active", () => ElementHelpers.Bool(_active));
        handlers.AddWrite("active", Writer<bool>(CV.Bool, v => _active = v));
    }

    public override Packet? SimpleAction(Packet p)
    {
        if (!_active || !p.HasNetworkHeader)
        {
            return p;
        }

        StringBuilder sb = AppendPrintPrefix(_sb.Clear(), _label, _timestamp ? p : null);

        if (_aggregate)
        {
            // Click keeps the aggregate annotation in the first four user annotation bytes; here the low 32 bits.
            sb.Append('#').Append(((uint)p.UserAnnotation).ToString(CultureInfo.InvariantCulture));
        }

        if (_paint)
        {
            sb.Append(_aggregate ? "." : "paint ").Append(p.Paint.ToString(CultureInfo.InvariantCulture));
        }

        if (_aggregate || _paint)
        {
            sb.Append(": ");
        }

        ReadOnlySpan<byte> ip = p.NetworkHeader;
        if (ip.Length < 20)
        {
            sb.Append("truncated-ip");
        }
        else
        {
            Describe(sb, p, ip);
        }

        if (_outfile is not null)
        {
            _outfile.Write(sb.Append('\n'));
            _outfile.Flush();
        }
        else
        {
            Router.Master.Chatter.Write(sb.Append('\n'));
        }

        return p;
    }

    private void Describe(StringBuilder sb, Packet p, ReadOnlySpan<byte> ip)
    {
        int hl = (ip[0] & 0xF) * 4;
        int ipLen = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        int payloadLen = ipLen - hl;
        ReadOnlySpan<byte> th = p.TransportHeader;
        int transportLength = Math.Min(th.Length, payloadLen);
        if (_id)
        {
            sb.Append(CultureInfo.InvariantCulture, $"id {BinaryPrimitives.ReadUInt16BigEndian(ip[4..])} ");
        }

        if (_ttl)
        {
            sb.Append(CultureInfo.InvariantCulture, $"ttl {ip[8]} ");
        }

        if (_tos)
        {
            sb.Append(CultureInfo.InvariantCulture, $"tos {ip[1]} ");
        }

        if (_len)
        {
            sb.Append(CultureInfo.InvariantCulture, $"length {ipLen} ");
        }

        ushort off = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        bool firstFragment = (off & 0x1FFF) == 0;
        string src = CV.FormatIP(BinaryPrimitives.ReadUInt32BigEndian(ip[12..]));
        string dst = CV.FormatIP(BinaryPrimitives.ReadUInt32BigEndian(ip[16..]));
        switch (ip[9])
        {
            case 6:
                Tcp(sb, p, ip, th, transportLength, firstFragment, src, dst);
                break;
            case 17:
                Udp(sb, th, transportLength, firstFragment, src, dst);
                break;
            case 1:
                Icmp(sb, th, transportLength, firstFragment, src, dst);
                break;
            default:
                sb.Append(CultureInfo.InvariantCulture, $"{src} > {dst}: ip-proto-{ip[9]}");
                break;
        }

        if ((off & 0x3FFF) != 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $" (frag {BinaryPrimitives.ReadUInt16BigEndian(ip[4..])}:{payloadLen}@{(off & 0x1FFF) << 3}{((off & 0x2000) != 0 ? "+" : string.Empty)})");
        }

        if (_contents > 0)
        {
            AppendContents(sb, p, ip, th, firstFragment);
        }
    }

    private static void Tcp(StringBuilder sb, Packet p, ReadOnlySpan<byte> ip, ReadOnlySpan<byte> th, int length, bool firstFragment, string src, string dst)
    {
        if (length < 4 || !firstFragment)
        {
            sb.Append(src).Append(" > ").Append(dst).Append(firstFragment ? ": truncated-tcp" : ": tcp");
            return;
        }

        sb.Append(CultureInfo.InvariantCulture, $"{src}.{BinaryPrimitives.ReadUInt16BigEndian(th)} > {dst}.{BinaryPrimitives.ReadUInt16BigEndian(th[2..])}: ");
        if (length < 14)
        {
            sb.Append("truncated-tcp");
            return;
        }

        int ipLen = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        int seqlen = ipLen - ((ip[0] & 0xF) * 4) - ((th[12] >> 4) * 4);
        byte flags = th[13];
        if ((flags & 0x02) != 0)
        {
            sb.Append('S');
            seqlen++;
        }

        if ((flags & 0x01) != 0)
        {
            sb.Append('F');
            seqlen++;
        }

        if ((flags & 0x04) != 0)
        {
            sb.Append('R');
        }

        if ((flags & 0x08) != 0)
        {
            sb.Append('P');
        }

        if ((flags & 0x0F) == 0)
        {
            sb.Append('.');
        }

        uint seq = BinaryPrimitives.ReadUInt32BigEndian(th[4..]);
        sb.Append(CultureInfo.InvariantCulture, $" {seq}:{unchecked(seq + (uint)seqlen)}({seqlen},{p.Length},{ipLen})");
        if ((flags & 0x10) != 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $" ack {BinaryPrimitives.ReadUInt32BigEndian(th[8..])}");
        }

        if (length < 16)
        {
            sb.Append("truncated-tcp");
            return;
        }

        sb.Append(CultureInfo.InvariantCulture, $" win {BinaryPrimitives.ReadUInt16BigEndian(th[14..])}");
    }

    private static void Udp(StringBuilder sb, ReadOnlySpan<byte> th, int length, bool firstFragment, string src, string dst)
    {
        if (length < 4 || !firstFragment)
        {
            sb.Append(src).Append(" > ").Append(dst).Append(firstFragment ? ": truncated-udp" : ": udp");
            return;
        }

        sb.Append(CultureInfo.InvariantCulture, $"{src}.{BinaryPrimitives.ReadUInt16BigEndian(th)} > {dst}.{BinaryPrimitives.ReadUInt16BigEndian(th[2..])}: ");
        sb.Append(length < 8 ? "truncated-udp" : string.Create(CultureInfo.InvariantCulture, $"udp {BinaryPrimitives.ReadUInt16BigEndian(th[4..])}"));
    }

    private void Icmp(StringBuilder sb, ReadOnlySpan<byte> th, int length, bool firstFragment, string src, string dst)
    {
        sb.Append(src).Append(" > ").Append(dst).Append(": ");
        if (!firstFragment)
        {
            sb.Append("icmp");
            return;
        }

        if (length < 2)
        {
            sb.Append("truncated-icmp");
            return;
        }

        int type = th[0];
        int code = th[1];
        switch (type)
        {
            case 0 or 8:
                sb.Append(type == 0 ? "icmp echo-reply " : "icmp echo ");
                if (length < 8)
                {
                    sb.Append("truncated-icmp");
                    return;
                }

                sb.Append('(').Append(EchoField(th[4..])).Append(", ").Append(EchoField(th[6..])).Append(')');
                return;
            case 3:
            {
                string codeName = CodeName(type, code) ?? "code " + code.ToString(CultureInfo.InvariantCulture);
                ReadOnlySpan<byte> inner = length >= 8 ? th[8..length] : [];
                if (inner.Length < 20)
                {
                    sb.Append("icmp unreachable ").Append(codeName).Append(" truncated-icmp");
                    return;
                }

                int innerHl = (inner[0] & 0xF) * 4;
                sb.Append("icmp ").Append(CV.FormatIP(BinaryPrimitives.ReadUInt32BigEndian(inner[16..]))).Append(" unreachable ").Append(codeName);
                if (code == 2)
                {
                    sb.Append(' ').Append(ProtocolName(inner[9], prepend: false));
                }
                else if (code == 3)
                {
                    sb.Append(' ').Append(ProtocolName(inner[9], prepend: true));
                    if (inner.Length - innerHl < 4)
                    {
                        sb.Append("truncated-icmp");
                        return;
                    }

                    sb.Append('/').Append(BinaryPrimitives.ReadUInt16BigEndian(inner[(innerHl + 2)..]).ToString(CultureInfo.InvariantCulture));
                }
                else if (code == 4 && BinaryPrimitives.ReadUInt16BigEndian(th[6..]) is ushort mtu and not 0)
                {
                    sb.Append(" (mtu ").Append(mtu.ToString(CultureInfo.InvariantCulture)).Append(')');
                }

                return;
            }

            default:
                sb.Append("icmp ").Append(s_icmpTypes.TryGetValue(type, out string? name) ? name : "type " + type.ToString(CultureInfo.InvariantCulture));
                if (CodeName(type, code) is string c)
                {
                    sb.Append(' ').Append(c);
                }
                else if (code != 0)
                {
                    sb.Append(" code ").Append(code.ToString(CultureInfo.InvariantCulture));
                }

                return;
        }
    }

    private string EchoField(ReadOnlySpan<byte> field) =>
        (_swap ? BinaryPrimitives.ReadUInt16BigEndian(field) : BinaryPrimitives.ReadUInt16LittleEndian(field)).ToString(CultureInfo.InvariantCulture);

    private static string? CodeName(int type, int code) =>
        s_icmpCodes.TryGetValue(type, out string[]? codes) && (uint)code < (uint)codes.Length ? codes[code] : null;

    private static string ProtocolName(int protocol, bool prepend) =>
        s_protocols.TryGetValue(protocol, out string? name) ? name
        : (prepend ? "protocol " : string.Empty) + protocol.ToString(CultureInfo.InvariantCulture);

    // The whole packet, or (PAYLOAD) the data after the TCP or UDP header (after the IP header for other protocols and
    // later fragments): hex in groups of 4 bytes, 24 a line; ASCII in groups of 8, 48 a line; each line starts "\n  ".
    private void AppendContents(StringBuilder sb, Packet p, ReadOnlySpan<byte> ip, ReadOnlySpan<byte> th, bool firstFragment)
    {
        ReadOnlySpan<byte> data = p.Data;
        if (_payload)
        {
            int skip = firstFragment && ip[9] == 6 && th.Length >= 13 ? (th[12] >> 4) * 4
                : firstFragment && ip[9] == 17 ? 8
                : 0;
            data = skip < th.Length ? th[skip..] : [];
        }

        int n = _bytes < 0 || data.Length < _bytes ? data.Length : _bytes;
        for (int i = 0; i < n; i++)
        {
            if (_contents == 1)
            {
                sb.Append(i % 24 == 0 ? "\n  " : i % 4 == 0 ? " " : string.Empty);
                sb.Append(data[i].ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(i % 48 == 0 ? "\n  " : i % 8 == 0 ? " " : string.Empty);
                sb.Append(data[i] is < 32 or > 126 ? '.' : (char)data[i]);
            }
        }
    }
}
