using System.Text.RegularExpressions;
using EdgeOS.Net.Pcap;
using Xunit;

namespace EdgeOS.Net.Tests.Pcap;

/// <summary>Checks our files against libpcap through tcpdump: it reads what we write, and we read what it writes.</summary>
public sealed partial class TcpdumpInteropTests
{
    [Theory]
    [InlineData(PcapTimestampResolution.Microseconds)]
    [InlineData(PcapTimestampResolution.Nanoseconds)]
    public void TcpdumpReadsOurFileAndWeReadTheFileItWrites(PcapTimestampResolution resolution)
    {
        string tcpdump = ExternalTool.Require("tcpdump");
        using var dir = new TempDirectory();
        var packets = new List<(byte[] Data, long Time)>();
        long time = 1_700_000_000_000_000_000 + (resolution == PcapTimestampResolution.Nanoseconds ? 123_456_789 : 123_456_000);
        for (int i = 0; i < 20; i++)
        {
            packets.Add((TestFrames.Udp(srcPort: (ushort)(40000 + i), dstPort: 11211, payloadLength: 10 + i), time + (i * 1_000_000L)));
        }

        string ours = dir.File("ours.pcap");
        File.WriteAllBytes(ours, PcapFileTests.WriteFile(packets, new PcapWriterOptions { Resolution = resolution }));

        string precision = resolution == PcapTimestampResolution.Nanoseconds ? "nano" : "micro";
        var (code, output, error) = ExternalTool.Run(tcpdump, "-r", ours, "-nn", "-tt", $"--time-stamp-precision={precision}");
        Assert.True(code == 0, error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(20, lines.Length);
        string digits = resolution == PcapTimestampResolution.Nanoseconds ? "1700000000.123456789" : "1700000000.123456";
        Assert.StartsWith(digits + " IP 10.0.0.1.40000 > 10.0.0.2.11211: UDP, length 10", lines[0], StringComparison.Ordinal);
        Assert.Contains("10.0.0.1.40019 > 10.0.0.2.11211: UDP, length 29", lines[19], StringComparison.Ordinal);

        // libpcap rewrites the records into its own file (its own header); we must read the same packets back.
        string theirs = dir.File("theirs.pcap");
        (code, _, error) = ExternalTool.Run(tcpdump, "-r", ours, "-w", theirs, "-Z", "root", $"--time-stamp-precision={precision}");
        Assert.True(code == 0, error);
        using var stream = File.OpenRead(theirs);
        var read = PcapFileTests.ReadAll(stream);
        Assert.Equal(packets.Count, read.Count);
        for (int i = 0; i < packets.Count; i++)
        {
            Assert.Equal(packets[i].Data, read[i].Data);
            Assert.Equal(packets[i].Time, read[i].Time);
        }

        using var reader = PcapReader.Open(theirs);
        Assert.Equal(resolution, reader.Resolution);
        Assert.Equal(PcapLinkType.Ethernet, reader.LinkType);
    }

    [Fact]
    public void TcpdumpAgreesWithTheTestFramesChecksums()
    {
        string tcpdump = ExternalTool.Require("tcpdump");
        using var dir = new TempDirectory();
        var packets = new List<(byte[] Data, long Time)>();
        for (int i = 0; i < 10; i++)
        {
            packets.Add((TestFrames.Udp(srcPort: 5000, dstPort: (ushort)(7 + i), payloadLength: 1 + (i * 7)), 1_000_000_000L * (i + 1)));
        }

        string ours = dir.File("sums.pcap");
        File.WriteAllBytes(ours, PcapFileTests.WriteFile(packets, new PcapWriterOptions()));
        var (code, output, error) = ExternalTool.Run(tcpdump, "-r", ours, "-nn", "-vv");
        Assert.True(code == 0, error);
        Assert.Equal(10, UdpSumOk().Count(output));
        Assert.DoesNotContain("bad", output, StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex(@"\[udp sum ok\]")]
    private static partial Regex UdpSumOk();
}
