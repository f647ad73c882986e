using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using EdgeOS.Net;
using EdgeOS.Net.Packets;
using EdgeOS.Net.Steering;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using EdgeOS.Samples.Click.Tenants;

namespace EdgeOS.Benchmarks.Click;

/// <summary>
/// The multi-tenant rows: 64-byte frames held in memory, written burst by burst into one end of an in-memory wire
/// (EdgeOS.Net <see cref="MemoryPort"/>), steered from the other end by the host's <c>PacketSteering</c> to the
/// tenants, posted to the tenants' FWP inboxes in batches and handled by the FWP runtime, all on this one thread
/// (runtime without workers: the host runs the tenants after each steered burst), so the figure is per core.
/// </summary>
internal static class TenantReplay
{
    /// <summary>Frames in the replay set: distinct flows, so a 5-tuple hash spreads them over every tenant.</summary>
    public const int FlowCount = 6000;

    private const int Burst = 4096;

    public static byte[][] Frames(TenantSteering steering, int tenants, int portBase)
    {
        var frames = new byte[FlowCount][];
        byte[] mac = [2, 0, 0, 0, 0, 1];
        for (int i = 0; i < frames.Length; i++)
        {
            byte[] f = new byte[64];
            uint dst = (10u << 24) | ((uint)(i % 4 + 1) << 8) | (uint)(i % 250 + 1);
            ushort port = steering == TenantSteering.DestinationPort
                ? (ushort)(portBase + (i % tenants))
                : (ushort)((i % 3) switch { 0 => 53, 1 => 80, _ => 9999 });
            int n = PacketBuilder.WriteUdp(f, mac, mac, 0x0A000001, dst, (ushort)(1024 + (i % 60000)), port, new byte[64 - 42]);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
            frames[i] = f[..n];
        }

        return frames;
    }

