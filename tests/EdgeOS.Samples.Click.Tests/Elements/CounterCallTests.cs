using EdgeOS.Samples.Click.Elements;
using EdgeOS.Samples.Click.Runtime;
using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

/// <summary>
/// Counter's COUNT_CALL and BYTE_COUNT_CALL keywords, its handlers and rate EWMA, and AverageCounter, against Click's
/// counter.hh / averagecounter.hh documentation and Click's handler-name resolution (cp_handler_name, HandlerCall).
/// </summary>
public sealed class CounterCallTests
{
    private const string Split = "sw :: Switch(0); sw[0] -> a :: Counter -> Discard; sw[1] -> b :: Counter -> Discard;";

    private static string WriteError(TestRouter r, string handler, string value)
    {
        Assert.True(r.Router.TryResolveHandler(handler, null, out Element? e, out string h, out string error), error);
        var errors = new ElementErrors();
        Assert.False(r.Router.CallWrite(e, h, value, errors));
        return string.Join("\n", errors.Messages);
    }

    private static void Feed(TestRouter r, string counter, int packets, int length = 60)
    {
        Element c = r.Router.Find(counter)!;
        for (int i = 0; i < packets; i++)
        {
            c.Push(0, r.Router.Pool.Allocate(length));
        }
    }

    [Fact]
    public void CountCallWritesTheHandlerBeforeThePacketThatReachesTheCountGoesOn()
    {
        using TestRouter r = TestRouter.Create($"InfiniteSource(LIMIT 5, STOP true) -> c :: Counter(COUNT_CALL 3 sw.switch 1) -> {Split}").Run();
        Assert.Equal((2L, 3L), (r.Count("a"), r.Count("b")));
        Assert.Equal("3", r.Read("c.count_call"));
    }

    [Fact]
    public void ByteCountCallFiresOnceWhenTheByteCountReachesOrPassesN()
    {
        // 10-byte packets: the third makes 30 >= 25. The switch is set back to 0 by hand; the call does not fire again.
        using TestRouter r = TestRouter.Create($"s :: InfiniteSource(DATA \"0123456789\", LIMIT 6, ACTIVE false) -> c :: Counter(BYTE_COUNT_CALL 25 sw.switch 1) -> {Split}");
        r.Write("s.active", "true");
        for (int i = 0; i < 3; i++)
        {
            r.Master.RunTasksOnce();
        }

        r.Write("sw.switch", "0");
        for (int i = 0; i < 3; i++)
        {
            r.Master.RunTasksOnce();
        }

        Assert.Equal((5L, 1L), (r.Count("a"), r.Count("b")));
    }

    [Fact]
    public void AHandlerNameWithoutElementIsTheCountersOwnHandlerFirst()
    {
        // "reset" is Counter's own handler: every third packet resets the count (and re-arms the call).
        using TestRouter r = TestRouter.Create("InfiniteSource(LIMIT 7, STOP true) -> c :: Counter(COUNT_CALL 3 reset) -> Discard;").Run();
        Assert.Equal(1L, r.Count("c"));
    }

    [Fact]
    public void AHandlerNameWithoutElementFallsBackToAGlobalHandler()
    {
        // "stop" is no Counter handler, so it is the router's global stop: the infinite source is stopped.
        using TestRouter r = TestRouter.Create("InfiniteSource -> c :: Counter(COUNT_CALL 4 stop) -> Discard;").Run();
        Assert.True(r.Count("c") >= 4);
    }

