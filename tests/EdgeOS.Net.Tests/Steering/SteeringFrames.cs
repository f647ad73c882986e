using System.Buffers.Binary;
using Xunit;

namespace EdgeOS.Net.Tests.Steering;

/// <summary>Frames with a chosen 5-tuple for the steering tests (checksums left 0: steering does not verify them).</summary>
internal static class SteeringFrames
{
    internal const byte Udp = 17;
    internal const byte Tcp = 6;

    internal static byte[] Build(byte protocol, uint source, uint destination, ushort sourcePort, ushort destinationPort, int payloadBytes = 8, ushort? vlan = null)
    {
        int l2 = vlan is null ? 14 : 18;
        int l4 = protocol == Tcp ? 20 : 8;
        byte[] frame = new byte[l2 + 20 + l4 + payloadBytes];
        TestFrames.MacB.CopyTo(frame, 0);
        TestFrames.MacA.CopyTo(frame, 6);
        if (vlan is ushort tag)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), tag);
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l2 - 2), 0x0800);
        Span<byte> ip = frame.AsSpan(l2);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + l4 + payloadBytes));
        ip[6] = 0x40;
        ip[8] = 64;
        ip[9] = protocol;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], source);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], destination);
        BinaryPrimitives.WriteUInt16BigEndian(ip[20..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(ip[22..], destinationPort);
        if (protocol == Udp)
        {
            BinaryPrimitives.WriteUInt16BigEndian(ip[24..], (ushort)(8 + payloadBytes));
        }
        else
        {
            ip[32] = 0x50; // data offset 5 words
        }

        for (int i = 0; i < payloadBytes; i++)
        {
            frame[l2 + 20 + l4 + i] = (byte)i;
        }

        return frame;
    }

    internal static byte[] Udp4(ushort destinationPort, ushort sourcePort = 40000) =>
        Build(Udp, 0x0A000001, 0x0A000002, sourcePort, destinationPort);

    internal static ushort DestinationPort(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt16BigEndian(frame[36..]);

    /// <summary>Sends the frames from <paramref name="sender"/>; they arrive at its peer.</summary>
    internal static void Send(MemoryPort sender, IEnumerable<byte[]> frames)
    {
        Span<Frame> one = stackalloc Frame[1];
        foreach (byte[] bytes in frames)
        {
            Assert.Equal(1, sender.AllocateTransmit(one));
            bytes.CopyTo(sender.GetBuffer(one[0]));
            one[0] = one[0].WithLength(bytes.Length);
            Assert.Equal(1, sender.Transmit(one));
        }
    }

    /// <summary>
    /// Sends as many of <paramref name="templates"/> as <paramref name="frames"/> and the sender's free frames hold, in
    /// one batch, allocating nothing (for the allocation tests' rounds).
    /// </summary>
    internal static void SendBatch(MemoryPort sender, byte[][] templates, Frame[] frames)
    {
        int count = sender.AllocateTransmit(frames);
        for (int i = 0; i < count; i++)
        {
            templates[i].CopyTo(sender.GetBuffer(frames[i]));
            frames[i] = frames[i].WithLength(templates[i].Length);
        }

        sender.Transmit(frames.AsSpan(0, count));
    }

    /// <summary>Steers everything waiting at <paramref name="steering"/>'s port; returns how many frames it received.</summary>
    internal static int PollAll(Net.Steering.PacketSteering steering)
    {
        int total = 0;
        int count;
        while ((count = steering.Poll()) > 0)
        {
            total += count;
        }

        return total;
    }
}
