using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeOS.Net.Packets;

/// <summary>
/// A view over an Ethernet II frame (without FCS) and up to two VLAN tags (802.1Q 0x8100, 802.1ad 0x88A8): the
/// addresses, the tags, the EtherType of the payload and the payload. No copy, no allocation; writes through the
/// view change the frame.
/// </summary>
public readonly ref struct EthernetFrame
{
    /// <summary>The untagged header length.</summary>
    public const int HeaderLength = 14;

    /// <summary>The length of one VLAN tag.</summary>
    public const int VlanTagLength = 4;

    /// <summary>The most VLAN tags read (QinQ).</summary>
    public const int VlanTagsMax = 2;

    private readonly Span<byte> _frame;
    private readonly int _headerLength;

    private EthernetFrame(Span<byte> frame, int headerLength)
    {
        _frame = frame;
        _headerLength = headerLength;
    }

    /// <summary>The whole frame.</summary>
    public Span<byte> Bytes => _frame;

    /// <summary>The destination MAC address (6 bytes, writable).</summary>
    public Span<byte> Destination => _frame[..6];

    /// <summary>The source MAC address (6 bytes, writable).</summary>
    public Span<byte> Source => _frame.Slice(6, 6);

    /// <summary>The number of VLAN tags (0 to <see cref="VlanTagsMax"/>).</summary>
    public int VlanTagCount => (_headerLength - HeaderLength) / VlanTagLength;

    /// <summary>The outer VLAN tag's control information (priority, DEI, VLAN id), or 0 when untagged.</summary>
    public ushort OuterVlanTci => VlanTagCount > 0 ? BinaryPrimitives.ReadUInt16BigEndian(_frame[14..]) : (ushort)0;

    /// <summary>The VLAN id (12 bits) of the innermost tag, or 0 when untagged.</summary>
    public ushort VlanId =>
        VlanTagCount > 0 ? (ushort)(BinaryPrimitives.ReadUInt16BigEndian(_frame[(_headerLength - 4)..]) & 0x0FFF) : (ushort)0;

    /// <summary>The EtherType of the payload (after the tags).</summary>
    public ushort EtherType => BinaryPrimitives.ReadUInt16BigEndian(_frame[(_headerLength - 2)..]);

    /// <summary>The header length including the tags (14, 18 or 22).</summary>
    public int TotalHeaderLength => _headerLength;

    /// <summary>The bytes after the header (may include Ethernet padding past the network packet's own length).</summary>
    public Span<byte> Payload => _frame[_headerLength..];

    /// <summary>Makes a view over <paramref name="frame"/>. O(1), reads at most 22 bytes.</summary>
    /// <param name="frame">The frame bytes.</param>
    /// <param name="view">The view, or <c>default</c> on an error.</param>
    /// <param name="error"><see cref="PacketError.Truncated"/> if the header (with its tags) does not fit;
    /// <see cref="PacketError.Unsupported"/> for more than two tags.</param>
    /// <returns><see langword="true"/> if the view was made.</returns>
    public static bool TryParse(Span<byte> frame, out EthernetFrame view, out PacketError error)
    {
        view = default;
        int header = HeaderLength;
        if (frame.Length < header)
        {
            error = PacketError.Truncated;
            return false;
        }

        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        while (type is Packets.EtherType.Vlan or Packets.EtherType.QinQ)
        {
            if (header == HeaderLength + (VlanTagsMax * VlanTagLength))
            {
                error = PacketError.Unsupported;
                return false;
            }

            header += VlanTagLength;
            if (frame.Length < header)
            {
                error = PacketError.Truncated;
                return false;
            }

            type = BinaryPrimitives.ReadUInt16BigEndian(frame[(header - 2)..]);
        }

        view = new EthernetFrame(frame, header);
        error = PacketError.None;
        return true;
    }

    /// <summary>Swaps the source and destination addresses in place (for a reply). O(1).</summary>
    /// <exception cref="InvalidOperationException">The view is <c>default</c>.</exception>
    public void SwapAddresses()
    {
        // A parsed view covers at least 14 bytes, so the two 6-byte addresses can be moved as 4 + 2 bytes each;
        // default(EthernetFrame) covers none and must not be written through.
        if (_frame.Length < HeaderLength)
        {
            throw new InvalidOperationException("default(EthernetFrame) has no addresses to swap; make the view with TryParse.");
        }

        ref byte start = ref MemoryMarshal.GetReference(_frame);
        uint destinationHigh = Unsafe.ReadUnaligned<uint>(ref start);
        ushort destinationLow = Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, 4));
        Unsafe.WriteUnaligned(ref start, Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, 6)));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, 4), Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, 10)));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, 6), destinationHigh);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, 10), destinationLow);
    }
}
