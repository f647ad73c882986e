using EdgeOS.Core.Memory;
using EdgeOS.Net.Pcap;
using Xunit;

namespace EdgeOS.Net.Tests.Pcap;

/// <summary>The loaded (in-memory, looping) replay of <see cref="PcapPort.LoadReplay(string, PcapPortOptions?)"/>.</summary>
public sealed class PcapLoadedReplayTests
{
    [Theory]
    [InlineData(PcapTimestampResolution.Microseconds)]
    [InlineData(PcapTimestampResolution.Nanoseconds)]
    public void LoopCountDeliversEveryRecordThatManyTimesWithItsTimestampThenFinishes(PcapTimestampResolution resolution)
    {
        using var dir = new TempDirectory();
        var packets = PcapFileTests.RandomPackets(7, 5, resolution);
        File.WriteAllBytes(dir.File("in.pcap"), PcapFileTests.WriteFile(packets, new PcapWriterOptions { Resolution = resolution }));

        using PcapPort port = PcapPort.LoadReplay(dir.File("in.pcap"), new PcapPortOptions { FrameCount = 4, ReplayLoops = 3 });
        Assert.True(port.IsReplayLoaded);
        Assert.Equal(5, port.LoadedRecordCount);
        Assert.Equal(resolution, port.Replay!.Resolution);
        Frame[] batch = new Frame[3];
        int total = 0;
        int n;
        while ((n = port.Receive(batch)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                (byte[] data, long time) = packets[(total + i) % packets.Count];
                Assert.Equal(data, port.GetSpan(batch[i]).ToArray());
                Assert.Equal(time, port.GetTimestampNanoseconds(batch[i]));
            }

            total += n;
            Assert.Equal(total / 5, port.ReplayPassesCompleted);
            port.Release(batch.AsSpan(0, n));
        }

        Assert.Equal(15, total);
        Assert.True(port.IsReplayFinished);
        Assert.Equal(3, port.ReplayPassesCompleted);
        Assert.Equal(0, port.Receive(batch));
        Assert.Equal(15, port.GetStatistics().ReceivedFrames);
        Assert.Equal(0, port.GetStatistics().ReceiveDroppedFrames);
        port.ThrowIfFramesOutstanding();
    }

    [Fact]
    public void TheLastFrameOfTheLastPassFinishesTheReplayAtOnce()
    {
        byte[] file = PcapFileTests.WriteFile(PcapFileTests.RandomPackets(8, 4, PcapTimestampResolution.Microseconds), new PcapWriterOptions());
        using PcapPort port = PcapPort.LoadReplay(new MemoryStream(file), new PcapPortOptions { ReplayLoops = 2 });
        Frame[] batch = new Frame[8];
        Assert.Equal(8, port.Receive(batch));
        Assert.True(port.IsReplayFinished);
        port.Release(batch);
    }

    [Fact]
    public void EndlessLoopNeverFinishesAndKeepsTheRecordOrder()
    {
        var packets = PcapFileTests.RandomPackets(9, 7, PcapTimestampResolution.Nanoseconds);
        byte[] file = PcapFileTests.WriteFile(packets, new PcapWriterOptions { Resolution = PcapTimestampResolution.Nanoseconds });
        using PcapPort port = PcapPort.LoadReplay(new MemoryStream(file), new PcapPortOptions { FrameCount = 64, ReplayLoops = 0 });
        Frame[] batch = new Frame[32];
        long total = 0;
        while (total < 10_000)
        {
            int n = port.Receive(batch);
            Assert.Equal(32, n);
            for (int i = 0; i < n; i++)
            {
                (byte[] data, long time) = packets[(int)((total + i) % packets.Count)];
                Assert.Equal(data.Length, batch[i].Length);
                Assert.Equal(data[^1], port.GetSpan(batch[i])[^1]);
                Assert.Equal(time, port.GetTimestampNanoseconds(batch[i]));
            }

            total += n;
            port.Release(batch.AsSpan(0, n));
            Assert.False(port.IsReplayFinished);
        }

        Assert.Equal(total / 7, port.ReplayPassesCompleted);
    }

    [Fact]
    public void OversizeRecordsAreLeftOutAndCountedOncePerPass()
    {
        byte[] file = PcapFileTests.WriteFile([(new byte[100], 1_000), (new byte[3000], 2_000), (new byte[60], 3_000)], new PcapWriterOptions());
        using PcapPort port = PcapPort.LoadReplay(new MemoryStream(file), new PcapPortOptions { FrameSizeBytes = 2048, ReplayLoops = 2 });
        Assert.Equal(2, port.LoadedRecordCount);
        Frame[] rx = new Frame[8];
        Assert.Equal(4, port.Receive(rx));
        Assert.Equal(new[] { 100, 60, 100, 60 }, rx[..4].Select(f => f.Length));
        Assert.Equal(2, port.GetStatistics().ReceiveDroppedFrames);
        Assert.True(port.IsReplayFinished);
        port.Release(rx.AsSpan(0, 4));
    }

