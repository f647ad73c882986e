using EdgeOS.Core.Channels;
using EdgeOS.Core.Channels.Internal;
using EdgeOS.Core.Memory;
using Xunit;
using static EdgeOS.Core.Tests.Channels.ChannelTestSupport;

namespace EdgeOS.Core.Tests.Channels;

public sealed class ChannelBadInputTests
{
    [Theory]
    [InlineData(ChannelDescriptor.MagicOffset, 0x1234L, "magic")]
    [InlineData(ChannelDescriptor.VersionOffset, 2L, "version")]
    [InlineData(ChannelDescriptor.KindOffset, 9L, "kind")]
    [InlineData(ChannelDescriptor.HeaderSizeOffset, 4096L, "headerSize")]
    [InlineData(ChannelDescriptor.CapacityOffset, 1000L, "dataCapacity")]
    [InlineData(ChannelDescriptor.CapacityOffset, 1L << 20, "dataCapacity")]
    [InlineData(ChannelDescriptor.MessageLengthMaxOffset, 4096L, "messageLengthMax")]
    [InlineData(ChannelDescriptor.ProducerSlotCountOffset, 2L, "producerSlotCount")]
    public void AttachRefusesABadHeaderNamingTheFieldAndWritesNothing(int offset, long value, string field)
    {
        using MemoryRegion region = RegionFor(1024);
        using (SpscByteRing.Create(region, 1024, ChannelEndpoints.None, FastOptions))
        {
        }

        if (offset == ChannelDescriptor.MagicOffset)
        {
            HeaderLong(region, offset) = value;
        }
        else
        {
            HeaderInt(region, offset) = (int)value;
        }

        byte[] before = region.AsSpan().ToArray();
        var error = Assert.Throws<ChannelFormatException>(() => SpscByteRing.Attach(region, ChannelEndpoints.Both, FastOptions));

        Assert.Equal(field, error.Field);
        Assert.Equal(-1, error.DataOffset);
        Assert.Contains($"'{field}'", error.Message, StringComparison.Ordinal);
        Assert.True(before.AsSpan().SequenceEqual(region.AsSpan()), "a refused attach wrote to the region");
    }

    [Fact]
    public void AttachOfTheWrongKindIsRefused()
    {
        using MemoryRegion region = RegionFor(1024);
        using (SpscByteRing.Create(region, 1024, ChannelEndpoints.None, FastOptions))
        {
        }

        var error = Assert.Throws<ChannelFormatException>(() => MpscByteRing.Attach(region, ChannelEndpoints.Consumer, FastOptions));
        Assert.Equal("kind", error.Field);
        Assert.Contains("MPSC", error.Message, StringComparison.Ordinal);
        Assert.Contains("SPSC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AttachToZeroedMemoryIsRefusedAsMissingMagic()
    {
        using MemoryRegion region = RegionFor(1024);
        Assert.Equal("magic", Assert.Throws<ChannelFormatException>(() => SpscByteRing.Attach(region, ChannelEndpoints.Consumer, FastOptions)).Field);
    }

    [Fact]
    public void CreateRefusesBadCapacityOffsetOrRegionSize()
    {
        using MemoryRegion region = RegionFor(1024);
        Assert.Throws<ArgumentOutOfRangeException>(() => SpscByteRing.Create(region, 1000, ChannelEndpoints.Both, FastOptions));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpscByteRing.Create(region, 128, ChannelEndpoints.Both, FastOptions));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpscByteRing.Create(region, 2048, ChannelEndpoints.Both, FastOptions));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpscByteRing.Create(region, 512, ChannelEndpoints.Both, FastOptions, offset: 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, FastOptions, offset: 128));
        Assert.Throws<ArgumentOutOfRangeException>(() => MpscByteRing.Create(region, 1024, ChannelEndpoints.Both, new ChannelOptions { ProducersMax = 9 }));
        Assert.True(region.AsSpan().IndexOfAnyExcept((byte)0) < 0, "a refused create wrote to the region");
    }

    [Theory]
    [InlineData(3, 0, "below the 8-byte record header")]
    [InlineData(4000, 0, "above the largest record")]
    [InlineData(64, 0, "cross the end")]
    [InlineData(16, -7, "reserved negative type")]
    public void CorruptedLengthFieldIsReportedPreciselyAfterDeliveringWhatCameBefore(int badLength, int badType, string reason)
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing ring = SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, FastOptions);
        var handler = new CollectingHandler();
        for (int i = 0; i < 19; i++)
        {
            Assert.True(ring.TryWrite(i, Payload(0, i, 40)));
        }

        Assert.Equal(19, ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.True(ring.TryWrite(100, Payload(0, 100, 40)));
        Assert.True(ring.TryWrite(101, Payload(0, 101, 40)));

        // Records now sit at 912 and 960; forge a "committed" record with an impossible header at 1008.
        DataWord(region, 1008) = ((long)badType << 32) | (uint)badLength;
        handler.Messages.Clear();

        var error = Assert.Throws<ChannelFormatException>(() => ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Shared));
        Assert.Equal("recordLength", error.Field);
        Assert.Equal(1008, error.DataOffset);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal([100, 101], handler.Messages.Select(m => m.Type));

        // The bad record stays where it is: reading again reports it again and delivers nothing.
        handler.Messages.Clear();
        Assert.Throws<ChannelFormatException>(() => ring.Read(ref handler, int.MaxValue, ChannelDeliveryMode.Copy));
        Assert.Throws<ChannelFormatException>(() => ring.TryRead(new byte[256], out _, out _));
        Assert.Empty(handler.Messages);
        Assert.Equal(1008, HeaderLong(region, ChannelDescriptor.HeadOffset) & 1023);
    }
}
