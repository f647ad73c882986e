using System.Buffers.Binary;
using EdgeOS.Samples.Click.Runtime;
using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

/// <summary>
/// The handlers and keywords of ARPResponder, ARPQuerier and LinearIPLookup that Click documents (arpresponder.hh,
/// arpquerier.hh, arptable.hh, iproutetable.hh) and their output and error texts.
/// </summary>
public sealed class ArpAndRouteHandlerTests
{
    private static string WriteError(TestRouter r, string handler, string value)
    {
        Assert.True(r.Router.TryResolveHandler(handler, null, out Element? e, out string h, out string error), error);
        var errors = new ElementErrors();
        Assert.False(r.Router.CallWrite(e, h, value, errors));
        return string.Join("\n", errors.Messages);
    }

    private static string Read(Router router, string handler)
    {
        Assert.True(router.TryResolveHandler(handler, null, out Element? e, out string h, out string error), error);
        return router.CallRead(e, h);
    }

    private static void Write(Router router, string handler, string value)
    {
        Assert.True(router.TryResolveHandler(handler, null, out Element? e, out string h, out string error), error);
        var errors = new ElementErrors();
        Assert.True(router.CallWrite(e, h, value, errors), string.Join("\n", errors.Messages));
    }

    private static Packet? PullOne(TestRouter r, string queue) => r.Router.Find(queue)!.Pull(0);

    /// <summary>The Ethernet address ARPResponder answers for a request for <paramref name="target"/>, or null when it passes it on.</summary>
    private static byte[]? Answer(TestRouter r, string target)
    {
        r.Router.Find("arp")!.Push(0, r.Router.Pool.Make(Frames.ArpRequest(Frames.IP("10.9.9.9"), Frames.IP(target))));
        Packet? p = PullOne(r, "replies");
        if (p is null)
        {
            PullOne(r, "others")!.Kill();
            return null;
        }

        byte[] sender = p.Data.Slice(22, 6).ToArray();
        Assert.Equal(2, BinaryPrimitives.ReadUInt16BigEndian(p.Data[20..]));
        p.Kill();
        return sender;
    }

    private const string ResponderConfig = """
        Idle -> arp :: ARPResponder(10.0.0.1 02:00:00:00:00:01) -> replies :: Queue -> Discard;
        arp[1] -> others :: Queue -> Discard;
        """;

    [Fact]
    public void ArpResponderAddPutsTheMoreSpecificEntryFirstAndRemoveDeletesOneEntry()
    {
        using TestRouter r = TestRouter.Create(ResponderConfig);
        Assert.Equal("10.0.0.1/32 02-00-00-00-00-01", r.Read("arp.table"));

        r.Write("arp.add", "10.0.0.0/24 10.1.0.0/255.255.0.0 02:00:00:00:00:02");
        r.Write("arp.add", "10.0.0.128/25 02:00:00:00:00:03");
        Assert.Equal(
            "10.0.0.1/32 02-00-00-00-00-01\n10.0.0.128/25 02-00-00-00-00-03\n10.0.0.0/24 02-00-00-00-00-02\n10.1.0.0/16 02-00-00-00-00-02",
            r.Read("arp.table"));
        Assert.Equal([2, 0, 0, 0, 0, 1], Answer(r, "10.0.0.1"));
        Assert.Equal([2, 0, 0, 0, 0, 3], Answer(r, "10.0.0.200"));
        Assert.Equal([2, 0, 0, 0, 0, 2], Answer(r, "10.0.0.5"));
        Assert.Equal([2, 0, 0, 0, 0, 2], Answer(r, "10.1.2.3"));
        Assert.Null(Answer(r, "10.2.0.1"));

        // The same prefix again replaces its address (the later entry wins, as in Click's normalization).
        r.Write("arp.add", "10.1.0.0/16 02:00:00:00:00:04");
        Assert.Equal([2, 0, 0, 0, 0, 4], Answer(r, "10.1.2.3"));

        r.Write("arp.remove", "10.0.0.128/25");
        Assert.Equal([2, 0, 0, 0, 0, 2], Answer(r, "10.0.0.200"));
        Assert.Equal("10.0.0.128/25 not found", WriteError(r, "arp.remove", "10.0.0.128/25"));
        Assert.Equal("expected IP/MASK", WriteError(r, "arp.remove", "nonsense"));
        Assert.Equal(
            "10.0.0.1/32 02-00-00-00-00-01\n10.0.0.0/24 02-00-00-00-00-02\n10.1.0.0/16 02-00-00-00-00-04",
            r.Read("arp.table"));
        Assert.Equal(0, r.Router.Pool.Outstanding);
    }

