using System.Buffers.Binary;
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
        Outputs[0].Push(p);
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
        Outputs[0].Push(p);
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

    public override void Push(int port, Packet p) => Outputs[0].Push(SimpleAction(p)!);
}

/// <summary>VLANEncap(VLAN_TCI | VLAN_ID, VLAN_PCP; ETHERTYPE): inserts an 802.1Q tag after the Ethernet addresses (VLAN_ID ANNO takes the annotation).</summary>
internal sealed class VlanEncap : Element
{
    private ushort _tci;
    private bool _useAnno;
    private ushort _ethertype = 0x8100;

    public override string PortCount => "1/1";

    public override bool Configure(Args args, ElementErrors errors)
    {
        ushort id = 0;
        byte pcp = 0;
        if (args.TryTake("VLAN_TCI", ArgFlags.None, out string tci))
        {
            if (!UInt16Value(tci, out _tci, out _))
            {
                errors.Error("VLAN_TCI: expected integer between 0 and 65535");
            }
        }
        else if (args.TryTake("VLAN_ID", ArgFlags.MandatoryPositional, out string vid))
        {
            if (vid == "ANNO")
            {
                _useAnno = true;
            }
            else if (!UInt16Value(vid, out id, out _) || id > 0xFFF)
            {
                errors.Error("VLAN_ID: expected integer between 0 and 4095");
            }
        }

        if (args.TryRead("VLAN_PCP", ArgFlags.Positional, ElementHelpers.ByteValue, out pcp) && pcp > 7)
        {
            errors.Error("VLAN_PCP: expected integer between 0 and 7");
        }

        _ethertype = args.Read("ETHERTYPE", ArgFlags.None, UInt16Value, (ushort)0x8100);
        if (tci.Length == 0)
        {
            _tci = (ushort)((pcp << 13) | id);
        }

        return args.Complete();
    }

    public override Packet? SimpleAction(Packet p)
    {
        if (p.Length < 12)
        {
            p.Kill();
            return null;
        }

        p.Push(4);
        Span<byte> d = p.Data;
        d.Slice(4, 12).CopyTo(d);
        BinaryPrimitives.WriteUInt16BigEndian(d[12..], _ethertype);
        BinaryPrimitives.WriteUInt16BigEndian(d[14..], _useAnno ? p.VlanTci : _tci);
        return p;
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
