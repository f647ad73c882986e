using System.Diagnostics.Metrics;
using static EdgeOS.Core.Channels.Internal.ChannelDescriptor;

namespace EdgeOS.Core.Channels.Internal;

/// <summary>
/// The <c>EdgeOS.Core.Channels</c> meter: observable instruments that read the counters kept in ring headers when a
/// listener collects, over the ring objects alive in this process. Nothing is done per message.
/// </summary>
internal static class ChannelMetrics
{
    internal const string MeterName = "EdgeOS.Core.Channels";

    private static readonly Lock s_lock = new();
    private static readonly List<ChannelControl> s_channels = [];
    private static readonly Meter s_meter = new(MeterName);

    static ChannelMetrics()
    {
        s_meter.CreateObservableCounter("edgeos.channel.messages.written", () => Observe(static c => c.SumProducerField(SlotMessagesOffset)), "{message}", "Messages committed by producers.");
        s_meter.CreateObservableCounter("edgeos.channel.bytes.written", () => Observe(static c => c.SumProducerField(SlotBytesOffset)), "By", "Payload bytes committed by producers.");
        s_meter.CreateObservableCounter("edgeos.channel.messages.read", () => Observe(static c => c.ReadField(MessagesReadOffset)), "{message}", "Messages delivered to the consumer.");
        s_meter.CreateObservableCounter("edgeos.channel.bytes.read", () => Observe(static c => c.ReadField(BytesReadOffset)), "By", "Payload bytes delivered to the consumer.");
        s_meter.CreateObservableCounter("edgeos.channel.full_events", () => Observe(static c => c.SumProducerField(SlotFullEventsOffset)), "{event}", "Claims refused because the ring was full.");
        s_meter.CreateObservableCounter("edgeos.channel.empty_events", () => Observe(static c => c.ReadField(EmptyEventsOffset)), "{event}", "Consumer waits that had to park on an empty ring.");
        s_meter.CreateObservableGauge("edgeos.channel.depth", () => Observe(static c => c.Depth), "{unit}", "Bytes (byte rings) or slots (descriptor rings) published and not yet consumed.");
    }

    internal static void Register(ChannelControl channel)
    {
        lock (s_lock)
        {
            s_channels.Add(channel);
        }
    }

    internal static void Unregister(ChannelControl channel)
    {
        lock (s_lock)
        {
            _ = s_channels.Remove(channel);
        }
    }

    private static List<Measurement<long>> Observe(Func<ChannelControl, long> read)
    {
        lock (s_lock)
        {
            var measurements = new List<Measurement<long>>(s_channels.Count);
            foreach (ChannelControl channel in s_channels)
            {
                if (channel.IsDisposed || channel.Region.IsDisposed)
                {
                    continue;
                }

                measurements.Add(new Measurement<long>(
                    read(channel),
                    new KeyValuePair<string, object?>("channel.name", channel.Name),
                    new KeyValuePair<string, object?>("channel.kind", KindTag(channel.Kind)),
                    new KeyValuePair<string, object?>("channel.endpoint", channel.EndpointText)));
            }

            return measurements;
        }
    }

    private static string KindTag(ChannelKind kind) => kind switch
    {
        ChannelKind.SpscBytes => "spsc",
        ChannelKind.MpscBytes => "mpsc",
        _ => "descriptor",
    };
}