    [Fact]
    public void AFileWithNothingToDeliverEndsAfterOnePassEvenWhenEndless()
    {
        byte[] file = PcapFileTests.WriteFile([(new byte[3000], 2_000)], new PcapWriterOptions());
        using PcapPort port = PcapPort.LoadReplay(new MemoryStream(file), new PcapPortOptions { ReplayLoops = 0 });
        Frame[] rx = new Frame[8];
        Assert.Equal(0, port.Receive(rx));
        Assert.True(port.IsReplayFinished);
        Assert.Equal(1, port.GetStatistics().ReceiveDroppedFrames);
        Assert.Equal(0, port.Receive(rx));
        Assert.Equal(1, port.GetStatistics().ReceiveDroppedFrames);
    }

    [Fact]
    public void TruncatedFileFailsAtLoadWithTheOffset()
    {
        using var dir = new TempDirectory();
        var packets = PcapFileTests.RandomPackets(31, 3, PcapTimestampResolution.Microseconds);
        byte[] file = PcapFileTests.WriteFile(packets, new PcapWriterOptions());
        File.WriteAllBytes(dir.File("cut.pcap"), file[..^5]);
        long badRecord = 24 + 32 + packets[0].Data.Length + packets[1].Data.Length;

        var fromPath = Assert.Throws<PcapFormatException>(() => PcapPort.LoadReplay(dir.File("cut.pcap"), new PcapPortOptions { ReplayLoops = 0 }));
        Assert.Equal(badRecord + 16, fromPath.Offset);
        Assert.Contains("truncated record data", fromPath.Message, StringComparison.Ordinal);

        var cutHeader = Assert.Throws<PcapFormatException>(() => PcapPort.LoadReplay(new MemoryStream(file[..(int)(badRecord + 10)])));
        Assert.Equal(badRecord, cutHeader.Offset);

        var noFile = Assert.Throws<PcapFormatException>(() => PcapPort.LoadReplay(new MemoryStream(new byte[10])));
        Assert.Equal(0, noFile.Offset);
    }

