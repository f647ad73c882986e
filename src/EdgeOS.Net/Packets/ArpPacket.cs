using System.Buffers.Binary;

namespace EdgeOS.Net.Packets;

/// <summary>A view over an ARP packet for Ethernet and IPv4 (RFC 826): 28 bytes, addresses as spans and numbers.</summary>
public readonly ref struct ArpPacket
{
    /// <summary>The length of an Ethernet/IPv4 ARP packet.</summary>
    public const int Length = 28;

    /// <summary>Operation: request.</summary>
    public const ushort OperationRequest = 1;

    /// <summary>Operation: reply.</summary>
    public const ushort OperationReply = 2;

    private readonly Span<byte> _packet;

    private ArpPacket(Span<byte> packet) => _packet = packet;

    /// <summary>The 28 bytes.</summary>
    public Span<byte> Bytes => _packet;

    /// <summary>The operation (1 request, 2 reply).</summary>
    public ushort Operation
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_packet[6..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_packet[6..], value);
    }

    /// <summary>The sender's MAC address (6 bytes, writable).</summary>
    public Span<byte> SenderHardwareAddress => _packet.Slice(8, 6);

    /// <summary>The sender's IPv4 address as a number.</summary>
    public uint SenderProtocolAddress
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_packet[14..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_packet[14..], value);
    }

    /// <summary>The target's MAC address (6 bytes, writable; zero in a request).</summary>
    public Span<byte> TargetHardwareAddress => _packet.Slice(18, 6);

    /// <summary>The target's IPv4 address as a number.</summary>
    public uint TargetProtocolAddress
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_packet[24..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_packet[24..], value);
    }

    /// <summary>Makes a view over the ARP packet at the start of <paramref name="data"/> (an Ethernet payload).</summary>
    /// <param name="data">The bytes.</param>
    /// <param name="view">The view, or <c>default</c> on an error.</param>
    /// <param name="error"><see cref="PacketError.Truncated"/> under 28 bytes; <see cref="PacketError.Unsupported"/>
    /// for hardware other than Ethernet (1, length 6) or protocol other than IPv4 (0x0800, length 4).</param>
    /// <returns><see langword="true"/> if the view was made.</returns>
    public static bool TryParse(Span<byte> data, out ArpPacket view, out PacketError error)
    {
        view = default;
        if (data.Length < Length)
        {
            error = PacketError.Truncated;
            return false;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(data) != 1 || BinaryPrimitives.ReadUInt16BigEndian(data[2..]) != EtherType.Ipv4
            || data[4] != 6 || data[5] != 4)
        {
            error = PacketError.Unsupported;
            return false;
        }

        view = new ArpPacket(data[..Length]);
        error = PacketError.None;
        return true;
    }
}
