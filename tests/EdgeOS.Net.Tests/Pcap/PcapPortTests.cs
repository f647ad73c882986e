using EdgeOS.Net.Pcap;
using Xunit;

namespace EdgeOS.Net.Tests.Pcap;

public sealed class PcapPortTests
{
    [Fact]
    public void ReplayThenCaptureReproducesTheFileByteForByte()
    {
        using var dir = new TempDirectory();
        var options = new PcapWriterOptions { Resolution = PcapTimestampResolution.Nanoseconds };
        byte[] original = PcapFileTests.WriteFile(PcapFileTests.RandomPackets(21, 500, options.Resolution), options);
        File.WriteAllBytes(dir.File("in.pcap"), original);

        using (PcapPort replay = PcapPort.OpenReplay(dir.File("in.pcap"), new PcapPortOptions { FrameCount = 16 }))
        using (PcapPort capture = PcapPort.CreateCapture(dir.File("out.pcap"), new PcapPortOptions { FrameCount = 1, Capture = options }))
        {
            Frame[] batch = new Frame[7];
            Frame[] tx = new Frame[1];
            int total = 0;
            int n;
            while ((n = replay.Receive(batch)) > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    // Move each frame to the capture port: copy into one of its frames with the same timestamp.
                    Assert.Equal(1, capture.AllocateTransmit(tx));
                    replay.GetSpan(batch[i]).CopyTo(capture.GetBuffer(tx[0]));
                    Frame out1 = tx[0].WithLength(batch[i].Length);
                    capture.SetTimestampNanoseconds(out1, replay.GetTimestampNanoseconds(batch[i]));
                    Assert.Equal(1, capture.Transmit([out1]));
                }

                replay.Release(batch.AsSpan(0, n));
                total += n;
            }

            Assert.Equal(500, total);
            Assert.True(replay.IsReplayFinished);
            replay.ThrowIfFramesOutstanding();
            capture.ThrowIfFramesOutstanding();
            Assert.Equal(500, capture.GetStatistics().TransmittedFrames);
        }

        Assert.Equal(original, File.ReadAllBytes(dir.File("out.pcap")));
    }

    [Fact]
    public void RecordsLongerThanAFrameAreDroppedAndCounted()
    {
        byte[] file = PcapFileTests.WriteFile([(new byte[100], 1_000), (new byte[3000], 2_000), (new byte[60], 3_000)], new PcapWriterOptions());
        using var port = new PcapPort(new PcapReader(new MemoryStream(file)), null, new PcapPortOptions { FrameSizeBytes = 2048 });
        Frame[] rx = new Frame[8];
        Assert.Equal(2, port.Receive(rx));
        Assert.Equal(100, rx[0].Length);
        Assert.Equal(60, rx[1].Length);
        Assert.Equal(1, port.GetStatistics().ReceiveDroppedFrames);
        port.Release(rx.AsSpan(0, 2));
    }

    [Fact]
    public void CorruptRecordIsReportedAfterTheGoodFramesBeforeIt()
    {
        var packets = PcapFileTests.RandomPackets(31, 3, PcapTimestampResolution.Microseconds);
        byte[] file = PcapFileTests.WriteFile(packets, new PcapWriterOptions());
        using var port = new PcapPort(new PcapReader(new MemoryStream(file, 0, file.Length - 5)), null);
        Frame[] rx = new Frame[8];
        Assert.Equal(2, port.Receive(rx));
        var error = Assert.Throws<PcapFormatException>(() => port.Receive(rx));
        Assert.Equal(24 + 32 + packets[0].Data.Length + packets[1].Data.Length + 16, error.Offset);
        Assert.Equal(2, port.OutstandingFrames);
        port.Release(rx.AsSpan(0, 2));
        port.ThrowIfFramesOutstanding();
    }

    [Fact]
    public void ReplayOnlyPortRefusesToTransmitAndKeepsTheFrame()
    {
        byte[] file = PcapFileTests.WriteFile([(new byte[60], 1_000)], new PcapWriterOptions());
        using var port = new PcapPort(new PcapReader(new MemoryStream(file)), null);
        Frame[] rx = new Frame[1];
        Assert.Equal(1, port.Receive(rx));
        Assert.Throws<NotSupportedException>(() => port.Transmit(rx));
        Assert.True(port.IsOwned(rx[0]));
        port.Release(rx[0]);
    }

    [Fact]
    public void CaptureUsesTheClockForFramesWithoutTimestamp()
    {
        var clock = new FixedClock(DateTimeOffset.FromUnixTimeMilliseconds(1_650_000_000_123));
        using var stream = new MemoryStream();
        using (var port = new PcapPort(null, new PcapWriter(stream, leaveOpen: true), new PcapPortOptions { TimeProvider = clock }))
        {
            Frame[] tx = new Frame[1];
            Assert.Equal(1, port.AllocateTransmit(tx));
            port.GetBuffer(tx[0])[..60].Fill(9);
            Assert.Equal(1, port.Transmit([tx[0].WithLength(60)]));
        }

        var read = PcapFileTests.ReadAll(new MemoryStream(stream.ToArray()));
        Assert.Single(read);
        Assert.Equal(1_650_000_000_123_000_000, read[0].Time);
        Assert.All(read[0].Data, b => Assert.Equal(9, b));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
