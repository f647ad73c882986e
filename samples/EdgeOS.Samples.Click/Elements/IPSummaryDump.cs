using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EdgeOS.Net.Packets;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>The IP summary dump fields this runtime reads and writes (Click's ipsumdump content types).</summary>
internal enum SummaryField
{
    Timestamp,
    TimestampSeconds,
    TimestampMicroseconds,
    Source,
    Destination,
    SourcePort,
    DestinationPort,
    Protocol,
    Length,
    Identification,
    TimeToLive,
    TypeOfService,
    PayloadLength,
    Count,
}

internal static class SummaryFields
{
    public static bool TryParse(string name, out SummaryField field)
    {
        field = name.Trim('\'').Replace(' ', '_').ToLowerInvariant() switch
        {
            "timestamp" or "ts" => SummaryField.Timestamp,
            "ts_sec" or "sec" => SummaryField.TimestampSeconds,
            "ts_usec" or "usec" => SummaryField.TimestampMicroseconds,
            "ip_src" or "src" => SummaryField.Source,
            "ip_dst" or "dst" => SummaryField.Destination,
            "sport" or "src_port" => SummaryField.SourcePort,
            "dport" or "dst_port" => SummaryField.DestinationPort,
            "ip_proto" or "proto" => SummaryField.Protocol,
            "ip_len" or "len" or "length" => SummaryField.Length,
            "ip_id" or "id" => SummaryField.Identification,
            "ip_ttl" or "ttl" => SummaryField.TimeToLive,
            "ip_tos" or "tos" => SummaryField.TypeOfService,
            "payload_len" or "payload_length" => SummaryField.PayloadLength,
            "count" or "pkt_count" => SummaryField.Count,
            _ => (SummaryField)(-1),
        };
        return (int)field >= 0;
    }
}

/// <summary>
/// ToIPSummaryDump(FILENAME; CONTENTS, BANNER, VERBOSE): writes one text line per IP packet with the CONTENTS
/// fields (timestamp, ts_sec, ts_usec, ip_src, ip_dst, sport, dport, ip_proto, ip_len, ip_id, ip_ttl, ip_tos,
/// payload_len, count; <c>-</c> where a packet has no such field), after the <c>!IPSummaryDump 1.3</c>,
/// <c>!creator</c> and <c>!data</c> header lines. Handler count.
/// </summary>
internal sealed class ToIPSummaryDump : Element
{
    /// <inheritdoc/>
    public override string? TenantRefusal => "not available in tenant mode: files are not per tenant (every tenant would write the same file)";

    private string _filename = string.Empty;
    private readonly List<(SummaryField Field, string Name)> _fields = [];
    private string? _banner;
    private TextWriter? _writer;
    private long _count;
    private readonly StringBuilder _sb = new();
    private ClickTask? _task;
    private IEmptyNotifier? _notifier;

    public override string PortCount => "1/0-1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _filename = args.Read("FILENAME", ArgFlags.MandatoryPositional, CV.String, string.Empty);
        string contents = args.Read("CONTENTS", ArgFlags.None, CV.String, "timestamp ip_src");
        foreach (string word in ClickConfigText.SpaceVec(contents))
        {
            if (SummaryFields.TryParse(word, out SummaryField f))
            {
                _fields.Add((f, word.Trim('\'')));
            }
            else
            {
                errors.Error($"unknown content type '{word}'");
            }
        }

        if (args.TryRead("BANNER", ArgFlags.None, CV.String, out string banner))
        {
            _banner = banner;
        }

        if (args.Read("VERBOSE", ArgFlags.None, CV.Bool, false))
        {
            errors.Error("VERBOSE true is not available (host and start time lines are not written)");
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        try
        {
            _writer = _filename == "-" ? Console.Out : new StreamWriter(_filename, false, Encoding.ASCII) { NewLine = "\n" };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return errors.Error($"{_filename}: {ex.Message}");
        }

        _writer.Write("!IPSummaryDump 1.3\n");
        if (_banner is not null)
        {
            _writer.Write($"!creator {ClickConfigText.Quote(_banner)}\n");
        }

        _writer.Write("!data " + string.Join(' ', _fields.Select(f => f.Name)) + "\n");
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
        StringBuilder sb = _sb.Clear();
        ReadOnlySpan<byte> ip = p.NetworkHeader;
        bool hasIP = ip.Length >= 20;
        int hl = hasIP ? (ip[0] & 0xF) * 4 : 0;
        byte proto = hasIP ? ip[9] : (byte)0;
        bool first = hasIP && (BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1FFF) == 0;
        ReadOnlySpan<byte> th = hasIP && ip.Length > hl ? ip[hl..] : [];
        bool ports = first && proto is 6 or 17 && th.Length >= 4;
        for (int i = 0; i < _fields.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }

            long ts = p.TimestampNanoseconds;
            switch (_fields[i].Field)
            {
                case SummaryField.Timestamp:
                    sb.Append(CV.FormatTimestamp(ts));
                    break;
                case SummaryField.TimestampSeconds:
                    sb.Append(ts / 1_000_000_000);
                    break;
                case SummaryField.TimestampMicroseconds:
                    sb.Append(ts % 1_000_000_000 / 1000);
                    break;
                case SummaryField.Source:
                    sb.Append(hasIP ? CV.FormatIP(BinaryPrimitives.ReadUInt32BigEndian(ip[12..])) : "-");
                    break;
                case SummaryField.Destination:
                    sb.Append(hasIP ? CV.FormatIP(BinaryPrimitives.ReadUInt32BigEndian(ip[16..])) : "-");
                    break;
                case SummaryField.SourcePort:
                    sb.Append(ports ? BinaryPrimitives.ReadUInt16BigEndian(th).ToString(CultureInfo.InvariantCulture) : "-");
                    break;
                case SummaryField.DestinationPort:
                    sb.Append(ports ? BinaryPrimitives.ReadUInt16BigEndian(th[2..]).ToString(CultureInfo.InvariantCulture) : "-");
                    break;
                case SummaryField.Protocol:
                    sb.Append(!hasIP ? "-" : proto switch { 6 => "T", 17 => "U", 1 => "I", _ => proto.ToString(CultureInfo.InvariantCulture) });
                    break;
                case SummaryField.Length:
                    sb.Append(hasIP ? BinaryPrimitives.ReadUInt16BigEndian(ip[2..]).ToString(CultureInfo.InvariantCulture) : p.Length.ToString(CultureInfo.InvariantCulture));
                    break;
                case SummaryField.Identification:
                    sb.Append(hasIP ? BinaryPrimitives.ReadUInt16BigEndian(ip[4..]).ToString(CultureInfo.InvariantCulture) : "-");
                    break;
                case SummaryField.TimeToLive:
                    sb.Append(hasIP ? ip[8].ToString(CultureInfo.InvariantCulture) : "-");
                    break;
                case SummaryField.TypeOfService:
                    sb.Append(hasIP ? ip[1].ToString(CultureInfo.InvariantCulture) : "-");
                    break;
                case SummaryField.PayloadLength:
                    int thl = !first ? 0 : proto switch { 6 when th.Length >= 13 => (th[12] >> 4) * 4, 17 => 8, 1 => 8, _ => 0 };
                    sb.Append(hasIP ? Math.Max(0, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]) - hl - thl).ToString(CultureInfo.InvariantCulture) : "-");
                    break;
                default:
                    sb.Append('1');
                    break;
            }
        }

        sb.Append('\n');
        _writer!.Write(sb.ToString());
    }

    public override void Push(int port, Packet p)
    {
        Write(p);
        if (NOutputs > 0)
        {
            PushOutput0(p);
        }
        else
        {
            p.Kill();
        }
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
        if (_writer is not null && !ReferenceEquals(_writer, Console.Out))
        {
            _writer.Dispose();
        }
        else
        {
            _writer?.Flush();
        }

        _writer = null;
    }

    public override void AddHandlers(HandlerTable handlers) => handlers.AddRead("count", () => Num(_count));
}

