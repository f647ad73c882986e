using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using EdgeOS.Net;
using EdgeOS.Net.Packets;
using EdgeOS.Net.Pcap;
using EdgeOS.Net.Steering;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using EdgeOS.Samples.Click.Tenants;

namespace EdgeOS.Benchmarks.Click;

/// <summary>
/// The multi-tenant rows: 64-byte frames replayed from a pcap file loaded into memory (EdgeOS.Net
/// <see cref="PcapPort.LoadReplay(string, PcapPortOptions?)"/>, looping endlessly: one copy per frame into a free
/// receive frame, as a NIC's DMA, which costs the CPU nothing, would fill it), steered by the host's
/// <c>PacketSteering</c> to the tenants, posted to the tenants' FWP inboxes in batches and handled by the FWP runtime,
/// all on this one thread (runtime without workers: the host runs the tenants when their batches are posted), so the
/// figure is per core.
/// </summary>
internal static class TenantReplay
{
    /// <summary>Frames in the replay set: distinct flows, so a 5-tuple hash spreads them over every tenant.</summary>
    public const int FlowCount = 6000;

    private const int Burst = 4096;

    // Receive frames of the replay port: every frame the steering takes per poll (1024) is back before the next poll.
    private const int PortFrames = 2 * PacketSteeringOptions.BatchSizeMax;

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

    /// <summary>
    /// Writes <paramref name="frames"/> into a pcap file (a temporary directory, removed once loaded) with the library's
    /// <see cref="PcapWriter"/>, 1 µs apart, and loads it as an endless in-memory replay (tcpreplay's --loop=0 with the
    /// file preloaded).
    /// </summary>
    public static PcapPort LoadReplay(byte[][] frames)
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("edgeos-click-bench-");
        try
        {
            string path = Path.Combine(directory.FullName, "replay.pcap");
            using (var writer = new PcapWriter(File.Create(path)))
            {
                long time = 1_700_000_000_000_000_000;
                foreach (byte[] frame in frames)
                {
                    writer.Write(frame, time);
                    time += 1000;
                }
            }

            PcapPort port = PcapPort.LoadReplay(path, new PcapPortOptions { FrameCount = PortFrames, FrameSizeBytes = 128, ReplayLoops = 0 });
            if (port.LoadedRecordCount != frames.Length)
            {
                port.Dispose();
                throw new InvalidOperationException($"the replay file holds {port.LoadedRecordCount} of {frames.Length} frames");
            }

            return port;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
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
        byte[][] frames = Frames(steering, tenants, portBase);
        if (direct)
        {
            int[] tenantOf = [.. frames.Select((_, i) => i % tenants)];
            long next = 0;
            ReplayDirect(host, frames, tenantOf, ref next, warmup);
            Stopwatch sw = Timing.Start(out TimeSpan cpu);
            long before = GC.GetAllocatedBytesForCurrentThread();
            ReplayDirect(host, frames, tenantOf, ref next, packets);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Timing timing = Timing.Stop(sw, cpu);
            host.Stop();
            Check(host, exact: true, frames.Length, warmup + packets, replayDropped: 0);
            return (timing, allocated, packets);
        }

        using (PcapPort port = LoadReplay(frames))
        {
            host.Attach(port);

            // The whole loop is the host polling the port: each poll receives up to 1024 frames from the replay and
            // steers them; a tenant's batch is posted (and, without workers, run) when it fills. What is left pending
            // at the end of each phase is posted and run inside that phase.
            long warm = Poll(host, warmup);
            Stopwatch sw = Timing.Start(out TimeSpan cpu);
            long before = GC.GetAllocatedBytesForCurrentThread();
            long measured = Poll(host, packets);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Timing timing = Timing.Stop(sw, cpu);
            host.Stop();
            Check(host, exact: steering == TenantSteering.DestinationPort, frames.Length, warm + measured, port.GetStatistics().ReceiveDroppedFrames);
            return (timing, allocated, measured);
        }
    }

    // Polls until at least `packets` frames were received (polls take whole batches), then posts and runs what is
    // pending; returns the frames received.
    private static long Poll(TenantHost host, long packets)
    {
        long received = 0;
        while (received < packets)
        {
            received += host.Poll();
        }

        host.Flush();
        return received;
    }

