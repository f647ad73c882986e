using Xunit;

namespace EdgeOS.Samples.Click.Tests.Runtime;

public sealed class AllocationTests
{
    [Fact]
    public void PacketPathsAllocateNothingPerPacketAfterWarmUp()
    {
        // Push path through checks, routing and encapsulation, plus a queue and a pull task.
        using TestRouter r = TestRouter.Create("""
            s :: InfiniteSource(LENGTH 18, BURST 32, STOP true) -> UDPIPEncap(10.0.0.1, 1234, 10.1.2.3, 53)
              -> CheckIPHeader -> GetIPAddress(16) -> rt :: LinearIPLookup(10.1.0.0/16 0, 0.0.0.0/0 1);
            rt[0] -> DecIPTTL -> EtherEncap(0x0800, 02:00:00:00:00:01, 02:00:00:00:00:02) -> c :: Counter -> q :: Queue(64) -> u :: Unqueue(32) -> d :: Discard;
            rt[1] -> Discard;
            """);
        for (int i = 0; i < 2000; i++)
        {
            r.Master.RunTasksOnce();
        }

        long countBefore = r.Count("c");
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20000; i++)
        {
            r.Master.RunTasksOnce();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long packets = r.Count("c") - countBefore;
        Assert.True(packets > 100_000, $"only {packets} packets went through");
        Assert.Equal(0, allocated);
        Assert.Equal("0", r.Read("q.drops"));
    }
}
