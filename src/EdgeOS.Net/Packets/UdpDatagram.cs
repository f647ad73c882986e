using System.Buffers.Binary;

namespace EdgeOS.Net.Packets;

/// <summary>
/// A view over a UDP datagram (RFC 768): ports, length, checksum, payload. The checksum covers an IPv4
/// pseudo-header, so verifying and computing it take the addresses (or the <see cref="Ipv4Packet"/>).
/// </summary>
public readonly ref struct UdpDatagram
{
    /// <summary>The UDP header length.</summary>
    public const int HeaderLength = 8;

    private readonly Span<byte> _datagram;

    private UdpDatagram(Span<byte> datagram) => _datagram = datagram;

    /// <summary>The datagram: header and payload, <see cref="Length"/> bytes.</summary>
    public Span<byte> Bytes => _datagram;

    /// <summary>The source port.</summary>
    public ushort SourcePort
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_datagram);
        set => BinaryPrimitives.WriteUInt16BigEndian(_datagram, value);
    }

    /// <summary>The destination port.</summary>
    public ushort DestinationPort
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_datagram[2..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_datagram[2..], value);
    }

    /// <summary>The length field: header plus payload.</summary>
    public ushort Length => BinaryPrimitives.ReadUInt16BigEndian(_datagram[4..]);

    /// <summary>The stored checksum (0: none was computed, allowed over IPv4).</summary>
    public ushort Checksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_datagram[6..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_datagram[6..], value);
    }

    /// <summary>The payload: <see cref="Length"/> - 8 bytes.</summary>
    public Span<byte> Payload => _datagram[HeaderLength..];

    /// <summary>
    /// Makes a view over the UDP datagram in an IPv4 packet's payload, checking the length field (8 to the payload
    /// length) and, if asked, the checksum. O(1), or O(n) with verification.
    /// </summary>
    /// <param name="ip">The IPv4 packet (protocol 17, not a fragment).</param>
    /// <param name="view">The view (limited to the length field), or <c>default</c> on an error.</param>
    /// <param name="error"><see cref="PacketError.Unsupported"/> (not UDP, or a fragment), <see cref="PacketError.Truncated"/>,
    /// <see cref="PacketError.BadLength"/>, <see cref="PacketError.BadChecksum"/>.</param>
    /// <param name="verifyChecksum">Whether to verify a non-zero checksum.</param>
    /// <returns><see langword="true"/> if the view was made.</returns>
    public static bool TryParse(in Ipv4Packet ip, out UdpDatagram view, out PacketError error, bool verifyChecksum = true)
    {
        view = default;
        if (ip.Protocol != IpProtocol.Udp || ip.IsFragment)
        {
            error = PacketError.Unsupported;
            return false;
        }

        if (!TryParse(ip.Payload, out view, out error))
        {
            return false;
        }

        if (verifyChecksum && view.Checksum != 0 && !view.IsChecksumValid(ip.Source, ip.Destination))
        {
            view = default;
            error = PacketError.BadChecksum;
            return false;
        }

        return true;
    }

    /// <summary>Makes a view over a UDP datagram at the start of <paramref name="data"/>, checking only lengths.</summary>
    /// <param name="data">The bytes (an IP payload).</param>
    /// <param name="view">The view, or <c>default</c> on an error.</param>
    /// <param name="error"><see cref="PacketError.Truncated"/> or <see cref="PacketError.BadLength"/>.</param>
    /// <returns><see langword="true"/> if the view was made.</returns>
    public static bool TryParse(Span<byte> data, out UdpDatagram view, out PacketError error)
    {
        view = default;
        if (data.Length < HeaderLength)
        {
            error = PacketError.Truncated;
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
        if (length < HeaderLength || length > data.Length)
        {
            error = PacketError.BadLength;
            return false;
        }

        view = new UdpDatagram(data[..length]);
        error = PacketError.None;
        return true;
    }

    /// <summary>Whether the stored checksum verifies (a zero checksum means none and verifies). O(n).</summary>
    /// <param name="source">The IPv4 source address.</param>
    /// <param name="destination">The IPv4 destination address.</param>
    /// <returns><see langword="true"/> if it verifies or is absent.</returns>
    public bool IsChecksumValid(uint source, uint destination) =>
        Checksum == 0 || InternetChecksum.Verify(_datagram, InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Udp, Length));

    /// <summary>Computes and stores the checksum (0 is sent as 0xFFFF, RFC 768). O(n).</summary>
    /// <param name="source">The IPv4 source address.</param>
    /// <param name="destination">The IPv4 destination address.</param>
    public void UpdateChecksum(uint source, uint destination)
    {
        Checksum = 0;
        ushort sum = InternetChecksum.Compute(_datagram, InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Udp, Length));
        Checksum = sum == 0 ? (ushort)0xFFFF : sum;
    }
}
