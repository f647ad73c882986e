using EdgeOS.Core.Channels;
using EdgeOS.Core.Channels.Internal;
using EdgeOS.Core.Memory;
using Xunit;
using static EdgeOS.Core.Tests.Channels.ChannelTestSupport;

namespace EdgeOS.Core.Tests.Channels;

public sealed class ByteRingProtocolTests
{
    public static TheoryData<bool> Variants => new() { false, true };

    private static ByteRing CreateRing(MemoryRegion region, int capacity, bool multi) => multi
        ? MpscByteRing.Create(region, capacity, ChannelEndpoints.Both, FastOptions)
        : SpscByteRing.Create(region, capacity, ChannelEndpoints.Both, FastOptions);

    [Theory]
    [MemberData(nameof(Variants))]
    public void CommittedMessagesArriveInOrderWithTypeAndBytes(bool multi)
    {
        using MemoryRegion region = RegionFor(1024);
        using ByteRing ring = CreateRing(region, 1024, multi);

        Assert.True(ring.TryWrite(7, [1, 2, 3]));
        Assert.True(ring.TryClaim(5, 9, out ChannelClaim claim));
        "hello"u8.CopyTo(claim.Span);
        claim.Commit();

        var handler = new CollectingHandler();
        Assert.Equal(2, ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.Equal(7, handler.Messages[0].Type);
        Assert.Equal([1, 2, 3], handler.Messages[0].Payload);
        Assert.Equal(9, handler.Messages[1].Type);
        Assert.Equal("hello"u8.ToArray(), handler.Messages[1].Payload);
        Assert.Equal(0, ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.Equal(2, ring.MessagesWritten);
        Assert.Equal(2, ring.MessagesRead);
        Assert.Equal(8, ring.BytesRead);
        Assert.Equal(0, ring.DepthBytes);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void UncommittedClaimBlocksTheConsumerAndLaterRecordsWaitBehindIt(bool multi)
    {
        using MemoryRegion region = RegionFor(1024);
        using ByteRing ring = CreateRing(region, 1024, multi);

        Assert.True(ring.TryWrite(1, [1]));
        Assert.True(ring.TryClaim(4, 2, out ChannelClaim pending));
        Assert.True(ring.TryWrite(3, [3]));

        var handler = new CollectingHandler();
        Assert.Equal(1, ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.Equal(0, ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.False(ring.WaitToRead(TimeSpan.Zero, TestContext.Current.CancellationToken));

        pending.Span.Fill(2);
        pending.Commit();
        Assert.Equal(2, ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.Equal([1, 2, 3], handler.Messages.Select(m => m.Type));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void AbortedClaimIsNeverDelivered(bool multi)
    {
        using MemoryRegion region = RegionFor(1024);
        using ByteRing ring = CreateRing(region, 1024, multi);

        Assert.True(ring.TryClaim(16, 1, out ChannelClaim claim));
        claim.Span.Fill(0xEE);
        claim.Abort();
        Assert.True(ring.TryWrite(2, [2]));

        var handler = new CollectingHandler();
        Assert.Equal(1, ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.Equal(2, handler.Messages.Single().Type);
        Assert.Equal(1, ring.MessagesWritten);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void ZeroByteAndMaximumSizeMessagesRoundTripAcrossManyWraps(bool multi)
    {
        using MemoryRegion region = RegionFor(256);
        using ByteRing ring = CreateRing(region, 256, multi);
        Assert.Equal(24, ring.MessageLengthMax);

        var handler = new CollectingHandler();
        for (int i = 0; i < 500; i++)
        {
            int length = i % 3 == 0 ? 0 : i % 3 == 1 ? ring.MessageLengthMax : i % 25;
            Assert.True(ring.TryWrite(i, Payload(0, i, length)));
            Assert.Equal(1, ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
            Assert.Equal(i, handler.Messages[^1].Type);
            Assert.Equal(Payload(0, i, length).ToArray(), handler.Messages[^1].Payload);
        }

        // 500 records of up to 32 bytes through a 256-byte ring: it wrapped many times, with padding.
        Assert.True(ring.BytesRead > 20 * 256);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void PaddingFillsTheEndWhenARecordDoesNotFitBeforeTheWrap(bool multi)
    {
        using MemoryRegion region = RegionFor(256);
        using ByteRing ring = CreateRing(region, 256, multi);
        var handler = new CollectingHandler();

        // Ten 24-byte records reach offset 240; the eleventh does not fit in the last 16 bytes.
        for (int i = 0; i < 10; i++)
        {
            Assert.True(ring.TryWrite(i, Payload(0, i, 16)));
        }

        Assert.Equal(10, ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.True(ring.TryWrite(10, Payload(0, 10, 16)));

        long paddingWord = DataWord(region, 240);
        Assert.Equal(16, (int)paddingWord);
        Assert.Equal(ChannelDescriptor.PaddingType, (int)(paddingWord >> 32));
        if (multi)
        {
            // The MPSC claim straddled the end: it became padding to the end and from 0 to its end, then was claimed again.
            Assert.Equal(8, (int)DataWord(region, 0));
            Assert.Equal(ChannelDescriptor.PaddingType, (int)(DataWord(region, 0) >> 32));
            Assert.Equal(24, (int)DataWord(region, 8));
        }
        else
        {
            Assert.Equal(24, (int)DataWord(region, 0));
        }

        Assert.Equal(1, ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.Equal(10, handler.Messages[^1].Type);
        Assert.Equal(0, DataWord(region, 240));
        Assert.Equal(0, DataWord(region, 0));
        Assert.Equal(0, DataWord(region, 8));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void MessageLargerThanTheMaximumIsRefusedAndNothingIsClaimed(bool multi)
    {
        using MemoryRegion region = RegionFor(1024);
        using ByteRing ring = CreateRing(region, 1024, multi);
        long tailBefore = HeaderLong(region, ChannelDescriptor.TailOffset);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryWrite(1, new byte[ring.MessageLengthMax + 1]));
        Assert.Contains("120", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryClaim(-1, 1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryClaim(1, -5, out _));

        Assert.Equal(tailBefore, HeaderLong(region, ChannelDescriptor.TailOffset));
        Assert.Equal(0, DataWord(region, 0));
        Assert.True(ring.TryWrite(1, new byte[ring.MessageLengthMax]));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void FullRingRefusesClaimsUntilTheConsumerReads(bool multi)
    {
        using MemoryRegion region = RegionFor(256);
        using ByteRing ring = CreateRing(region, 256, multi);

        int written = 0;
        while (ring.TryWrite(written, Payload(0, written, 24)))
        {
            written++;
        }

        Assert.Equal(8, written);
        Assert.True(ring.FullEvents >= 1);
        var handler = new CollectingHandler();
        Assert.Equal(1, ring.Read(ref handler, 1, ChannelDeliveryMode.Shared));
        Assert.True(ring.TryWrite(99, Payload(0, 99, 24)));
        Assert.Equal(8, ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 99], handler.Messages.Select(m => m.Type));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void BatchLimitIsRespectedAndHeadMovesOncePerBatch(bool multi)
    {
        using MemoryRegion region = RegionFor(1024);
        using ByteRing ring = CreateRing(region, 1024, multi);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(ring.TryWrite(i, Payload(0, i, 8)));
        }

        var observer = new HeadObserver(region);
        Assert.Equal(4, ring.Read(ref observer, 4, ChannelDeliveryMode.Shared));
        Assert.Equal([0L, 0L, 0L, 0L], observer.HeadsSeen);
        Assert.Equal(4 * 16, HeaderLong(region, ChannelDescriptor.HeadOffset));

        observer = new HeadObserver(region);
        Assert.Equal(6, ring.Read(ref observer, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.All(observer.HeadsSeen, head => Assert.Equal(64, head));
        Assert.Equal(10 * 16, HeaderLong(region, ChannelDescriptor.HeadOffset));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void CopyModeReleasesRingSpaceBeforeTheHandlerRuns(bool multi)
    {
        using MemoryRegion region = RegionFor(1024);
        using ByteRing ring = CreateRing(region, 1024, multi);
        for (int i = 0; i < 5; i++)
        {
            Assert.True(ring.TryWrite(i, Payload(0, i, 40)));
        }

        var observer = new HeadObserver(region);
        Assert.Equal(5, ring.Read(ref observer, int.MaxValue, ChannelDeliveryMode.Copy));
        Assert.All(observer.HeadsSeen, head => Assert.Equal(5 * 48, head));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => Payload(0, i, 40).ToArray()), observer.Payloads);

        // The ring bytes were zeroed; the handler saw its own copies.
        Assert.Equal(0, DataWord(region, 0));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void DelegateReadPassesStateWithoutCapturing(bool multi)
    {
        using MemoryRegion region = RegionFor(1024);
        using ByteRing ring = CreateRing(region, 1024, multi);
        Assert.True(ring.TryWrite(3, [1, 2, 3, 4]));
        var sums = new List<int>();
        Assert.Equal(1, ring.Read(static (list, type, message) => list.Add(type + message.Length), sums, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.Equal([7], sums);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void TryReadCopiesOneMessageAndRefusesASmallDestinationWithoutConsuming(bool multi)
    {
        using MemoryRegion region = RegionFor(1024);
        using ByteRing ring = CreateRing(region, 1024, multi);
        Assert.True(ring.TryWrite(5, Payload(0, 1, 10)));
        Assert.True(ring.TryWrite(6, []));

        Assert.Throws<ArgumentException>(() => ring.TryRead(new byte[9], out _, out _));
        var destination = new byte[64];
        Assert.True(ring.TryRead(destination, out int length, out int type));
        Assert.Equal((10, 5), (length, type));
        Assert.Equal(Payload(0, 1, 10).ToArray(), destination[..10]);
        Assert.True(ring.TryRead(destination, out length, out type));
        Assert.Equal((0, 6), (length, type));
        Assert.False(ring.TryRead(destination, out _, out _));
    }

    [Fact]
    public void HandlerExceptionReleasesWhatWasDeliveredSoNothingIsDeliveredTwice()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing ring = SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, FastOptions);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(ring.TryWrite(i, [(byte)i]));
        }

        var seen = new List<int>();
        Assert.Throws<InvalidOperationException>(() => ring.Read(
            static (list, type, _) =>
            {
                list.Add(type);
                if (type == 1)
                {
                    throw new InvalidOperationException("handler failed");
                }
            },
            seen,
            int.MaxValue,
            ChannelDeliveryMode.Shared));
        Assert.Equal(1, ring.Read(static (list, type, _) => list.Add(type), seen, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.Equal([0, 1, 2], seen);
    }

    [Fact]
    public void ProducerOnlyObjectCannotReadAndConsumerOnlyObjectCannotWrite()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing consumer = SpscByteRing.Create(region, 1024, ChannelEndpoints.Consumer, FastOptions);
        using SpscByteRing producer = SpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions);

        Assert.Throws<InvalidOperationException>(() => consumer.TryWrite(1, [1]));
        Assert.Throws<InvalidOperationException>(() => producer.TryRead(new byte[8], out _, out _));
        Assert.True(producer.TryWrite(1, [1]));
        Assert.True(consumer.TryRead(new byte[8], out _, out int type));
        Assert.Equal(1, type);
    }

    [Fact]
    public void SecondLiveProducerOrConsumerIsRefused()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing ring = SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, FastOptions);
        Assert.Throws<InvalidOperationException>(() => SpscByteRing.Attach(region, ChannelEndpoints.Producer, FastOptions));
        Assert.Throws<InvalidOperationException>(() => SpscByteRing.Attach(region, ChannelEndpoints.Consumer, FastOptions));
    }

    [Fact]
    public void MpscGivesEachProducerObjectItsOwnSlotUpToTheLimit()
    {
        using MemoryRegion region = RegionFor(1024);
        var options = new ChannelOptions { ProducersMax = 3, EnableMetrics = false };
        using MpscByteRing consumer = MpscByteRing.Create(region, 1024, ChannelEndpoints.Consumer, options);
        using MpscByteRing p0 = MpscByteRing.Attach(region, ChannelEndpoints.Producer, options);
        using MpscByteRing p1 = MpscByteRing.Attach(region, ChannelEndpoints.Producer, options);
        MpscByteRing p2 = MpscByteRing.Attach(region, ChannelEndpoints.Producer, options);
        Assert.Equal([0, 1, 2], new[] { p0.ProducerSlot, p1.ProducerSlot, p2.ProducerSlot });
        Assert.Throws<InvalidOperationException>(() => MpscByteRing.Attach(region, ChannelEndpoints.Producer, options));

        p2.Dispose();
        using MpscByteRing p3 = MpscByteRing.Attach(region, ChannelEndpoints.Producer, options);
        Assert.Equal(2, p3.ProducerSlot);
        Assert.Equal(ChannelPeerStatus.Alive, consumer.GetProducerInfo(2).Status);
    }

    private struct HeadObserver(MemoryRegion region) : IChannelMessageHandler
    {
        public List<long> HeadsSeen { get; } = [];

        public List<byte[]> Payloads { get; } = [];

        public readonly void OnMessage(int type, ReadOnlySpan<byte> message)
        {
            HeadsSeen.Add(Volatile.Read(ref HeaderLong(region, ChannelDescriptor.HeadOffset)));
            Payloads.Add(message.ToArray());
        }
    }
}
