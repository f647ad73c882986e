using EdgeOS.Core.Channels;
using EdgeOS.Core.Channels.Internal;
using EdgeOS.Core.Memory;
using Xunit;
using static EdgeOS.Core.Tests.Channels.ChannelTestSupport;

namespace EdgeOS.Core.Tests.Channels;

/// <summary>
/// Dead peers simulated in-process by rewriting identities in the header: a pid that cannot exist, or the right
/// pid with a different start time (a reused pid).
/// </summary>
public sealed class ChannelDeadPeerTests
{
    public static TheoryData<bool, bool> Cases => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ClaimOfADeadProducerIsSkippedAfterTheTimeoutAndEverythingCommittedIsDeliveredOnce(bool multi, bool reusedPid)
    {
        SkipUnlessLinux();
        using MemoryRegion region = RegionFor(1024);
        using ByteRing consumer = multi
            ? MpscByteRing.Create(region, 1024, ChannelEndpoints.Consumer, FastOptions)
            : SpscByteRing.Create(region, 1024, ChannelEndpoints.Consumer, FastOptions);
        ByteRing producer = multi
            ? MpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions)
            : SpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions);

        for (int i = 0; i < 5; i++)
        {
            Assert.True(producer.TryWrite(i, Payload(0, i, 30)));
        }

        Assert.True(producer.TryClaim(40, 99, out ChannelClaim halfWritten));
        halfWritten.Span[..20].Fill(0xAB);
        int slot = producer.ProducerSlot;
        if (reusedPid)
        {
            StaleStartTime(region, ChannelDescriptor.ProducerSlotOffset(slot));
        }
        else
        {
            KillProducerIdentity(region, slot);
        }

        var handler = new CollectingHandler();
        Assert.Equal(5, consumer.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.Equal(ChannelPeerStatus.Dead, consumer.GetProducerInfo(slot).Status);

        // The consumer waits past the peer timeout, skips the claim, then reports the dead producer.
        var error = Assert.Throws<ChannelPeerDeadException>(() =>
        {
            while (consumer.WaitToRead(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken))
            {
                _ = consumer.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared);
            }
        });

        Assert.Equal(ChannelPeerRole.Producer, error.Role);
        Assert.Equal(ChannelPeerStatus.Dead, error.Peer.Status);
        Assert.Equal(1, consumer.SkippedRecords);
        Assert.Equal([0, 1, 2, 3, 4], handler.Messages.Select(m => m.Type));
        Assert.DoesNotContain(handler.Messages, m => m.Type == 99);
        Assert.Equal(0, consumer.DepthBytes);
    }

    [Fact]
    public void ClaimOfALiveButSlowProducerIsNeverSkipped()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing ring = SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, FastOptions);
        Assert.True(ring.TryClaim(8, 1, out ChannelClaim claim));

        Assert.False(ring.WaitToRead(FastOptions.PeerTimeout * 3, TestContext.Current.CancellationToken));
        Assert.Equal(0, ring.SkippedRecords);

        claim.Span.Fill(1);
        claim.Commit();
        Assert.True(ring.TryRead(new byte[8], out int length, out int type));
        Assert.Equal((8, 1), (length, type));
    }

    [Fact]
    public void MpscHoleLeftByAProducerThatDiedBetweenTheAddAndItsMarkerIsSkipped()
    {
        SkipUnlessLinux();
        using MemoryRegion region = RegionFor(1024);
        using MpscByteRing consumer = MpscByteRing.Create(region, 1024, ChannelEndpoints.Consumer, FastOptions);
        using MpscByteRing live = MpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions);
        MpscByteRing dying = MpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions);
        Assert.True(live.TryWrite(1, [1]));

        // Replay what a producer does up to the atomic add, then "die": announce 24 bytes, add, never write the marker.
        unsafe
        {
            byte* line = Header(region) + ChannelDescriptor.ProducerSlotOffset(dying.ProducerSlot);
            *(int*)(line + ChannelDescriptor.SlotClaimLengthOffset) = 24;
            *(int*)(line + ChannelDescriptor.SlotClaimStateOffset) = 1;
            Interlocked.Add(ref HeaderLong(region, ChannelDescriptor.TailOffset), 24);
        }

        KillProducerIdentity(region, dying.ProducerSlot);
        Assert.True(live.TryWrite(2, [2]));

        var handler = new CollectingHandler();
        Assert.Equal(1, consumer.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.True(consumer.WaitToRead(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
        while (handler.Messages.Count < 2)
        {
            _ = consumer.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared);
        }

        Assert.Equal([1, 2], handler.Messages.Select(m => m.Type));
        Assert.Equal(1, consumer.SkippedRecords);
    }

    [Fact]
    public void ProducerBlockedOnAFullRingWhoseConsumerDiedGetsTheException()
    {
        SkipUnlessLinux();
        using MemoryRegion region = RegionFor(256);
        using SpscByteRing consumer = SpscByteRing.Create(region, 256, ChannelEndpoints.Consumer, FastOptions);
        using SpscByteRing producer = SpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions);
        while (producer.TryWrite(1, new byte[24]))
        {
        }

        KillConsumerIdentity(region);
        var error = Assert.Throws<ChannelPeerDeadException>(() => producer.Write(2, new byte[24], TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));

        Assert.Equal(ChannelPeerRole.Consumer, error.Role);
        Assert.Equal(NonexistentPid, error.Peer.ProcessId);
        Assert.Contains("consumer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SpinningTryWriteOnAFullRingWhoseConsumerDetachedGetsTheException()
    {
        using MemoryRegion region = RegionFor(256);
        SpscByteRing consumer = SpscByteRing.Create(region, 256, ChannelEndpoints.Consumer, FastOptions);
        using SpscByteRing producer = SpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions);
        while (producer.TryWrite(1, new byte[24]))
        {
        }

        consumer.Dispose();
        var error = Assert.Throws<ChannelPeerDeadException>(() =>
        {
            while (!producer.TryWrite(2, new byte[24]))
            {
                Thread.Sleep(1);
            }
        });
        Assert.Equal(ChannelPeerStatus.Detached, error.Peer.Status);
    }

    [Fact]
    public void NewProducerMayTakeOverTheSlotOfADeadOne()
    {
        SkipUnlessLinux();
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing consumer = SpscByteRing.Create(region, 1024, ChannelEndpoints.Consumer, FastOptions);
        SpscByteRing first = SpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions);
        Assert.True(first.TryWrite(1, [1]));
        Assert.True(first.TryClaim(8, 2, out _));
        KillProducerIdentity(region, 0);

        using SpscByteRing second = SpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions);
        Assert.True(second.TryWrite(3, [3]));
        Assert.Equal(ChannelPeerStatus.Alive, consumer.GetProducerInfo(0).Status);

        // The dead producer's claim belongs to an older epoch of the slot: it is skipped, the new record delivered.
        var handler = new CollectingHandler();
        while (handler.Messages.Count < 2)
        {
            Assert.True(consumer.WaitToRead(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
            _ = consumer.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared);
        }

        Assert.Equal([1, 3], handler.Messages.Select(m => m.Type));
        Assert.Equal(1, consumer.SkippedRecords);
    }

    internal static void SkipUnlessLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("Process liveness by pid and start time needs Linux.");
        }
    }
}
