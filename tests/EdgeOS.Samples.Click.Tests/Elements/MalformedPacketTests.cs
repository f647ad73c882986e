using System.Buffers.Binary;
using EdgeOS.Net.Packets;
using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

public sealed class MalformedPacketTests
{
    [Theory]
    [InlineData(1234)]
    [InlineData(7)]
    [InlineData(424242)]
    [InlineData(99)]
    public void RandomAndTruncatedFramesPassEveryParsingElementWithoutCrashingOrLeaking(int seed)
    {
        var random = new Random(seed);
        var frames = new List<byte[]>();
        for (int i = 0; i < 3000; i++)
        {
            byte[] f = new byte[random.Next(0, 120)];
            random.NextBytes(f);
            if (f.Length >= 34 && i % 2 == 0)
            {
                // Mostly plausible IPv4 over Ethernet with random lengths, options and protocols.
                BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
                f[14] = (byte)(0x40 | random.Next(0, 16));
                f[23] = (byte)(i % 3 == 0 ? 1 : i % 3 == 1 ? 6 : 17);
                f[20] = 0;
                f[21] = 0;
                if (i % 4 == 0)
                {
                    int hl = Math.Min((f[14] & 0xF) * 4, f.Length - 14);
                    f[24] = 0;
                    f[25] = 0;
                    BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(24), InternetChecksum.Compute(f.AsSpan(14, Math.Max(hl, 0))));
                }
            }
            else if (f.Length >= 42 && i % 3 == 0)
            {
                BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0806);
            }

            frames.Add(f);
        }

        string path = Frames.WritePcap(frames);
        try
        {
            using TestRouter r = TestRouter.Create($"""
                FromDump({path}, STOP true) -> t :: Tee(8);
                t[0] -> ARPResponder(10.0.0.1/8 02:00:00:00:00:01) -> Discard;
                t[1] -> c :: CheckIPHeader(14, CHECKSUM false) -> IPPrint(CONTENTS HEX) -> ICMPPingResponder -> Discard; c[1] -> Discard;
                t[2] -> MarkIPHeader(14) -> DecIPTTL -> IPPrint -> Discard;
                t[3] -> MarkIPHeader(14) -> CheckICMPHeader -> Discard;
                t[4] -> MarkIPHeader(14) -> CheckUDPHeader -> Discard;
                t[5] -> MarkIPHeader(14) -> CheckTCPHeader -> ToIPSummaryDump({path}.sum, CONTENTS "ip_src ip_dst sport dport ip_proto ip_len payload_len");
                t[6] -> VLANDecap -> Strip(14) -> MarkIPHeader -> f :: IPFilter(allow udp, allow dst net 10.0.0.0/8, deny all) -> SetIPDSCP(5) -> Discard;
                t[7] -> cl :: Classifier(12/0800, 12/0806 20/0001, -) -> Discard; cl[1] -> Discard; cl[2] -> Print(x, 200) -> Discard;
                """).Run();
            Assert.Equal(3000, r.Count("FromDump@1"));
            Assert.Equal(0, r.Router.Pool.Outstanding);
            Assert.True(long.Parse(r.Read("c.drops"), System.Globalization.CultureInfo.InvariantCulture) > 0);
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + ".sum");
        }
    }
}
