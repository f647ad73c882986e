using Xunit;

namespace EdgeOS.Samples.Click.Tests.Runtime;

public sealed class RouterCheckTests
{
    [Fact]
    public void UnusedPortsAreReportedWithTheirElementAndLine()
    {
        string m = TestRouter.Failure("i :: Idle -> q :: Queue;\nc :: Counter;");
        Assert.Contains("config:1: 'q :: Queue' output 0 unused", m, StringComparison.Ordinal);
        Assert.Contains("config:2: 'c :: Counter' input 0 unused", m, StringComparison.Ordinal);
        Assert.Contains("config:2: 'c :: Counter' output 0 unused", m, StringComparison.Ordinal);
        Assert.EndsWith("Router could not be initialized!", m, StringComparison.Ordinal);
    }

    [Fact]
    public void PortsBeyondTheCountAreReported()
    {
        string m = TestRouter.Failure("s :: InfiniteSource; s[1] -> Discard; s -> d :: Discard; Idle -> [1]d;");
        Assert.Contains("config:1: 's :: InfiniteSource' has no output 1", m, StringComparison.Ordinal);
        Assert.Contains("config:1: 'd :: Discard' has no input 1", m, StringComparison.Ordinal);
    }

    [Fact]
    public void PushOutputReuseIsIllegalButPullOutputsMayFanIn()
    {
        string m = TestRouter.Failure("s :: InfiniteSource -> Discard; s -> Discard;");
        Assert.Contains("config:1: illegal reuse of 's :: InfiniteSource' push output 0", m, StringComparison.Ordinal);

        // Two push outputs into one push input is fine.
        using TestRouter ok = TestRouter.Create("a :: InfiniteSource(LIMIT 2, STOP true) -> d :: Discard; b :: InfiniteSource(LIMIT 0) -> d;");
        ok.Run();
        Assert.Equal(2, ok.Count("d"));
    }

    [Fact]
    public void PushToPullMismatchIsReportedInClickWords()
    {
        string m = TestRouter.Failure("q :: Queue -> u :: Unqueue -> q2 :: Queue -> Discard; InfiniteSource -> q; q2 -> [0]u;");
        Assert.Equal("config:1: illegal reuse of 'u :: Unqueue' pull input 0\nRouter could not be initialized!", m);

        m = TestRouter.Failure("q :: Queue -> Tee -> Discard; InfiniteSource -> q;");
        Assert.Equal("'q :: Queue' pull output 0 connected to 'Tee@2 :: Tee' push input 0\nRouter could not be initialized!", m);

        m = TestRouter.Failure("TimedSource -> u :: Unqueue -> Discard;");
        Assert.StartsWith("'TimedSource@1 :: TimedSource' push output 0 connected to 'u :: Unqueue' pull input 0", m, StringComparison.Ordinal);
    }

    [Fact]
    public void AgnosticElementBetweenPullInputAndPushOutputIsInMixedContext()
    {
        string m = TestRouter.Failure("i :: InfiniteSource -> q :: Queue -> c :: Counter -> t :: Tee -> Discard;");
        Assert.Equal("agnostic 'c :: Counter' in mixed context: pull input 0, push output 0\nRouter could not be initialized!", m);
    }

    [Fact]
    public void ConfigurationErrorsAreIndentedUnderTheElementContext()
    {
        string m = TestRouter.Failure("Idle -> q :: Queue(lots) -> Discard;\nInfiniteSource(FOO 1) -> Discard;");
        Assert.Contains("config:1: While configuring 'q :: Queue':\nconfig:1:   CAPACITY: invalid number", m, StringComparison.Ordinal);
        Assert.Contains("config:2: While configuring 'InfiniteSource@4 :: InfiniteSource':\nconfig:2:   FOO: unknown argument", m, StringComparison.Ordinal);
    }

    [Fact]
    public void ToDeviceTakesClicksUserlevelArgumentsOnly()
    {
        // Click's userlevel ToDevice has no QUIET (only the kernel element does), and refuses a BURST below 1.
        string quiet = TestRouter.Failure("Idle -> ToDevice(lo, QUIET true);");
        Assert.Contains("config:1:   QUIET: unknown argument", quiet, StringComparison.Ordinal);
        string burst = TestRouter.Failure("Idle -> ToDevice(lo, BURST 0);");
        Assert.Contains("config:1:   bad BURST", burst, StringComparison.Ordinal);
    }

    [Fact]
    public void AgnosticPortsTakeTheirNeighboursProcessing()
    {
        using TestRouter r = TestRouter.Create("InfiniteSource(LIMIT 3, STOP true) -> q :: Queue -> c :: Counter -> n :: Null -> u :: Unqueue -> d :: Discard;");
        Assert.Contains("pull", r.Read("c.ports"), StringComparison.Ordinal);
        Assert.DoesNotContain("push", r.Read("c.ports"), StringComparison.Ordinal);
        r.Run();
    }

    [Fact]
    public void DefaultHandlersDescribeTheElement()
    {
        using TestRouter r = TestRouter.Create("s :: InfiniteSource(LIMIT 1, STOP true) -> c :: Counter -> Discard;");
        Assert.Equal("Counter", r.Read("c.class"));
        Assert.Equal("c", r.Read("c.name"));
        Assert.Equal("LIMIT 1, STOP true", r.Read("s.config"));
        Assert.Equal("1 input\npush\ts[0]\n1 output\npush\t[0]Discard@3", r.Read("c.ports"));
        Assert.Contains("count\tr", r.Read("c.handlers"), StringComparison.Ordinal);
        Assert.Contains("reset\tw", r.Read("c.handlers"), StringComparison.Ordinal);
        Assert.Equal("3\ns\nc\nDiscard@3", r.Read("list"));
    }
}