    /// <summary>Runs <paramref name="packets"/> packets through <paramref name="tenants"/> tenants of <paramref name="config"/> after a warm-up; returns the times, bytes allocated and the packets the tenants' FromSteering elements received.</summary>
    public static (Timing Time, long Allocated, long Delivered) Run(string config, int tenants, TenantSteering steering, long packets, long warmup, bool direct = false)
    {
        const int portBase = 10000;
        var errors = new ClickErrors();
        RouterGraph graph = ClickLanguage.Parse(config, "bench", new Dictionary<string, string>(), ElementRegistry.IsPrimitiveClass, errors)
            ?? throw new InvalidOperationException(string.Join("\n", errors.Messages));
        using TenantHost host = TenantHost.Create(graph, config, errors, new TenantHostOptions { Tenants = tenants, Steering = steering, PortBase = portBase, Workers = 0 })
            ?? throw new InvalidOperationException(string.Join("\n", errors.Messages));
        (MemoryPort wire, MemoryPort hostEnd) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 8192, FrameSizeBytes = 128 }, "click-bench");
        using (wire)
        using (hostEnd)
        {
            host.Attach(hostEnd);
            byte[][] frames = Frames(steering, tenants, portBase);
            Frame[] burst = new Frame[Burst];
            long next = 0;
            int[] tenantOf = [.. frames.Select((_, i) => i % tenants)];
            if (direct)
            {
                ReplayDirect(host, frames, tenantOf, ref next, warmup);
            }
            else
            {
                Replay(host, wire, frames, burst, ref next, warmup);
            }

            Stopwatch sw = Timing.Start(out TimeSpan cpu);
            long before = GC.GetAllocatedBytesForCurrentThread();
            if (direct)
            {
                ReplayDirect(host, frames, tenantOf, ref next, packets);
            }
            else
            {
                Replay(host, wire, frames, burst, ref next, packets);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Timing timing = Timing.Stop(sw, cpu);
            host.Stop();
            long delivered = 0;
            foreach (ClickTenant t in host.Tenants)
            {
                delivered += t.Entry?.Count ?? 0;
                if (t.Fault is not null || t.DroppedFrames != 0)
                {
                    throw new InvalidOperationException($"tenant {t.Index}: {t.Fault?.Message} dropped {t.DroppedFrames}");
                }
            }

            if (delivered != warmup + packets || host.UnmatchedFrames != 0)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"tenants received {delivered} of {warmup + packets} packets ({host.UnmatchedFrames} unmatched)"));
            }

            return (timing, allocated, delivered - warmup);
        }
    }

    /// <summary>
    /// The part of the tenant rows that is not Click: the same frames over the same wire, and (unless
    /// <paramref name="path"/> is <see cref="NonClickPath.WireOnly"/>) the same steering into 100 consumers, each frame
    /// read (its last byte) and given back; nothing is posted to any tenant. <see cref="NonClickPath.Sink"/> is what
    /// the tenant host does (frames handed inline to a struct sink, given back in one batch);
    /// <see cref="NonClickPath.Rings"/> goes through the consumers' descriptor rings and their batched returns.
    /// </summary>
    public static (Timing Time, long Allocated) RunSteeringOnly(int tenants, TenantSteering steering, long packets, long warmup, NonClickPath path)
    {
        const int portBase = 10000;
        (MemoryPort wire, MemoryPort hostEnd) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 8192, FrameSizeBytes = 128 }, "click-bench");
        using (wire)
        using (hostEnd)
        using (var steer = new PacketSteering(hostEnd, new PacketSteeringOptions
        {
            Mode = steering == TenantSteering.FlowHash ? SteeringMode.FlowHash : SteeringMode.DestinationPort,
            BatchSize = PacketSteeringOptions.BatchSizeMax,
        }))
        {
            var consumers = new SteeringConsumer[tenants];
            for (int i = 0; i < tenants; i++)
            {
                consumers[i] = steer.AddConsumer("c" + i.ToString(CultureInfo.InvariantCulture), new SteeringConsumerOptions { SlotCount = PacketSteeringOptions.BatchSizeMax });
                if (steering == TenantSteering.DestinationPort)
                {
                    steer.MapDestinationPorts(consumers[i], portBase + i, portBase + i);
                }
            }

            var received = new SteeredPacket[PacketSteeringOptions.BatchSizeMax];
            Frame[] frames = new Frame[PacketSteeringOptions.BatchSizeMax];
            byte[][] replay = Frames(steering, tenants, portBase);
            Frame[] burst = new Frame[Burst];
            long next = 0;
            var sink = new LastByteSink();
            long sink2 = 0;
            void Round(long count)
            {
                long end = next + count;
                while (next < end)
                {
                    TransmitBurst(wire, replay, burst, ref next, end);
                    if (path == NonClickPath.WireOnly)
                    {
                        int n;
                        while ((n = hostEnd.Receive(frames)) > 0)
                        {
                            for (int j = 0; j < n; j++)
                            {
                                sink2 += hostEnd.GetSpan(frames[j])[^1];
                            }

                            hostEnd.Release(frames.AsSpan(0, n));
                        }
                    }
                    else if (path == NonClickPath.Sink)
                    {
                        while (steer.Poll(ref sink) > 0)
                        {
                        }
                    }
                    else
                    {
                        while (steer.Poll() > 0)
                        {
                            foreach (SteeringConsumer c in consumers)
                            {
                                int k;
                                while ((k = c.TryReceive(received)) > 0)
                                {
                                    for (int j = 0; j < k; j++)
                                    {
                                        sink2 += c.GetSpan(received[j])[^1];
                                    }

                                    c.Return(received.AsSpan(0, k));
                                }
                            }
                        }
                    }
                }
            }

            Round(warmup);
            Stopwatch sw = Timing.Start(out TimeSpan cpu);
            long before = GC.GetAllocatedBytesForCurrentThread();
            Round(packets);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Timing timing = Timing.Stop(sw, cpu);
            GC.KeepAlive(sink2 + sink.Sum);
            return (timing, allocated);
        }
    }

    // The tenants' side alone: each frame added to its tenant's batch by index (i mod tenants), batches posted every
    // 4096 frames; no wire, no steering.
    private static void ReplayDirect(TenantHost host, byte[][] frames, int[] tenantOf, ref long next, long packets)
    {
        long end = next + packets;
        while (next < end)
        {
            long stop = Math.Min(end, next + Burst);
            int i = (int)(next % frames.Length);
            for (; next < stop; next++)
            {
                host.Deliver(tenantOf[i], frames[i]);
                i = i + 1 == frames.Length ? 0 : i + 1;
            }

            host.Flush();
        }
    }

    // Puts the next frames of the replay (up to one burst, not past end) on the wire.
    private static void TransmitBurst(MemoryPort wire, byte[][] frames, Frame[] burst, ref long next, long end)
    {
        int n = wire.AllocateTransmit(burst.AsSpan(0, (int)Math.Min(Burst, end - next)));
        int at = (int)(next % frames.Length); // one division per burst, not per frame (the generator is not measured)
        for (int i = 0; i < n; i++)
        {
            byte[] f = frames[at];
            at = at + 1 == frames.Length ? 0 : at + 1;
            f.CopyTo(wire.GetBuffer(burst[i]));
            burst[i] = burst[i].WithLength(f.Length);
        }

        next += n;

        wire.Transmit(burst.AsSpan(0, n));
    }

    private static void Replay(TenantHost host, MemoryPort wire, byte[][] frames, Frame[] burst, ref long next, long packets)
    {
        long end = next + packets;
        while (next < end)
        {
            TransmitBurst(wire, frames, burst, ref next, end);
            while (host.Poll() > 0)
            {
            }
        }
    }

    // Reads each steered frame's last byte (so the frame is touched, as a consumer would).
    private struct LastByteSink : ISteeringSink
    {
        public long Sum;

        public void Deliver(int consumer, ReadOnlySpan<byte> frame, uint flowHash) => Sum += frame[^1] + consumer;
    }
}

/// <summary>Which non-Click part <see cref="TenantReplay.RunSteeringOnly"/> measures.</summary>
internal enum NonClickPath
{
    /// <summary>The wire alone: transmit, receive, read, release in batches.</summary>
    WireOnly,

    /// <summary>Wire and steering into an inline sink (what the tenant host does).</summary>
    Sink,

    /// <summary>Wire and steering through the consumers' descriptor rings.</summary>
    Rings,
}
