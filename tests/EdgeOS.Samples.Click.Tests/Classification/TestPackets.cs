using System.Buffers.Binary;

namespace EdgeOS.Samples.Click.Tests.Classification;

/// <summary>Hand-built Ethernet + IPv4 packets for classifier tests. The IP header starts at <see cref="IpOffset"/>.</summary>
internal static class TestPackets
{
    public const int IpOffset = 14;

    public static byte[] Ip(
        string src = "10.0.0.1", string dst = "10.0.0.2", byte proto = 6, ushort sport = 1234, ushort dport = 80,
        byte tcpFlags = 0x02, int optionWords = 0, ushort fragOffset = 0, bool moreFragments = false, byte ttl = 64,
        byte tos = 0, ushort id = 0x1234, byte icmpType = 8, ushort window = 8192, int payloadBytes = 0)
    {
        int ipHeader = 20 + (4 * optionWords);
        int transport = proto switch
        {
            6 => 20,
            17 => 8,
            1 => 8,
            _ => 8,
        };
        var packet = new byte[IpOffset + ipHeader + transport + payloadBytes];
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(12), 0x0800);
        Span<byte> ip = packet.AsSpan(IpOffset);
        ip[0] = (byte)(0x40 | (ipHeader / 4));
        ip[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(ipHeader + transport + payloadBytes));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], (ushort)((moreFragments ? 0x2000 : 0) | fragOffset));
        ip[8] = ttl;
        ip[9] = proto;
        System.Net.IPAddress.Parse(src).GetAddressBytes().CopyTo(ip[12..]);
        System.Net.IPAddress.Parse(dst).GetAddressBytes().CopyTo(ip[16..]);
        for (int i = 20; i < ipHeader; i++)
        {
            ip[i] = 1; // NOP options
        }

        Span<byte> t = ip[ipHeader..];
        if (proto is 6 or 17)
        {
            BinaryPrimitives.WriteUInt16BigEndian(t, sport);
            BinaryPrimitives.WriteUInt16BigEndian(t[2..], dport);
        }

        if (proto == 6)
        {
            t[12] = 0x50;
            t[13] = tcpFlags;
            BinaryPrimitives.WriteUInt16BigEndian(t[14..], window);
        }
        else if (proto == 1)
        {
            t[0] = icmpType;
        }

        return packet;
    }

    public static byte[] Tcp(string src, string dst, ushort sport, ushort dport, byte flags = 0x10)
        => Ip(src, dst, 6, sport, dport, flags);

    public static byte[] Udp(string src, string dst, ushort sport, ushort dport) => Ip(src, dst, 17, sport, dport);

    public static byte[] Icmp(string src, string dst, byte type) => Ip(src, dst, 1, icmpType: type);

    public static byte[] Arp(ushort operation)
    {
        var packet = new byte[42];
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(12), 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), operation);
        return packet;
    }
}
