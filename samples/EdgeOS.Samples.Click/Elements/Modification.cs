using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>Strip(LENGTH): removes LENGTH bytes from the front of each packet.</summary>
internal sealed class Strip : Element
{
    private int _length;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _length = args.Read("LENGTH", ArgFlags.MandatoryPositional, NonNegative, 0);
        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        p.Pull(_length);
        return p;
    }

    public override void Push(int port, Packet p)
    {
        p.Pull(_length);
        PushOutput0(p);
    }
}

/// <summary>Unstrip(LENGTH): puts LENGTH bytes back in front of each packet (the bytes in the headroom).</summary>
internal sealed class Unstrip : Element
{
    private int _length;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _length = args.Read("LENGTH", ArgFlags.MandatoryPositional, NonNegative, 0);
        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        p.Push(_length);
        return p;
    }
}

/// <summary>Pad(LENGTH; ZERO): pads packets shorter than LENGTH bytes (with zeros unless ZERO false).</summary>
internal sealed class Pad : Element
{
    private int _length;
    private bool _zero = true;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _length = args.Read("LENGTH", ArgFlags.Positional, NonNegative, 0);
        _zero = args.Read("ZERO", ArgFlags.None, CV.Bool, true);
        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        int old = p.Length;
        if (old < _length)
        {
            p.Put(_length - old);
            if (_zero)
            {
                p.Data[old..].Clear();
            }
        }

        return p;
    }
}

/// <summary>Truncate(LENGTH): cuts packets to at most LENGTH bytes.</summary>
internal sealed class Truncate : Element
{
    private int _length;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _length = args.Read("LENGTH", ArgFlags.MandatoryPositional, NonNegative, 0);
        if (args.TryRead("EXTRA_LENGTH", ArgFlags.None, CV.Bool, out bool _))
        {
            // Packets here carry no extra-length annotation, so either value behaves the same.
        }

        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        if (p.Length > _length)
        {
            p.Take(p.Length - _length);
        }

        return p;
    }
}

/// <summary>Resize(HEAD, TAIL): adds (positive) or removes (negative) bytes at the head and tail.</summary>
internal sealed class Resize : Element
{
    private int _head;
    private int _tail;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _head = args.Read("HEAD", ArgFlags.Positional, CV.Int32, 0);
        _tail = args.Read("TAIL", ArgFlags.Positional, CV.Int32, 0);
        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        if (_head > 0)
        {
            p.Push(_head);
        }
        else if (_head < 0)
        {
            p.Pull(-_head);
        }

        if (_tail > 0)
        {
            p.Put(_tail);
        }
        else if (_tail < 0)
        {
            p.Take(-_tail);
        }

        return p;
    }
}

/// <summary>EtherEncap(ETHERTYPE, SRC, DST): prepends an Ethernet header.</summary>
internal sealed class EtherEncap : Element
{
    private ushort _type;
    private ulong _src;
    private ulong _dst;
    private byte[] _header = new byte[14];

    public override string PortCount => "1/1";

    internal override void RebindForTenant(TenantCloner cloner) => _header = (byte[])_header.Clone(); // the src/dst write handlers rewrite it

    public override bool Configure(Args args, ElementErrors errors)
    {
        _type = args.Read("ETHERTYPE", ArgFlags.MandatoryPositional, UInt16Value, (ushort)0);
        _src = args.Read("SRC", ArgFlags.MandatoryPositional, Router.Addresses.Ethernet, 0UL);
        _dst = args.Read("DST", ArgFlags.MandatoryPositional, Router.Addresses.Ethernet, 0UL);
        Fill();
        return args.Complete();
    }

    private void Fill()
    {
        CV.WriteEthernet(_dst, _header);
        CV.WriteEthernet(_src, _header.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(_header.AsSpan(12), _type);
    }

    public override Packet? SimpleAction(Packet p)
    {
        p.Push(14);
        _header.CopyTo(p.Data);
        return p;
    }

    public override void Push(int port, Packet p)
    {
        p.Push(14);
        _header.CopyTo(p.Data);
        PushOutput0(p);
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("src", () => CV.FormatEthernet(_header.AsSpan(6)) + "\n");
        handlers.AddWrite("src", Writer(Router.Addresses.Ethernet, v =>
        {
            _src = v;
            Fill();
        }));
        handlers.AddRead("dst", () => CV.FormatEthernet(_header) + "\n");
        handlers.AddWrite("dst", Writer(Router.Addresses.Ethernet, v =>
        {
            _dst = v;
            Fill();
        }));
        handlers.AddRead("ethertype", () => $"0x{_type:x4}\n");
    }
}

/// <summary>EtherMirror: swaps the Ethernet source and destination addresses.</summary>
internal sealed class EtherMirror : Element
{
    public override string PortCount => "1/1";

