using EdgeOS.Samples.Click.Runtime;
using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

/// <summary>ARPTable (arptable.hh: keywords, handlers) and ARPQuerier's TABLE keyword, in one router and per tenant.</summary>
public sealed class ArpTableTests
{
    private const string SharedConfig = """
        t :: ARPTable(CAPACITY 4, TIMEOUT 10);
        Idle -> [0]q1 :: ARPQuerier(10.0.0.1/24, 02:00:00:00:00:01, TABLE t) -> out1 :: Queue(100) -> Discard;
        Idle -> [1]q1; q1[1] -> queries1 :: Queue(100) -> Discard;
        Idle -> [0]q2 :: ARPQuerier(10.0.1.1/24, 02:00:00:00:01:01, TABLE t) -> out2 :: Queue(100) -> Discard;
        Idle -> [1]q2; q2[1] -> queries2 :: Queue(100) -> Discard;
        """;

    private static void SendIP(Router r, string querier, string dst)
    {
        Packet p = r.Pool.Make(Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP(dst), 1, 2).AsSpan(14));
        p.DestinationIPAnnotation = Frames.IP(dst);
        r.Find(querier)!.Push(0, p);
    }

    private static void Reply(Router r, string querier, string from, byte last)
    {
        byte[] reply = Frames.ArpRequest(Frames.IP(from), Frames.IP("10.0.0.1"));
        reply[21] = 2;
        reply[27] = last;
        r.Find(querier)!.Push(1, r.Pool.Make(reply));
    }

    private static List<string> Drain(Router r, string queue)
    {
        var seen = new List<string>();
        while (r.Find(queue)!.Pull(0) is Packet p)
        {
            seen.Add(Convert.ToHexString(p.Data[..6]));
            p.Kill();
        }

        return seen;
    }

    private static string Read(Router r, string handler)
    {
        Assert.True(r.TryResolveHandler(handler, null, out Element? e, out string h, out string error), error);
        return r.CallRead(e, h).TrimEnd('\n');
    }

    private static void Write(Router r, string handler, string value)
    {
        Assert.True(r.TryResolveHandler(handler, null, out Element? e, out string h, out string error), error);
        var errors = new ElementErrors();
        Assert.True(r.CallWrite(e, h, value, errors), string.Join("\n", errors.Messages));
    }

    [Fact]
    public void QueriersNamingOneTableShareItsEntries()
    {
        using TestRouter r = TestRouter.Create(SharedConfig);
        Router router = r.Router;

        // q1 learns 10.0.0.9; q2 then sends to it without a query.
        SendIP(router, "q1", "10.0.0.9");
        Assert.Equal(["FFFFFFFFFFFF"], Drain(router, "queries1"));
        Reply(router, "q1", "10.0.0.9", 0x09);
        Assert.Equal(["020000000009"], Drain(router, "out1"));
        SendIP(router, "q2", "10.0.0.9");
        Assert.Equal(["020000000009"], Drain(router, "out2"));
        Assert.Empty(Drain(router, "queries2"));

        // The querier's table handlers show the shared table, and so do the table's own.
        Assert.Equal("10.0.0.9 1 02-00-00-00-00-09 0.000000", r.Read("t.table"));
        Assert.Equal(r.Read("t.table"), r.Read("q2.table"));
        Assert.Equal(("1", "1"), (r.Read("t.count"), r.Read("q1.count")));

        // An insert through the table is seen by both queriers; delete marks the entry unknown, as Click does.
        r.Write("t.insert", "10.0.1.7 02:00:00:00:00:77");
        SendIP(router, "q1", "10.0.1.7");
        Assert.Equal(["020000000077"], Drain(router, "out1"));
        r.Write("q2.delete", "10.0.1.7");
        Assert.Contains("10.0.1.7 0 FF-FF-FF-FF-FF-FF", r.Read("t.table"), StringComparison.Ordinal);
        Assert.Equal(0, router.Pool.Outstanding);
    }

    [Fact]
    public void TheTablesCapacityAndDropsApplyToEveryQuerier()
    {
        using TestRouter r = TestRouter.Create(SharedConfig);
        Router router = r.Router;
        SendIP(router, "q1", "10.0.0.2");
        SendIP(router, "q1", "10.0.0.2");
        SendIP(router, "q2", "10.0.1.3");
        SendIP(router, "q2", "10.0.1.3");
        Assert.Equal(("2", "4"), (r.Read("t.count"), r.Read("t.length")));

        // CAPACITY 4: a fifth waiting packet, counted, makes 5 > 4, so the oldest entries' packets are dropped down to
        // 4 - 4/2 = 2 (10.0.0.2's two, then one of 10.0.1.3's) before it joins its entry.
        SendIP(router, "q2", "10.0.1.3");
        Assert.Equal("2", r.Read("t.length"));
        Assert.Equal("3", r.Read("t.drops"));
        Assert.Equal("3 packets killed\n1 ARP queries sent", r.Read("q1.stats"));

        // clear empties the table; its waiting packets count as drops.
        r.Write("t.clear", string.Empty);
        Assert.Equal(("0", "0", "5"), (r.Read("t.count"), r.Read("t.length"), r.Read("t.drops")));
        Drain(router, "queries1");
        Drain(router, "queries2");
        Assert.Equal(0, router.Pool.Outstanding);
    }

    [Fact]
    public void EntriesExpireAfterTheTablesTimeout()
    {
        using TestRouter r = TestRouter.Create(SharedConfig);
        r.Write("t.insert", "10.0.0.5 02:00:00:00:00:05");
        r.Master.AdvanceSimulatedTime(9_000_000_000);
        Assert.Equal("10.0.0.5 1 02-00-00-00-00-05 9.000000", r.Read("t.table"));
        r.Master.AdvanceSimulatedTime(2_000_000_000);
        Assert.Equal(("", "0"), (r.Read("t.table"), r.Read("t.count")));
    }

    [Fact]
    public void ArpTableHasClicksHandlersAndKeywords()
    {
        using TestRouter r = TestRouter.Create("t :: ARPTable; Idle -> Discard;");
        string[] lines = r.Read("t.handlers").Split('\n');
        foreach (string expected in new[] { "table\tr", "drops\tr", "count\tr", "length\tr", "insert\tw", "delete\tw", "clear\tw" })
        {
            Assert.Contains(expected, lines);
        }

        Assert.Equal("0 input\n0 output", r.Read("t.ports").Replace("s\n", "\n", StringComparison.Ordinal).TrimEnd('s'));
        Assert.Contains("CAPACITY_SLIM_FACTOR cannot be zero", TestRouter.Failure("t :: ARPTable(CAPACITY_SLIM_FACTOR 0);"), StringComparison.Ordinal);
        Assert.Contains("BROADCAST: unknown argument", TestRouter.Failure("t :: ARPTable(BROADCAST 1.2.3.4);"), StringComparison.Ordinal);
        Assert.Contains("too many arguments", TestRouter.Failure("t :: ARPTable(10);"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TABLE nosuch", "TABLE: no element named 'nosuch'")]
    [InlineData("TABLE d", "TABLE: type mismatch: 'd' is not an ARPTable")]
    [InlineData("TABLE t, CAPACITY 5", "CAPACITY: not allowed with TABLE")]
    [InlineData("TABLE t, TIMEOUT 5", "TIMEOUT: not allowed with TABLE")]
    public void TableMustNameAnArpTableAndTakesNoTableKeywords(string keywords, string message)
    {
        string m = TestRouter.Failure($"t :: ARPTable; Idle -> [0]aq :: ARPQuerier(10.0.0.1, 02:00:00:00:00:01, {keywords}) -> d :: Discard; Idle -> [1]aq;");
        Assert.Contains(message, m, StringComparison.Ordinal);
    }

    [Fact]
    public void EachTenantHasItsOwnCopyOfTheSharedTable()
    {
        using TestRouter template = TestRouter.Create(SharedConfig);
        template.Write("t.insert", "10.0.0.8 02:00:00:00:00:08");
        Router t0 = Router.CloneForTenant(template.Router, new Master(simulatedTime: true) { Chatter = template.Chatter });
        Router t1 = Router.CloneForTenant(template.Router, new Master(simulatedTime: true) { Chatter = template.Chatter });
        try
        {
            Write(t0, "t.insert", "10.0.0.9 02:00:00:00:00:09");
            Write(t1, "t.clear", string.Empty);

            // Tenant 0's queriers both see its insert; tenant 1's table is empty; the template is untouched.
            SendIP(t0, "q2", "10.0.0.9");
            Assert.Equal(["020000000009"], Drain(t0, "out2"));
            SendIP(t1, "q1", "10.0.0.8");
            Assert.Equal(["FFFFFFFFFFFF"], Drain(t1, "queries1"));
            Assert.Equal(("2", "1", "1"), (Read(t0, "t.count"), Read(t1, "q2.count"), template.Read("t.count")));
            Assert.Equal("1", Read(t1, "t.length"));
            Assert.Equal("0", template.Read("q1.length"));
        }
        finally
        {
            t0.Cleanup();
            t1.Cleanup();
        }
    }
}