    [Fact]
    public void ArpResponderAddReportsClicksErrorsAndChangesNothing()
    {
        using TestRouter r = TestRouter.Create(ResponderConfig);
        Assert.Equal("missing ETH", WriteError(r, "arp.add", "10.0.0.9"));
        Assert.Equal("missing IP/MASK", WriteError(r, "arp.add", "02:00:00:00:00:09"));
        Assert.Equal("more than one ETH", WriteError(r, "arp.add", "10.0.0.9 02:00:00:00:00:09 02:00:00:00:00:0a"));
        Assert.Equal("expected IP/MASK ETH", WriteError(r, "arp.add", "10.0.0.9 bogus 02:00:00:00:00:09"));
        Assert.Equal("10.0.0.1/32 02-00-00-00-00-01", r.Read("arp.table"));
    }

    [Fact]
    public void ArpResponderConfigurationErrorsNameTheArgumentAndAnEmptyTableIsAllowed()
    {
        string messages = TestRouter.Failure("Idle -> ARPResponder(10.0.0.1 02:00:00:00:00:01, 10.0.0.2) -> Discard;");
        Assert.Contains("argument 1: missing ETH", messages, StringComparison.Ordinal);

        // With no arguments the table starts empty; add fills it.
        using TestRouter r = TestRouter.Create("""
            Idle -> arp :: ARPResponder -> replies :: Queue -> Discard;
            arp[1] -> others :: Queue -> Discard;
            """);
        Assert.Null(Answer(r, "10.0.0.1"));
        r.Write("arp.add", "10.0.0.1 02:00:00:00:00:07");
        Assert.Equal([2, 0, 0, 0, 0, 7], Answer(r, "10.0.0.1"));
    }

    [Fact]
    public void ArpResponderHandlerWritesInATenantChangeOnlyThatTenantsTable()
    {
        using TestRouter template = TestRouter.Create(ResponderConfig);
        (Router t0, Router t1) = TwoTenants(template);
        Write(t0, "arp.add", "10.0.0.2 02:00:00:00:00:02");
        Write(t1, "arp.remove", "10.0.0.1/32");
        Assert.Equal("10.0.0.1/32 02-00-00-00-00-01\n10.0.0.2/32 02-00-00-00-00-02\n", Read(t0, "arp.table"));
        Assert.Equal(string.Empty, Read(t1, "arp.table"));
        Assert.Equal("10.0.0.1/32 02-00-00-00-00-01", template.Read("arp.table"));
    }

    private const string QuerierConfig = """
        Idle -> [0]aq :: ARPQuerier(10.0.0.1/24, 02:00:00:00:00:01, CAPACITY 3, ENTRY_CAPACITY 2) -> out :: Queue(100) -> Discard;
        Idle -> [1]aq;
        aq[1] -> queries :: Queue(100) -> Discard;
        """;

