using EdgeOS.Net.Packets;
using EdgeOS.Net.Pcap;
using EdgeOS.Net.Tests.Pcap;
using Xunit;

namespace EdgeOS.Net.Tests.Packets;

public sealed class PacketBuilderTests
{
    private static readonly byte[] LocalMac = [0x02, 0xEE, 0, 0, 0, 0x10];

    [Fact]
    public void ArpRequestBecomesTheReplyFromUs()
    {
        byte[] frame = TestFrames.ArpRequest();
        Assert.True(PacketBuilder.TryMakeArpReply(frame, LocalMac, out PacketError error), error.ToString());
        Assert.True(EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out _));
        Assert.Equal(TestFrames.MacA, ethernet.Destination.ToArray());
        Assert.Equal(LocalMac, ethernet.Source.ToArray());
        Assert.True(ArpPacket.TryParse(ethernet.Payload, out ArpPacket arp, out _));
        Assert.Equal(ArpPacket.OperationReply, arp.Operation);
        Assert.Equal(LocalMac, arp.SenderHardwareAddress.ToArray());
        Assert.Equal(0x0A000002u, arp.SenderProtocolAddress);
        Assert.Equal(TestFrames.MacA, arp.TargetHardwareAddress.ToArray());
        Assert.Equal(0x0A000001u, arp.TargetProtocolAddress);

        // A reply is not answered, and nothing changes.
        byte[] before = (byte[])frame.Clone();
        Assert.False(PacketBuilder.TryMakeArpReply(frame, LocalMac, out error));
        Assert.Equal(PacketError.Unsupported, error);
        Assert.Equal(before, frame);
    }

    [Fact]
    public void EchoRequestBecomesAReplyWithTheChecksumsOfAFullRecomputation()
    {
        byte[] frame = TestFrames.IcmpEcho(IcmpPacket.TypeEchoRequest, id: 9, sequence: 77, payloadLength: 56);
        frame[14 + 8] = 17; // an odd TTL, reset by the reply
        RewriteIpChecksum(frame);
        Assert.True(PacketBuilder.TryMakeIcmpEchoReply(frame, out int length, out PacketError error), error.ToString());
        Assert.Equal(frame.Length, length);

        byte[] expected = TestFrames.IcmpEcho(IcmpPacket.TypeEchoReply, id: 9, sequence: 77, payloadLength: 56);
        SwapForReply(expected);
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void UdpDatagramIsEchoedWithPortsSwappedAndValidChecksums()
    {
        byte[] frame = TestFrames.Udp(srcPort: 40000, dstPort: 7, payloadLength: 25, optionsBytes: 4, vlan: 10, ttl: 3);
        Array.Resize(ref frame, frame.Length + 6); // Ethernet padding is dropped from the reply length
        Assert.True(PacketBuilder.TryMakeUdpEcho(frame, out int length, out PacketError error), error.ToString());
        Assert.Equal(frame.Length - 6, length);
        Assert.Equal(PacketError.None, PacketViewTests.ParseChain(frame.AsSpan(0, length)));
        Assert.True(EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out _));
        Assert.Equal(TestFrames.MacA, ethernet.Destination.ToArray());
        Assert.Equal(10, ethernet.VlanId);
        Assert.True(Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet ip, out _));
        Assert.Equal(0x0A000002u, ip.Source);
        Assert.Equal(PacketBuilder.ReplyTimeToLive, ip.TimeToLive);
        Assert.True(UdpDatagram.TryParse(ip, out UdpDatagram udp, out _));
        Assert.Equal(7, udp.SourcePort);
        Assert.Equal(40000, udp.DestinationPort);
    }

    [Fact]
    public void NonRequestsAreRefusedUnchanged()
    {
        byte[] reply = TestFrames.IcmpEcho(IcmpPacket.TypeEchoReply, 1, 1, 8);
        byte[] before = (byte[])reply.Clone();
        Assert.False(PacketBuilder.TryMakeIcmpEchoReply(reply, out _, out PacketError error));
        Assert.Equal(PacketError.Unsupported, error);
        Assert.Equal(before, reply);

        byte[] udp = TestFrames.Udp(1, 2, 5);
        udp[^1] ^= 1;
        before = (byte[])udp.Clone();
        Assert.False(PacketBuilder.TryMakeUdpEcho(udp, out _, out error));
        Assert.Equal(PacketError.BadChecksum, error);
        Assert.Equal(before, udp);
    }

    [Fact]
    public void WrittenUdpFrameEqualsTheHandBuiltOne()
    {
        byte[] expected = TestFrames.Udp(srcPort: 40000, dstPort: 11211, payloadLength: 26);
        expected[14 + 8] = 64;
        expected[14 + 4] = 0x12;
        expected[14 + 5] = 0x34;
        byte[] buffer = new byte[200];
        int length = PacketBuilder.WriteUdp(buffer, TestFrames.MacA, TestFrames.MacB, 0x0A000001, 0x0A000002, 40000, 11211, "abcdefghijklmnopqrstuvwxyz"u8, identification: 0x1234);
        Assert.Equal(expected, buffer[..length]);
        Assert.Throws<ArgumentException>(() => PacketBuilder.WriteUdp(new byte[40], TestFrames.MacA, TestFrames.MacB, 1, 2, 3, 4, default));
        Assert.Throws<ArgumentException>(() => PacketBuilder.WriteUdp(buffer, TestFrames.MacA.AsSpan(0, 5), TestFrames.MacB, 1, 2, 3, 4, default));
    }

    [Fact]
    public void TcpdumpAcceptsTheChecksumsOfBuiltReplies()
    {
        string tcpdump = ExternalTool.Require("tcpdump");
        using var dir = new TempDirectory();
        var frames = new List<(byte[] Data, long Time)>();
        for (int i = 0; i < 5; i++)
        {
            byte[] udp = TestFrames.Udp((ushort)(1000 + i), 7, 10 * i, ttl: (byte)(1 + i));
            Assert.True(PacketBuilder.TryMakeUdpEcho(udp, out _, out _));
            frames.Add((udp, 1_000_000_000L * (i + 1)));
            byte[] ping = TestFrames.IcmpEcho(8, 5, (ushort)i, 7 * i);
            Assert.True(PacketBuilder.TryMakeIcmpEchoReply(ping, out _, out _));
            frames.Add((ping, 1_000_000_000L * (i + 1)));
        }

        string file = dir.File("replies.pcap");
        File.WriteAllBytes(file, PcapFileTests.WriteFile(frames, new PcapWriterOptions()));
        var (code, output, error) = ExternalTool.Run(tcpdump, "-r", file, "-nn", "-vv");
        Assert.True(code == 0, error);
        Assert.Equal(5, output.Split("[udp sum ok]").Length - 1);
        Assert.Equal(5, output.Split("ICMP echo reply").Length - 1);
        Assert.DoesNotContain("bad", output, StringComparison.OrdinalIgnoreCase);
    }

    private static void RewriteIpChecksum(byte[] frame)
    {
        frame[14 + 10] = 0;
        frame[14 + 11] = 0;
        ushort sum = TestFrames.NaiveChecksum(frame.AsSpan(14, 20), 0);
        frame[14 + 10] = (byte)(sum >> 8);
        frame[14 + 11] = (byte)sum;
    }

    private static void SwapForReply(byte[] frame)
    {
        byte[] mac = frame[..6];
        frame.AsSpan(6, 6).CopyTo(frame);
        mac.CopyTo(frame, 6);
        byte[] ip = frame[26..30];
        frame.AsSpan(30, 4).CopyTo(frame.AsSpan(26));
        ip.CopyTo(frame, 30);
    }
}
