using System.Buffers.Binary;
using EdgeOS.Net.Packets;
using Xunit;

namespace EdgeOS.Net.Tests.Packets;

public sealed class PacketViewTests
{
    [Theory]
    [InlineData(0, null)]
    [InlineData(12, null)]
    [InlineData(40, (ushort)0x2064)]
    public void UdpFrameIsReadFieldByField(int optionsBytes, ushort? vlan)
    {
        byte[] frame = TestFrames.Udp(srcPort: 40000, dstPort: 11211, payloadLength: 33, optionsBytes, vlan);
        Assert.True(EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out PacketError error), error.ToString());
        Assert.Equal(TestFrames.MacB, ethernet.Destination.ToArray());
        Assert.Equal(TestFrames.MacA, ethernet.Source.ToArray());
        Assert.Equal(EtherType.Ipv4, ethernet.EtherType);
        Assert.Equal(vlan is null ? 0 : 1, ethernet.VlanTagCount);
        Assert.Equal(vlan is null ? 0 : 0x064, ethernet.VlanId);

        Assert.True(Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet ip, out error), error.ToString());
        Assert.Equal(4, ip.Version);
        Assert.Equal(20 + optionsBytes, ip.HeaderLength);
        Assert.Equal(optionsBytes, ip.Options.Length);
        Assert.Equal(20 + optionsBytes + 8 + 33, ip.TotalLength);
        Assert.Equal(0x0A000001u, ip.Source);
        Assert.Equal(0x0A000002u, ip.Destination);
        Assert.Equal(IpProtocol.Udp, ip.Protocol);
        Assert.Equal(64, ip.TimeToLive);
        Assert.False(ip.IsFragment);
        Assert.Equal(0x1234, ip.Identification);
        Assert.True(ip.IsChecksumValid());

        Assert.True(UdpDatagram.TryParse(ip, out UdpDatagram udp, out error), error.ToString());
        Assert.Equal(40000, udp.SourcePort);
        Assert.Equal(11211, udp.DestinationPort);
        Assert.Equal(41, udp.Length);
        Assert.Equal("abcdefghijklmnopqrstuvwxyzabcdefg"u8.ToArray(), udp.Payload.ToArray());
    }

    [Fact]
    public void EthernetPaddingIsNotPartOfTheIpPacket()
    {
        byte[] frame = TestFrames.Udp(1, 2, payloadLength: 2);
        Array.Resize(ref frame, 60);
        Assert.True(EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out _));
        Assert.Equal(46, ethernet.Payload.Length);
        Assert.True(Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet ip, out _));
        Assert.Equal(30, ip.Bytes.Length);
        Assert.True(UdpDatagram.TryParse(ip, out UdpDatagram udp, out _));
        Assert.Equal(2, udp.Payload.Length);
    }

    [Fact]
    public void IcmpEchoAndArpAreRead()
    {
        byte[] ping = TestFrames.IcmpEcho(IcmpPacket.TypeEchoRequest, id: 0x77, sequence: 3, payloadLength: 56);
        Assert.True(EthernetFrame.TryParse(ping, out EthernetFrame ethernet, out _));
        Assert.True(Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet ip, out _));
        Assert.True(IcmpPacket.TryParse(ip, out IcmpPacket icmp, out PacketError error), error.ToString());
        Assert.True(icmp.IsEcho);
        Assert.Equal(IcmpPacket.TypeEchoRequest, icmp.Type);
        Assert.Equal(0x77, icmp.Identifier);
        Assert.Equal(3, icmp.SequenceNumber);
        Assert.Equal(56, icmp.Data.Length);

        byte[] who = TestFrames.ArpRequest();
        Assert.True(EthernetFrame.TryParse(who, out ethernet, out _));
        Assert.Equal(EtherType.Arp, ethernet.EtherType);
        Assert.True(ArpPacket.TryParse(ethernet.Payload, out ArpPacket arp, out _));
        Assert.Equal(ArpPacket.OperationRequest, arp.Operation);
        Assert.Equal(0x0A000001u, arp.SenderProtocolAddress);
        Assert.Equal(0x0A000002u, arp.TargetProtocolAddress);
        Assert.Equal(TestFrames.MacA, arp.SenderHardwareAddress.ToArray());
    }

    [Fact]
    public void EveryTruncationOfAUdpFrameIsReportedNeverThrown()
    {
        byte[] frame = TestFrames.Udp(1000, 2000, payloadLength: 20, optionsBytes: 8, vlan: 5);
        for (int cut = 0; cut < frame.Length; cut++)
        {
            Span<byte> data = frame.AsSpan(0, cut);
            PacketError error = ParseChain(data);
            Assert.NotEqual(PacketError.None, error);
            PacketError expected = cut < 18 ? PacketError.Truncated : cut < 18 + 20 ? PacketError.Truncated : cut < 18 + 28 ? PacketError.BadHeaderLength : PacketError.BadLength;
            Assert.Equal(expected, error);
        }

        Assert.Equal(PacketError.None, ParseChain(frame));
    }

    [Theory]
    [InlineData(0x40, PacketError.BadHeaderLength)]
    [InlineData(0x44, PacketError.BadHeaderLength)]
    [InlineData(0x4F, PacketError.BadHeaderLength)]
    [InlineData(0x65, PacketError.BadVersion)]
    public void BadVersionOrIhlIsReported(byte versionIhl, PacketError expected)
    {
        byte[] frame = TestFrames.Udp(1, 2, payloadLength: 10);
        frame[14] = versionIhl;
        Assert.True(EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out _));
        Assert.False(Ipv4Packet.TryParse(ethernet.Payload, out _, out PacketError error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(19)]
    [InlineData(1000)]
    public void TotalLengthBelowHeaderOrBeyondFrameIsReported(int totalLength)
    {
        byte[] frame = TestFrames.Udp(1, 2, payloadLength: 10);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), (ushort)totalLength);
        Assert.True(EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out _));
        Assert.False(Ipv4Packet.TryParse(ethernet.Payload, out _, out PacketError error, verifyChecksum: false));
        Assert.Equal(PacketError.BadLength, error);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(19)]
    public void UdpLengthOutsideThePacketIsReported(int udpLength)
    {
        byte[] frame = TestFrames.Udp(1, 2, payloadLength: 10);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 20 + 4), (ushort)udpLength);
        Assert.True(EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out _));
        Assert.True(Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet ip, out _));
        Assert.False(UdpDatagram.TryParse(ip, out _, out PacketError error));
        Assert.Equal(PacketError.BadLength, error);
    }

    [Fact]
    public void BadChecksumsAreReportedAndCanBeSkipped()
    {
        byte[] frame = TestFrames.Udp(1, 2, payloadLength: 10);
        frame[^1] ^= 0xFF; // payload byte: UDP checksum wrong, IP header fine
        Assert.True(EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out _));
        Assert.True(Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet ip, out _));
        Assert.False(UdpDatagram.TryParse(ip, out _, out PacketError error));
        Assert.Equal(PacketError.BadChecksum, error);
        Assert.True(UdpDatagram.TryParse(ip, out _, out _, verifyChecksum: false));

        frame[14 + 8] = 1; // TTL: header checksum wrong
        Assert.False(Ipv4Packet.TryParse(ethernet.Payload, out _, out error));
        Assert.Equal(PacketError.BadChecksum, error);

        byte[] ping = TestFrames.IcmpEcho(8, 1, 1, 4);
        ping[^1] ^= 1;
        Assert.True(EthernetFrame.TryParse(ping, out ethernet, out _));
        Assert.True(Ipv4Packet.TryParse(ethernet.Payload, out ip, out _));
        Assert.False(IcmpPacket.TryParse(ip, out _, out error));
        Assert.Equal(PacketError.BadChecksum, error);
    }

    [Fact]
    public void ZeroUdpChecksumMeansNoneAndVerifies()
    {
        byte[] frame = TestFrames.Udp(1, 2, payloadLength: 10);
        frame[14 + 20 + 6] = 0;
        frame[14 + 20 + 7] = 0;
        Assert.Equal(PacketError.None, ParseChain(frame));
    }

    [Fact]
    public void ThreeVlanTagsAreUnsupported()
    {
        byte[] frame = new byte[64];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.QinQ);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), EtherType.Vlan);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), EtherType.Vlan);
        Assert.False(EthernetFrame.TryParse(frame, out _, out PacketError error));
        Assert.Equal(PacketError.Unsupported, error);
    }

    [Fact]
    public void FragmentsHaveNoTransportView()
    {
        byte[] frame = TestFrames.Udp(1, 2, payloadLength: 10);
        frame[14 + 6] = 0x20; // more fragments
        Assert.True(EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out _));
        Assert.True(Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet ip, out _, verifyChecksum: false));
        Assert.True(ip.IsFragment);
        Assert.False(UdpDatagram.TryParse(ip, out _, out PacketError error));
        Assert.Equal(PacketError.Unsupported, error);
    }

    [Fact]
    public void DefaultViewsHaveNoBytesAndSwappingThrows()
    {
        Assert.Throws<InvalidOperationException>(() => default(EthernetFrame).SwapAddresses());
        Assert.Equal(0, default(Ipv4Packet).Bytes.Length);
    }

    internal static PacketError ParseChain(Span<byte> frame)
    {
        if (!EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out PacketError error))
        {
            return error;
        }

        if (ethernet.EtherType == EtherType.Arp)
        {
            return ArpPacket.TryParse(ethernet.Payload, out _, out error) ? PacketError.None : error;
        }

        if (!Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet ip, out error))
        {
            return error;
        }

        return ip.Protocol switch
        {
            IpProtocol.Udp => UdpDatagram.TryParse(ip, out _, out error) ? PacketError.None : error,
            IpProtocol.Icmp => IcmpPacket.TryParse(ip, out _, out error) ? PacketError.None : error,
            _ => PacketError.None,
        };
    }
}
