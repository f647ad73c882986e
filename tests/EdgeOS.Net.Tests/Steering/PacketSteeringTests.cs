using System.Diagnostics.Metrics;
using EdgeOS.Net.Steering;
using Xunit;

namespace EdgeOS.Net.Tests.Steering;

public sealed class PacketSteeringTests
{
    private static (MemoryPort Sender, MemoryPort Receiver) Pair(int frames = 256) =>
        MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = frames });

    [Fact]
    public void ExactPortsAndRangesReachTheirConsumersPerProtocol()
    {
        (MemoryPort sender, MemoryPort receiver) = Pair();
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver))
        {
            SteeringConsumer exact = steering.AddConsumer("exact");
            SteeringConsumer udpRange = steering.AddConsumer("udp-range");
            SteeringConsumer tcpRange = steering.AddConsumer("tcp-range");
            steering.MapDestinationPorts(exact, 9000, 9000);
            steering.MapDestinationPorts(udpRange, 10000, 10099, SteeringProtocols.Udp);
            steering.MapDestinationPorts(tcpRange, 10000, 10099, SteeringProtocols.Tcp);

            SteeringFrames.Send(sender, [
                SteeringFrames.Udp4(9000),
                SteeringFrames.Build(SteeringFrames.Tcp, 1, 2, 5, 9000),
                SteeringFrames.Udp4(10000),
                SteeringFrames.Udp4(10099),
                SteeringFrames.Build(SteeringFrames.Tcp, 1, 2, 5, 10050),
                SteeringFrames.Build(SteeringFrames.Udp, 1, 2, 5, 10050, vlan: 7),
                SteeringFrames.Udp4(9001),          // no rule
                SteeringFrames.Udp4(10100),         // just past the range
                TestFrames.IcmpEcho(8, 1, 1, 8),    // not UDP/TCP
            ]);
            Assert.Equal(9, SteeringFrames.PollAll(steering));

            Assert.Equal([9000, 9000], Drain(exact));
            Assert.Equal([10000, 10099, 10050], Drain(udpRange, vlanAware: true));
            Assert.Equal([10050], Drain(tcpRange));
            Assert.Equal(2, steering.NoRuleFrames);
            Assert.Equal(1, steering.NotSteerableFrames);
            Assert.Equal(0, steering.MalformedFrames);
            Assert.Equal(3, steering.UnmatchedFrames);
            receiver.ThrowIfFramesOutstanding();
        }
    }

    [Fact]
    public void OverlappingRuleIsRefusedWithThePortAndChangesNothing()
    {
        (MemoryPort sender, MemoryPort receiver) = Pair();
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver))
        {
            SteeringConsumer a = steering.AddConsumer("a");
            SteeringConsumer b = steering.AddConsumer("b");
            steering.MapDestinationPorts(a, 100, 200, SteeringProtocols.Udp);
            ArgumentException error = Assert.Throws<ArgumentException>(() => steering.MapDestinationPorts(b, 50, 100));
            Assert.Contains("port 100", error.Message, StringComparison.Ordinal);

            // Nothing of the refused range was mapped: port 50 is still free, for both protocols.
            steering.MapDestinationPorts(b, 50, 99);
            steering.MapDestinationPorts(b, 100, 200, SteeringProtocols.Tcp);
            Assert.Throws<ArgumentOutOfRangeException>(() => steering.MapDestinationPorts(b, 300, 299));
            Assert.Throws<ArgumentOutOfRangeException>(() => steering.MapDestinationPorts(b, 300, 65536));

            SteeringFrames.Send(sender, [SteeringFrames.Udp4(50), SteeringFrames.Udp4(150), SteeringFrames.Build(SteeringFrames.Tcp, 1, 2, 3, 150)]);
            SteeringFrames.PollAll(steering);
            Assert.Equal([150], Drain(a));
            Assert.Equal([50, 150], Drain(b));

            // Started: the rules are fixed.
            Assert.Throws<InvalidOperationException>(() => steering.MapDestinationPorts(b, 400, 400));
            Assert.Throws<InvalidOperationException>(() => steering.AddConsumer("late"));
        }
    }

    [Fact]
    public void BadOptionsAreRefused()
    {
        (MemoryPort sender, MemoryPort receiver) = Pair();
        using (sender)
        using (receiver)
        {
            Assert.Throws<ArgumentException>(() => new PacketSteering(receiver, new PacketSteeringOptions { SymmetricHash = true }));
            Assert.Throws<ArgumentOutOfRangeException>(() => new PacketSteering(receiver, new PacketSteeringOptions { BatchSize = 0 }));
            using var steering = new PacketSteering(receiver, new PacketSteeringOptions { Mode = SteeringMode.FlowHash });
            Assert.Throws<ArgumentOutOfRangeException>(() => steering.AddConsumer("x", new SteeringConsumerOptions { SlotCount = 100 }));
            Assert.Throws<ArgumentException>(() => steering.AddConsumer("x", new SteeringConsumerOptions { BufferSizeBytes = 4096 }));
            Assert.Throws<ArgumentOutOfRangeException>(() => steering.AddConsumer("x", new SteeringConsumerOptions { Delivery = SteeringDelivery.Copy, BufferSizeBytes = 10 }));
            Assert.Throws<InvalidOperationException>(() => steering.Poll());
            SteeringConsumer consumer = steering.AddConsumer("x");
            Assert.Throws<InvalidOperationException>(() => steering.MapDestinationPorts(consumer, 1, 1));
            Assert.Empty(steering.Consumers.Skip(1));
        }
    }

    [Fact]
    public void MalformedAndRandomFramesAreCountedNeverThrownAndAllFramesGoBack()
    {
        (MemoryPort sender, MemoryPort receiver) = Pair(frames: 1024);
        var random = new Random(5);
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver))
        {
            SteeringConsumer consumer = steering.AddConsumer("all", new SteeringConsumerOptions { SlotCount = 1 << 14 });
            steering.MapDestinationPorts(consumer, 0, 65535);
            byte[] valid = SteeringFrames.Build(SteeringFrames.Tcp, 1, 2, 3, 4, payloadBytes: 0);
            var frames = new List<byte[]>();

            // Every truncation of a valid TCP frame (60 bytes: the memory port's minimum is 1 byte).
            for (int length = 1; length < valid.Length; length++)
            {
                frames.Add(valid[..length]);
            }

            // Bad version, bad IHL, total length beyond the frame, total length shorter than the header.
            frames.Add(Patch(valid, 14, 0x65));
            frames.Add(Patch(valid, 14, 0x44));
            frames.Add(Patch(valid, 17, 0xFF));
            frames.Add(Patch(valid, 17, 19));
            int malformedExpected = frames.Count;

            // Random bytes (valid-looking IPv4 TCP/UDP headers are unlikely but possible: counted either way).
            for (int i = 0; i < 3000; i++)
            {
                byte[] bytes = new byte[random.Next(1, 200)];
                random.NextBytes(bytes);
                if (i % 2 == 0 && bytes.Length > 14)
                {
                    bytes[12] = 0x08;
                    bytes[13] = 0x00;
                }

                frames.Add(bytes);
            }

            long delivered = 0;
            foreach (byte[][] chunk in frames.Chunk(500))
            {
                SteeringFrames.Send(sender, chunk);
                SteeringFrames.PollAll(steering);
                var packets = new SteeredPacket[1024];
                int count;
                while ((count = consumer.TryReceive(packets)) > 0)
                {
                    delivered += count;
                    consumer.Return(packets.AsSpan(0, count));
                }
            }

            Assert.True(steering.MalformedFrames >= malformedExpected, $"malformed {steering.MalformedFrames}");
            Assert.Equal(frames.Count, steering.UnmatchedFrames + delivered);
            Assert.Equal(delivered, consumer.DeliveredFrames);
            Assert.Equal(0, consumer.DroppedFrames);
            receiver.ThrowIfFramesOutstanding();
        }
    }

    [Fact]
    public void FlowHashKeepsEveryFlowOnOneConsumerAndSpreadsFlowsEvenly()
    {
        (MemoryPort sender, MemoryPort receiver) = Pair(frames: 1024);
        var random = new Random(11);
        const int Consumers = 4;
        const int Flows = 4000;
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver, new PacketSteeringOptions { Mode = SteeringMode.FlowHash, HashSeed = 7 }))
        {
            SteeringConsumer[] consumers = [.. Enumerable.Range(0, Consumers).Select(i => steering.AddConsumer("c" + i, new SteeringConsumerOptions { SlotCount = 1 << 14 }))];
            var flows = new (uint Source, ushort SourcePort, byte Protocol)[Flows];
            for (int i = 0; i < Flows; i++)
            {
                flows[i] = ((uint)random.Next(), (ushort)random.Next(1024, 65536), random.Next(2) == 0 ? SteeringFrames.Udp : SteeringFrames.Tcp);
            }

            var owner = new Dictionary<uint, int>();
            for (int round = 0; round < 2; round++)
            {
                foreach ((uint Source, ushort SourcePort, byte Protocol)[] chunk in flows.Chunk(500))
                {
                    SteeringFrames.Send(sender, chunk.Select(f => SteeringFrames.Build(f.Protocol, f.Source, 0x0A000002, f.SourcePort, 80)));
                    SteeringFrames.PollAll(steering);
                    foreach (SteeringConsumer consumer in consumers)
                    {
                        var packets = new SteeredPacket[1024];
                        int count;
                        while ((count = consumer.TryReceive(packets)) > 0)
                        {
                            for (int i = 0; i < count; i++)
                            {
                                Assert.True(PacketSteering.TryGetFlowHash(consumer.GetSpan(packets[i]), symmetric: false, seed: 7, out uint hash));
                                Assert.Equal(hash, packets[i].FlowHash);
                                Assert.True(!owner.TryGetValue(hash, out int previous) || previous == consumer.Index, "a flow moved between consumers");
                                owner[hash] = consumer.Index;
                            }

                            consumer.Return(packets.AsSpan(0, count));
                        }
                    }
                }
            }

            Assert.Equal(2L * Flows, consumers.Sum(c => c.DeliveredFrames));
            foreach (SteeringConsumer consumer in consumers)
            {
                // 4000 flows over 4 consumers: 1000 expected each; allow +-15% (about 5 standard deviations).
                long flowsHere = consumer.DeliveredFrames / 2;
                Assert.InRange(flowsHere, 850, 1150);
            }

            receiver.ThrowIfFramesOutstanding();
        }
    }

    [Fact]
    public void FlowHashIsStableAcrossRunsAndDependsOnTheSeed()
    {
        byte[] frame = SteeringFrames.Build(SteeringFrames.Udp, 0x0A000001, 0x0A000002, 40000, 9000);
        Assert.True(PacketSteering.TryGetFlowHash(frame, symmetric: false, seed: 0, out uint hash));

        // Pinned: the placement of a flow must not change between runs, processes or versions of the runtime.
        Assert.Equal(PinnedHash, hash);
        Assert.True(PacketSteering.TryGetFlowHash(frame, symmetric: false, seed: 1, out uint seeded));
        Assert.NotEqual(hash, seeded);

        // Only the 5-tuple counts: payload, TTL and VLAN do not.
        byte[] other = SteeringFrames.Build(SteeringFrames.Udp, 0x0A000001, 0x0A000002, 40000, 9000, payloadBytes: 100, vlan: 3);
        Assert.True(PacketSteering.TryGetFlowHash(other, symmetric: false, seed: 0, out uint same));
        Assert.Equal(hash, same);
        Assert.False(PacketSteering.TryGetFlowHash(frame.AsSpan(0, 30), symmetric: false, seed: 0, out uint none));
        Assert.Equal(0u, none);
    }

    [Fact]
    public void SymmetricHashSendsBothDirectionsOfEveryFlowToTheSameConsumer()
    {
        var random = new Random(3);
        int asymmetricDiffers = 0;
        for (int i = 0; i < 1000; i++)
        {
            uint a = (uint)random.Next();
            uint b = (uint)random.Next();
            ushort pa = (ushort)random.Next(65536);
            ushort pb = (ushort)random.Next(65536);
            byte protocol = i % 2 == 0 ? SteeringFrames.Udp : SteeringFrames.Tcp;
            byte[] forward = SteeringFrames.Build(protocol, a, b, pa, pb);
            byte[] backward = SteeringFrames.Build(protocol, b, a, pb, pa);
            Assert.True(PacketSteering.TryGetFlowHash(forward, symmetric: true, seed: 9, out uint f));
            Assert.True(PacketSteering.TryGetFlowHash(backward, symmetric: true, seed: 9, out uint r));
            Assert.Equal(f, r);
            Assert.True(PacketSteering.TryGetFlowHash(forward, symmetric: false, seed: 9, out uint f2));
            Assert.True(PacketSteering.TryGetFlowHash(backward, symmetric: false, seed: 9, out uint r2));
            asymmetricDiffers += f2 != r2 ? 1 : 0;
        }

        Assert.True(asymmetricDiffers > 990, $"the asymmetric hash told only {asymmetricDiffers} of 1000 directions apart");

        // And through the steering itself: both directions land on the same one of 8 consumers.
        (MemoryPort sender, MemoryPort receiver) = Pair();
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver, new PacketSteeringOptions { Mode = SteeringMode.FlowHash, SymmetricHash = true }))
        {
            SteeringConsumer[] consumers = [.. Enumerable.Range(0, 8).Select(i => steering.AddConsumer("c" + i))];
            SteeringFrames.Send(sender, [SteeringFrames.Build(SteeringFrames.Tcp, 0x0A000001, 0x0A000002, 50000, 443), SteeringFrames.Build(SteeringFrames.Tcp, 0x0A000002, 0x0A000001, 443, 50000)]);
            SteeringFrames.PollAll(steering);
            Assert.Single(consumers, c => c.DeliveredFrames == 2);
            Assert.Equal(2, consumers.Sum(c => c.DeliveredFrames));
            foreach (SteeringConsumer consumer in consumers)
            {
                _ = Drain(consumer);
            }
        }
    }

    [Fact]
    public void FullConsumerRingDropsAndCountsItsFramesWithoutLosingOthers()
    {
        (MemoryPort sender, MemoryPort receiver) = Pair();
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver))
        {
            SteeringConsumer slow = steering.AddConsumer("slow", new SteeringConsumerOptions { SlotCount = 4 });
            SteeringConsumer fast = steering.AddConsumer("fast", new SteeringConsumerOptions { SlotCount = 64 });
            SteeringConsumer copy = steering.AddConsumer("copy", new SteeringConsumerOptions { Delivery = SteeringDelivery.Copy, SlotCount = 64, BufferCount = 3 });
            steering.MapDestinationPorts(slow, 1000, 1000);
            steering.MapDestinationPorts(fast, 2000, 2000);
            steering.MapDestinationPorts(copy, 3000, 3000);
            var frames = new List<byte[]>();
            for (int i = 0; i < 20; i++)
            {
                frames.Add(SteeringFrames.Udp4(1000));
                frames.Add(SteeringFrames.Udp4(2000));
                frames.Add(SteeringFrames.Udp4(3000));
            }

            SteeringFrames.Send(sender, frames);
            SteeringFrames.PollAll(steering);

            Assert.Equal(4, slow.DeliveredFrames);
            Assert.Equal(16, slow.DroppedFrames);
            Assert.Equal(20, fast.DeliveredFrames);
            Assert.Equal(0, fast.DroppedFrames);
            Assert.Equal(3, copy.DeliveredFrames);     // 3 own buffers, none returned yet
            Assert.Equal(17, copy.DroppedFrames);

            // Only the shared frames in the rings are still out of the port's pool; dropped ones went back.
            Assert.Equal(24, receiver.OutstandingFrames);
            Assert.Equal(Enumerable.Repeat(1000, 4), Drain(slow));
            Assert.Equal(Enumerable.Repeat(2000, 20), Drain(fast));
            Assert.Equal(Enumerable.Repeat(3000, 3), Drain(copy));

            // Returned buffers are used again.
            SteeringFrames.Send(sender, [SteeringFrames.Udp4(3000)]);
            SteeringFrames.PollAll(steering);
            Assert.Equal(4, copy.DeliveredFrames);
            Assert.Equal([3000], Drain(copy));
            receiver.ThrowIfFramesOutstanding();
        }
    }

    [Fact]
    public void CopyDeliveryGivesPrivateCopiesAndReturnsThePortFramesAtOnce()
    {
        (MemoryPort sender, MemoryPort receiver) = Pair();
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver))
        {
            SteeringConsumer copy = steering.AddConsumer("copy", new SteeringConsumerOptions { Delivery = SteeringDelivery.Copy, SlotCount = 16, BufferSizeBytes = 128 });
            steering.MapDestinationPorts(copy, 7, 7);
            byte[] small = SteeringFrames.Udp4(7);
            byte[] large = SteeringFrames.Build(SteeringFrames.Udp, 1, 2, 3, 7, payloadBytes: 200);
            SteeringFrames.Send(sender, [small, large]);
            SteeringFrames.PollAll(steering);

            Assert.Equal(0, receiver.OutstandingFrames);
            Assert.Equal(1, copy.DeliveredFrames);
            Assert.Equal(1, copy.DroppedFrames);    // longer than the 128-byte buffer
            var received = new SteeredPacket[4];
            Assert.Equal(1, copy.TryReceive(received));
            SteeredPacket packet = received[0];
            Assert.True(packet.Frame.IsDefault);
            Assert.Equal(small, copy.GetSpan(packet).ToArray());

            // The copy is the consumer's: the port reusing its frames does not change it.
            SteeringFrames.Send(sender, [SteeringFrames.Udp4(9)]);
            SteeringFrames.PollAll(steering);
            Assert.Equal(small, copy.GetSpan(packet).ToArray());

            copy.Return(packet);
            Assert.Throws<InvalidOperationException>(() => copy.Return(packet));
            Assert.Throws<ArgumentOutOfRangeException>(() => copy.GetSpan(default));
            receiver.ThrowIfFramesOutstanding();
        }
    }

    [Fact]
    public async Task SharedFramesReturnedFromTheConsumersThreadGoBackToThePort()
    {
        (MemoryPort sender, MemoryPort receiver) = Pair(frames: 128);
        const int Total = 20_000;
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver, new PacketSteeringOptions { Mode = SteeringMode.FlowHash }))
        {
            SteeringConsumer[] consumers = [steering.AddConsumer("a", new SteeringConsumerOptions { SlotCount = 256 }), steering.AddConsumer("b", new SteeringConsumerOptions { SlotCount = 256 })];
            long[] seen = new long[2];
            long[] corrupt = new long[2];
            using var stop = new CancellationTokenSource();
            Task[] workers = [.. consumers.Select(c => Task.Run(() => ConsumeAndReturn(c, stop.Token, ref seen[c.Index], ref corrupt[c.Index]), TestContext.Current.CancellationToken))];

            int sent = 0;
            byte[][] templates = [.. Enumerable.Range(0, 64).Select(i => SteeringFrames.Build(SteeringFrames.Udp, 0x0A000001 + (uint)i, 0x0A000002, (ushort)(1000 + i), 9000, payloadBytes: 32))];
            var frames = new Frame[32];
            while (sent < Total)
            {
                // Send only what the receiver has free frames for, so nothing is dropped at the memory port.
                int batch = sender.AllocateTransmit(frames.AsSpan(0, Math.Min(32, Total - sent)));
                for (int i = 0; i < batch; i++)
                {
                    byte[] template = templates[(sent + i) % templates.Length];
                    template.CopyTo(sender.GetBuffer(frames[i]));
                    frames[i] = frames[i].WithLength(template.Length);
                }

                sender.Transmit(frames.AsSpan(0, batch));
                sent += batch;
                while (steering.Poll() > 0)
                {
                }

                while (receiver.PendingReceiveFrames + receiver.OutstandingFrames > 64)
                {
                    _ = receiver.RecycleReturnedFrames();
                    Thread.Yield();
                }
            }

            while (Interlocked.Read(ref seen[0]) + Interlocked.Read(ref seen[1]) + consumers.Sum(c => c.DroppedFrames) < Total)
            {
                _ = steering.Poll();
                Thread.Yield();
            }

            stop.Cancel();
            await Task.WhenAll(workers);
            Assert.Equal(0, corrupt[0] + corrupt[1]);
            Assert.Equal(Total, consumers.Sum(c => c.DeliveredFrames) + consumers.Sum(c => c.DroppedFrames));
            Assert.Equal(Total, receiver.GetStatistics().ReceivedFrames);
            Assert.Equal(0, receiver.GetStatistics().ReceiveDroppedFrames);
            receiver.ThrowIfFramesOutstanding();
            Assert.True(seen[0] > 0 && seen[1] > 0);
        }
    }

    [Fact]
    public void CountersArePublishedOnTheSteeringMeter()
    {
        (MemoryPort sender, MemoryPort receiver) = Pair();
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver, new PacketSteeringOptions { Name = "meter-test-" + Guid.NewGuid().ToString("N") }))
        {
            SteeringConsumer consumer = steering.AddConsumer("tenant-1", new SteeringConsumerOptions { SlotCount = 2 });
            steering.MapDestinationPorts(consumer, 53, 53);
            SteeringFrames.Send(sender, [SteeringFrames.Udp4(53), SteeringFrames.Udp4(53), SteeringFrames.Udp4(53), SteeringFrames.Udp4(54), new byte[10]]);
            SteeringFrames.PollAll(steering);

            var values = new Dictionary<string, long>();
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == PacketSteering.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string steeringName = string.Empty;
                string detail = string.Empty;
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    if (tag.Key == "steering.name")
                    {
                        steeringName = (string)tag.Value!;
                    }
                    else
                    {
                        detail = (string)tag.Value!;
                    }
                }

                if (steeringName == steering.Name)
                {
                    values[instrument.Name + "/" + detail] = value;
                }
            });
            listener.Start();
            listener.RecordObservableInstruments();

            Assert.Equal(2, values["edgeos.steering.delivered/tenant-1"]);
            Assert.Equal(1, values["edgeos.steering.dropped/tenant-1"]);
            Assert.Equal(1, values["edgeos.steering.unmatched/no_rule"]);
            Assert.Equal(1, values["edgeos.steering.unmatched/malformed"]);
            Assert.Equal(0, values["edgeos.steering.unmatched/not_steerable"]);
            _ = Drain(consumer);
        }
    }

    [Fact]
    public void SteeringAllocatesNothingPerPacket()
    {
        (MemoryPort sender, MemoryPort receiver) = Pair();
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver, new PacketSteeringOptions { Mode = SteeringMode.FlowHash, SymmetricHash = true }))
        {
            SteeringConsumer shared = steering.AddConsumer("shared");
            SteeringConsumer copy = steering.AddConsumer("copy", new SteeringConsumerOptions { Delivery = SteeringDelivery.Copy });
            byte[][] templates = [.. Enumerable.Range(0, 16).Select(i => SteeringFrames.Build(SteeringFrames.Udp, 0x0A000001 + (uint)i, 0x0A000002, 1000, 9000))];
            var frames = new Frame[16];
            var packets = new SteeredPacket[16];

            void Round()
            {
                SteeringFrames.SendBatch(sender, templates, frames);
                _ = steering.Poll();
                foreach (SteeringConsumer consumer in (ReadOnlySpan<SteeringConsumer>)[shared, copy])
                {
                    int n = consumer.TryReceive(packets);
                    consumer.Return(packets.AsSpan(0, n));
                }
            }

            Assert.Equal(0, Allocations.OfRounds(Round));
            Assert.True(shared.DeliveredFrames > 1000 && copy.DeliveredFrames > 1000);
        }
    }

    internal static List<int> Drain(SteeringConsumer consumer, bool vlanAware = false)
    {
        var ports = new List<int>();
        var packets = new SteeredPacket[64];
        int count;
        while ((count = consumer.TryReceive(packets)) > 0)
        {
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> data = consumer.GetSpan(packets[i]);
                int l2 = vlanAware && data[12] == 0x81 ? 18 : 14;
                ports.Add((data[l2 + 22] << 8) | data[l2 + 23]);
            }

            consumer.Return(packets.AsSpan(0, count));
        }

        return ports;
    }

    private static void ConsumeAndReturn(SteeringConsumer consumer, CancellationToken stop, ref long seen, ref long corrupt)
    {
        var packets = new SteeredPacket[32];
        while (true)
        {
            int count = consumer.TryReceive(packets);
            if (count == 0)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                _ = consumer.WaitToReceive(TimeSpan.FromMilliseconds(20), CancellationToken.None);
                continue;
            }

            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> data = consumer.GetSpan(packets[i]);
                if (data.Length != 74 || SteeringFrames.DestinationPort(data) != 9000)
                {
                    corrupt++;
                }
            }

            consumer.Return(packets.AsSpan(0, count));
            Interlocked.Add(ref seen, count);
        }
    }

    private static byte[] Patch(byte[] frame, int offset, byte value)
    {
        byte[] copy = (byte[])frame.Clone();
        copy[offset] = value;
        return copy;
    }

    private const uint PinnedHash = 4264995952;
}
