using System.Diagnostics;
using EdgeOS.Core.Channels;
using EdgeOS.Core.Memory;
using Xunit;
using static EdgeOS.Core.Tests.Channels.ChannelTestSupport;

namespace EdgeOS.Core.Tests.Channels;

public sealed class ChannelWaitingTests
{
    private static readonly ChannelOptions s_parkQuickly = new()
    {
        Name = "waiting",
        SpinCount = 1,
        YieldCount = 1,
        LivenessCheckInterval = TimeSpan.FromSeconds(5),
        EnableMetrics = false,
    };

    [Fact]
    public void WaitToReadTimesOutOnAnEmptyRing()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing ring = SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, s_parkQuickly);

        Assert.False(ring.WaitToRead(TimeSpan.FromMilliseconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(1, ring.EmptyEvents);
    }

    [Fact]
    public void WaitToReadReturnsAtOnceWhenAMessageIsThere()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing ring = SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, s_parkQuickly);
        Assert.True(ring.TryWrite(1, [1]));

        Assert.True(ring.WaitToRead(TimeSpan.Zero, TestContext.Current.CancellationToken));
        Assert.Equal(0, ring.EmptyEvents);
    }

    [Fact]
    public async Task ParkedConsumerIsWokenByACommitLongBeforeItsTimeout()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing consumer = SpscByteRing.Create(region, 1024, ChannelEndpoints.Consumer, s_parkQuickly);
        using SpscByteRing producer = SpscByteRing.Attach(region, ChannelEndpoints.Producer, s_parkQuickly);

        // The liveness interval (5 s) bounds each park, so returning well before it proves a futex wake.
        var waiting = Task.Factory.StartNew(
            () =>
            {
                var watch = Stopwatch.StartNew();
                bool result = consumer.WaitToRead(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
                return (result, watch.Elapsed);
            },
            TaskCreationOptions.LongRunning);
        SpinUntilParked(region, ChannelDescriptorOffsets.ConsumerWaiters);
        Assert.True(producer.TryWrite(5, [5]));

        (bool woke, TimeSpan elapsed) = await waiting;
        Assert.True(woke);
        Assert.True(elapsed < TimeSpan.FromSeconds(4), $"woke after {elapsed}");
        Assert.True(consumer.TryRead(new byte[1], out _, out int type));
        Assert.Equal(5, type);
    }

    [Fact]
    public async Task CancellationWakesAParkedConsumer()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing ring = SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, s_parkQuickly);
        using var cancellation = new CancellationTokenSource();

        var waiting = Task.Factory.StartNew(() => ring.WaitToRead(Timeout.InfiniteTimeSpan, cancellation.Token), TaskCreationOptions.LongRunning);
        SpinUntilParked(region, ChannelDescriptorOffsets.ConsumerWaiters);
        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, HeaderInt(region, ChannelDescriptorOffsets.ConsumerWaiters));
    }

    [Fact]
    public void AlreadyCanceledTokenThrowsWithoutWaiting()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing ring = SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, s_parkQuickly);
        Assert.ThrowsAny<OperationCanceledException>(() => ring.WaitToRead(Timeout.InfiniteTimeSpan, new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task WaitToReadAsyncCompletesSynchronouslyWhenDataIsThereAndLaterWhenItArrives()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing ring = SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, s_parkQuickly);
        Assert.True(ring.TryWrite(1, [1]));
        ValueTask<bool> ready = ring.WaitToReadAsync(TestContext.Current.CancellationToken);
        Assert.True(ready.IsCompletedSuccessfully);
        Assert.True(await ready);
        Assert.True(ring.TryRead(new byte[1], out _, out _));

        ValueTask<bool> pending = ring.WaitToReadAsync(TestContext.Current.CancellationToken);
        Assert.False(pending.IsCompleted);
        Assert.True(ring.TryWrite(2, [2]));
        Assert.True(await pending);
    }

    [Fact]
    public async Task WaitToReadAsyncObservesCancellation()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing ring = SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, s_parkQuickly);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(30));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ring.WaitToReadAsync(cancellation.Token));
    }

    [Fact]
    public void WaitToReadReportsCompletionWhenTheProducerDetachedCleanly()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing consumer = SpscByteRing.Create(region, 1024, ChannelEndpoints.Consumer, FastOptions);
        SpscByteRing producer = SpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions);
        Assert.True(producer.TryWrite(1, [1]));
        producer.Dispose();

        Assert.True(consumer.WaitToRead(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.True(consumer.TryRead(new byte[1], out _, out _));
        Assert.False(consumer.WaitToRead(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal(ChannelPeerStatus.Detached, consumer.GetProducerInfo(0).Status);
    }

    [Fact]
    public async Task BlockedWriterIsWokenWhenTheConsumerFreesSpace()
    {
        using MemoryRegion region = RegionFor(256);
        using SpscByteRing consumer = SpscByteRing.Create(region, 256, ChannelEndpoints.Consumer, s_parkQuickly);
        using SpscByteRing producer = SpscByteRing.Attach(region, ChannelEndpoints.Producer, s_parkQuickly);
        while (producer.TryWrite(1, new byte[24]))
        {
        }

        var writing = Task.Factory.StartNew(() => producer.Write(2, new byte[24], TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken), TaskCreationOptions.LongRunning);
        SpinUntilParked(region, ChannelDescriptorOffsets.ProducerWaiters);
        Assert.True(consumer.TryRead(new byte[32], out _, out _));

        Assert.True(await writing);
        Assert.True(producer.FullEvents >= 1);
    }

    [Fact]
    public void BlockedWriterTimesOutAndWritesNothing()
    {
        using MemoryRegion region = RegionFor(256);
        using SpscByteRing ring = SpscByteRing.Create(region, 256, ChannelEndpoints.Both, s_parkQuickly);
        while (ring.TryWrite(1, new byte[24]))
        {
        }

        long written = ring.MessagesWritten;
        Assert.False(ring.Write(2, new byte[24], TimeSpan.FromMilliseconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(written, ring.MessagesWritten);
    }

    private static void SpinUntilParked(MemoryRegion region, int waitersOffset)
    {
        var watch = Stopwatch.StartNew();
        while (Volatile.Read(ref HeaderInt(region, waitersOffset)) == 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "the waiter never parked");
            Thread.Sleep(1);
        }

        // Registered as a waiter; give it a moment to enter the futex wait (either way the wake must work).
        Thread.Sleep(20);
    }
}

internal static class ChannelDescriptorOffsets
{
    internal const int ConsumerWaiters = EdgeOS.Core.Channels.Internal.ChannelDescriptor.ConsumerWaitersOffset;
    internal const int ProducerWaiters = EdgeOS.Core.Channels.Internal.ChannelDescriptor.ProducerWaitersOffset;
}