/// <summary>
/// FromIPSummaryDump(FILENAME; STOP, ACTIVE, CHECKSUM, ZERO, PROTO): makes IP packets (no link header, IP header
/// annotation set) from an IP summary dump: the <c>!data</c> line names the fields; missing values take defaults
/// (protocol from PROTO, default UDP); payloads are zero bytes up to ip_len or payload_len (at most 1400 bytes
/// are materialized); a <c>count</c> field repeats the packet. Malformed lines are skipped and counted in the
/// <c>bad_lines</c> handler. Handlers count, bad_lines.
/// </summary>
internal sealed class FromIPSummaryDump : Element
{
    /// <inheritdoc/>
    public override string? TenantRefusal => "not available in tenant mode: files are not per tenant (every tenant would read the same file)";

    private const int PayloadBytesMax = 1400;
    private string _filename = string.Empty;
    private bool _stop;
    private bool _active = true;
    private bool _checksum = true;
    private byte _defaultProto = 17;
    private TextReader? _reader;
    private List<SummaryField> _fields = [SummaryField.Source, SummaryField.Destination];
    private long _count;
    private long _badLines;
    private int _lineNumber;
    private ClickTask? _task;
    private Packet? _repeat;
    private long _repeatLeft;
    private bool _done;

    public override string PortCount => "0/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _filename = args.Read("FILENAME", ArgFlags.MandatoryPositional, CV.String, string.Empty);
        _stop = args.Read("STOP", ArgFlags.None, CV.Bool, false);
        _active = args.Read("ACTIVE", ArgFlags.None, CV.Bool, true);
        _checksum = args.Read("CHECKSUM", ArgFlags.None, CV.Bool, true);
        if (!args.Read("ZERO", ArgFlags.None, CV.Bool, true))
        {
            errors.Error("ZERO false is not available: payloads are always zero bytes");
        }

