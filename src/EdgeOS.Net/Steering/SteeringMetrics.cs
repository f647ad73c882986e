using System.Diagnostics.Metrics;

namespace EdgeOS.Net.Steering;

/// <summary>
/// The <c>EdgeOS.Net.Steering</c> meter: observable counters read from the live steerings' fields when a listener
/// collects. Nothing is done per packet.
/// </summary>
internal static class SteeringMetrics
{
    internal const string MeterName = "EdgeOS.Net.Steering";

    private static readonly Lock s_lock = new();
    private static readonly List<PacketSteering> s_live = [];
    private static readonly Meter s_meter = new(MeterName);

    static SteeringMetrics()
    {
        s_meter.CreateObservableCounter("edgeos.steering.unmatched", ObserveUnmatched, "{frame}", "Received frames no consumer took: malformed, not IPv4 UDP/TCP (or fragments), or no rule.");
        s_meter.CreateObservableCounter("edgeos.steering.delivered", () => ObserveConsumers(static c => c.DeliveredFrames), "{frame}", "Frames put into a consumer's ring.");
        s_meter.CreateObservableCounter("edgeos.steering.dropped", () => ObserveConsumers(static c => c.DroppedFrames), "{frame}", "Frames for a consumer dropped: ring full, no copy buffer, or longer than a copy buffer.");
    }

    internal static void Register(PacketSteering steering)
    {
        lock (s_lock)
        {
            s_live.Add(steering);
        }
    }

    internal static void Unregister(PacketSteering steering)
    {
        lock (s_lock)
        {
            _ = s_live.Remove(steering);
        }
    }

    private static List<Measurement<long>> ObserveUnmatched()
    {
        lock (s_lock)
        {
            var measurements = new List<Measurement<long>>(s_live.Count * 3);
            foreach (PacketSteering steering in s_live)
            {
                var name = new KeyValuePair<string, object?>("steering.name", steering.Name);
                measurements.Add(new Measurement<long>(steering.MalformedFrames, name, new KeyValuePair<string, object?>("steering.reason", "malformed")));
                measurements.Add(new Measurement<long>(steering.NotSteerableFrames, name, new KeyValuePair<string, object?>("steering.reason", "not_steerable")));
                measurements.Add(new Measurement<long>(steering.NoRuleFrames, name, new KeyValuePair<string, object?>("steering.reason", "no_rule")));
            }

            return measurements;
        }
    }

    private static List<Measurement<long>> ObserveConsumers(Func<SteeringConsumer, long> read)
    {
        lock (s_lock)
        {
            var measurements = new List<Measurement<long>>();
            foreach (PacketSteering steering in s_live)
            {
                foreach (SteeringConsumer consumer in steering.Consumers)
                {
                    measurements.Add(new Measurement<long>(
                        read(consumer),
                        new KeyValuePair<string, object?>("steering.name", steering.Name),
                        new KeyValuePair<string, object?>("steering.consumer", consumer.Name)));
                }
            }

            return measurements;
        }
    }
}
