using System.Buffers.Binary;

namespace EdgeOS.Net.Packets;

/// <summary>
/// Builds replies in place (ARP reply, ICMP echo reply, UDP echo: swap the addresses and ports, fix the fields and
/// the checksums) and writes new UDP frames. No allocation. The in-place methods check the request fully first and
/// change nothing when they return <see langword="false"/>.
/// </summary>
/// <remarks>
/// Checksums of replies are updated incrementally (RFC 1624) where only a few fields change: swapping source and
/// destination leaves every one's-complement sum as it was, so only the TTL (reset to <see cref="ReplyTimeToLive"/>)
/// and the ICMP type need an update. The result equals a full recomputation (the tests check it).
/// </remarks>
public static class PacketBuilder
{
    /// <summary>The TTL of replies (Linux's default).</summary>
    public const byte ReplyTimeToLive = 64;

    /// <summary>
    /// Turns an ARP request in <paramref name="frame"/> into the reply from <paramref name="localMac"/>: Ethernet
    /// destination = the asker, source = us; operation 2; target = the asker; sender = us and the address asked for.
    /// The caller decides whether the asked address is one it answers for. The length is unchanged.
    /// </summary>
    /// <param name="frame">An Ethernet frame holding an ARP request (VLAN tags are kept).</param>
    /// <param name="localMac">Our MAC address (6 bytes).</param>
    /// <param name="error">Why the frame is not an answerable request (<see cref="PacketError.Unsupported"/> for
    /// another EtherType or an ARP reply).</param>
    /// <returns><see langword="true"/> if the reply was written.</returns>
    /// <exception cref="ArgumentException"><paramref name="localMac"/> is not 6 bytes.</exception>
    public static bool TryMakeArpReply(Span<byte> frame, ReadOnlySpan<byte> localMac, out PacketError error)
    {
        ThrowIfNotMac(localMac, nameof(localMac));
        if (!EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out error))
        {
            return false;
        }

        if (ethernet.EtherType != EtherType.Arp || !ArpPacket.TryParse(ethernet.Payload, out ArpPacket arp, out error)
            || arp.Operation != ArpPacket.OperationRequest)
        {
            error = error == PacketError.None ? PacketError.Unsupported : error;
            return false;
        }

