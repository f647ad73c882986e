using EdgeOS.Net.Packets;
using Xunit;

namespace EdgeOS.Net.Tests.Packets;

/// <summary>
/// Seeded random inputs through every parser and builder: only the documented results come out (a
/// <see cref="PacketError"/>, never an exception), every view stays inside its input, and a failed builder
/// leaves the frame as it was.
/// </summary>
public sealed class PacketFuzzTests
{
    private static readonly byte[] LocalMac = [2, 0, 0, 0, 0, 9];

    [Fact]
    public void RandomBytesAreParsedWithoutExceptions()
    {
        var random = new Random(20240601);
        byte[] buffer = new byte[256];
        for (int i = 0; i < 30_000; i++)
        {
            random.NextBytes(buffer);
            int length = random.Next(0, buffer.Length);

            // Bias towards plausible headers so the deeper parsers are reached.
            if (length > 14 && i % 2 == 0)
            {
                buffer[12] = 0x08;
                buffer[13] = (byte)(i % 4 == 0 ? 0x06 : 0x00);
                if (length > 15)
                {
                    buffer[14] = (byte)(0x40 | (buffer[14] & 0x0F));
                }
            }

            Exercise(buffer.AsSpan(0, length));
        }
    }

    [Fact]
    public void MutatedValidPacketsAreParsedWithoutExceptions()
    {
        var random = new Random(77);
        byte[][] seeds =
        [
            TestFrames.Udp(1234, 53, 30),
            TestFrames.Udp(1, 2, 0, optionsBytes: 40, vlan: 3),
            TestFrames.IcmpEcho(8, 1, 2, 40),
            TestFrames.ArpRequest(),
        ];
        for (int i = 0; i < 40_000; i++)
        {
            byte[] frame = (byte[])seeds[i % seeds.Length].Clone();
            int mutations = random.Next(1, 4);
            for (int m = 0; m < mutations; m++)
            {
                frame[random.Next(frame.Length)] = (byte)random.Next(256);
            }

            int length = random.Next(3) == 0 ? random.Next(frame.Length + 1) : frame.Length;
            Exercise(frame.AsSpan(0, length));
        }
    }

    private static void Exercise(Span<byte> frame)
    {
        // Parsers report, never throw.
        PacketError error = PacketViewTests.ParseChain(frame);
        Assert.True(Enum.IsDefined(error));
        if (EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out _))
        {
            Assert.InRange(ethernet.TotalHeaderLength, 14, Math.Min(22, frame.Length));
            if (Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet ip, out _, verifyChecksum: false))
            {
                Assert.Equal(ip.TotalLength, ip.Bytes.Length);
                Assert.InRange(ip.HeaderLength, 20, ip.Bytes.Length);
                Assert.Equal(ip.TotalLength - ip.HeaderLength, ip.Payload.Length);
                _ = ip.Options.Length;
                if (UdpDatagram.TryParse(ip, out UdpDatagram udp, out _, verifyChecksum: false))
                {
                    Assert.InRange(udp.Length, 8, ip.Payload.Length);
                    Assert.Equal(udp.Length - 8, udp.Payload.Length);
                }

                if (IcmpPacket.TryParse(ip, out IcmpPacket icmp, out _, verifyChecksum: false))
                {
                    Assert.Equal(ip.Payload.Length - 8, icmp.Data.Length);
                    _ = icmp.IsChecksumValid();
                }
            }
        }

        // Builders either succeed with a length inside the frame or leave it untouched.
        byte[] before = frame.ToArray();
        if (PacketBuilder.TryMakeUdpEcho(frame, out int length, out _))
        {
            Assert.InRange(length, 42, frame.Length);
            Assert.Equal(PacketError.None, PacketViewTests.ParseChain(frame[..length]));
        }
        else if (PacketBuilder.TryMakeIcmpEchoReply(frame, out length, out _))
        {
            Assert.InRange(length, 42, frame.Length);
            Assert.Equal(PacketError.None, PacketViewTests.ParseChain(frame[..length]));
        }
        else if (!PacketBuilder.TryMakeArpReply(frame, LocalMac, out _))
        {
            Assert.True(frame.SequenceEqual(before));
        }
    }
}