    [Fact]
    public void LoopsAreRefusedWhereTheyCannotApply()
    {
        byte[] file = PcapFileTests.WriteFile([(new byte[60], 1_000)], new PcapWriterOptions());
        var streaming = Assert.Throws<ArgumentException>(() => new PcapPort(new PcapReader(new MemoryStream(file)), null, new PcapPortOptions { ReplayLoops = 2 }));
        Assert.Equal("options", streaming.ParamName);
        Assert.Contains("LoadReplay", streaming.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PcapPort(null, new PcapWriter(new MemoryStream()), new PcapPortOptions { ReplayLoops = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PcapPort.LoadReplay(new MemoryStream(file), new PcapPortOptions { ReplayLoops = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PcapPort.LoadReplay(new MemoryStream(file), new PcapPortOptions { FrameSizeBytes = 10 }));
        Assert.Throws<ArgumentNullException>(() => PcapPort.LoadReplay((Stream)null!));
    }

    [Fact]
    public void LoadsFromAStreamThatCannotSeekFromItsPosition()
    {
        var packets = PcapFileTests.RandomPackets(12, 200, PcapTimestampResolution.Microseconds);
        byte[] file = PcapFileTests.WriteFile(packets, new PcapWriterOptions());
        byte[] prefixed = [0xEE, 0xEE, .. file];
        using (var seekable = new MemoryStream(prefixed))
        {
            seekable.Position = 2;
            using PcapPort port = PcapPort.LoadReplay(seekable, null, "prefixed");
            Assert.Equal(200, port.LoadedRecordCount);
            Assert.Equal("prefixed", port.Name);
        }

        using PcapPort forward = PcapPort.LoadReplay(new ForwardOnlyStream(file, 1000));
        Assert.Equal(200, forward.LoadedRecordCount);
        Frame[] rx = new Frame[64];
        int n = forward.Receive(rx);
        Assert.Equal(packets[63].Data, forward.GetSpan(rx[63]).ToArray());
        forward.Release(rx.AsSpan(0, n));
    }

    [Fact]
    public void ShortAndLongRecordsArriveWholeUpToTheFrameSize()
    {
        // Lengths around the 64-byte block copy, a frame of exactly 64 bytes, an empty record, and a short last record.
        var random = new Random(16);
        byte[][] data = [.. new[] { 14, 63, 64, 65, 0, 1, 64, 2 }.Select(n => { byte[] b = new byte[n]; random.NextBytes(b); return b; })];
        byte[] file = PcapFileTests.WriteFile(data.Select((d, i) => (d, 1_000L * (i + 1))), new PcapWriterOptions());
        using PcapPort port = PcapPort.LoadReplay(new MemoryStream(file), new PcapPortOptions { FrameSizeBytes = 64, ReplayLoops = 2 });
        Assert.Equal(7, port.LoadedRecordCount);
        byte[][] expected = [.. data.Where(d => d.Length <= 64)];
        Frame[] rx = new Frame[16];
        Assert.Equal(14, port.Receive(rx));
        for (int i = 0; i < 14; i++)
        {
            Assert.Equal(expected[i % 7], port.GetSpan(rx[i]).ToArray());
        }

        Assert.Equal(2, port.GetStatistics().ReceiveDroppedFrames);
        port.Release(rx.AsSpan(0, 14));
    }

    [Fact]
    public void AStreamThatEndsJustShortOfItsBufferIsPaddedForTheShortLastRecord()
    {
        // 24 + 63 * (16 + 1000) + (16 + 1422) + (16 + 30) = 65516 bytes: 20 bytes short of the 64 KiB read buffer.
        var random = new Random(17);
        var packets = new List<(byte[] Data, long Time)>();
        foreach (int length in Enumerable.Repeat(1000, 63).Append(1422).Append(30))
        {
            byte[] b = new byte[length];
            random.NextBytes(b);
            packets.Add((b, 1_000L * (packets.Count + 1)));
        }

        byte[] file = PcapFileTests.WriteFile(packets, new PcapWriterOptions());
        Assert.Equal(65516, file.Length);
        using PcapPort port = PcapPort.LoadReplay(new ForwardOnlyStream(file, 1000), new PcapPortOptions { FrameCount = 65 });
        Frame[] rx = new Frame[65];
        Assert.Equal(65, port.Receive(rx));
        Assert.Equal(packets[64].Data, port.GetSpan(rx[64]).ToArray());
        Assert.Equal(packets[63].Data, port.GetSpan(rx[63]).ToArray());
        port.Release(rx);
    }

    [Fact]
    public void FramesAreReleasedAndReusedAndNoRecordIsSkippedWhenFramesRunOut()
    {
        var packets = PcapFileTests.RandomPackets(13, 10, PcapTimestampResolution.Microseconds);
        byte[] file = PcapFileTests.WriteFile(packets, new PcapWriterOptions());
        using PcapPort port = PcapPort.LoadReplay(new MemoryStream(file), new PcapPortOptions { FrameCount = 4, ReplayLoops = 0 });
        Frame[] held = new Frame[8];
        Assert.Equal(4, port.Receive(held));
        Assert.Equal(0, port.Receive(held.AsSpan(4)));
        Assert.Equal(4, port.OutstandingFrames);

        port.Release(held.AsSpan(0, 2));
        Assert.Equal(2, port.Receive(held.AsSpan(4)));
        Assert.Equal(packets[4].Data, port.GetSpan(held[4]).ToArray());
        Assert.Equal(packets[5].Data, port.GetSpan(held[5]).ToArray());
        Assert.False(port.IsOwned(held[0]));
        Assert.Contains(held[0].Slot, new[] { held[4].Slot, held[5].Slot });

        port.Release(held.AsSpan(2, 4));
        port.ThrowIfFramesOutstanding();
        Assert.Equal(4, port.Receive(held));
        Assert.Equal(packets[6].Data, port.GetSpan(held[0]).ToArray());
        port.Release(held.AsSpan(0, 4));
    }

    [Fact]
    public void SteadyStateReceiveAndReleaseAllocateNothing()
    {
        byte[] file = PcapFileTests.WriteFile(PcapFileTests.RandomPackets(14, 100, PcapTimestampResolution.Microseconds), new PcapWriterOptions());
        using PcapPort port = PcapPort.LoadReplay(new MemoryStream(file), new PcapPortOptions { FrameCount = 64, ReplayLoops = 0 });
        Frame[] batch = new Frame[32];
        long sum = 0;
        void Round()
        {
            int n = port.Receive(batch);
            for (int i = 0; i < n; i++)
            {
                sum += port.GetTimestampNanoseconds(batch[i]) + port.GetSpan(batch[i])[0];
            }

            port.Release(batch.AsSpan(0, n));
        }

        Assert.Equal(0, Allocations.OfRounds(Round));
        Assert.Equal(1100 * 32, port.GetStatistics().ReceivedFrames);
        Assert.NotEqual(0, sum);
    }

    [Fact]
    public void TheAccountIsChargedForTheFileAndTheFramesUntilDisposed()
    {
        byte[] file = PcapFileTests.WriteFile(PcapFileTests.RandomPackets(15, 20, PcapTimestampResolution.Microseconds), new PcapWriterOptions());
        var account = new MemoryAccount("replay");
        using (PcapPort port = PcapPort.LoadReplay(new MemoryStream(file), new PcapPortOptions { FrameCount = 8, FrameSizeBytes = 2048, Account = account }))
        {
            Assert.True(account.UsedBytes >= file.Length + (8 * 2048));
        }

        Assert.Equal(0, account.UsedBytes);

        var small = new MemoryAccount("small", file.Length + 100);
        Assert.Throws<MemoryQuotaExceededException>(() => PcapPort.LoadReplay(new MemoryStream(file), new PcapPortOptions { FrameCount = 8, FrameSizeBytes = 2048, Account = small }));
        Assert.Equal(0, small.UsedBytes);
    }
}
