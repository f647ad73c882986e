using Xunit;

namespace EdgeOS.Net.Tests.Ports;

public sealed class PacketPortOwnershipTests
{
    private static (MemoryPort A, MemoryPort B) Pair(int frames = 8) =>
        MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = frames, FrameSizeBytes = 256 }, "test");

    private static Frame SendOne(MemoryPort from, byte fill, int length)
    {
        Span<Frame> one = stackalloc Frame[1];
        Assert.Equal(1, from.AllocateTransmit(one));
        from.GetBuffer(one[0])[..length].Fill(fill);
        Frame frame = one[0].WithLength(length);
        Assert.Equal(1, from.Transmit([frame]));
        return frame;
    }

    [Fact]
    public void TransmittedFrameArrivesAtPeerWithItsBytes()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            SendOne(a, 0x5A, 100);
            Span<Frame> rx = stackalloc Frame[4];
            Assert.Equal(1, b.Receive(rx));
            Assert.Equal(100, rx[0].Length);
            Assert.True(b.GetSpan(rx[0]).IndexOfAnyExcept((byte)0x5A) < 0);
            Assert.Equal(1, b.OutstandingFrames);
            b.Release(rx[0]);
            Assert.Equal(0, b.OutstandingFrames);
            Assert.Equal(0, b.Receive(rx));
            Assert.Equal(1, a.GetStatistics().TransmittedFrames);
            Assert.Equal(100, b.GetStatistics().ReceivedBytes);
        }
    }

    [Fact]
    public void DoubleReleaseThrowsAndChangesNothing()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            Frame[] frames = new Frame[2];
            Assert.Equal(2, a.AllocateTransmit(frames));
            a.Release(frames[0]);
            var ex = Assert.Throws<FrameOwnershipException>(() => a.Release(frames[0]));
            Assert.Equal(FrameOwnershipError.AlreadyReturned, ex.Error);
            Assert.Equal(1, a.OutstandingFrames);
            Assert.True(a.IsOwned(frames[1]));
            a.Release(frames[1]);
            a.ThrowIfFramesOutstanding();
        }
    }

    [Fact]
    public void TransmittedFrameCannotBeTransmittedAgain()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            Frame sent = SendOne(a, 1, 60);
            var ex = Assert.Throws<FrameOwnershipException>(() => a.Transmit([sent]));
            Assert.Equal(FrameOwnershipError.AlreadyReturned, ex.Error);
            Assert.Equal(1, b.PendingReceiveFrames);
            Assert.Throws<FrameOwnershipException>(() => a.GetSpan(sent).Length);
        }
    }

    [Fact]
    public void StaleHandleIsRefusedAfterItsSlotIsReissued()
    {
        var (a, b) = Pair(frames: 1);
        using (a)
        using (b)
        {
            Span<Frame> one = stackalloc Frame[1];
            Assert.Equal(1, a.AllocateTransmit(one));
            Frame old = one[0];
            a.Release(old);
            Assert.Equal(1, a.AllocateTransmit(one));
            Assert.Equal(old.Slot, one[0].Slot);
            var ex = Assert.Throws<FrameOwnershipException>(() => a.Release(old));
            Assert.Equal(FrameOwnershipError.Stale, ex.Error);
            Assert.True(a.IsOwned(one[0]));
            a.Release(one[0]);
        }
    }

    [Fact]
    public void DuplicateInBatchThrowsAndLeavesEveryFrameOwned()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            Frame[] frames = new Frame[3];
            Assert.Equal(3, a.AllocateTransmit(frames));
            for (int i = 0; i < 3; i++)
            {
                frames[i] = frames[i].WithLength(60);
            }

            Frame[] batch = [frames[0], frames[1], frames[0]];
            var ex = Assert.Throws<FrameOwnershipException>(() => a.Transmit(batch));
            Assert.Equal(FrameOwnershipError.DuplicateInBatch, ex.Error);
            Assert.Throws<FrameOwnershipException>(() => a.Release(batch));
            Assert.Equal(3, a.OutstandingFrames);
            Assert.All(frames, f => Assert.True(a.IsOwned(f)));
            Assert.Equal(0, b.PendingReceiveFrames);
            Assert.Equal(0, a.GetStatistics().TransmittedFrames);
            a.Release(frames);
            a.ThrowIfFramesOutstanding();
        }
    }

    [Fact]
    public void ForeignAndDefaultHandlesAreRefused()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            Span<Frame> one = stackalloc Frame[1];
            Assert.Equal(1, a.AllocateTransmit(one));
            Frame fromA = one[0];
            Assert.Equal(FrameOwnershipError.ForeignPort, Assert.Throws<FrameOwnershipException>(() => b.Release(fromA)).Error);
            Assert.Equal(FrameOwnershipError.NotIssued, Assert.Throws<FrameOwnershipException>(() => a.Release(default(Frame))).Error);
            Assert.False(b.IsOwned(fromA));
            Assert.True(a.IsOwned(fromA));
            a.Release(fromA);
        }
    }

    [Fact]
    public void TransmitRefusesEmptyOrOversizedFrames()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            Span<Frame> one = stackalloc Frame[1];
            Assert.Equal(1, a.AllocateTransmit(one));
            Frame frame = one[0];
            Assert.Equal(FrameOwnershipError.BadLength, Assert.Throws<FrameOwnershipException>(() => a.Transmit([frame])).Error);
            Frame big = frame.WithLength(a.FrameCapacityBytes + 1);
            Assert.Equal(FrameOwnershipError.BadLength, Assert.Throws<FrameOwnershipException>(() => a.Transmit([big])).Error);
            Assert.Throws<FrameOwnershipException>(() => a.GetSpan(big).Length);
            Assert.True(a.IsOwned(frame));
            Assert.Equal(0, b.PendingReceiveFrames);
            a.Release(frame);
        }
    }

    [Fact]
    public void LeakIsDetectedAndReportedAtDispose()
    {
        var (a, b) = Pair();
        using (b)
        {
            Span<Frame> frames = stackalloc Frame[2];
            Assert.Equal(2, a.AllocateTransmit(frames));
            Frame kept = frames[1];
            a.Release(frames[0]);
            Assert.Equal(1, Assert.Throws<FrameLeakException>(a.ThrowIfFramesOutstanding).OutstandingFrames);

            int reported = 0;
            a.FramesLeaked += (_, e) => reported += e.LeakedFrames;
            a.Dispose();
            a.Dispose();
            Assert.Equal(1, reported);
            Assert.Equal(1, a.GetStatistics().LeakedFrames);
            Assert.False(a.IsOwned(kept));
            Assert.Throws<ObjectDisposedException>(() => a.GetSpan(kept).Length);
        }
    }

    [Fact]
    public void FramesToAFullPeerAreDroppedAndCounted()
    {
        var (a, b) = Pair(frames: 2);
        using (a)
        using (b)
        {
            for (int i = 0; i < 3; i++)
            {
                SendOne(a, (byte)i, 60);
            }

            Assert.Equal(2, b.PendingReceiveFrames);
            Assert.Equal(1, b.GetStatistics().ReceiveDroppedFrames);
            Assert.Equal(1, a.GetStatistics().TransmitDroppedFrames);
            Frame[] rx = new Frame[4];
            Assert.Equal(2, b.Receive(rx));
            Assert.Equal(0, b.GetSpan(rx[0])[0]);
            Assert.Equal(1, b.GetSpan(rx[1])[0]);
            b.Release(rx.AsSpan(0, 2));
        }
    }

    [Fact]
    public void ReceivedFrameCanBeEchoedInPlace()
    {
        var (a, b) = Pair();
        using (a)
        using (b)
        {
            SendOne(a, 7, 64);
            Span<Frame> rx = stackalloc Frame[1];
            Assert.Equal(1, b.Receive(rx));
            b.GetSpan(rx[0])[0] = 8;
            Assert.Equal(1, b.Transmit(rx));
            Assert.Equal(0, b.OutstandingFrames);
            Assert.Equal(1, a.Receive(rx));
            Assert.Equal(8, a.GetSpan(rx[0])[0]);
            a.Release(rx[0]);
        }
    }

    [Fact]
    public async Task PairWorksAcrossTwoThreads()
    {
        var (a, b) = Pair(frames: 64);
        using (a)
        using (b)
        {
            const int Count = 20_000;
            CancellationToken cancel = TestContext.Current.CancellationToken;
            Task<int> consumer = Task.Run(() => Consume(b, Count), cancel);

            Frame[] tx = new Frame[1];
            for (int i = 0; i < Count; i++)
            {
                while (a.AllocateTransmit(tx) == 0)
                {
                    Thread.Yield();
                }

                a.GetBuffer(tx[0])[0] = 1;
                a.Transmit([tx[0].WithLength(60)]);
            }

            int received = await consumer;
            Assert.Equal(Count, received + b.GetStatistics().ReceiveDroppedFrames);
            a.ThrowIfFramesOutstanding();
            b.ThrowIfFramesOutstanding();
        }
    }

    private static int Consume(MemoryPort port, int count)
    {
        Frame[] rx = new Frame[16];
        int got = 0;
        while (got + port.GetStatistics().ReceiveDroppedFrames < count)
        {
            int n = port.Receive(rx);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(1, port.GetSpan(rx[i])[0]);
            }

            port.Release(rx.AsSpan(0, n));
            got += n;
        }

        return got;
    }
}