        if (args.TryTake("PROTO", ArgFlags.None, out string proto))
        {
            _defaultProto = proto.Trim() switch { "T" or "tcp" => 6, "U" or "udp" => 17, "I" or "icmp" => 1, _ => ByteValue(proto, out byte b, out _) ? b : (byte)0 };
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        try
        {
            _reader = _filename == "-" ? Console.In : new StreamReader(_filename, Encoding.ASCII);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return errors.Error($"{_filename}: No such file or directory");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return errors.Error($"{_filename}: {ex.Message}");
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

    private Packet? Next()
    {
        if (_repeat is not null)
        {
            if (--_repeatLeft <= 0)
            {
                Packet last = _repeat;
                _repeat = null;
                _count++;
                return last;
            }

            _count++;
            return _repeat.Clone();
        }

        while (!_done)
        {
            string? line = _reader!.ReadLine();
            _lineNumber++;
            if (line is null)
            {
                _done = true;
                if (_stop)
                {
                    PleaseStopDriver();
                }

                return null;
            }

            if (line.StartsWith("!data", StringComparison.Ordinal))
            {
                var fields = new List<SummaryField>();
                foreach (string w in ClickConfigText.SpaceVec(line[5..]))
                {
                    if (SummaryFields.TryParse(w, out SummaryField f))
                    {
                        fields.Add(f);
                    }
                    else
                    {
                        Router.Master.Chatter.Write($"{Name}: {_filename}:{_lineNumber}: unknown content type '{w}'\n");
                        fields.Add((SummaryField)(-1));
                    }
                }

                _fields = fields;
                continue;
            }

            if (line.Length == 0 || line[0] == '!' || line.StartsWith('#'))
            {
                continue;
            }

            Packet? p = Parse(line, out long count);
            if (p is null)
            {
                _badLines++;
                continue;
            }

            if (count > 1)
            {
                _repeat = p;
                _repeatLeft = count;
                return Next();
            }

            _count++;
            return p;
        }

        return null;
    }

    private Packet? Parse(string line, out long count)
    {
        count = 1;
        string[] words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        uint src = 0, dst = 0;
        int sport = 0, dport = 0, ipLen = -1, payloadLen = -1, ttl = 64, tos = 0, id = 0;
        byte proto = _defaultProto;
        long ts = 0;
        for (int i = 0; i < words.Length && i < _fields.Count; i++)
        {
            string w = words[i];
            if (w == "-")
            {
                continue;
            }

            bool ok = true;
            switch (_fields[i])
            {
                case SummaryField.Timestamp:
                    ok = CV.TimeNanoseconds(w, out ts, out _);
                    break;
                case SummaryField.TimestampSeconds:
                    ok = long.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out long s);
                    ts += s * 1_000_000_000;
                    break;
                case SummaryField.TimestampMicroseconds:
                    ok = long.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out long us);
                    ts += us * 1000;
                    break;
                case SummaryField.Source:
                    ok = CV.TryParseIPAddress(w, out src);
                    break;
                case SummaryField.Destination:
                    ok = CV.TryParseIPAddress(w, out dst);
                    break;
                case SummaryField.SourcePort:
                    ok = int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out sport) && sport <= 65535;
                    break;
                case SummaryField.DestinationPort:
                    ok = int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out dport) && dport <= 65535;
                    break;
                case SummaryField.Protocol:
                    switch (w)
                    {
                        case "T":
                            proto = 6;
                            break;
                        case "U":
                            proto = 17;
                            break;
                        case "I":
                            proto = 1;
                            break;
                        default:
                            ok = byte.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out proto);
                            break;
                    }

