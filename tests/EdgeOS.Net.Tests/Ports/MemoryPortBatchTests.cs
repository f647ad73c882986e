using System.Buffers.Binary;
using Xunit;

namespace EdgeOS.Net.Tests.Ports;

/// <summary>The batch paths of <see cref="MemoryPort"/> and <see cref="PacketPort"/>: batch recycle, batch any-thread release, two threads on the two ends.</summary>
public sealed class MemoryPortBatchTests
{
    [Fact]
    public void ReleasingMoreFramesThanOneRecycleChunkGivesEveryOneBack()
    {
        // 1000 frames: several 256-slot recycle chunks, each under one lock.
        (MemoryPort a, MemoryPort b) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 1000, FrameSizeBytes = 128 });
        using (a)
        using (b)
        {
            var frames = new Frame[1000];
            Assert.Equal(1000, a.AllocateTransmit(frames));
            Assert.Equal(0, a.AllocateTransmit(new Frame[1]));
            a.Release(frames);
            Assert.Equal(0, a.OutstandingFrames);

            var again = new Frame[1000];
            Assert.Equal(1000, a.AllocateTransmit(again));
            Assert.Equal(1000, again.Select(f => f.Slot).Distinct().Count());
            a.Release(again);
            a.ThrowIfFramesOutstanding();
        }
    }

    [Fact]
    public void BatchReleaseFromAnyThreadGivesBackThePrefixBeforeABadHandleAndThrowsForIt()
    {
        (MemoryPort a, MemoryPort b) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 8 });
        using (a)
        using (b)
        {
            var frames = new Frame[8];
            Assert.Equal(8, a.AllocateTransmit(frames));
            a.Release(frames[3]);

            // frames[3] is already returned: 0..2 go back, 3..7 stay the caller's.
            FrameOwnershipException error = Assert.Throws<FrameOwnershipException>(() => a.ReleaseFromAnyThread(frames.AsSpan(0, 8)));
            Assert.Equal(FrameOwnershipError.AlreadyReturned, error.Error);
            Assert.False(a.IsOwned(frames[0]) || a.IsOwned(frames[1]) || a.IsOwned(frames[2]));
            Assert.True(a.IsOwned(frames[4]) && a.IsOwned(frames[7]));
            Assert.Equal(3, a.RecycleReturnedFrames());
            Assert.Equal(4, a.OutstandingFrames);

            a.ReleaseFromAnyThread(frames.AsSpan(4, 4));
            Assert.Equal(4, a.RecycleReturnedFrames());
            a.ThrowIfFramesOutstanding();
            Assert.Equal(8, a.AllocateTransmit(frames));
            a.Release(frames);
        }
    }

    [Fact]
    public void BatchReleaseFromAnyThreadRefusesADuplicateInTheSameSpan()
    {
        (MemoryPort a, MemoryPort b) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 4 });
        using (a)
        using (b)
        {
            var frames = new Frame[4];
            Assert.Equal(4, a.AllocateTransmit(frames));
            Frame[] twice = [frames[0], frames[1], frames[0]];
            Assert.Throws<FrameOwnershipException>(() => a.ReleaseFromAnyThread(twice));
            Assert.Equal(2, a.RecycleReturnedFrames());
            a.Release(frames.AsSpan(2, 2));
            a.ThrowIfFramesOutstanding();
        }
    }

    [Fact]
    public void ProducerAndConsumerOnTwoThreadsLoseAndCorruptNothing()
    {
        // The sender's thread transmits numbered frames on one end; the receiver's thread receives on the other and
        // gives half back with Release and half with ReleaseFromAnyThread (recycled by its own next call). Every frame
        // sent is either received in order or counted as dropped, none is corrupted, and no frame is lost from a pool.
        const int Total = 200_000;
        (MemoryPort sender, MemoryPort receiver) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 256, FrameSizeBytes = 128 });
        using (sender)
        using (receiver)
        {
            long received = 0;
            long corrupt = 0;
            long outOfOrder = 0;
            int sent = 0;
            var done = new ManualResetEventSlim();
            var consumer = new Thread(() =>
            {
                var frames = new Frame[64];
                long last = -1;
                while (true)
                {
                    int n = receiver.Receive(frames);
                    if (n == 0)
                    {
                        if (done.IsSet && receiver.PendingReceiveFrames == 0)
                        {
                            break;
                        }

                        Thread.Yield();
                        continue;
                    }

                    for (int i = 0; i < n; i++)
                    {
                        ReadOnlySpan<byte> data = receiver.GetSpan(frames[i]);
                        int number = BinaryPrimitives.ReadInt32LittleEndian(data);
                        if (data.Length != 60 || data[59] != (byte)number)
                        {
                            corrupt++;
                        }

                        if (number <= last)
                        {
                            outOfOrder++;
                        }

                        last = number;
                    }

                    received += n;
                    if ((received & 1) == 0)
                    {
                        receiver.Release(frames.AsSpan(0, n));
                    }
                    else
                    {
                        receiver.ReleaseFromAnyThread(frames.AsSpan(0, n));
                    }
                }
            });
            consumer.Start();

            var burst = new Frame[32];
            while (sent < Total)
            {
                int n = sender.AllocateTransmit(burst.AsSpan(0, Math.Min(burst.Length, Total - sent)));
                for (int i = 0; i < n; i++)
                {
                    Span<byte> buffer = sender.GetBuffer(burst[i]);
                    BinaryPrimitives.WriteInt32LittleEndian(buffer, sent);
                    buffer[59] = (byte)sent;
                    burst[i] = burst[i].WithLength(60);
                    sent++;
                }

                sender.Transmit(burst.AsSpan(0, n));
                if (receiver.PendingReceiveFrames > 128)
                {
                    Thread.Yield();
                }
            }

            done.Set();
            consumer.Join();
            Assert.Equal(0, corrupt);
            Assert.Equal(0, outOfOrder);
            long dropped = receiver.GetStatistics().ReceiveDroppedFrames;
            Assert.Equal(Total, received + dropped);
            Assert.Equal(dropped, sender.GetStatistics().TransmitDroppedFrames);
            sender.ThrowIfFramesOutstanding();
            receiver.ThrowIfFramesOutstanding();

            // Both pools are whole again: every frame can be allocated once.
            Assert.Equal(256, sender.AllocateTransmit(new Frame[300]));
            Assert.Equal(256, receiver.AllocateTransmit(new Frame[300]));
        }
    }
}