    private static void SendIP(TestRouter r, string dst)
    {
        Packet p = r.Router.Pool.Make(Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP(dst), 1, 2).AsSpan(14));
        p.DestinationIPAnnotation = Frames.IP(dst);
        r.Router.Find("aq")!.Push(0, p);
    }

    private static void Reply(TestRouter r, string from, byte last)
    {
        byte[] reply = Frames.ArpRequest(Frames.IP(from), Frames.IP("10.0.0.1"));
        reply[21] = 2;
        reply[27] = last;
        r.Router.Find("aq")!.Push(1, r.Router.Pool.Make(reply));
    }

    /// <summary>Drains a queue; returns the destination Ethernet addresses (first 6 bytes) of the packets, as Click prints them.</summary>
    private static List<string> Drain(TestRouter r, string queue)
    {
        var seen = new List<string>();
        while (PullOne(r, queue) is Packet p)
        {
            seen.Add(Convert.ToHexString(p.Data[..6]));
            p.Kill();
        }

        return seen;
    }

    [Fact]
    public void ArpQuerierQueuesPacketsPerAddressAndHonoursCapacityAndEntryCapacity()
    {
        using TestRouter r = TestRouter.Create(QuerierConfig);
        SendIP(r, "10.0.0.2");
        SendIP(r, "10.0.0.2"); // same address within 100 ms: waits, no second query
        Assert.Equal(["FFFFFFFFFFFF"], Drain(r, "queries"));
        Assert.Equal("1", r.Read("aq.count"));
        Assert.Equal("2", r.Read("aq.length"));

        // A third address makes three entries: past ENTRY_CAPACITY 2 the oldest (10.0.0.2, with its packets) goes.
        SendIP(r, "10.0.0.3");
        SendIP(r, "10.0.0.4");
        Assert.Equal("2", r.Read("aq.count"));
        Assert.Equal("2", r.Read("aq.length"));
        Assert.DoesNotContain("10.0.0.2 ", r.Read("aq.table"), StringComparison.Ordinal);
        Assert.Equal("2 packets killed\n3 ARP queries sent", r.Read("aq.stats"));
        Assert.Equal("0", r.Read("aq.drops")); // table drops are in stats, not in drops (as Click)

        // CAPACITY 3: a fourth waiting packet, counted, makes 4 > 3, so the oldest entries' packets are dropped down to
        // 3 - 3/2 = 2 (10.0.0.3's one, then one of 10.0.0.4's) before it joins its entry.
        SendIP(r, "10.0.0.4");
        Assert.Equal("3", r.Read("aq.length"));
        SendIP(r, "10.0.0.4");
        Assert.Equal("2", r.Read("aq.length"));
        Assert.Equal("4 packets killed\n3 ARP queries sent", r.Read("aq.stats"));

        // The reply releases 10.0.0.4's two packets, in order, with its address.
        Reply(r, "10.0.0.4", 0x44);
        Assert.Equal(["020000000044", "020000000044"], Drain(r, "out"));
        Assert.Equal("1", r.Read("aq.responses"));
        Assert.Equal("10.0.0.3 0 FF-FF-FF-FF-FF-FF 0.000000\n10.0.0.4 1 02-00-00-00-00-44 0.000000", r.Read("aq.table"));
        Assert.Equal("0", r.Read("aq.length"));
        Assert.Equal(2, Drain(r, "queries").Count);
        Assert.Equal(0, r.Router.Pool.Outstanding);
    }

    [Fact]
    public void ArpQuerierSendsBroadcastMulticastAndZeroAsClickDocuments()
    {
        using TestRouter r = TestRouter.Create(QuerierConfig);
        Assert.Equal("10.0.0.255", r.Read("aq.broadcast")); // from the IP's prefix
        SendIP(r, "10.0.0.255");
        SendIP(r, "255.255.255.255");
        SendIP(r, "224.1.130.7");
        SendIP(r, "0.0.0.0");
        Assert.Equal(["FFFFFFFFFFFF", "FFFFFFFFFFFF", "01005E018207"], Drain(r, "out"));
        Assert.Empty(Drain(r, "queries"));
        Assert.Equal("1", r.Read("aq.drops"));
        Assert.Contains("aq :: ARPQuerier: would query for 0.0.0.0; missing dest IP addr annotation?", r.Chatter.ToString(), StringComparison.Ordinal);

        using TestRouter b = TestRouter.Create(QuerierConfig.Replace("ENTRY_CAPACITY 2", "BROADCAST 10.0.0.7", StringComparison.Ordinal));
        Assert.Equal("10.0.0.7", b.Read("aq.broadcast"));
        SendIP(b, "10.0.0.7");
        SendIP(b, "10.0.0.255");
        Assert.Equal(["FFFFFFFFFFFF"], Drain(b, "out"));
        Assert.Equal(["FFFFFFFFFFFF"], Drain(b, "queries")); // 10.0.0.255 is an ordinary address now
    }

    [Fact]
    public void ArpQuerierInsertDeleteClearAndIpaddrHandlers()
    {
        using TestRouter r = TestRouter.Create(QuerierConfig);
        r.Write("aq.insert", "10.0.0.5 02:00:00:00:00:05");
        SendIP(r, "10.0.0.5");
        Assert.Equal(["020000000005"], Drain(r, "out"));
        Assert.Empty(Drain(r, "queries"));

        // delete keeps the entry, unknown, so the next packet waits and queries.
        r.Write("aq.delete", "10.0.0.5");
        Assert.StartsWith("10.0.0.5 0 FF-FF-FF-FF-FF-FF ", r.Read("aq.table"), StringComparison.Ordinal);
        SendIP(r, "10.0.0.5");
        Assert.Empty(Drain(r, "out"));
        Assert.Single(Drain(r, "queries"));
        Assert.Equal("1", r.Read("aq.length"));

        Assert.StartsWith("IP: required argument missing", WriteError(r, "aq.insert", string.Empty), StringComparison.Ordinal);
        Assert.Equal("ETH: required argument missing", WriteError(r, "aq.insert", "10.0.0.6"));
        Assert.Equal("too many arguments", WriteError(r, "aq.delete", "10.0.0.6 10.0.0.7"));

        // clear empties the table (its waiting packet is a table drop) and zeroes the counters.
        r.Write("aq.clear", string.Empty);
        Assert.Equal(string.Empty, r.Read("aq.table"));
        Assert.Equal(("0", "0", "0"), (r.Read("aq.count"), r.Read("aq.length"), r.Read("aq.queries")));
        Assert.Equal("1 packets killed\n0 ARP queries sent", r.Read("aq.stats"));

        r.Write("aq.ipaddr", "10.0.0.99");
        Assert.Equal("10.0.0.99", r.Read("aq.ipaddr"));
        Assert.Equal("expected IP address", WriteError(r, "aq.ipaddr", "ten"));
        SendIP(r, "10.0.0.8");
        Packet q = PullOne(r, "queries")!;
        Assert.Equal(Frames.IP("10.0.0.99"), BinaryPrimitives.ReadUInt32BigEndian(q.Data[28..]));
        q.Kill();
        r.Write("aq.broadcast", "10.0.0.8");
        SendIP(r, "10.0.0.8");
        Assert.Equal(["FFFFFFFFFFFF"], Drain(r, "out"));
    }

    [Fact]
    public void ArpQuerierEntriesExpireAfterTimeoutAndArePolledAfterPollTimeout()
    {
        using TestRouter r = TestRouter.Create(QuerierConfig.Replace("ENTRY_CAPACITY 2", "TIMEOUT 10, POLL_TIMEOUT 4", StringComparison.Ordinal));
        r.Write("aq.insert", "10.0.0.5 02:00:00:00:00:05");
        SimClock(r, 5_000_000_000);
        SendIP(r, "10.0.0.5");
        Assert.Equal(["020000000005"], Drain(r, "out"));
        Assert.Equal(["020000000005"], Drain(r, "queries")); // the renewal poll goes unicast
        SendIP(r, "10.0.0.5");
        Assert.Empty(Drain(r, "queries")); // at most one poll per 100 ms
        Drain(r, "out");

        SimClock(r, 6_000_000_000);
        Assert.Equal("0", r.Read("aq.count"));
        SendIP(r, "10.0.0.5");
        Assert.Empty(Drain(r, "out"));
        Assert.Equal(["FFFFFFFFFFFF"], Drain(r, "queries"));
    }

    private static void SimClock(TestRouter r, long advanceNs) => r.Master.AdvanceSimulatedTime(advanceNs);

    [Fact]
    public void AddressInfoNamesGiveTheAddressAndThePrefixsBroadcast()
    {
        // ARPResponder(NAME) prefers the address of a name that is also a network; ARPQuerier(NAME) takes the address,
        // the Ethernet address and (for its default broadcast address) the network's mask from the one name.
        using TestRouter r = TestRouter.Create("""
            AddressInfo(me 10.0.0.1/24 02:00:00:00:00:01);
            Idle -> [0]aq :: ARPQuerier(me) -> Discard; Idle -> [1]aq;
            Idle -> arp :: ARPResponder(me, me:net 02:00:00:00:00:02) -> Discard;
            """);
        Assert.Equal(("10.0.0.1", "10.0.0.255"), (r.Read("aq.ipaddr"), r.Read("aq.broadcast")));
        Assert.Equal("10.0.0.1/32 02-00-00-00-00-01\n10.0.0.0/24 02-00-00-00-00-02", r.Read("arp.table"));
    }

    [Fact]
    public void ArpQuerierKeywordErrors()
    {
        Assert.Contains("CAPACITY_SLIM_FACTOR cannot be zero", TestRouter.Failure("Idle -> [0]aq :: ARPQuerier(10.0.0.1, 02:00:00:00:00:01, CAPACITY_SLIM_FACTOR 0) -> Discard; Idle -> [1]aq;"), StringComparison.Ordinal);
        Assert.Contains("TABLE: no element named 't'", TestRouter.Failure("Idle -> [0]aq :: ARPQuerier(10.0.0.1, 02:00:00:00:00:01, TABLE t) -> Discard; Idle -> [1]aq;"), StringComparison.Ordinal);
    }

    [Fact]
    public void ArpQuerierHandlerWritesInATenantChangeOnlyThatTenantsTable()
    {
        using TestRouter template = TestRouter.Create(QuerierConfig);
        (Router t0, Router t1) = TwoTenants(template);
        Write(t0, "aq.insert", "10.0.0.5 02:00:00:00:00:05");
        Write(t1, "aq.ipaddr", "10.0.0.77");
        Assert.StartsWith("10.0.0.5 1 02-00-00-00-00-05 ", Read(t0, "aq.table"), StringComparison.Ordinal);
        Assert.Equal(string.Empty, Read(t1, "aq.table"));
        Assert.Equal(string.Empty, template.Read("aq.table"));
        Assert.Equal(("10.0.0.1\n", "10.0.0.77\n"), (Read(t0, "aq.ipaddr"), Read(t1, "aq.ipaddr")));
    }

    private const string RouteConfig = """
        Idle -> rt :: LinearIPLookup(10.0.0.0/8 0, 10.1.0.0/16 10.1.0.254 1, 10.0.0.0/8 1) -> a :: Queue -> Discard;
        rt[1] -> b :: Queue -> Discard;
        """;

    /// <summary>The output a packet to <paramref name="dst"/> leaves on and its destination annotation then, or (-1, 0) when dropped.</summary>
    private static (int Output, string Annotation) Route(TestRouter r, string dst)
    {
        Packet p = r.Router.Pool.Make(new byte[20]);
        p.DestinationIPAnnotation = Frames.IP(dst);
        r.Router.Find("rt")!.Push(0, p);
        foreach ((string q, int output) in new[] { ("a", 0), ("b", 1) })
        {
            if (PullOne(r, q) is Packet got)
            {
                uint anno = got.DestinationIPAnnotation;
                got.Kill();
                return (output, $"{anno >> 24}.{(anno >> 16) & 255}.{(anno >> 8) & 255}.{anno & 255}");
            }
        }

        return (-1, "0.0.0.0");
    }

    [Fact]
    public void LinearIPLookupTableAddSetRemoveWithClicksSyntaxAndMessages()
    {
        using TestRouter r = TestRouter.Create(RouteConfig);
        // The repeated 10.0.0.0/8 keeps the first route.
        Assert.Equal("10.0.0.0/8 - 0\n10.1.0.0/16 10.1.0.254 1", r.Read("rt.table"));

        r.Write("rt.add", "192.168.0.0/255.255.0.0 - 1");
        Assert.Equal((1, "192.168.3.4"), Route(r, "192.168.3.4"));
        Assert.Equal("conflict with existing route '10.0.0.0/8 - 0'", WriteError(r, "rt.add", "10.0.0.0/8 1"));
        Assert.Equal("expected 'ADDR/MASK [GATEWAY] OUTPUT'", WriteError(r, "rt.add", "10.0.0.0/8 2"));
        Assert.Equal("expected 'ADDR/MASK [GATEWAY] OUTPUT'", WriteError(r, "rt.add", "10.0.0.0/8 10.0.0.1"));
        Assert.Equal("expected 'ADDR/MASK [GATEWAY] OUTPUT'", WriteError(r, "rt.set", "10.0.0.0/8 -1"));

        r.Write("rt.set", "10.0.0.0/8 10.0.0.254 1");
        Assert.Equal((1, "10.0.0.254"), Route(r, "10.2.3.4"));
        Assert.Equal((1, "10.1.0.254"), Route(r, "10.1.3.4"));

        // remove: the prefix alone, or prefix, gateway and output that must all match.
        Assert.Equal("route '10.1.0.0/16 10.1.0.9 1' not found", WriteError(r, "rt.remove", "10.1.0.0/16 10.1.0.9 1"));
        Assert.Equal("route '172.16.0.0/12 - -1' not found", WriteError(r, "rt.remove", "172.16.0.0/12"));
        Assert.Equal("expected 'ADDR/MASK [GATEWAY OUTPUT]'", WriteError(r, "rt.remove", "10.0.0.0/8 - 0 0"));
        r.Write("rt.remove", "10.1.0.0/16 10.1.0.254 1");
        r.Write("rt.remove", "10.0.0.0/8");
        Assert.Equal((-1, "0.0.0.0"), Route(r, "10.2.3.4"));

        // A new route takes the first free slot, which is where the table shows it.
        r.Write("rt.add", "0.0.0.0/0 0");
        Assert.Equal("0.0.0.0/0 - 0\n192.168.0.0/16 - 1", r.Read("rt.table"));
        Assert.Equal((0, "10.2.3.4"), Route(r, "10.2.3.4"));
        Assert.Equal(0, r.Router.Pool.Outstanding);
    }

    [Fact]
    public void LinearIPLookupCtrlAppliesAllCommandsOrNone()
    {
        using TestRouter r = TestRouter.Create(RouteConfig);
        r.Write("rt.ctrl", "add 192.168.0.0/16 1\n\nset 10.0.0.0/8 10.9.9.9 1\nremove 10.1.0.0/16");
        Assert.Equal("10.0.0.0/8 10.9.9.9 1\n192.168.0.0/16 - 1", r.Read("rt.table"));

        // The third command fails: the first two are undone.
        Assert.Equal(
            "route '172.16.0.0/12 - -1' not found",
            WriteError(r, "rt.ctrl", "remove 192.168.0.0/16\nset 10.0.0.0/8 0\nremove 172.16.0.0/12"));
        Assert.Equal("10.0.0.0/8 10.9.9.9 1\n192.168.0.0/16 - 1", r.Read("rt.table"));
        Assert.Equal((1, "192.168.1.1"), Route(r, "192.168.1.1"));
        Assert.Equal("bad command 'drop'", WriteError(r, "rt.ctrl", "add 172.16.0.0/12 0\ndrop 10.0.0.0/8"));
        Assert.Equal("10.0.0.0/8 10.9.9.9 1\n192.168.0.0/16 - 1", r.Read("rt.table"));
    }

    [Fact]
    public void LinearIPLookupConfigurationErrorsAndPerTenantRoutes()
    {
        Assert.Contains(
            "argument 2 should be 'ADDR/MASK [GATEWAY] OUTPUT'",
            TestRouter.Failure("Idle -> rt :: LinearIPLookup(10.0.0.0/8 0, 10.1.0.0/16 5) -> Discard;"),
            StringComparison.Ordinal);

        using TestRouter template = TestRouter.Create(RouteConfig);
        (Router t0, Router t1) = TwoTenants(template);
        Write(t0, "rt.add", "192.168.0.0/16 1");
        Write(t1, "rt.remove", "10.0.0.0/8");
        Assert.Equal("10.0.0.0/8 - 0\n10.1.0.0/16 10.1.0.254 1\n192.168.0.0/16 - 1\n", Read(t0, "rt.table"));
        Assert.Equal("10.1.0.0/16 10.1.0.254 1\n", Read(t1, "rt.table"));
        Assert.Equal("10.0.0.0/8 - 0\n10.1.0.0/16 10.1.0.254 1", template.Read("rt.table"));
    }

    /// <summary>Two tenants' routers cloned from <paramref name="template"/>, each on its own simulated-time driver.</summary>
    private static (Router, Router) TwoTenants(TestRouter template) =>
        (Router.CloneForTenant(template.Router, new Master(simulatedTime: true)), Router.CloneForTenant(template.Router, new Master(simulatedTime: true)));
}
