using System.Diagnostics.Metrics;
using EdgeOS.Core.Channels;
using EdgeOS.Core.Channels.Internal;
using EdgeOS.Core.Memory;
using Xunit;
using static EdgeOS.Core.Channels.Internal.ChannelDescriptor;
using static EdgeOS.Core.Tests.Channels.ChannelTestSupport;

namespace EdgeOS.Core.Tests.Channels;

public sealed class ChannelLayoutAndMetricsTests
{
    [Fact]
    public void HeaderOffsetsAreWhatTheDiagramSays()
    {
        Assert.Equal(2048, HeaderSizeBytes);
        Assert.Equal(
            [0, 8, 12, 16, 20, 24, 28, 32, 40],
            new[] { MagicOffset, VersionOffset, KindOffset, HeaderSizeOffset, CapacityOffset, MessageLengthMaxOffset, ProducerSlotCountOffset, SlotCountOffset, AttachCounterOffset });
        Assert.Equal(128, ConsumerIdentityOffset);
        Assert.Equal([256, 264, 272, 280, 288, 296], new[] { HeadOffset, CachedTailOffset, MessagesReadOffset, BytesReadOffset, EmptyEventsOffset, SkippedRecordsOffset });
        Assert.Equal([384, 388, 512, 516], new[] { ConsumerWaitWordOffset, ConsumerWaitersOffset, ProducerWaitWordOffset, ProducerWaitersOffset });
        Assert.Equal([640, 648], new[] { TailOffset, HeadCacheOffset });
        Assert.Equal(896, ProducerSlotOffset(0));
        Assert.True(ProducerSlotOffset(ProducerSlotsMax - 1) + 128 <= HeaderSizeBytes);

        // Fields written by different parties sit on different 128-byte lines.
        int[] lines = [ConsumerIdentityOffset / 128, HeadOffset / 128, ConsumerWaitWordOffset / 128, ProducerWaitWordOffset / 128, TailOffset / 128, ProducerSlotOffset(0) / 128, ProducerSlotOffset(1) / 128];
        Assert.Equal(lines.Length, lines.Distinct().Count());
        Assert.True(SlotFullEventsOffset + 8 <= 128);
        Assert.True(SkippedRecordsOffset + 8 <= HeadOffset + 128);
    }

    [Fact]
    public void RecordHeaderIsOneWordWithLengthLowAndTypeHigh()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing ring = SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, FastOptions);
        Assert.True(ring.TryWrite(0x1234, [1, 2, 3]));
        long word = DataWord(region, 0);
        Assert.Equal(11, (int)word);
        Assert.Equal(0x1234, (int)(word >> 32));
        Assert.Equal(1024 / 8 - 8, ring.MessageLengthMax);
        Assert.Equal(ChannelDescriptor.Magic, (ulong)HeaderLong(region, MagicOffset));
    }

    [Fact]
    public void MeterReportsMessagesBytesAndDepthTaggedWithTheRingName()
    {
        using MemoryRegion region = RegionFor(1024);
        using SpscByteRing ring = SpscByteRing.Create(region, 1024, ChannelEndpoints.Both, new ChannelOptions { Name = "metrics-test-ring" });
        Assert.True(ring.TryWrite(1, new byte[10]));
        Assert.True(ring.TryWrite(1, new byte[20]));
        Assert.True(ring.TryRead(new byte[32], out _, out _));

        var values = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ChannelMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "channel.name" && (string?)tag.Value == "metrics-test-ring")
                {
                    values[instrument.Name] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(2, values["edgeos.channel.messages.written"]);
        Assert.Equal(30, values["edgeos.channel.bytes.written"]);
        Assert.Equal(1, values["edgeos.channel.messages.read"]);
        Assert.Equal(10, values["edgeos.channel.bytes.read"]);
        Assert.Equal(32, values["edgeos.channel.depth"]);
        Assert.Equal(0, values["edgeos.channel.full_events"]);

        ring.Dispose();
        values.Clear();
        listener.RecordObservableInstruments();
        Assert.Empty(values);
    }
}
