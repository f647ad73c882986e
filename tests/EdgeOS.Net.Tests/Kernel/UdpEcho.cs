using System.Buffers.Binary;
using System.Globalization;

namespace EdgeOS.Net.Tests.Kernel;

/// <summary>
/// A minimal echo builder for the kernel tests: turns an Ethernet/IPv4/UDP request into its reply in place (swap MAC,
/// IP addresses and ports, TTL 64, both checksums recomputed from scratch). Also the Python kernel clients.
/// </summary>
internal static class UdpEcho
{
    internal const int EchoPort = 9000;

    /// <summary>True if <paramref name="frame"/> is IPv4 UDP to <paramref name="port"/> with consistent lengths.</summary>
    internal static bool IsUdpTo(ReadOnlySpan<byte> frame, int port)
    {
        if (frame.Length < 42 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800 || frame[14] >> 4 != 4 || frame[23] != 17)
        {
            return false;
        }

        int ihl = (frame[14] & 0xF) * 4;
        return ihl >= 20 && frame.Length >= 14 + ihl + 8 && BinaryPrimitives.ReadUInt16BigEndian(frame[(14 + ihl + 2)..]) == port;
    }

    /// <summary>Rewrites the request into the reply; returns the reply's length (the IPv4 total length + 14).</summary>
    internal static int ReplyInPlace(Span<byte> frame)
    {
        Span<byte> mac = stackalloc byte[6];
        frame[..6].CopyTo(mac);
        frame[6..12].CopyTo(frame);
        mac.CopyTo(frame[6..12]);

        Span<byte> ip = frame[14..];
        int ihl = (ip[0] & 0xF) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        Span<byte> address = stackalloc byte[4];
        ip[12..16].CopyTo(address);
        ip[16..20].CopyTo(ip[12..]);
        address.CopyTo(ip[16..20]);
        ip[8] = 64;
        ip[10] = 0;
        ip[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip[..ihl], 0));

        Span<byte> udp = ip[ihl..totalLength];
        ushort source = BinaryPrimitives.ReadUInt16BigEndian(udp);
        udp[2..4].CopyTo(udp);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], source);
        udp[6] = 0;
        udp[7] = 0;
        uint pseudo = PseudoHeaderSum(ip[12..16], ip[16..20], 17, udp.Length);
        ushort checksum = Checksum(udp, pseudo);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? (ushort)0xFFFF : checksum);
        return 14 + totalLength;
    }

    /// <summary>True if the IPv4 header and UDP checksums of <paramref name="frame"/> verify.</summary>
    internal static bool ChecksumsVerify(ReadOnlySpan<byte> frame)
    {
        ReadOnlySpan<byte> ip = frame[14..];
        int ihl = (ip[0] & 0xF) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        ReadOnlySpan<byte> udp = ip[ihl..totalLength];
        return Checksum(ip[..ihl], 0) == 0 && Checksum(udp, PseudoHeaderSum(ip[12..16], ip[16..20], 17, udp.Length)) == 0;
    }

    /// <summary>A Python UDP client: sends <paramref name="count"/> datagrams, prints how many came back identical from the server address.</summary>
    internal static string ClientScript(string server, int port, int count) => string.Create(CultureInfo.InvariantCulture, $$"""
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        ok = 0
        for i in range({{count}}):
            msg = b'edgeos-echo-%d' % i
            s.sendto(msg, ('{{server}}', {{port}}))
            try:
                while True:
                    data, addr = s.recvfrom(2048)
                    if data == msg and addr == ('{{server}}', {{port}}):
                        ok += 1
                        break
            except socket.timeout:
                pass
        print(ok)
        """);

    /// <summary>A Python ICMP echo client over a raw socket: prints "pong" when the server answers.</summary>
    internal static string PingScript(string server) => string.Create(CultureInfo.InvariantCulture, $$"""
        import socket, struct
        def csum(b):
            if len(b) % 2: b += b'\0'
            s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
            s = (s >> 16) + (s & 0xffff); s += s >> 16
            return ~s & 0xffff
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.settimeout(5)
        body = b'edgeos-ping'
        hdr = struct.pack('!BBHHH', 8, 0, 0, 0x4544, 1)
        s.sendto(struct.pack('!BBHHH', 8, 0, csum(hdr + body), 0x4544, 1) + body, ('{{server}}', 0))
        try:
            while True:
                data, addr = s.recvfrom(2048)
                ihl = (data[0] & 15) * 4
                if addr[0] == '{{server}}' and data[ihl] == 0 and data[ihl + 8:] == body:
                    print('pong')
                    break
        except socket.timeout:
            print('timeout')
        """);

    private static uint PseudoHeaderSum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, int protocol, int length) =>
        (uint)(BinaryPrimitives.ReadUInt16BigEndian(source) + BinaryPrimitives.ReadUInt16BigEndian(source[2..])
            + BinaryPrimitives.ReadUInt16BigEndian(destination) + BinaryPrimitives.ReadUInt16BigEndian(destination[2..])
            + protocol + length);

    private static ushort Checksum(ReadOnlySpan<byte> data, uint sum)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
