using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.IO.MemoryMappedFiles;
using System.Numerics;
using System.Text;
using EdgeOS.Net.Pcap;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>
/// FromDump(FILENAME [, TIMING]; STOP, ACTIVE, TIMING, SAMPLE, FORCE_IP, START, START_AFTER, END, END_AFTER, INTERVAL,
/// END_CALL, FILEPOS): emits the packets of a pcap file with their timestamps (push through a task, or on pull). Ethernet
/// files get the IP header annotation on IPv4 frames, raw IP files on every packet; FORCE_IP (forced for raw IP files)
/// sends packets that are not IP to output 1 if there is one, otherwise drops them. Packets get the extra length
/// annotation (wire length beyond the bytes stored).
/// <para>
/// Time window, as Click's: START (absolute) or START_AFTER (relative to the first packet in the file) skips earlier
/// packets; END (absolute), END_AFTER (relative to the first packet in the file) or INTERVAL (relative to START, or to the
/// first packet) ends the stream at the first packet at or after that time. At most one of each group, and END_CALL and
/// STOP exclude each other. At the end time and at the end of the file FromDump calls END_CALL, a write handler call
/// (<c>HANDLER [VALUE]</c>; a bare handler name is FromDump's own handler); STOP means END_CALL <c>NAME.stop</c>, and an
/// end time without either means <c>NAME.active false</c>. As in Click, a push run that stops at the end time calls the
/// handler twice (once for the time, once for having nothing to send). SAMPLE keeps each packet with that probability
/// (fixed point with 28 fraction bits). FILEPOS starts reading at that byte offset, which must be where a record starts.
/// </para>
/// <para>
/// Handlers: count, reset_counts, filename, filesize (<c>-</c> when unknown), filepos (rw), packet_filepos (where the last
/// packet read starts), active (rw), stop, encap (ETHER or IP), sampling_prob, extend_interval (moves the end time later
/// and reactivates), reset_timing. A truncated or corrupt file ends the stream with a message naming the byte offset.
/// MMAP (default true, as in Click) reads a file through a memory mapping of it, MMAP false with ordinary reads
/// (standard input and empty files are always read). A gzip-compressed file is decompressed as it is read (FILEPOS and
/// filepos then count in the decompressed dump, forward only); bzip2 files are refused.
/// </para>
/// </summary>
internal sealed class FromDump : Element
{
    /// <inheritdoc/>
    public override string? TenantRefusal => "not available in tenant mode: files are not per tenant (every tenant would read the same file): give the host --replay FILE and use FromSteering";

    /// <summary>Fraction bits of the sampling probability, as Click's.</summary>
    public const int SamplingShift = 28;

    private const uint SamplingOne = 1u << SamplingShift;

    private string _filename = string.Empty;
    private bool _active = true;
    private bool _timing;
    private bool _forceIP;
    private uint _samplingProbability = SamplingOne;
    private long _firstTime;
    private long _lastTime;
    private bool _haveFirstTime;
    private bool _haveLastTime;
    private bool _haveAnyTimes;
    private bool _firstTimeRelative;
    private bool _lastTimeRelative;
    private bool _lastTimeInterval;
    private string? _endCall;
    private Element? _endElement;
    private string _endHandler = string.Empty;
    private string _endValue = string.Empty;
    private long _startFilepos;
    private long _packetFilepos;
    private Stream? _stream;
    private MemoryMappedFile? _map;
    private bool _mmap;
    private PcapReader? _reader;
    private bool _failed;
    private ClickTask? _task;
    private ClickTimer? _timer;
    private long _count;
    private long _timingOffset;
    private Packet? _packet;

    public override string PortCount => "0/1-2";