    public override Packet? SimpleAction(Packet p)
    {
        Span<byte> d = p.Data;
        if (d.Length >= 12)
        {
            Span<byte> tmp = stackalloc byte[6];
            d[..6].CopyTo(tmp);
            d.Slice(6, 6).CopyTo(d);
            tmp.CopyTo(d.Slice(6, 6));
        }

        return p;
    }

    public override void Push(int port, Packet p) => PushOutput0(SimpleAction(p)!);
}

/// <summary>
/// VLANEncap(VLAN_TCI, VLAN_PCP; VLAN_ID, NATIVE_VLAN, ETHERTYPE): inserts an 802.1Q tag (ETHERTYPE, default 0x8100)
/// after the Ethernet addresses. The TCI is VLAN_TCI (0-0xFFFF; the word ANNO takes each packet's VLAN TCI
/// annotation) or VLAN_ID (0-0xFFF), with VLAN_PCP (0-7) in its top 3 bits. A packet whose VLAN ID equals NATIVE_VLAN
/// (-1 to 0xFFF, default 0; -1: none) passes untagged. Handlers as Click's vlanencap.cc: <c>config</c> (Click's
/// summary, <c>VLAN_ID n, VLAN_PCP p</c> or <c>ANNO</c>, then <c>, NATIVE_VLAN n</c> when it is not 0), <c>vlan_tci</c>
/// (the TCI or ANNO), and <c>vlan_id</c>, <c>vlan_pcp</c>, <c>native_vlan</c>, <c>ethertype</c>, which read that
/// keyword out of the <c>config</c> summary (empty when it is not there). Every one of these has a write handler that,
/// as in Click (where VLANEncap cannot reconfigure live), fails with <c>cannot reconfigure 'NAME :: VLANEncap' live</c>.
/// </summary>
internal sealed class VlanEncap : Element
{
    private ushort _tci;
    private bool _useAnno;
    private int _nativeVlan;
    private ushort _ethertype = 0x8100;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        args.TryTake("VLAN_TCI", ArgFlags.Positional, out string tciWord);
        int pcp = ReadBounded(args, "VLAN_PCP", ArgFlags.Positional, 0, 7);
        int id = ReadBounded(args, "VLAN_ID", ArgFlags.None, 0, 0xFFF);
        int native = ReadBounded(args, "NATIVE_VLAN", ArgFlags.None, -1, 0xFFF);
        _ethertype = args.Read("ETHERTYPE", ArgFlags.None, UInt16Value, (ushort)0x8100);
        if (!args.Complete())
        {
            return false;
        }

        // As Click: ANNO is recognised by its first four letters; any other word must be a TCI.
        _useAnno = tciWord.StartsWith("ANNO", StringComparison.Ordinal);
        int tci = -1;
        if (tciWord.Length > 0 && !_useAnno)
        {
            if (!TryBounded(tciWord, 0, 0xFFFF, out tci, out string? message))
            {
                return errors.Error($"VLAN_TCI: {message}");
            }
        }

        _tci = (ushort)((tci >= 0 ? tci : id) | (pcp << 13));
        _nativeVlan = native;
        return true;
    }

    /// <summary>Reads an integer argument between <paramref name="min"/> and <paramref name="max"/> (Click's BoundedIntArg); 0 when absent.</summary>
    private static int ReadBounded(Args args, string keyword, ArgFlags flags, int min, int max)
    {
        if (!args.TryTake(keyword, flags, out string text))
        {
            return 0;
        }

        if (TryBounded(text, min, max, out int value, out string? message))
        {
            return value;
        }

        args.Errors.Error($"{keyword}: {message}");
        return 0;
    }

    private static bool TryBounded(string text, int min, int max, out int value, out string? message)
    {
        message = CV.IntegerError(text, min, (ulong)max, signed: true);
        if (message is null && CV.Int32(text, out value, out _))
        {
            return true;
        }

        message ??= "invalid number";
        value = 0;
        return false;
    }

