using Xunit;

namespace EdgeOS.Net.Tests.Ports;

public sealed class ConcurrentReleaseTests
{
    [Fact]
    public void FrameReleasedFromAnotherThreadDiesAtOnceAndIsRecycledByThePortThread()
    {
        (MemoryPort a, MemoryPort b) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 4 });
        using (a)
        using (b)
        {
            var frames = new Frame[4];
            Assert.Equal(4, a.AllocateTransmit(frames));
            Thread worker = new(() => a.ReleaseFromAnyThread(frames.AsSpan(0, 3)));
            worker.Start();
            worker.Join();

            Assert.False(a.IsOwned(frames[0]));
            Assert.Equal(4, a.OutstandingFrames);   // queued, not yet recycled
            Assert.Equal(3, a.RecycleReturnedFrames());
            Assert.Equal(1, a.OutstandingFrames);
            Assert.Equal(0, a.RecycleReturnedFrames());
            Assert.Equal(FrameOwnershipError.AlreadyReturned, Assert.Throws<FrameOwnershipException>(() => a.Release(frames[0])).Error);
            Assert.Equal(3, a.AllocateTransmit(new Frame[4]));
            Assert.Throws<FrameOwnershipException>(() => a.ReleaseFromAnyThread(frames[1]));
        }
    }

    [Fact]
    public void TwoThreadsReleasingTheSameFramesSucceedExactlyOncePerFrame()
    {
        const int Rounds = 200;
        const int Count = 64;
        (MemoryPort a, MemoryPort b) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = Count });
        using (a)
        using (b)
        {
            var frames = new Frame[Count];
            for (int round = 0; round < Rounds; round++)
            {
                Assert.Equal(Count, a.AllocateTransmit(frames));
                int refused = 0;
                using var start = new Barrier(3);
                void Race()
                {
                    start.SignalAndWait();
                    foreach (Frame frame in frames)
                    {
                        try
                        {
                            a.ReleaseFromAnyThread(frame);
                        }
                        catch (FrameOwnershipException)
                        {
                            Interlocked.Increment(ref refused);
                        }
                    }
                }

                var first = new Thread(() => Race());
                var second = new Thread(() => Race());
                first.Start();
                second.Start();
                start.SignalAndWait(TestContext.Current.CancellationToken);
                first.Join();
                second.Join();

                // Each frame was given back exactly once: one thread won it, the other was refused.
                Assert.Equal(Count, refused);
                Assert.Equal(Count, a.RecycleReturnedFrames());
                a.ThrowIfFramesOutstanding();
            }

            // Every slot is free exactly once: all can be allocated, no more.
            Assert.Equal(Count, a.AllocateTransmit(new Frame[Count + 1]));
        }
    }

    [Fact]
    public void FramesQueuedFromAnotherThreadAreNoLeakAtDispose()
    {
        (MemoryPort a, MemoryPort b) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 4 });
        using (b)
        {
            var frames = new Frame[2];
            Assert.Equal(2, a.AllocateTransmit(frames));
            a.ReleaseFromAnyThread(frames[0]);
            a.Dispose();
            Assert.Equal(1, a.GetStatistics().LeakedFrames);
            Assert.Throws<ObjectDisposedException>(() => a.ReleaseFromAnyThread(frames[1]));
        }
    }
}
