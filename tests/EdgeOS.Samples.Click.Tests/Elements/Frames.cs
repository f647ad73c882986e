using System.Buffers.Binary;
using EdgeOS.Net.Packets;
using EdgeOS.Net.Pcap;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

/// <summary>Frames and pcap files the element tests generate.</summary>
internal static class Frames
{
    public static readonly byte[] MacA = [0x02, 0, 0, 0, 0, 0x0A];
    public static readonly byte[] MacB = [0x02, 0, 0, 0, 0, 0x0B];

    public static byte[] Udp(uint src, uint dst, ushort sport, ushort dport, int payloadBytes = 18, ushort id = 0)
    {
        byte[] buffer = new byte[14 + 28 + payloadBytes];
        byte[] payload = new byte[payloadBytes];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)i;
        }

        int n = PacketBuilder.WriteUdp(buffer, MacA, MacB, src, dst, sport, dport, payload, id);
        return buffer[..n];
    }

    public static byte[] IcmpEcho(uint src, uint dst, ushort ident, ushort seq, byte type = 8)
    {
        byte[] f = new byte[14 + 20 + 8 + 8];
        MacB.CopyTo(f, 0);
        MacA.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        Span<byte> ip = f.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(f.Length - 14));
        ip[8] = 64;
        ip[9] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], src);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], dst);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip[..20]));
        Span<byte> icmp = ip[20..];
        icmp[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], ident);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], seq);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
        return f;
    }

    public static byte[] ArpRequest(uint senderIp, uint targetIp)
    {
        byte[] f = new byte[42];
        f.AsSpan(0, 6).Fill(0xFF);
        MacA.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), 0x0800);
        f[18] = 6;
        f[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(20), 1);
        MacA.CopyTo(f, 22);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(28), senderIp);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(38), targetIp);
        return f;
    }

    public static uint IP(string dotted)
    {
        Assert.True(EdgeOS.Samples.Click.Runtime.ClickValues.TryParseIPAddress(dotted, out uint v));
        return v;
    }

    /// <summary>Writes <paramref name="frames"/> to a fresh pcap file, 1 ms apart starting at t = 1000 s.</summary>
    public static string WritePcap(IEnumerable<byte[]> frames, PcapLinkType link = PcapLinkType.Ethernet)
    {
        string path = Path.Combine(Path.GetTempPath(), "clickrt-" + Guid.NewGuid().ToString("N") + ".pcap");
        using PcapWriter w = PcapWriter.Create(path, new PcapWriterOptions { LinkType = link });
        long t = 1_000_000_000_000;
        foreach (byte[] f in frames)
        {
            w.Write(f, t);
            t += 1_000_000;
        }

        return path;
    }

    public static List<(byte[] Data, long Timestamp)> ReadPcap(string path)
    {
        var list = new List<(byte[], long)>();
        using PcapReader r = PcapReader.Open(path);
        byte[] buffer = new byte[65536];
        while (r.TryReadNext(buffer, out PcapRecord rec))
        {
            list.Add((buffer[..rec.CopiedLength], rec.TimestampNanoseconds));
        }

        return list;
    }
}