        uint asked = arp.TargetProtocolAddress;
        arp.SenderHardwareAddress.CopyTo(ethernet.Destination);
        localMac.CopyTo(ethernet.Source);
        arp.Operation = ArpPacket.OperationReply;
        arp.SenderHardwareAddress.CopyTo(arp.TargetHardwareAddress);
        arp.TargetProtocolAddress = arp.SenderProtocolAddress;
        localMac.CopyTo(arp.SenderHardwareAddress);
        arp.SenderProtocolAddress = asked;
        return true;
    }

    /// <summary>
    /// Turns an ICMP echo request in <paramref name="frame"/> into its echo reply: addresses swapped, TTL reset,
    /// type 0, checksums updated. Both checksums of the request are verified first.
    /// </summary>
    /// <param name="frame">An Ethernet frame holding an IPv4 ICMP echo request.</param>
    /// <param name="length">The reply's frame length (the request's, without Ethernet padding).</param>
    /// <param name="error">Why the frame is not an answerable echo request.</param>
    /// <returns><see langword="true"/> if the reply was written.</returns>
    public static bool TryMakeIcmpEchoReply(Span<byte> frame, out int length, out PacketError error)
    {
        length = 0;
        if (!TryParseIpv4(frame, out EthernetFrame ethernet, out Ipv4Packet ip, out error)
            || !IcmpPacket.TryParse(ip, out IcmpPacket icmp, out error))
        {
            return false;
        }

        if (icmp.Type != IcmpPacket.TypeEchoRequest || icmp.Code != 0)
        {
            error = PacketError.Unsupported;
            return false;
        }

        ethernet.SwapAddresses();
        SwapAddressesAndResetTtl(ip);
        icmp.Type = IcmpPacket.TypeEchoReply;
        icmp.Checksum = InternetChecksum.Update(icmp.Checksum, (ushort)(IcmpPacket.TypeEchoRequest << 8), (ushort)(IcmpPacket.TypeEchoReply << 8));
        length = ethernet.TotalHeaderLength + ip.TotalLength;
        return true;
    }

    /// <summary>
    /// Turns a UDP datagram in <paramref name="frame"/> into its echo (same payload back to the sender): MAC
    /// addresses, IP addresses and ports swapped, TTL reset, IP checksum updated; the UDP checksum is unchanged by
    /// the swap. Both checksums of the request are verified first.
    /// </summary>
    /// <param name="frame">An Ethernet frame holding an IPv4 UDP datagram.</param>
    /// <param name="length">The reply's frame length (without Ethernet padding).</param>
    /// <param name="error">Why the frame is not a UDP datagram that can be echoed.</param>
    /// <returns><see langword="true"/> if the reply was written.</returns>
    public static bool TryMakeUdpEcho(Span<byte> frame, out int length, out PacketError error)
    {
        length = 0;
        if (!TryParseIpv4(frame, out EthernetFrame ethernet, out Ipv4Packet ip, out error)
            || !UdpDatagram.TryParse(ip, out UdpDatagram udp, out error))
        {
            return false;
        }

        ethernet.SwapAddresses();
        SwapAddressesAndResetTtl(ip);
        ushort port = udp.SourcePort;
        udp.SourcePort = udp.DestinationPort;
        udp.DestinationPort = port;
        length = ethernet.TotalHeaderLength + ip.TotalLength;
        return true;
    }

    /// <summary>
    /// Writes an untagged Ethernet + IPv4 (no options, don't-fragment) + UDP frame carrying
    /// <paramref name="payload"/>, with every length and both checksums filled. O(payload).
    /// </summary>
    /// <param name="destination">Where to write; at least 42 + payload length bytes.</param>
    /// <param name="sourceMac">The source MAC (6 bytes).</param>
    /// <param name="destinationMac">The destination MAC (6 bytes).</param>
    /// <param name="sourceAddress">The IPv4 source address as a number.</param>
    /// <param name="destinationAddress">The IPv4 destination address as a number.</param>
    /// <param name="sourcePort">The UDP source port.</param>
    /// <param name="destinationPort">The UDP destination port.</param>
    /// <param name="payload">The UDP payload (at most 65507 bytes).</param>
    /// <param name="identification">The IPv4 identification field.</param>
    /// <returns>The frame length written.</returns>
    /// <exception cref="ArgumentException">A MAC is not 6 bytes, the payload is too long for IPv4, or the
    /// destination is too small; nothing is written.</exception>
    public static int WriteUdp(
        Span<byte> destination,
        ReadOnlySpan<byte> sourceMac,
        ReadOnlySpan<byte> destinationMac,
        uint sourceAddress,
        uint destinationAddress,
        ushort sourcePort,
        ushort destinationPort,
        ReadOnlySpan<byte> payload,
        ushort identification = 0)
    {
        ThrowIfNotMac(sourceMac, nameof(sourceMac));
        ThrowIfNotMac(destinationMac, nameof(destinationMac));
        const int Headers = EthernetFrame.HeaderLength + Ipv4Packet.MinimumHeaderLength + UdpDatagram.HeaderLength;
        if (payload.Length > ushort.MaxValue - Ipv4Packet.MinimumHeaderLength - UdpDatagram.HeaderLength)
        {
            throw new ArgumentException($"A UDP payload of {payload.Length} bytes does not fit in an IPv4 packet (65507 at most).", nameof(payload));
        }

        int length = Headers + payload.Length;
        if (destination.Length < length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; the frame needs {length}.", nameof(destination));
        }

        Span<byte> frame = destination[..length];
        destinationMac.CopyTo(frame);
        sourceMac.CopyTo(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherType.Ipv4);

        Span<byte> ip = frame[EthernetFrame.HeaderLength..];
        ip[0] = 0x45;
        ip[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(length - EthernetFrame.HeaderLength));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], identification);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);
        ip[8] = ReplyTimeToLive;
        ip[9] = IpProtocol.Udp;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], sourceAddress);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], destinationAddress);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip[..Ipv4Packet.MinimumHeaderLength]));

        Span<byte> udp = ip[Ipv4Packet.MinimumHeaderLength..];
        ushort udpLength = (ushort)(UdpDatagram.HeaderLength + payload.Length);
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
        payload.CopyTo(udp[UdpDatagram.HeaderLength..]);
        ushort sum = InternetChecksum.Compute(udp[..udpLength], InternetChecksum.PseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.Udp, udpLength));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], sum == 0 ? (ushort)0xFFFF : sum);
        return length;
    }

    private static bool TryParseIpv4(Span<byte> frame, out EthernetFrame ethernet, out Ipv4Packet ip, out PacketError error)
    {
        ip = default;
        if (!EthernetFrame.TryParse(frame, out ethernet, out error))
        {
            return false;
        }

        if (ethernet.EtherType != EtherType.Ipv4)
        {
            error = PacketError.Unsupported;
            return false;
        }

        return Ipv4Packet.TryParse(ethernet.Payload, out ip, out error);
    }

    private static void SwapAddressesAndResetTtl(in Ipv4Packet ip)
    {
        // Swapping the two address words leaves the header sum unchanged; only the TTL/protocol word changes.
        uint source = ip.Source;
        ip.Source = ip.Destination;
        ip.Destination = source;
        ushort oldWord = (ushort)((ip.TimeToLive << 8) | ip.Protocol);
        ip.TimeToLive = ReplyTimeToLive;
        ushort newWord = (ushort)((ReplyTimeToLive << 8) | ip.Protocol);
        ip.HeaderChecksum = InternetChecksum.Update(ip.HeaderChecksum, oldWord, newWord);
    }

    private static void ThrowIfNotMac(ReadOnlySpan<byte> mac, string name)
    {
        if (mac.Length != 6)
        {
            throw new ArgumentException($"A MAC address is 6 bytes, not {mac.Length}.", name);
        }
    }
}
