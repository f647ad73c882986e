using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

public sealed class SourceAndQueueTests
{
    [Fact]
    public void InfiniteSourceEmitsExactlyLimitPacketsAndStopsTheDriver()
    {
        using TestRouter r = TestRouter.Create("s :: InfiniteSource(LIMIT 1000, BURST 7, STOP true) -> c :: Counter -> Discard;").Run();
        Assert.Equal(1000, r.Count("c"));
        Assert.Equal(1000, r.Count("s"));
        Assert.Equal(69 * 1000, long.Parse(r.Read("c.byte_count"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, r.Router.Pool.Outstanding);
    }

    [Fact]
    public void InfiniteSourceLengthAndDataShapeThePackets()
    {
        using TestRouter r = TestRouter.Create("InfiniteSource(DATA \\<0a0b>, LENGTH 5, LIMIT 1, STOP true) -> Print(x) -> Discard;").Run();
        Assert.Equal("x:    5 | 0a0b0a0b 0a\n", r.Chatter.ToString());
    }

    [Fact]
    public void PullSourceFeedsADiscardTaskUntilTheLimit()
    {
        using TestRouter r = TestRouter.Create("InfiniteSource(LIMIT 50, STOP true) -> c :: Counter -> d :: Discard;");
        Assert.Contains("push", r.Read("c.ports"), StringComparison.Ordinal);
        r.Run();
        Assert.Equal(50, r.Count("d"));

        using TestRouter pull = TestRouter.Create("s :: InfiniteSource(LIMIT 50, STOP true) -> q :: Queue -> c :: Counter -> d :: Discard;").Run();
        Assert.Contains("pull", pull.Read("c.ports"), StringComparison.Ordinal);
        Assert.Equal(50, pull.Count("s"));
    }

    [Fact]
    public void QueueDropsWhenFullAndReportsLengthHighwaterAndDrops()
    {
        using TestRouter r = TestRouter.Create("InfiniteSource(LIMIT 30, BURST 30, STOP true) -> q :: Queue(10) -> Idle;").Run();
        Assert.Equal("10", r.Read("q.length"));
        Assert.Equal("10", r.Read("q.highwater_length"));
        Assert.Equal("20", r.Read("q.drops"));
        Assert.Equal("10", r.Read("q.capacity"));
        r.Write("q.reset", string.Empty);
        Assert.Equal("0", r.Read("q.length"));
        Assert.Equal(0, r.Router.Pool.Outstanding);
    }

    [Fact]
    public void UnqueueMovesEveryQueuedPacketAndSleepsOnAnEmptyQueue()
    {
        using TestRouter r = TestRouter.Create("InfiniteSource(LIMIT 500, BURST 5, STOP true) -> q :: Queue(1000) -> u :: Unqueue(BURST 3) -> c :: Counter -> Discard;").Run();
        long moved = r.Count("c");
        Assert.Equal(500 - long.Parse(r.Read("q.length"), System.Globalization.CultureInfo.InvariantCulture), moved);
        Assert.Equal("0", r.Read("q.drops"));
    }

    [Fact]
    public void TimedSourceFiresOnItsIntervalInSimulatedTime()
    {
        using TestRouter r = TestRouter.Create("TimedSource(0.25, \"abc\", LIMIT 4, STOP true) -> Print(t, TIMESTAMP true) -> Discard;").Run();
        Assert.Equal(
            "t: 1000000000.250000:    3 | 616263\nt: 1000000000.500000:    3 | 616263\nt: 1000000000.750000:    3 | 616263\nt: 1000000001.000000:    3 | 616263\n",
            r.Chatter.ToString());
    }

    [Fact]
    public void RatedSourceSendsAtItsRateInSimulatedTime()
    {
        using TestRouter r = TestRouter.Create("s :: RatedSource(RATE 100, LIMIT 1000) -> c :: Counter -> Discard; DriverManager(wait_time 0.5s);").Run();
        long n = r.Count("c");
        Assert.InRange(n, 50, 51);
    }

    [Fact]
    public void RandomSourceIsRepeatablePerElementName()
    {
        using TestRouter a = TestRouter.Create("r :: RandomSource(16, LIMIT 2, STOP true) -> Print(p) -> Discard;").Run();
        using TestRouter b = TestRouter.Create("r :: RandomSource(16, LIMIT 2, STOP true) -> Print(p) -> Discard;").Run();
        Assert.Equal(a.Chatter.ToString(), b.Chatter.ToString());
        Assert.Equal(2, a.Chatter.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void WriteHandlersChangeASourceWhileItRuns()
    {
        using TestRouter r = TestRouter.Create("s :: InfiniteSource(LIMIT 5, ACTIVE false, STOP true) -> c :: Counter -> Discard;");
        r.Master.RunTasksOnce();
        Assert.Equal(0, r.Count("c"));
        r.Write("s.active", "true");
        r.Run();
        Assert.Equal(5, r.Count("c"));
        Assert.Equal("5", r.Read("s.limit"));
    }
}
