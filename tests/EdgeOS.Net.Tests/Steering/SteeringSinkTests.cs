using EdgeOS.Net.Steering;
using Xunit;

namespace EdgeOS.Net.Tests.Steering;

/// <summary><see cref="PacketSteering.Poll{TSink}"/>: frames handed inline to a struct sink, then given back in one release.</summary>
public sealed class SteeringSinkTests
{
    [Fact]
    public void SinkGetsEachRuledFrameForItsConsumerInArrivalOrderAndThePortGetsEveryFrameBack()
    {
        (MemoryPort sender, MemoryPort receiver) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 64 });
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver))
        {
            SteeringConsumer a = steering.AddConsumer("a");
            SteeringConsumer b = steering.AddConsumer("b");
            steering.MapDestinationPorts(a, 9000, 9000);
            steering.MapDestinationPorts(b, 10000, 10099, SteeringProtocols.Udp);
            SteeringFrames.Send(sender, [
                SteeringFrames.Udp4(9000, sourcePort: 1),
                SteeringFrames.Udp4(10005, sourcePort: 2),
                SteeringFrames.Udp4(9001),          // no rule
                SteeringFrames.Udp4(9000, sourcePort: 3),
                TestFrames.IcmpEcho(8, 1, 1, 8),    // not UDP/TCP
                SteeringFrames.Udp4(9000)[..30],    // malformed: IPv4 type, header cut short
                SteeringFrames.Build(SteeringFrames.Tcp, 1, 2, 4, 10005), // TCP: no rule in b's UDP range
                SteeringFrames.Udp4(10099, sourcePort: 5),
            ]);

            var sink = new RecordingSink { Seen = [] };
            Assert.Equal(8, steering.Poll(ref sink));
            Assert.Equal([(0, 9000, 1), (1, 10005, 2), (0, 9000, 3), (1, 10099, 5)], sink.Seen);
            Assert.Equal(2, a.DeliveredFrames);
            Assert.Equal(2, b.DeliveredFrames);
            Assert.Equal(0, a.PendingCount + b.PendingCount);
            Assert.Equal(2, steering.NoRuleFrames);
            Assert.Equal(1, steering.NotSteerableFrames);
            Assert.Equal(1, steering.MalformedFrames);
            Assert.Equal(0, steering.Poll(ref sink));
            receiver.ThrowIfFramesOutstanding();
        }
    }

    [Fact]
    public void SinkAndRingsPlaceEveryFlowOnTheSameConsumerWithTheSameHash()
    {
        (MemoryPort sender, MemoryPort receiver) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 1024 });
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver, new PacketSteeringOptions { Mode = SteeringMode.FlowHash, HashSeed = 3 }))
        {
            SteeringConsumer[] consumers = [.. Enumerable.Range(0, 7).Select(i => steering.AddConsumer("c" + i, new SteeringConsumerOptions { SlotCount = 1024 }))];
            byte[][] frames = [.. Enumerable.Range(0, 500).Select(i => SteeringFrames.Build(SteeringFrames.Udp, 0x0A000001 + (uint)i, 0x0A000002, (ushort)(1000 + i), 53))];

            // Through the rings: where each flow (by source port) lands.
            SteeringFrames.Send(sender, frames);
            SteeringFrames.PollAll(steering);
            var ringPlacement = new Dictionary<int, (int Consumer, uint Hash)>();
            var packets = new SteeredPacket[1024];
            foreach (SteeringConsumer c in consumers)
            {
                int n = c.TryReceive(packets);
                for (int i = 0; i < n; i++)
                {
                    ReadOnlySpan<byte> data = c.GetSpan(packets[i]);
                    ringPlacement[(data[34] << 8) | data[35]] = (c.Index, packets[i].FlowHash);
                }

                c.Return(packets.AsSpan(0, n));
            }

            // Through the sink: the same placement and hash for every flow.
            SteeringFrames.Send(sender, frames);
            var sink = new RecordingSink { Seen = [], Hashes = [] };
            while (steering.Poll(ref sink) > 0)
            {
            }

            Assert.Equal(500, ringPlacement.Count);
            Assert.Equal(500, sink.Seen.Count);
            for (int i = 0; i < sink.Seen.Count; i++)
            {
                (int consumer, _, int sourcePort) = sink.Seen[i];
                Assert.Equal(ringPlacement[sourcePort], (consumer, sink.Hashes![i]));
            }

            Assert.Equal(1000, consumers.Sum(c => c.DeliveredFrames));
            receiver.ThrowIfFramesOutstanding();
        }
    }

    [Fact]
    public void WhenTheSinkThrowsTheBatchIsStillGivenBackAndCounted()
    {
        (MemoryPort sender, MemoryPort receiver) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 16 });
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver))
        {
            SteeringConsumer a = steering.AddConsumer("a");
            steering.MapDestinationPorts(a, 9000, 9000);
            SteeringFrames.Send(sender, Enumerable.Range(0, 5).Select(_ => SteeringFrames.Udp4(9000)));
            var sink = new ThrowingSink { ThrowAt = 2 };
            Assert.Throws<InvalidOperationException>(() => steering.Poll(ref sink));
            Assert.Equal(3, a.DeliveredFrames); // the third call threw after being counted
            receiver.ThrowIfFramesOutstanding();

            // The steering goes on with the next batch.
            SteeringFrames.Send(sender, [SteeringFrames.Udp4(9000)]);
            var recording = new RecordingSink { Seen = [] };
            Assert.Equal(1, steering.Poll(ref recording));
            Assert.Single(recording.Seen);
            receiver.ThrowIfFramesOutstanding();
        }
    }

    [Fact]
    public void WhenTheSinkDisposesThePortTheRestOfTheBatchIsNotRead()
    {
        (MemoryPort sender, MemoryPort receiver) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 16 });
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver))
        {
            SteeringConsumer a = steering.AddConsumer("a");
            steering.MapDestinationPorts(a, 9000, 9000);
            SteeringFrames.Send(sender, Enumerable.Range(0, 4).Select(_ => SteeringFrames.Udp4(9000)));
            var sink = new DisposingSink { Port = receiver };
            Assert.Throws<ObjectDisposedException>(() => steering.Poll(ref sink));
            Assert.Equal(1, sink.Calls);
            Assert.Equal(4, receiver.GetStatistics().LeakedFrames); // reclaimed by the dispose, never given back twice
        }
    }

    [Fact]
    public void SinkPollAllocatesNothingPerPacket()
    {
        (MemoryPort sender, MemoryPort receiver) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 64 });
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver, new PacketSteeringOptions { Mode = SteeringMode.FlowHash }))
        {
            for (int i = 0; i < 8; i++)
            {
                steering.AddConsumer("c" + i);
            }

            byte[][] templates = [.. Enumerable.Range(0, 32).Select(i => SteeringFrames.Build(SteeringFrames.Udp, 0x0A000001 + (uint)i, 0x0A000002, 1000, 9000))];
            var frames = new Frame[32];
            var sink = new CountingSink();

            void Round()
            {
                SteeringFrames.SendBatch(sender, templates, frames);
                _ = steering.Poll(ref sink);
            }

            Assert.Equal(0, Allocations.OfRounds(Round));
            Assert.Equal(1100L * 32, sink.Frames);
            receiver.ThrowIfFramesOutstanding();
        }
    }

    private struct RecordingSink : ISteeringSink
    {
        public List<(int Consumer, int DestinationPort, int SourcePort)> Seen;
        public List<uint>? Hashes;

        public readonly void Deliver(int consumer, ReadOnlySpan<byte> frame, uint flowHash)
        {
            Seen.Add((consumer, SteeringFrames.DestinationPort(frame), (frame[34] << 8) | frame[35]));
            Hashes?.Add(flowHash);
        }
    }

    private struct ThrowingSink : ISteeringSink
    {
        public int ThrowAt;
        private int _calls;

        public void Deliver(int consumer, ReadOnlySpan<byte> frame, uint flowHash)
        {
            if (_calls++ == ThrowAt)
            {
                throw new InvalidOperationException("sink failed");
            }
        }
    }

    private struct DisposingSink : ISteeringSink
    {
        public MemoryPort Port;
        public int Calls;

        public void Deliver(int consumer, ReadOnlySpan<byte> frame, uint flowHash)
        {
            Calls++;
            Port.Dispose();
        }
    }

    private struct CountingSink : ISteeringSink
    {
        public long Frames;

        public void Deliver(int consumer, ReadOnlySpan<byte> frame, uint flowHash) => Frames++;
    }
}