    // Every frame sent reached its tenant's FromSteering: none unmatched or dropped, every tenant some, the sum exact,
    // and when frame i goes to tenant i mod N (destination-port steering, direct) each tenant's count exact.
    private static void Check(TenantHost host, bool exact, int flows, long sent, long replayDropped)
    {
        long delivered = 0;
        int tenants = host.Tenants.Count;
        foreach (ClickTenant t in host.Tenants)
        {
            long count = t.Entry?.Count ?? 0;
            delivered += count;
            if (t.Fault is not null || t.DroppedFrames != 0)
            {
                throw new InvalidOperationException($"tenant {t.Index}: {t.Fault?.Message} dropped {t.DroppedFrames}");
            }

            long expected = ExpectedFor(t.Index, tenants, flows, sent);
            if (count == 0 || (exact && count != expected))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"tenant {t.Index} received {count} packets, expected {expected}"));
            }
        }

        if (delivered != sent || host.UnmatchedFrames != 0 || replayDropped != 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"tenants received {delivered} of {sent} packets ({host.UnmatchedFrames} unmatched, {replayDropped} dropped by the replay)"));
        }
    }

    // Frames of the first `sent` of the looping replay whose index i (mod flows) has i mod tenants == tenant.
    private static long ExpectedFor(int tenant, int tenants, int flows, long sent)
    {
        long perPass = 0;
        long tail = 0;
        long rest = sent % flows;
        for (int i = tenant; i < flows; i += tenants)
        {
            perPass++;
            if (i < rest)
            {
                tail++;
            }
        }

        return (sent / flows * perPass) + tail;
    }

    /// <summary>
    /// The part of the tenant rows that is not Click: the same frames from the same in-memory pcap replay (receive
    /// batches of 1024, as the host's poll takes them), and (unless <paramref name="path"/> is
    /// <see cref="NonClickPath.ReplayOnly"/>) the same steering into 100 consumers, each frame
    /// read (its last byte) and given back; nothing is posted to any tenant. <see cref="NonClickPath.Sink"/> is what
    /// the tenant host does (frames handed inline to a struct sink, given back in one batch);
    /// <see cref="NonClickPath.Rings"/> goes through the consumers' descriptor rings and their batched returns.
    /// </summary>
    public static (Timing Time, long Allocated, long Received) RunSteeringOnly(int tenants, TenantSteering steering, long packets, long warmup, NonClickPath path)
    {
        const int portBase = 10000;
        using (PcapPort port = LoadReplay(Frames(steering, tenants, portBase)))
        using (var steer = new PacketSteering(port, new PacketSteeringOptions
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
            var sink = new LastByteSink();
            long sink2 = 0;
            long Round(long count)
            {
                long got = 0;
                while (got < count)
                {
                    if (path == NonClickPath.ReplayOnly)
                    {
                        int n = port.Receive(frames);
                        for (int j = 0; j < n; j++)
                        {
                            sink2 += port.GetSpan(frames[j])[^1];
                        }

                        port.Release(frames.AsSpan(0, n));
                        got += n;
                    }
                    else if (path == NonClickPath.Sink)
                    {
                        got += steer.Poll(ref sink);
                    }
                    else
                    {
                        got += steer.Poll();
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

                return got;
            }

            Round(warmup);
            Stopwatch sw = Timing.Start(out TimeSpan cpu);
            long before = GC.GetAllocatedBytesForCurrentThread();
            long measured = Round(packets);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Timing timing = Timing.Stop(sw, cpu);
            GC.KeepAlive(sink2 + sink.Sum);
            if (port.GetStatistics().ReceiveDroppedFrames != 0 || (path != NonClickPath.ReplayOnly && steer.UnmatchedFrames != 0))
            {
                throw new InvalidOperationException($"replay dropped {port.GetStatistics().ReceiveDroppedFrames}, steering unmatched {steer.UnmatchedFrames}");
            }

            return (timing, allocated, measured);
        }
    }

    // The tenants' side alone: each frame added to its tenant's batch by index (i mod tenants), batches posted every
    // 4096 frames; no port, no steering.
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
    /// <summary>The replay port alone: receive (one copy per frame from the loaded pcap), read, release in batches.</summary>
    ReplayOnly,

    /// <summary>Replay and steering into an inline sink (what the tenant host does).</summary>
    Sink,

    /// <summary>Replay and steering through the consumers' descriptor rings.</summary>
    Rings,
}
