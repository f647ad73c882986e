using EdgeOS.Net.Steering;
using Xunit;

namespace EdgeOS.Net.Tests.Steering;

/// <summary><see cref="SteeringConsumer.Return(ReadOnlySpan{SteeredPacket})"/> in shared mode: one batch hand-back to the port.</summary>
public sealed class SteeringConsumerBatchReturnTests
{
    [Fact]
    public void BatchReturnGivesEveryFrameBackAndStopsAtAFrameReturnedTwice()
    {
        (MemoryPort sender, MemoryPort receiver) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 64 });
        using (sender)
        using (receiver)
        using (var steering = new PacketSteering(receiver))
        {
            SteeringConsumer c = steering.AddConsumer("c");
            steering.MapDestinationPorts(c, 9000, 9000);
            SteeringFrames.Send(sender, Enumerable.Range(0, 6).Select(_ => SteeringFrames.Udp4(9000)));
            SteeringFrames.PollAll(steering);
            var packets = new SteeredPacket[8];
            Assert.Equal(6, c.TryReceive(packets));
            Assert.Equal(6, receiver.OutstandingFrames);

            c.Return(in packets[2]);
            SteeredPacket[] batch = [packets[0], packets[1], packets[2], packets[3]];

            // packets[2] was already returned: 0 and 1 go back, 2 is refused, 3 stays the consumer's.
            Assert.Equal(FrameOwnershipError.AlreadyReturned, Assert.Throws<FrameOwnershipException>(() => c.Return(batch)).Error);
            Assert.Equal(3, receiver.RecycleReturnedFrames());
            Assert.True(receiver.IsOwned(packets[3].Frame));

            c.Return(packets.AsSpan(3, 3));
            receiver.ThrowIfFramesOutstanding();
        }
    }
}