    public override string Processing => "a/ah";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _filename = args.Read("FILENAME", ArgFlags.MandatoryPositional, CV.String, string.Empty);
        _timing = args.Read("TIMING", ArgFlags.Positional, CV.Bool, false);
        _mmap = args.Read("MMAP", ArgFlags.None, CV.Bool, true);
        bool stop = args.Read("STOP", ArgFlags.None, CV.Bool, false);
        _active = args.Read("ACTIVE", ArgFlags.None, CV.Bool, true);
        _samplingProbability = args.Read("SAMPLE", ArgFlags.None, FixedPoint.Parser, SamplingOne);
        _forceIP = args.Read("FORCE_IP", ArgFlags.None, CV.Bool, false);
        long start = args.Read("START", ArgFlags.None, CV.TimeNanoseconds, 0L);
        long startAfter = args.Read("START_AFTER", ArgFlags.None, CV.TimeNanoseconds, 0L);
        long end = args.Read("END", ArgFlags.None, CV.TimeNanoseconds, 0L);
        long endAfter = args.Read("END_AFTER", ArgFlags.None, CV.TimeNanoseconds, 0L);
        long interval = args.Read("INTERVAL", ArgFlags.None, CV.TimeNanoseconds, 0L);
        string? endCall = args.TryRead("END_CALL", ArgFlags.None, CV.String, out string e) ? e : null;
        _startFilepos = (long)args.Read("FILEPOS", ArgFlags.None, FileOffset, 0UL);
        if (!args.Complete())
        {
            return false;
        }

        if (_samplingProbability > SamplingOne)
        {
            errors.Warning("SAMPLE probability reduced to 1");
            _samplingProbability = SamplingOne;
        }
        else if (_samplingProbability == 0)
        {
            errors.Warning("SAMPLE probability is 0; emitting no packets");
        }

        // As Click: a zero time counts as not given.
        _haveFirstTime = _haveLastTime = true;
        _firstTimeRelative = _lastTimeRelative = _lastTimeInterval = false;
        if ((start != 0 ? 1 : 0) + (startAfter != 0 ? 1 : 0) > 1)
        {
            return errors.Error("START and START_AFTER are mutually exclusive");
        }
        else if (start != 0)
        {
            _firstTime = start;
        }
        else if (startAfter != 0)
        {
            (_firstTime, _firstTimeRelative) = (startAfter, true);
        }
        else
        {
            (_firstTime, _haveFirstTime, _firstTimeRelative) = (0, false, true);
        }

        if ((end != 0 ? 1 : 0) + (endAfter != 0 ? 1 : 0) + (interval != 0 ? 1 : 0) > 1)
        {
            return errors.Error("END, END_AFTER, and INTERVAL are mutually exclusive");
        }
        else if (end != 0)
        {
            _lastTime = end;
        }
        else if (endAfter != 0)
        {
            (_lastTime, _lastTimeRelative) = (endAfter, true);
        }
        else if (interval != 0)
        {
            (_lastTime, _lastTimeInterval) = (interval, true);
        }
        else
        {
            _haveLastTime = false;
        }

        if (stop && endCall is not null)
        {
            return errors.Error("END_CALL and STOP are mutually exclusive");
        }