                    break;
                case SummaryField.Length:
                    ok = int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out ipLen) && ipLen <= 65535;
                    break;
                case SummaryField.Identification:
                    ok = int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id <= 65535;
                    break;
                case SummaryField.TimeToLive:
                    ok = int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out ttl) && ttl <= 255;
                    break;
                case SummaryField.TypeOfService:
                    ok = int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out tos) && tos <= 255;
                    break;
                case SummaryField.PayloadLength:
                    ok = int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out payloadLen) && payloadLen <= 65535;
                    break;
                case SummaryField.Count:
                    ok = long.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out count) && count >= 1;
                    break;
                default:
                    break;
            }

            if (!ok)
            {
                return null;
            }
        }

        int thl = proto switch { 6 => 20, 17 => 8, 1 => 8, _ => 0 };
        int total = ipLen >= 0 ? Math.Max(ipLen, 20 + thl) : 20 + thl + Math.Max(0, payloadLen);
        int materialized = Math.Min(total, 20 + thl + PayloadBytesMax);
        Packet p = Router.Pool.Allocate(materialized);
        Span<byte> ip = p.Data;
        ip.Clear();
        ip[0] = 0x45;
        ip[1] = (byte)tos;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)materialized);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)id);
        ip[8] = (byte)ttl;
        ip[9] = proto;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], src);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], dst);
        IPHeader.UpdateChecksum(ip);
        Span<byte> t = ip[20..];
        if (proto is 6 or 17)
        {
            BinaryPrimitives.WriteUInt16BigEndian(t, (ushort)sport);
            BinaryPrimitives.WriteUInt16BigEndian(t[2..], (ushort)dport);
        }

        if (proto == 6)
        {
            t[12] = 0x50;
        }
        else if (proto == 17)
        {
            BinaryPrimitives.WriteUInt16BigEndian(t[4..], (ushort)t.Length);
        }

        if (_checksum && thl > 0)
        {
            int sumOffset = proto switch { 6 => 16, 17 => 6, _ => 2 };
            ushort sum = proto == 1 ? InternetChecksum.Compute(t) : InternetChecksum.Compute(t, IPHeader.PseudoSum(ip, proto, t.Length));
            BinaryPrimitives.WriteUInt16BigEndian(t[sumOffset..], proto == 17 && sum == 0 ? (ushort)0xFFFF : sum);
        }

        p.SetNetworkHeader(0, 20);
        p.DestinationIPAnnotation = dst;
        p.TimestampNanoseconds = ts;
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
        for (; n < 32; n++)
        {
            Packet? p = Next();
            if (p is null)
            {
                break;
            }

            Output(0).Push(p);
        }

        if (_done && _repeat is null)
        {
            task.Unschedule();
        }

        return n > 0;
    }

    public override Packet? Pull(int port) => _active ? Next() : null;

    public override void Cleanup()
    {
        _repeat?.Kill();
        _repeat = null;
        if (_reader is not null && !ReferenceEquals(_reader, Console.In))
        {
            _reader.Dispose();
        }

        _reader = null;
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddRead("bad_lines", () => Num(_badLines));
    }
}