    [Fact]
    public void ADotBeforeTheNameMeansTheGlobalHandlerEvenWhenTheCounterHasOne()
    {
        // ".reset" is not a global handler; Click reports it as a missing write handler with the bare name.
        string m = TestRouter.Failure("Idle -> c :: Counter(COUNT_CALL 3 .reset) -> Discard;");
        Assert.Contains("While initializing 'c :: Counter':", m, StringComparison.Ordinal);
        Assert.Contains("no 'reset' write handler", m, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("COUNT_CALL 3 q.nothing", "no 'q.nothing' write handler")]
    [InlineData("COUNT_CALL 3 q.length", "no 'q.length' write handler")]
    [InlineData("COUNT_CALL 3 count", "no 'c.count' write handler")]
    [InlineData("BYTE_COUNT_CALL 3 nosuch.reset", "no element named 'nosuch'")]
    [InlineData("COUNT_CALL 3 frob", "no 'frob' write handler")]
    [InlineData("COUNT_CALL 3", "syntax error")]
    [InlineData("COUNT_CALL 3 q.", "syntax error")]
    public void AMissingHandlerFailsInitializationWithClicksMessage(string keyword, string message)
    {
        string m = TestRouter.Failure($"Idle -> c :: Counter({keyword}) -> q :: Queue -> Discard;");
        Assert.Contains("While initializing 'c :: Counter':", m, StringComparison.Ordinal);
        Assert.Contains(message, m, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("COUNT_CALL x reset", "COUNT_CALL type mismatch")]
    [InlineData("BYTE_COUNT_CALL -1 reset", "BYTE_COUNT_CALL type mismatch")]
    [InlineData("COUNT_CALL 99999999999999999999999 reset", "COUNT_CALL overflow, max 18446744073709551615")]
    [InlineData("COUNTCALL 3 reset", "COUNTCALL: unknown argument")]
    public void BadTriggerCountsAreConfigurationErrors(string keyword, string message)
    {
        string m = TestRouter.Failure($"Idle -> c :: Counter({keyword}) -> Discard;");
        Assert.Contains(message, m, StringComparison.Ordinal);
    }

    [Fact]
    public void CountCallHandlerRearmsAndMayOmitTheHandler()
    {
        using TestRouter r = TestRouter.Create($"Idle -> c :: Counter -> {Split}");
        Assert.Equal(string.Empty, r.Read("c.count_call"));
        r.Write("c.count_call", "2 sw.switch 1");
        Assert.Equal("2", r.Read("c.count_call"));
        Feed(r, "c", 3);
        Assert.Equal((1L, 2L), (r.Count("a"), r.Count("b")));

        // A new count without a handler keeps the handler; the call is armed again (the 5th packet goes to b).
        r.Write("sw.switch", "0");
        r.Write("c.count_call", "5");
        Assert.Equal("5", r.Read("c.count_call"));
        Feed(r, "c", 3);
        Assert.Equal((2L, 4L), (r.Count("a"), r.Count("b")));

        // A count already passed never fires (Click compares the count for equality).
        r.Write("sw.switch", "0");
        r.Write("c.count_call", "2 sw.switch 1");
        Feed(r, "c", 2);
        Assert.Equal((4L, 4L), (r.Count("a"), r.Count("b")));

        Assert.Equal("'count_call' first word should be unsigned (count)", WriteError(r, "c.count_call", "many sw.switch 1"));
        Assert.Equal("'byte_count_call' first word should be unsigned (count)", WriteError(r, "c.byte_count_call", ""));
        Assert.Equal("no 'sw.nothing' write handler", WriteError(r, "c.byte_count_call", "10 sw.nothing"));
    }

    [Fact]
    public void ByteCountCallHandlerSetsANewByteTrigger()
    {
        using TestRouter r = TestRouter.Create($"Idle -> c :: Counter -> {Split}");
        r.Write("c.byte_count_call", "100 sw.switch 1");
        Feed(r, "c", 3, length: 40);
        Assert.Equal((2L, 1L), (r.Count("a"), r.Count("b")));
    }

    [Fact]
    public void CounterHasClicksHandlers()
    {
        using TestRouter r = TestRouter.Create("Idle -> c :: Counter -> Discard;");
        string[] lines = r.Read("c.handlers").Split('\n');
        foreach (string expected in new[] { "count\tr", "byte_count\tr", "rate\tr", "bit_rate\tr", "byte_rate\tr", "reset\tw", "reset_counts\tw", "count_call\trw", "byte_count_call\tw" })
        {
            Assert.Contains(expected, lines);
        }
    }

    [Theory]
    [InlineData(107UL, 8, "0.418")]
    [InlineData(106UL, 8, "0.414")]
    [InlineData(108UL, 8, "0.42")]
    [InlineData(19661UL, 16, "0.3")]
    [InlineData(32113UL, 16, "0.49")]
    [InlineData(32702UL, 16, "0.499")]
    [InlineData(32761UL, 16, "0.4999")]
    [InlineData(32767UL, 16, "0.49998")]
    [InlineData(32768UL, 16, "0.5")]
    [InlineData(65536UL, 16, "1")]
    [InlineData((625UL << 10) + 512, 10, "625.5")]
    public void FixedPointRatesPrintAsClicksUnparseReal2(ulong value, int fracBits, string expected) =>
        Assert.Equal(expected, RateEwma.UnparseReal2(value, fracBits));

    [Fact]
    public void RateIsClicksEwmaOverMillisecondEpochs()
    {
        using TestRouter r = TestRouter.Create("Idle -> c :: Counter -> Discard;");
        Feed(r, "c", 10, length: 100);
        Assert.Equal("0", r.Read("c.rate"));

        // Epoch 1 closes with 10 packets: average (10 << 10 + 8) >> 4 = 640 = 0.625 packets per jiffy.
        r.Master.AdvanceSimulatedTime(1_000_000);
        Assert.Equal("625", r.Read("c.rate"));

        // 1000 bytes with 4 bits of fraction: (16000 + 8) >> 4 = 1000 = 62.5 bytes per jiffy.
        Assert.Equal("62500", r.Read("c.byte_rate"));
        Assert.Equal("500000", r.Read("c.bit_rate"));

        // Second epoch, 10 more: 640 + ((10248 - 640) >> 4) = 1240; 1240 * 1000 / 1024 = 1210.9375.
        Feed(r, "c", 10, length: 100);
        r.Master.AdvanceSimulatedTime(1_000_000);
        Assert.Equal("1210.9375", r.Read("c.rate"));

        // One empty epoch: 1240 + ((8 - 1240) >> 4) = 1163. Fewer than 100 further empty epochs leave the average at the
        // compensation's fixed point, 8 (7.8125 per second); 100 or more drop it to zero.
        r.Master.AdvanceSimulatedTime(1_000_000);
        Assert.Equal(RateEwma.UnparseReal2(1163UL * 1000, 10), r.Read("c.rate"));
        r.Master.AdvanceSimulatedTime(100_000_000);
        Assert.Equal("7.8125", r.Read("c.rate"));
        r.Master.AdvanceSimulatedTime(101_000_000);
        Assert.Equal("0", r.Read("c.rate"));

        Feed(r, "c", 10);
        r.Write("c.reset", string.Empty);
        r.Master.AdvanceSimulatedTime(1_000_000);
        Assert.Equal(("0", "0"), (r.Read("c.count"), r.Read("c.rate")));
    }

    [Fact]
    public void RateAtHighPacketRatesStaysWithinASixteenthOfClicksPerPacketEwma()
    {
        using TestRouter r = TestRouter.Create("Idle -> c :: Counter -> Discard;");
        long reference = 0;
        for (int ms = 0; ms < 40; ms++)
        {
            int n = 2000 + (ms % 5 * 300);
            Feed(r, "c", n);
            r.Master.AdvanceSimulatedTime(1_000_000);

            // Click: each closed epoch's count updates the average (stability shift 4, scale 10, compensation 8).
            reference += (((long)n << 10) + 8 - reference) >> 4;
        }

        double expected = reference * 1000.0 / 1024;
        double actual = double.Parse(r.Read("c.rate"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(actual, expected * (1 - (1.0 / 16)), expected * (1 + (1.0 / 16)));
        Assert.NotEqual(0, actual);
    }

    [Fact]
    public void PacketsOfAnEpochInWhichTimeStandsStillAllCountForThatEpoch()
    {
        // Simulated time stands still while 5000 packets pass (samples thin out to every ~300 packets); when the epoch
        // closes they are all its count, as in Click: (5000 << 10 + 8) >> 4 = 320000, i.e. 312500 packets a second.
        using TestRouter r = TestRouter.Create("Idle -> c :: Counter -> Discard;");
        Feed(r, "c", 5000, length: 60);
        r.Master.AdvanceSimulatedTime(1_000_000);
        Assert.Equal("312500", r.Read("c.rate"));
        Assert.Equal("18750000", r.Read("c.byte_rate"));
        Assert.Equal("150000000", r.Read("c.bit_rate"));

        // A second such epoch: 320000 + ((5000 << 10) + 8 - 320000) >> 4 = 620000, i.e. 605468.75 a second.
        Feed(r, "c", 5000, length: 60);
        r.Master.AdvanceSimulatedTime(1_000_000);
        Assert.Equal("605468.75", r.Read("c.rate"));
    }

    [Fact]
    public void CountCallStateIsPerTenant()
    {
        using TestRouter r = TestRouter.Create($"Idle -> c :: Counter(COUNT_CALL 2 sw.switch 1) -> {Split}");
        var master = new Master(simulatedTime: true) { Chatter = r.Chatter };
        Router tenant = Router.CloneForTenant(r.Router, master);
        for (int i = 0; i < 3; i++)
        {
            tenant.Find("c")!.Push(0, tenant.Pool.Allocate(60));
        }

        Assert.Equal("1\n", tenant.CallRead(tenant.Find("a"), "count"));
        Assert.Equal("2\n", tenant.CallRead(tenant.Find("b"), "count"));
        Assert.Equal((0L, 0L), (r.Count("a"), r.Count("b")));
        Assert.Equal("0", r.Read("sw.switch"));
        tenant.Cleanup();
    }

    [Fact]
    public void AverageCounterTakesIgnoreAsWholeSecondsAndHasClicksHandlers()
    {
        Assert.Contains("IGNORE", TestRouter.Failure("Idle -> AverageCounter(0.5) -> Discard;"), StringComparison.Ordinal);
        using TestRouter r = TestRouter.Create("Idle -> a :: AverageCounter(1) -> Discard;");
        Element a = r.Router.Find("a")!;
        for (int ms = 0; ms <= 3000; ms += 500)
        {
            a.Push(0, r.Router.Pool.Allocate(50));
            r.Master.AdvanceSimulatedTime(500_000_000);
        }

        // Packets at 0 .. 3000 ms; those in the first second are left out: 1000, 1500, ..., 3000 count (5).
        Assert.Equal("5", r.Read("a.count"));
        Assert.Equal("250", r.Read("a.byte_count"));

        // (last - first - ignore) = 2000 jiffies.
        Assert.Equal("2.5", r.Read("a.rate"));
        Assert.Equal("125", r.Read("a.byte_rate"));
        string[] lines = r.Read("a.handlers").Split('\n');
        Assert.DoesNotContain("bit_rate\tr", lines);
        r.Write("a.reset", string.Empty);
        Assert.Equal(("0", "0"), (r.Read("a.count"), r.Read("a.rate")));
    }
}