        _endCall = endCall ?? (stop ? "stop" : _haveLastTime ? "active false" : null);
        _haveAnyTimes = false;
        return true;
    }

    private static readonly ArgParser<ulong> FileOffset = (string text, out ulong value, out string expected) =>
    {
        bool ok = CV.UInt64(text, out value, out _);
        expected = "file offset";
        return ok && value <= long.MaxValue;
    };

    public override bool Initialize(ElementErrors errors)
    {
        if (_endCall is not null && !ResolveEndCall(errors))
        {
            return false;
        }

        if (Output(0).IsPush)
        {
            _task = Router.Master.NewTask(this);
            if (_active)
            {
                _task.Reschedule();
            }
        }

        _timer = Router.Master.NewTimer(this);
        try
        {
            (_stream, _reader, _map) = Open(_filename, _mmap);
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
        catch (InvalidDataException ex)
        {
            return errors.Error($"{_filename}: {ex.Message}");
        }

        if (_reader.LinkType is not (PcapLinkType.Ethernet or PcapLinkType.Raw))
        {
            return errors.Error($"{_filename}: unsupported link type {_reader.LinkTypeValue}");
        }

        if (_reader.LinkType == PcapLinkType.Raw)
        {
            _forceIP = true;
        }

        if (_startFilepos != 0)
        {
            long want = _startFilepos;
            _startFilepos = 0;
            return Seek(want, errors);
        }

        return true;
    }

    /// <summary>
    /// Opens the file (standard input for <c>-</c>) and reads its pcap header; the reader leaves the stream (and the
    /// mapping, with <paramref name="mmap"/> for a non-empty file) to Cleanup.
    /// </summary>
    private static (Stream Stream, PcapReader Reader, MemoryMappedFile? Map) Open(string filename, bool mmap)
    {
        MemoryMappedFile? map = null;
        Stream stream;
        if (filename == "-")
        {
            stream = Console.OpenStandardInput();
        }
        else
        {
            var file = new FileStream(filename, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
            stream = file;
            if (mmap && file.Length > 0)
            {
                // The view is exactly the file's length (a view of the whole file would end on a page boundary).
                long length = file.Length;
                map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
                stream = map.CreateViewStream(0, length, MemoryMappedFileAccess.Read);
            }

            stream = Decompressed(stream, map);
        }

        try
        {
            return (stream, new PcapReader(stream, leaveOpen: true), map);
        }
        catch
        {
            if (filename != "-")
            {
                stream.Dispose();
                map?.Dispose();
            }

            throw;
        }
    }

    // A gzip file (magic 1f 8b, as Click's FromFile recognizes it) is read through a decompressor: positions (FILEPOS,
    // filepos) are then offsets in the decompressed dump, which can only move forward. bzip2 has no decompressor here.
    private static Stream Decompressed(Stream stream, MemoryMappedFile? map)
    {
        Span<byte> magic = stackalloc byte[3];
        int n = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        if (n >= 2 && magic[0] == 0x1F && magic[1] == 0x8B)
        {
            return new GZipStream(stream, CompressionMode.Decompress);
        }

        if (n == 3 && magic[0] == (byte)'B' && magic[1] == (byte)'Z' && magic[2] == (byte)'h')
        {
            stream.Dispose();
            map?.Dispose();
            throw new InvalidDataException("bzip2-compressed dumps are not supported (decompress the file first)");
        }

        return stream;
    }

    /// <summary>Finds END_CALL's handler now that every handler exists (Click's HandlerCall::initialize_write).</summary>
    private bool ResolveEndCall(ElementErrors errors)
    {
        string value = _endCall!;
        string name = ClickConfigText.ShiftSpaceVec(ref value);
        if (!Router.TryResolveHandler(name, this, out Element? e, out string h, out string error))
        {
            return errors.Error(error);
        }

        Handler? handler = e is null ? Router.GlobalHandlers.Find(h) : Router.HandlersOf(e).Find(h);
        if (handler?.Write is null)
        {
            return errors.Error($"no '{Router.HandlerName(e, h)}' write handler");
        }

        (_endElement, _endHandler, _endValue) = (e, h, value);
        return true;
    }

    private void CallEnd()
    {
        if (_endCall is null)
        {
            return;
        }

        var errors = new ElementErrors();
        if (!Router.CallWrite(_endElement, _endHandler, _endValue, errors))
        {
            foreach (string m in errors.Messages)
            {
                Router.Master.Chatter.Write($"{Name}: {m}\n");
            }
        }
    }

    private bool Seek(long position, ElementErrors errors)
    {
        try
        {
            _reader!.Seek(position);
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or NotSupportedException or IOException)
        {
            return errors.Error("FILEPOS out of range");
        }

        _failed = false;
        return true;
    }

    private void PrepareTimes(long ts)
    {
        if (_firstTimeRelative)
        {
            _firstTime += ts;
        }

        if (_lastTimeRelative)
        {
            _lastTime += ts;
        }
        else if (_lastTimeInterval)
        {
            _lastTime += _firstTime;
        }

        if (_timing)
        {
            _timingOffset = Router.Master.NowNanoseconds - ts;
        }

        _haveAnyTimes = true;
    }

    /// <summary>
    /// Click's read_packet: reads the next record into <see cref="_packet"/>. Returns false at the end of the file, on a
    /// corrupt file, or at the end time when the end call left FromDump inactive; true otherwise, with
    /// <see cref="_packet"/> still null when the record was skipped (before the start time, or not sampled).
    /// </summary>
    private bool ReadPacket()
    {
        if (_reader is null || _failed)
        {
            return false;
        }

        _packetFilepos = _reader.Position;
        Packet p = Router.Pool.Allocate(PacketPool.BufferSizeBytes - PacketPool.DefaultHeadroomBytes);
        PcapRecord record;
        try
        {
            if (!_reader.TryReadNext(p.Data, out record))
            {
                p.Kill();
                return false;
            }
        }
        catch (PcapFormatException ex)
        {
            p.Kill();
            _failed = true;
            Router.Master.Chatter.Write($"{Name}: {_filename}: {ex.Message}\n");
            return false;
        }

        long ts = record.TimestampNanoseconds;
        if (!_haveAnyTimes)
        {
            PrepareTimes(ts);
        }

        if (_haveFirstTime)
        {
            if (ts < _firstTime)
            {
                p.Kill();
                return true;
            }

            _haveFirstTime = false;
        }

        // The end call may move the end time (extend_interval) and keep FromDump active: check again.
        while (_haveLastTime && ts >= _lastTime)
        {
            _haveLastTime = false;
            CallEnd();
            if (!_active)
            {
                p.Kill();
                return false;
            }
        }

        if (_samplingProbability < SamplingOne && ((uint)Random.Shared.Next() & (SamplingOne - 1)) >= _samplingProbability)
        {
            p.Kill();
            return true;
        }

        // A captured length above the wire length (tcptrace's files) is cut to the wire length, as Click does.
        int kept = Math.Min(record.CopiedLength, Math.Max(record.OriginalLength, 0));
        p.Take(p.Length - kept);
        p.TimestampNanoseconds = ts;
        p.ExtraLengthAnnotation = (uint)Math.Max(0, record.OriginalLength - kept);
        ReadOnlySpan<byte> d = p.Data;
        if (_reader.LinkType == PcapLinkType.Raw)
        {
            if (d.Length >= 20 && d[0] >> 4 == 4)
            {
                p.SetNetworkHeader(0, (d[0] & 0xF) * 4);
            }
        }
        else if (d.Length >= 34 && BinaryPrimitives.ReadUInt16BigEndian(d[12..]) == 0x0800)
        {
            p.SetNetworkHeader(14, (d[14] & 0xF) * 4);
        }

        _packet = p;
        return true;
    }

    /// <summary>Whether <paramref name="p"/> is due under TIMING; if not, the timer wakes FromDump when it is.</summary>
    private bool CheckTiming(Packet p)
    {
        long due = p.TimestampNanoseconds + _timingOffset;
        if (Router.Master.NowNanoseconds < due)
        {
            _timer!.ScheduleAt(due);
            return false;
        }

        return true;
    }

    public override void RunTimer(ClickTimer timer)
    {
        if (_active)
        {
            _task?.Reschedule();
        }
    }

    private void SetActive(bool active)
    {
        _active = active;
        if (active)
        {
            _task?.Reschedule();
        }
    }

    public override bool RunTask(ClickTask task)
    {
        if (!_active)
        {
            task.Unschedule();
            return false;
        }

        int sent = 0;
        for (int i = 0; i < 32; i++)
        {
            if (_packet is null)
            {
                if (!ReadPacket())
                {
                    task.Unschedule();
                    CallEnd();
                    return sent > 0;
                }

                if (_packet is null)
                {
                    continue;
                }
            }

            if (_timing && !CheckTiming(_packet))
            {
                task.Unschedule();
                return sent > 0;
            }

            Packet p = _packet;
            _packet = null;
            if (_forceIP && !p.HasNetworkHeader)
            {
                CheckedOutputPush(1, p);
                continue;
            }

            PushOutput0(p);
            _count++;
            sent++;
            if (!_active)
            {
                task.Unschedule();
                break;
            }
        }

        return sent > 0;
    }

    public override Packet? Pull(int port)
    {
        if (!_active)
        {
            return null;
        }

        bool more = true;
        if (_packet is null)
        {
            more = ReadPacket();
        }

        if (_packet is not null && _timing && !CheckTiming(_packet))
        {
            return null;
        }

        if (_packet is not null && _forceIP && !_packet.HasNetworkHeader)
        {
            CheckedOutputPush(1, _packet);
            _packet = null;
        }

        if (!more)
        {
            CallEnd();
        }

        Packet? q = _packet;
        if (q is not null)
        {
            _packet = null;
            _count++;
        }

        return q;
    }

    public override void Cleanup()
    {
        _packet?.Kill();
        _packet = null;
        _reader?.Dispose();
        _reader = null;
        if (_filename != "-")
        {
            _stream?.Dispose();
            _map?.Dispose();
        }

        _stream = null;
        _map = null;
    }

    private string FileSize()
    {
        try
        {
            return _filename != "-" && _stream is { CanSeek: true } f ? f.Length.ToString(CultureInfo.InvariantCulture) : "-";
        }
        catch (IOException)
        {
            return "-";
        }
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddWrite("reset_counts", (_, _) =>
        {
            _count = 0;
            return true;
        });
        handlers.AddRead("filename", () => (_filename == "-" ? "<stdin>" : _filename) + "\n");
        handlers.AddRead("filesize", () => FileSize() + "\n");
        handlers.AddRead("filepos", () => Num(_reader?.Position ?? 0));
        handlers.AddWrite("filepos", (value, errors) =>
            CV.UInt64(ClickConfigText.Uncomment(value), out ulong offset, out _) && offset <= long.MaxValue
                ? _reader is not null && Seek((long)offset, errors)
                : errors.Error("argument must be file offset"));
        handlers.AddRead("packet_filepos", () => Num(_packetFilepos));
        handlers.AddRead("active", () => ElementHelpers.Bool(_active));
        handlers.AddWrite("active", (value, errors) =>
        {
            if (!CV.Bool(ClickConfigText.Uncomment(value), out bool active, out _))
            {
                return errors.Error("type mismatch");
            }

            SetActive(active);
            return true;
        });
        handlers.AddWrite("stop", (_, _) =>
        {
            SetActive(false);
            PleaseStopDriver();
            return true;
        });
        handlers.AddRead("encap", () => (_reader?.LinkType == PcapLinkType.Raw ? "IP" : "ETHER") + "\n");
        handlers.AddRead("sampling_prob", () => FixedPoint.Unparse(_samplingProbability, SamplingShift) + "\n");
        handlers.AddWrite("extend_interval", (value, errors) =>
        {
            if (!CV.TimeNanoseconds(ClickConfigText.Uncomment(value), out long ns, out _))
            {
                return errors.Error("'extend_interval' takes a time interval");
            }

            _lastTime += ns;
            if (_endCall is not null)
            {
                _haveLastTime = true;
                SetActive(true);
            }

            return true;
        });
        handlers.AddWrite("reset_timing", (_, _) =>
        {
            _firstTimeRelative = false;
            _lastTimeRelative = _lastTimeInterval = false;
            _haveAnyTimes = false;
            return true;
        });
    }
}

/// <summary>
/// Click's unsigned fixed-point reals (FixedPointArg and cp_unparse_real2): a decimal such as <c>0.25</c> rounded to the
/// nearest multiple of 2^-bits, and back as the shortest decimal that rounds to the same value.
/// </summary>
internal static class FixedPoint
{
    /// <summary>An unsigned real with <see cref="FromDump.SamplingShift"/> fraction bits, at most 2^32-1 units.</summary>
    public static readonly ArgParser<uint> Parser = (string text, out uint value, out string expected) =>
        TryParse(text, FromDump.SamplingShift, out value, out expected);

    public static bool TryParse(string text, int bits, out uint value, out string expected)
    {
        expected = "unsigned real number";
        value = 0;
        string t = text.Trim();
        if (t.Length == 0 || t[0] is '-' or '+'
            || !decimal.TryParse(t, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out decimal d))
        {
            return false;
        }

        decimal scaled = decimal.Round(d * (1UL << bits), MidpointRounding.AwayFromZero);
        if (scaled > uint.MaxValue)
        {
            return false;
        }

        value = (uint)scaled;
        return true;
    }

    /// <summary>The shortest decimal that reads back as <paramref name="value"/> (Knuth's method for TeX's scaled numbers).</summary>
    public static string Unparse(uint value, int bits)
    {
        long unity = 1L << bits;
        var sb = new StringBuilder();
        sb.Append((value >> bits).ToString(CultureInfo.InvariantCulture));
        long fraction = value & (unity - 1);
        if (fraction == 0)
        {
            return sb.ToString();
        }

        sb.Append('.');
        BigInteger s = (10 * fraction) + 5;
        BigInteger delta = 10;
        do
        {
            if (delta > unity)
            {
                s += (unity / 2) - (delta / 2);
            }

            sb.Append((char)('0' + (int)(s / unity)));
            s = 10 * (s % unity);
            delta *= 10;
        }
        while (s > delta);
        return sb.ToString();
    }
}

/// <summary>
/// ToDump(FILENAME [, SNAPLEN, ENCAP]; USE_ENCAP_FROM, EXTRA_LENGTH, UNBUFFERED, NANO): writes packets to a pcap file
/// (<c>-</c> for standard output). SNAPLEN (default 2000; 0 for no limit, which the header records as 16 MiB, the most a
/// record may hold) cuts long packets; ENCAP is the link type stored in the header: ETHER (default), IP, NULL, SLL, FDDI,
/// ATM, 802_11, AIRONET, HDLC, PPP_HDLC, PPP, SUNATM or PRISM. USE_ENCAP_FROM names elements whose <c>encap</c> handlers
/// (FromDump's) give it instead; they must agree. EXTRA_LENGTH (default true) adds packets' extra length annotation to
/// the wire length recorded. UNBUFFERED writes every packet through at once; NANO (default false) writes nanosecond
/// timestamps. A packet without a timestamp gets the current time. Pushed packets are written and then passed to
/// output 0 if connected (otherwise dropped); in pull context without an output a task pulls. A write error stops
/// writing, with a message. Handlers count, reset_counts, filename.
/// </summary>
internal sealed class ToDump : Element
{
    /// <inheritdoc/>
    public override string? TenantRefusal => "not available in tenant mode: files are not per tenant (every tenant would write the same file)";

    private static readonly Dictionary<string, PcapLinkType> s_encaps = new(StringComparer.Ordinal)
    {
        // Names as Click's fakepcap spells them; numbers are the pcap LINKTYPE values stored in files.
        ["ETHER"] = PcapLinkType.Ethernet,
        ["IP"] = PcapLinkType.Raw,
        ["NULL"] = PcapLinkType.Null,
        ["SLL"] = PcapLinkType.LinuxSll,
        ["PPP"] = (PcapLinkType)9,
        ["FDDI"] = (PcapLinkType)10,
        ["PPP_HDLC"] = (PcapLinkType)50,
        ["ATM"] = (PcapLinkType)100,
        ["HDLC"] = (PcapLinkType)104,
        ["802_11"] = (PcapLinkType)105,
        ["PRISM"] = (PcapLinkType)119,
        ["AIRONET"] = (PcapLinkType)120,
        ["SUNATM"] = (PcapLinkType)123,
    };

    private string _filename = string.Empty;
    private int _snaplen = 2000;
    private PcapLinkType _encap = PcapLinkType.Ethernet;
    private List<Element>? _useEncapFrom;
    private bool _extraLength = true;
    private bool _unbuffered;
    private bool _nano;
    private bool _active;
    private PcapWriter? _writer;
    private long _count;
    private ClickTask? _task;
    private IEmptyNotifier? _notifier;

    public override string PortCount => "1/0-1";

    /// <summary>After FromDump and FromDevice, as Click's (CONFIGURE_PHASE_DEFAULT + 100).</summary>
    public override int ConfigurePhase => ConfigurePhaseDefault + 100;

    public override bool Configure(Args args, ElementErrors errors)
    {
        _filename = args.Read("FILENAME", ArgFlags.MandatoryPositional, CV.String, string.Empty);
        uint snaplen = args.Read("SNAPLEN", ArgFlags.Positional, CV.UInt32, 2000u);
        string? encap = args.TryRead("ENCAP", ArgFlags.Positional, CV.Word, out string en) ? en : null;
        string? useEncapFrom = args.TryTake("USE_ENCAP_FROM", ArgFlags.None, out string from) ? from : null;
        _extraLength = args.Read("EXTRA_LENGTH", ArgFlags.None, CV.Bool, true);
        _unbuffered = args.Read("UNBUFFERED", ArgFlags.None, CV.Bool, false);
        _nano = args.Read("NANO", ArgFlags.None, CV.Bool, false);
        if (!args.Complete())
        {
            return false;
        }

        _snaplen = snaplen == 0 || snaplen > PcapReader.RecordLengthBytesMax ? PcapReader.RecordLengthBytesMax : (int)snaplen;
        if (useEncapFrom is not null && encap is not null)
        {
            return errors.Error("specify at most one of 'ENCAP' and 'USE_ENCAP_FROM'");
        }

        if (useEncapFrom is not null)
        {
            _useEncapFrom = [];
            foreach (string word in ClickConfigText.SpaceVec(useEncapFrom))
            {
                Element? e = Router.FindRelative(word, this);
                if (e is null)
                {
                    return errors.Error($"no element named '{word}'");
                }

                _useEncapFrom.Add(e);
            }

            if (_useEncapFrom.Count == 0)
            {
                return errors.Error("element names missing after 'USE_ENCAP_FROM'");
            }
        }
        else if (encap is not null)
        {
            if (!s_encaps.TryGetValue(encap, out _encap))
            {
                return errors.Error("bad encapsulation type");
            }
        }

        return true;
    }

    private bool EncapFromSources(ElementErrors errors)
    {
        var types = new List<string>();
        foreach (Element e in _useEncapFrom!)
        {
            Handler? h = Router.HandlersOf(e).Find("encap");
            if (h is null || !h.IsReadable)
            {
                return errors.Error($"'{e.Declaration}' has no 'encap' read handler");
            }

            types.Add(ClickConfigText.Uncomment(Router.CallRead(e, "encap")));
        }

        PcapLinkType? chosen = null;
        for (int i = 0; i < types.Count; i++)
        {
            if (!s_encaps.TryGetValue(types[i], out PcapLinkType t))
            {
                return errors.Error($"'{_useEncapFrom[i].Declaration}.encap' did not return a valid encapsulation type");
            }

            if (chosen is not null && chosen != t)
            {
                errors.Error("source encapsulation types disagree:");
                for (int j = 0; j < types.Count; j++)
                {
                    errors.Error($"  {_useEncapFrom[j].Declaration} has {types[j]}");
                }

                return false;
            }

            chosen = t;
        }

        _encap = chosen!.Value;
        return true;
    }

    public override bool Initialize(ElementErrors errors)
    {
        if (_useEncapFrom is not null && !EncapFromSources(errors))
        {
            return false;
        }

        var options = new PcapWriterOptions
        {
            LinkType = _encap,
            SnapLengthBytes = _snaplen,
            Resolution = _nano ? PcapTimestampResolution.Nanoseconds : PcapTimestampResolution.Microseconds,
        };
        try
        {
            _writer = _filename == "-" ? new PcapWriter(Console.OpenStandardOutput(), options) : PcapWriter.Create(_filename, options);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return errors.Error($"{_filename}: {ex.Message}");
        }

        if (Input(0).IsPull && NOutputs == 0)
        {
            _task = Router.Master.NewTask(this);
            _notifier = FindUpstreamNotifier(this, 0);
            _task.Reschedule();
        }

        _active = true;
        return true;
    }

    private string PrintFilename => _filename == "-" ? "<stdout>" : _filename;

    private void Write(Packet p)
    {
        if (!_active)
        {
            return;
        }

        ReadOnlySpan<byte> d = p.Data;
        long ts = p.TimestampNanoseconds != 0 ? p.TimestampNanoseconds : Router.Master.NowNanoseconds;
        long wire = d.Length + (_extraLength ? p.ExtraLengthAnnotation : 0);
        try
        {
            _writer!.Write(d.Length > _snaplen ? d[.._snaplen] : d, ts, (int)Math.Min(wire, int.MaxValue));
            if (_unbuffered)
            {
                _writer.Flush();
            }

            _count++;
        }
        catch (Exception ex) when (ex is IOException or ArgumentOutOfRangeException)
        {
            _active = false;
            Router.Master.Chatter.Write($"ToDump({PrintFilename}): {ex.Message}\n");
        }
    }

    public override void Push(int port, Packet p)
    {
        Write(p);
        CheckedOutputPush(0, p);
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
        if (!_active)
        {
            task.Unschedule();
            return false;
        }

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
        try
        {
            _writer?.Dispose();
        }
        catch (IOException ex)
        {
            Router.Master.Chatter.Write($"ToDump({PrintFilename}): {ex.Message}\n");
        }

        _writer = null;
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddWrite("reset_counts", (_, _) =>
        {
            _count = 0;
            return true;
        });
        handlers.AddRead("filename", () => PrintFilename + "\n");
    }
}
