using System.Buffers.Binary;

namespace EdgeOS.Net.Packets;

/// <summary>
/// A view over an ICMP message (RFC 792): type, code, checksum and, for echo request (8) and echo reply (0), the
/// identifier, sequence number and data. The checksum covers the whole message.
/// </summary>
public readonly ref struct IcmpPacket
{
    /// <summary>The ICMP header length (type, code, checksum and the 4-byte rest of header).</summary>
    public const int HeaderLength = 8;

    /// <summary>Echo reply.</summary>
    public const byte TypeEchoReply = 0;

    /// <summary>Echo request.</summary>
    public const byte TypeEchoRequest = 8;

    private readonly Span<byte> _message;

    private IcmpPacket(Span<byte> message) => _message = message;

    /// <summary>The whole message.</summary>
    public Span<byte> Bytes => _message;

    /// <summary>The type.</summary>
    public byte Type
    {
        get => _message[0];
        set => _message[0] = value;
    }

    /// <summary>The code.</summary>
    public byte Code => _message[1];

    /// <summary>The stored checksum.</summary>
    public ushort Checksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_message[2..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_message[2..], value);
    }

    /// <summary>Whether this is an echo request or an echo reply.</summary>
    public bool IsEcho => Type is TypeEchoRequest or TypeEchoReply;

    /// <summary>The echo identifier (bytes 4-5).</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_message[4..]);

    /// <summary>The echo sequence number (bytes 6-7).</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_message[6..]);

    /// <summary>The data after the 8-byte header.</summary>
    public Span<byte> Data => _message[HeaderLength..];

    /// <summary>Makes a view over the ICMP message in an IPv4 packet's payload, optionally verifying the checksum.</summary>
    /// <param name="ip">The IPv4 packet (protocol 1, not a fragment).</param>
    /// <param name="view">The view, or <c>default</c> on an error.</param>
    /// <param name="error"><see cref="PacketError.Unsupported"/> (not ICMP, or a fragment), <see cref="PacketError.Truncated"/>,
    /// <see cref="PacketError.BadChecksum"/>.</param>
    /// <param name="verifyChecksum">Whether to verify the checksum. O(n) if so.</param>
    /// <returns><see langword="true"/> if the view was made.</returns>
    public static bool TryParse(in Ipv4Packet ip, out IcmpPacket view, out PacketError error, bool verifyChecksum = true)
    {
        view = default;
        if (ip.Protocol != IpProtocol.Icmp || ip.IsFragment)
        {
            error = PacketError.Unsupported;
            return false;
        }

        Span<byte> data = ip.Payload;
        if (data.Length < HeaderLength)
        {
            error = PacketError.Truncated;
            return false;
        }

        if (verifyChecksum && !InternetChecksum.Verify(data))
        {
            error = PacketError.BadChecksum;
            return false;
        }

        view = new IcmpPacket(data);
        error = PacketError.None;
        return true;
    }

    /// <summary>Whether the stored checksum verifies. O(n).</summary>
    /// <returns><see langword="true"/> if it does.</returns>
    public bool IsChecksumValid() => InternetChecksum.Verify(_message);

    /// <summary>Recomputes and stores the checksum. O(n).</summary>
    public void UpdateChecksum()
    {
        Checksum = 0;
        Checksum = InternetChecksum.Compute(_message);
    }
}
