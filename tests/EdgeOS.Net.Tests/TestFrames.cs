using System.Buffers.Binary;

namespace EdgeOS.Net.Tests;

/// <summary>
/// Known packets built byte by byte (RFC 791 IPv4, RFC 768 UDP, RFC 792 ICMP, RFC 826 ARP) with a naive
/// checksum written here, independent of the library's code, as the oracle for the parsers and builders.
/// </summary>
internal static class TestFrames
{
    public static readonly byte[] MacA = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
    public static readonly byte[] MacB = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
    public static readonly byte[] IpA = [10, 0, 0, 1];
    public static readonly byte[] IpB = [10, 0, 0, 2];

    public static byte[] Udp(ushort srcPort, ushort dstPort, int payloadLength, int optionsBytes = 0, ushort? vlan = null, byte ttl = 64)
    {
        int l2 = vlan is null ? 14 : 18;
        int ihl = 20 + optionsBytes;
        byte[] frame = new byte[l2 + ihl + 8 + payloadLength];
        WriteEthernet(frame, MacB, MacA, 0x0800, vlan);
        Span<byte> ip = frame.AsSpan(l2);
        ip[0] = (byte)(0x40 | (ihl / 4));
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(ihl + 8 + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0x1234);
        ip[6] = 0x40; // don't fragment
        ip[8] = ttl;
        ip[9] = 17;
        IpA.CopyTo(ip[12..]);
        IpB.CopyTo(ip[16..]);
        for (int i = 0; i < optionsBytes; i++)
        {
            ip[20 + i] = 1; // NOP options
        }

        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], NaiveChecksum(ip[..ihl], 0));
        Span<byte> udp = ip[ihl..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payloadLength));
        for (int i = 0; i < payloadLength; i++)
        {
            udp[8 + i] = (byte)('a' + (i % 26));
        }

        uint pseudo = Sum16(IpA) + Sum16(IpB) + 17u + (uint)(8 + payloadLength);
        ushort sum = NaiveChecksum(udp, pseudo);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], sum == 0 ? (ushort)0xFFFF : sum);
        return frame;
    }

    public static byte[] IcmpEcho(byte type, ushort id, ushort sequence, int payloadLength)
    {
        byte[] frame = new byte[14 + 20 + 8 + payloadLength];
        WriteEthernet(frame, MacB, MacA, 0x0800, null);
        Span<byte> ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + payloadLength));
        ip[8] = 64;
        ip[9] = 1;
        IpA.CopyTo(ip[12..]);
        IpB.CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], NaiveChecksum(ip[..20], 0));
        Span<byte> icmp = ip[20..];
        icmp[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        for (int i = 0; i < payloadLength; i++)
        {
            icmp[8 + i] = (byte)i;
        }

        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], NaiveChecksum(icmp, 0));
        return frame;
    }

    public static byte[] ArpRequest()
    {
        byte[] frame = new byte[42];
        WriteEthernet(frame, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], MacA, 0x0806, null);
        Span<byte> arp = frame.AsSpan(14);
        BinaryPrimitives.WriteUInt16BigEndian(arp, 1);         // Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(arp[2..], 0x0800);
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], 1);    // request
        MacA.CopyTo(arp[8..]);
        IpA.CopyTo(arp[14..]);
        IpB.CopyTo(arp[24..]);
        return frame;
    }

    /// <summary>RFC 1071 one's-complement sum, the slow obvious way: 16-bit words, carries folded at the end.</summary>
    public static ushort NaiveChecksum(ReadOnlySpan<byte> data, uint initial)
    {
        ulong sum = initial;
        for (int i = 0; i < data.Length; i += 2)
        {
            int word = data[i] << 8;
            if (i + 1 < data.Length)
            {
                word |= data[i + 1];
            }

            sum += (uint)word;
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private static uint Sum16(ReadOnlySpan<byte> four) => (uint)((four[0] << 8) | four[1]) + (uint)((four[2] << 8) | four[3]);

    private static void WriteEthernet(Span<byte> frame, byte[] destination, byte[] source, ushort etherType, ushort? vlan)
    {
        destination.CopyTo(frame);
        source.CopyTo(frame[6..]);
        if (vlan is ushort tag)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[12..], 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(frame[14..], tag);
            BinaryPrimitives.WriteUInt16BigEndian(frame[16..], etherType);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[12..], etherType);
        }
    }
}
