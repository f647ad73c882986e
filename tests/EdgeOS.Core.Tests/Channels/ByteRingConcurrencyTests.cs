using EdgeOS.Core.Channels;
using EdgeOS.Core.Memory;
using Xunit;
using static EdgeOS.Core.Tests.Channels.ChannelTestSupport;

namespace EdgeOS.Core.Tests.Channels;

/// <summary>
/// Millions of records through SPSC and MPSC rings on real threads: every record is checked for its producer's
/// next sequence number, its length and its bytes, so a lost, duplicated, reordered or torn record fails.
/// </summary>
public sealed class ByteRingConcurrencyTests
{
    private static readonly TimeSpan s_stepTimeout = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(4096, 2_000_000, ChannelDeliveryMode.Shared, false)]
    [InlineData(256, 300_000, ChannelDeliveryMode.Copy, false)]
    [InlineData(1024, 300_000, ChannelDeliveryMode.Shared, true)]
    public void SpscDeliversEveryRecordOnceInOrderAndUntorn(int capacity, int count, ChannelDeliveryMode mode, bool blockingWaits)
    {
        using MemoryRegion region = RegionFor(capacity);
        using SpscByteRing consumer = SpscByteRing.Create(region, capacity, ChannelEndpoints.Consumer, FastOptions);
        using SpscByteRing producer = SpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions);
        int max = consumer.MessageLengthMax;

        Task producing = Task.Factory.StartNew(() => Produce(producer, 0, count, max, blockingWaits), TaskCreationOptions.LongRunning);
        VerifyingHandler handler = Consume(consumer, 1, count, max, mode, blockingWaits, producing);

        Assert.Null(handler.Failure);
        Assert.Equal(count, handler.Count);
        Assert.Equal(count, consumer.MessagesRead);
        Assert.Equal(count, consumer.MessagesWritten);
        Assert.Equal(handler.Bytes, consumer.BytesWritten);
        Assert.Equal(0, consumer.DepthBytes);
        Assert.Equal(0, consumer.SkippedRecords);
    }

    [Theory]
    [InlineData(2, 4096, 1_000_000)]
    [InlineData(3, 1024, 300_000)]
    [InlineData(4, 8192, 400_000)]
    public void MpscDeliversEveryRecordOnceInPerProducerOrderAndUntorn(int producers, int capacity, int countPerProducer)
    {
        using MemoryRegion region = RegionFor(capacity);
        using MpscByteRing consumer = MpscByteRing.Create(region, capacity, ChannelEndpoints.Consumer, FastOptions);
        var rings = new MpscByteRing[producers];
        for (int p = 0; p < producers; p++)
        {
            rings[p] = MpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions);
        }

        int max = consumer.MessageLengthMax;
        try
        {
            Task[] producing = new Task[producers];
            for (int p = 0; p < producers; p++)
            {
                int id = p;
                producing[p] = Task.Factory.StartNew(() => Produce(rings[id], id, countPerProducer, max, blockingWaits: id % 2 == 1), TaskCreationOptions.LongRunning);
            }

            VerifyingHandler handler = Consume(consumer, producers, (long)producers * countPerProducer, max, ChannelDeliveryMode.Shared, blockingWaits: true, Task.WhenAll(producing));

            Assert.Null(handler.Failure);
            Assert.Equal((long)producers * countPerProducer, handler.Count);
            for (int p = 0; p < producers; p++)
            {
                Assert.Equal(countPerProducer, handler.NextSequence(p));
            }

            Assert.Equal(handler.Count, consumer.MessagesWritten);
            Assert.Equal(0, consumer.DepthBytes);
            Assert.Equal(0, consumer.SkippedRecords);
        }
        finally
        {
            foreach (MpscByteRing ring in rings)
            {
                ring.Dispose();
            }
        }
    }

    private static void Produce(ByteRing ring, int producer, long count, int max, bool blockingWaits)
    {
        for (long sequence = 0; sequence < count; sequence++)
        {
            int length = LengthFor(producer, sequence, max);
            ReadOnlySpan<byte> payload = Payload(producer, sequence, length);
            int type = TypeFor(producer, sequence);
            if (blockingWaits)
            {
                if (!ring.Write(type, payload, s_stepTimeout))
                {
                    throw new TimeoutException($"producer {producer} could not write sequence {sequence}");
                }

                continue;
            }

            var spinner = default(SpinWait);
            ChannelClaim claim;
            while (!ring.TryClaim(length, type, out claim))
            {
                spinner.SpinOnce();
            }

            // Write the payload in two steps, as a producer filling a claim in place would.
            payload[..(length / 2)].CopyTo(claim.Span);
            payload[(length / 2)..].CopyTo(claim.Span[(length / 2)..]);
            claim.Commit();
        }
    }

    private static VerifyingHandler Consume(ByteRing ring, int producers, long total, int max, ChannelDeliveryMode mode, bool blockingWaits, Task producing)
    {
        var handler = new VerifyingHandler(producers, max);
        var spinner = default(SpinWait);
        while (handler.Count < total && handler.Failure is null)
        {
            if (ring.Read(ref handler, 256, mode) != 0)
            {
                spinner = default;
                continue;
            }

            if (producing.IsFaulted)
            {
                producing.GetAwaiter().GetResult();
            }

            if (blockingWaits)
            {
                if (!ring.WaitToRead(s_stepTimeout, TestContext.Current.CancellationToken) && !producing.IsCompleted)
                {
                    throw new TimeoutException($"no record within {s_stepTimeout} after {handler.Count} records");
                }
            }
            else
            {
                spinner.SpinOnce();
            }
        }

        producing.GetAwaiter().GetResult();
        return handler;
    }
}