    public override Packet? SimpleAction(Packet p)
    {
        ushort tci = _useAnno ? p.VlanTci : _tci;
        if ((tci & 0xFFF) == _nativeVlan)
        {
            return p;
        }

        if (p.Length < 12)
        {
            p.Kill();
            return null;
        }

        p.Push(4);
        Span<byte> d = p.Data;
        d.Slice(4, 12).CopyTo(d);
        BinaryPrimitives.WriteUInt16BigEndian(d[12..], _ethertype);
        BinaryPrimitives.WriteUInt16BigEndian(d[14..], tci);
        return p;
    }

    /// <summary>Click's <c>config</c> read handler for VLANEncap: a summary, not the configuration string.</summary>
    private string Summary()
    {
        var sb = new StringBuilder();
        if (_useAnno)
        {
            sb.Append("ANNO");
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"VLAN_ID {_tci & 0xFFF}, VLAN_PCP {(_tci >> 13) & 7}");
        }

        if (_nativeVlan != 0)
        {
            // Click prints its stored native VLAN through a 16-bit byte swap, so -1 reads back as 65535.
            sb.Append(CultureInfo.InvariantCulture, $", NATIVE_VLAN {(ushort)_nativeVlan}");
        }

        return sb.ToString();
    }

    /// <summary>The value of <paramref name="keyword"/> in the <c>config</c> summary, newline-terminated, or empty.</summary>
    private string SummaryKeyword(string keyword)
    {
        string value = string.Empty;
        foreach (string arg in ClickConfigText.ArgVec(Summary()))
        {
            if (arg.StartsWith(keyword + " ", StringComparison.Ordinal))
            {
                value = arg[(keyword.Length + 1)..].Trim();
            }
        }

        return value.Length == 0 ? value : value + "\n";
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("config", () => Summary() + "\n");
        handlers.AddRead("vlan_tci", () => _useAnno ? "ANNO\n" : Num(_tci));
        HandlerWrite refuse = (_, errors) => errors.Error($"cannot reconfigure '{Declaration}' live");
        handlers.AddWrite("vlan_tci", refuse);
        foreach ((string name, string keyword) in new[] { ("vlan_id", "VLAN_ID"), ("vlan_pcp", "VLAN_PCP"), ("native_vlan", "NATIVE_VLAN"), ("ethertype", "ETHERTYPE") })
        {
            handlers.AddRead(name, () => SummaryKeyword(keyword));
            handlers.AddWrite(name, refuse);
        }
    }
}

/// <summary>VLANDecap(ANNO): removes an 802.1Q/802.1ad tag, storing its TCI in the VLAN annotation (unless ANNO false).</summary>
internal sealed class VlanDecap : Element
{
    private bool _anno = true;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        _anno = args.Read("ANNO", ArgFlags.Positional, CV.Bool, true);
        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        Span<byte> d = p.Data;
        if (d.Length >= 18 && BinaryPrimitives.ReadUInt16BigEndian(d[12..]) is 0x8100 or 0x88A8)
        {
            ushort tci = BinaryPrimitives.ReadUInt16BigEndian(d[14..]);
            d[..12].CopyTo(d.Slice(4, 12));
            p.Pull(4);
            if (_anno)
            {
                p.VlanTci = tci;
            }
        }
        else if (_anno)
        {
            p.VlanTci = 0;
        }

        return p;
    }
}

/// <summary>SetVLANAnno(VLAN_TCI | VLAN_ID, VLAN_PCP): sets the VLAN annotation.</summary>
internal sealed class SetVlanAnno : Element
{
    private ushort _tci;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        if (args.TryRead("VLAN_TCI", ArgFlags.None, UInt16Value, out ushort tci))
        {
            _tci = tci;
        }
        else
        {
            ushort id = args.Read("VLAN_ID", ArgFlags.Positional, UInt16Value, (ushort)0);
            byte pcp = args.Read("VLAN_PCP", ArgFlags.Positional, ElementHelpers.ByteValue, (byte)0);
            if (id > 0xFFF || pcp > 7)
            {
                errors.Error("VLAN_ID must be below 4096 and VLAN_PCP below 8");
            }

            _tci = (ushort)((pcp << 13) | id);
        }

        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        p.VlanTci = _tci;
        return p;
    }
}
