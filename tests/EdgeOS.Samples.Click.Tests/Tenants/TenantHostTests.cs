using System.Buffers.Binary;
using System.Reflection;
using EdgeOS.Samples.Click.Elements;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using EdgeOS.Samples.Click.Tenants;
using EdgeOS.Samples.Click.Tests.Elements;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Tenants;

/// <summary>Multi-tenant mode: one template router, per-tenant element state, steering, fault containment.</summary>
public sealed class TenantHostTests
{
    private static readonly uint Src = Frames.IP("10.0.0.1");
    private static readonly uint Dst = Frames.IP("10.0.0.2");

    static TenantHostTests() => FaultOnMark.Register();

    private static byte[] ToTenant(int k, ushort sport = 1234, int payload = 18) => Frames.Udp(Src, Dst, sport, (ushort)(10000 + k), payload);

    [Fact]
    public void TrafficForTenantThreeMovesOnlyTenantThreesCounters()
    {
        using var t = TestTenants.Create("FromSteering -> c :: Counter -> Discard;", tenants: 5);
        t.Send(Enumerable.Range(0, 7).Select(_ => ToTenant(3)));
        t.Stop();
        for (int k = 0; k < 5; k++)
        {
            Assert.Equal(k == 3 ? "7\n" : "0\n", t.Read(k, "c.count"));
        }

        Assert.Equal((7L * 60).ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n", t.Read(3, "c.byte_count"));
        Assert.Equal("0\n", t.ReadTemplate("c.count"));
        Assert.Null(t.Host.Tenants[0].Router); // no traffic, no router: it still reads the template's state
        Assert.NotNull(t.Host.Tenants[3].Router);
    }

    [Fact]
    public void TenantCountersTakeRateSamplesPerBatchAtTheBatchTime()
    {
        using var t = TestTenants.Create("FromSteering -> c :: Counter -> Discard;", tenants: 2);
        Assert.Equal("0\n", t.ReadTemplate("c.rate"));

        // Batches some jiffies apart: each batch's packets are credited to the epoch (1 ms) the batch arrived in, so
        // once two epochs with packets have closed the EWMA rate is above zero. Tenant 0 stays idle.
        for (int batch = 0; batch < 3; batch++)
        {
            t.Send(Enumerable.Range(0, 50).Select(_ => ToTenant(1)));
            Thread.Sleep(3);
        }

        Assert.Equal("150\n", t.Read(1, "c.count"));
        double rate = double.Parse(t.Read(1, "c.rate"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(rate, 1, 150_000); // at most every packet in one 1 ms epoch
        Assert.Equal("0\n", t.Read(0, "c.rate"));
        Counter counter = t.Host.Tenants[1].Router!.Elements.OfType<Counter>().Single();
        Assert.True(counter.Router.Master.AnnouncesBatches);
    }

    [Fact]
    public void QueuesArePerTenantAndTheTemplateQueueStaysEmpty()
    {
        using var t = TestTenants.Create("FromSteering -> q :: Queue(4) -> d :: Discard(ACTIVE false);", tenants: 3);
        t.Send([.. Enumerable.Range(0, 6).Select(_ => ToTenant(1)), .. Enumerable.Range(0, 2).Select(_ => ToTenant(2))]);
        t.Stop();
        Assert.Equal("0\n", t.Read(0, "q.length"));
        Assert.Equal("4\n", t.Read(1, "q.length"));
        Assert.Equal("2\n", t.Read(1, "q.drops"));
        Assert.Equal("2\n", t.Read(2, "q.length"));
        Assert.Equal("0\n", t.Read(2, "q.drops"));
        Assert.Equal("0\n", t.ReadTemplate("q.length"));
        Assert.Equal("0\n", t.ReadTemplate("q.drops"));
    }

    [Fact]
    public void PulledQueuesRunTheirTenantsOwnTasks()
    {
        using var t = TestTenants.Create("FromSteering -> q :: Queue(100) -> u :: Unqueue(BURST 2) -> c :: Counter -> Discard;", tenants: 3);
        t.Send([.. Enumerable.Range(0, 9).Select(_ => ToTenant(0)), .. Enumerable.Range(0, 4).Select(_ => ToTenant(2))]);
        t.Stop();
        Assert.Equal("9\n", t.Read(0, "c.count"));
        Assert.Equal("0\n", t.Read(0, "q.length"));
        Assert.Equal("0\n", t.Read(1, "c.count"));
        Assert.Equal("4\n", t.Read(2, "c.count"));
        Assert.Equal("0\n", t.ReadTemplate("u.count"));
    }

    [Fact]
    public void ArpTablesArePerTenant()
    {
        const string config = """
            FromSteering -> cl :: Classifier(12/0806, -);
            cl[0] -> [1]aq :: ARPQuerier(10.0.0.1, 02:00:00:00:00:01) -> Discard;
            cl[1] -> Strip(14) -> GetIPAddress(16) -> aq;
            """;
        using var t = TestTenants.Create(config, tenants: 3);
        byte[] reply = Frames.ArpRequest(Frames.IP("10.0.0.9"), Frames.IP("10.0.0.1"));
        reply[21] = 2; // opcode: reply
        t.Host.Deliver(1, reply); // ARP is not steerable by port: delivered straight to tenant 1
        t.Host.Flush();
        t.Stop();
        Assert.StartsWith("10.0.0.9 1 02-00-00-00-00-0A ", t.Read(1, "aq.table"), StringComparison.Ordinal);
        Assert.Equal(string.Empty, t.Read(2, "aq.table"));
        Assert.Equal(string.Empty, t.ReadTemplate("aq.table"));
    }

    [Fact]
    public void TenantsShareTheTemplatesCompiledClassifierAndOwnTheirMutableObjects()
    {
        using var t = TestTenants.Create("FromSteering -> cl :: Classifier(12/0800, -); cl[0] -> q :: Queue -> Discard; cl[1] -> Discard;", tenants: 2);
        t.Send([ToTenant(0), ToTenant(1)]);
        t.Stop();
        FieldInfo program = typeof(ClassifierElement).GetField("_program", BindingFlags.NonPublic | BindingFlags.Instance)!;
        FieldInfo ring = typeof(ClickQueue).GetField("_ring", BindingFlags.NonPublic | BindingFlags.Instance)!;
        Router template = t.Host.Set.Template;
        Router r0 = t.Host.Tenants[0].Router!;
        Router r1 = t.Host.Tenants[1].Router!;
        Assert.Same(program.GetValue(template.Find("cl")), program.GetValue(r0.Find("cl")));
        Assert.Same(program.GetValue(template.Find("cl")), program.GetValue(r1.Find("cl")));
        Assert.NotSame(ring.GetValue(r0.Find("q")), ring.GetValue(r1.Find("q")));
        Assert.NotSame(ring.GetValue(template.Find("q")), ring.GetValue(r0.Find("q")));
        Assert.NotSame(r0.Pool, r1.Pool);
        Assert.Same(r0, r0.Find("q")!.Output(0).Peer.Router); // wired to its own elements
    }

    [Fact]
    public void AFaultingTenantDoesNotDisturbTheOthers()
    {
        using var t = TestTenants.Create("FromSteering -> FaultOnMark -> c :: Counter -> Discard;", tenants: 5);
        t.Send(Enumerable.Range(0, 5).SelectMany(k => Enumerable.Range(0, 3).Select(_ => ToTenant(k))));
        t.Send([FaultOnMark.Mark(ToTenant(3))]);
        t.Send(Enumerable.Range(0, 5).SelectMany(k => Enumerable.Range(0, 2).Select(_ => ToTenant(k))));
        t.Stop();
        for (int k = 0; k < 5; k++)
        {
            if (k != 3)
            {
                Assert.Equal("5\n", t.Read(k, "c.count"));
                Assert.Null(t.Host.Tenants[k].Fault);
            }
        }

        ClickTenant three = t.Host.Tenants[3];
        Assert.IsType<InvalidOperationException>(three.Fault);
        Assert.Equal(2, three.DroppedFrames); // posted after it had ended
        Assert.Equal("3\n", t.Read(3, "c.count")); // its router as the fault left it
        Assert.Equal(1, t.Host.Runtime.FaultCount);
    }

    [Fact]
    public void ARestartedTenantStartsAgainFromTheTemplate()
    {
        using var t = TestTenants.Create("FromSteering -> FaultOnMark -> c :: Counter -> Discard;", tenants: 2, restarts: 1);
        t.Send([ToTenant(1), ToTenant(1), ToTenant(0)]);
        t.Send([FaultOnMark.Mark(ToTenant(1))]);
        t.Send([ToTenant(1), ToTenant(0)]);
        t.Stop();
        Assert.Equal("2\n", t.Read(0, "c.count"));
        Assert.Equal("1\n", t.Read(1, "c.count")); // a fresh router from the template, then one packet
        Assert.Equal(0, t.Host.Tenants[1].DroppedFrames);
    }

    [Fact]
    public void AHundredTenantsByPortOnWorkerThreads()
    {
        using var t = TestTenants.Create("FromSteering -> c :: Counter -> q :: Queue(1000) -> Unqueue(BURST 8) -> Discard;", tenants: 100, workers: 2);
        t.Send(Enumerable.Range(0, 100).SelectMany(k => Enumerable.Range(0, k + 1).Select(i => ToTenant(k, (ushort)(1000 + i)))));
        t.Stop();
        for (int k = 0; k < 100; k++)
        {
            Assert.Equal((k + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n", t.Read(k, "c.count"));
            Assert.Equal("0\n", t.Read(k, "q.length"));
        }

        Assert.Equal("0\n", t.ReadTemplate("c.count"));
        Assert.Equal(0, t.Host.UnmatchedFrames);
    }

    [Fact]
    public void AHundredTenantsByFiveTupleKeepEachFlowOnOneTenant()
    {
        using var t = TestTenants.Create("FromSteering -> c :: Counter -> Discard;", tenants: 100, steering: TenantSteering.FlowHash);
        var flows = Enumerable.Range(0, 2000).Select(i => Frames.Udp(Src + (uint)(i % 50), Dst, (ushort)(2000 + i), 53)).ToList();
        t.Send([.. flows, .. flows]); // every flow twice
        t.Stop();
        long total = 0;
        int used = 0;
        for (int k = 0; k < 100; k++)
        {
            long c = long.Parse(t.Read(k, "c.count"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(c % 2 == 0, $"tenant {k} got {c} packets: a flow was split");
            total += c;
            used += c > 0 ? 1 : 0;
        }

        Assert.Equal(4000, total);
        Assert.True(used >= 90, $"only {used} of 100 tenants got traffic");
    }

    [Fact]
    public void TheTenantPathAllocatesNothingPerPacketAfterWarmUp()
    {
        // Steering, batching, FWP posts and handling (manual runtime: all on this thread), the tenant routers' packets.
        using var t = TestTenants.Create("FromSteering -> CheckIPHeader(14) -> c :: Counter -> q :: Queue(64) -> Unqueue(8) -> Discard;", tenants: 20, steering: TenantSteering.FlowHash);
        byte[][] frames = [.. Enumerable.Range(0, 400).Select(i => Frames.Udp(Src + (uint)i, Dst, (ushort)(3000 + i), 53))];
        t.Send(frames);
        t.Send(frames);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 10; round++)
        {
            t.Send(frames);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        t.Stop();
        Assert.Equal(0, allocated);
        Assert.Equal(12 * 400, Enumerable.Range(0, 20).Sum(k => long.Parse(t.Read(k, "c.count"), System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void TenantsToDeviceFramesGoOutOnTheHostsDevice(int workers)
    {
        // Each tenant echoes (EtherMirror) through ToDevice(wire0); the host's Transmit sends every tenant's queue.
        using var t = TestTenants.Create($"FromSteering -> c :: Counter -> EtherMirror -> td :: ToDevice({TestTenants.DeviceName})", tenants: 3, workers: workers, device: true);
        byte[][] frames = [.. Enumerable.Range(0, 30).Select(i => ToTenant(i % 3, sport: (ushort)(2000 + i)))];
        t.Send(frames);
        t.Stop();
        Assert.Equal(30, t.Transmit());
        var ports = new List<(int Source, int Destination)>();
        Assert.Equal(30, t.ReceiveOnWire(f =>
        {
            Assert.Equal(frames[0].AsSpan(0, 6).ToArray(), f[6..12].ToArray()); // mirrored: the source is the old destination
            ports.Add((BinaryPrimitives.ReadUInt16BigEndian(f[34..]), BinaryPrimitives.ReadUInt16BigEndian(f[36..])));
        }));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (2000 + i, 10000 + (i % 3))).Order(), ports.Order());
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal("10\n", t.Read(k, "td.count"));
            Assert.Equal("0\n", t.Read(k, "td.drops"));
        }

        Assert.Equal(30, t.Host.Egress!.TransmittedFrames);
    }

    [Fact]
    public void ARestartedTenantsOldTransmitQueueIsSentOutThenLeaves()
    {
        using var t = TestTenants.Create($"FromSteering -> FaultOnMark -> td :: ToDevice({TestTenants.DeviceName})", tenants: 2, restarts: 3, device: true);
        t.Send([ToTenant(1), ToTenant(1), ToTenant(0)]);
        Assert.Equal(2, t.Host.Egress!.QueueCount);
        for (int restart = 1; restart <= 3; restart++)
        {
            t.Send([FaultOnMark.Mark(ToTenant(1))]); // tenant 1 faults and is restarted from the template
            t.Send([ToTenant(1)]); // its new router has a queue of its own; the old one is retired, not yet empty
            Assert.Equal(3, t.Host.Egress.QueueCount);

            // What the old router's ToDevice accepted before the fault still goes out, then its queue leaves.
            int expected = restart == 1 ? 4 : 1; // first round: 2 old + tenant 0's 1 + 1 new; later: the new one
            Assert.Equal(expected, t.Transmit());
            Assert.Equal(expected, t.ReceiveOnWire());
            Assert.Equal(2, t.Host.Egress.QueueCount);
        }

        Assert.Equal(3, t.Host.Runtime.FaultCount);
    }

    [Fact]
    public void AFullTransmitQueueCountsDropsAndTheHostDrainsTheRest()
    {
        // Nothing is transmitted while 300 frames reach tenant 0: its queue takes QueueSlots, ToDevice drops the rest.
        using var t = TestTenants.Create($"FromSteering -> td :: ToDevice({TestTenants.DeviceName})", tenants: 2, device: true);
        t.Send(Enumerable.Range(0, 300).Select(_ => ToTenant(0)));
        Assert.Equal(TenantEgress.QueueSlots.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n", t.Read(0, "td.count"));
        Assert.Equal((300 - TenantEgress.QueueSlots).ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n", t.Read(0, "td.drops"));
        Assert.Equal(TenantEgress.QueueSlots, t.Host.Egress!.PendingFrames);
        int sent = 0;
        int n;
        while ((n = t.Transmit()) > 0)
        {
            sent += n;
            t.ReceiveOnWire();
        }

        Assert.Equal(TenantEgress.QueueSlots, sent);
        Assert.Equal(0, t.Host.Egress.PendingFrames);
    }

    [Fact]
    public void TheTransmitPathAllocatesNothingPerPacketAfterWarmUp()
    {
        // Steering, FWP handling, the tenants' ToDevice queues and the host's transmit onto the device, all on this thread.
        using var t = TestTenants.Create($"FromSteering -> c :: Counter -> EtherMirror -> ToDevice({TestTenants.DeviceName})", tenants: 10, steering: TenantSteering.FlowHash, device: true);
        byte[][] frames = [.. Enumerable.Range(0, 200).Select(i => Frames.Udp(Src + (uint)i, Dst, (ushort)(3000 + i), 53))];
        void Round()
        {
            t.Send(frames);
            t.Transmit();
            t.ReceiveOnWire();
        }

        for (int round = 0; round < 10; round++)
        {
            Round();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 10; round++)
        {
            Round();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        t.Stop();
        Assert.Equal(0, allocated);
        Assert.Equal(20 * 200, t.Host.Egress!.TransmittedFrames);
    }

    [Theory]
    [InlineData(4096, 4, 4096)] // the default: four full batches, then a flush
    [InlineData(1000, 1, 1024)] // a smaller bound flushes after the first full batch
    public void APortThatNeverDrainsIsFlushedEveryFlushFrames(int flushFrames, int polls, long handled)
    {
        // An overloaded port (or an endless replay) always has a full 1024-frame batch, so "drained" never comes:
        // the host must still post and run the tenants after FlushFrames frames.
        const string config = "FromSteering -> c :: Counter -> Discard;";
        var errors = new ClickErrors();
        RouterGraph graph = ClickLanguage.Parse(config, "config", new Dictionary<string, string>(), ElementRegistry.IsPrimitiveClass, errors)!;
        using TenantHost host = TenantHost.Create(graph, config, errors, new TenantHostOptions { Tenants = 4, FlushFrames = flushFrames, Chatter = TextWriter.Null })!;
        (EdgeOS.Net.MemoryPort wire, EdgeOS.Net.MemoryPort hostEnd) = EdgeOS.Net.MemoryPort.CreatePair(new EdgeOS.Net.MemoryPortOptions { FrameCount = 8192 }, "click-flush-test");
        using (wire)
        using (hostEnd)
        {
            host.Attach(hostEnd);
            var frames = new EdgeOS.Net.Frame[(polls + 1) * 1024]; // more than the polls take: the port never drains
            Assert.Equal(frames.Length, wire.AllocateTransmit(frames));
            for (int i = 0; i < frames.Length; i++)
            {
                byte[] f = ToTenant(i % 4);
                f.CopyTo(wire.GetBuffer(frames[i]));
                frames[i] = frames[i].WithLength(f.Length);
            }

            Assert.Equal(frames.Length, wire.Transmit(frames));
            for (int i = 0; i < polls - 1; i++)
            {
                // Not yet flushed: only the batches that filled were posted, and their tenants ran at once; the rest
                // of the frames wait in the tenants' pending batches.
                Assert.Equal(1024, host.Poll());
                long posted = host.Tenants.Sum(t => t.PostedFrames);
                Assert.Equal(posted, host.Tenants.Sum(t => t.Entry?.Count ?? 0));
                Assert.InRange(posted, 1, (1024 * (i + 1)) - 1);
            }

            Assert.Equal(1024, host.Poll());
            Assert.Equal(handled, host.Tenants.Sum(t => t.Entry?.Count ?? 0));
            Assert.Equal(handled, host.Tenants.Sum(t => t.PostedFrames));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(TenantHostOptions.FlushFramesMax + 1)]
    public void AFlushIntervalOutOfRangeIsRefused(int flushFrames)
    {
        var errors = new ClickErrors();
        RouterGraph graph = ClickLanguage.Parse("FromSteering -> Discard;", "config", new Dictionary<string, string>(), ElementRegistry.IsPrimitiveClass, errors)!;
        Assert.Null(TenantHost.Create(graph, "FromSteering -> Discard;", errors, new TenantHostOptions { FlushFrames = flushFrames, Chatter = TextWriter.Null }));
        Assert.Contains($"flush interval: expected 1 to {TenantHostOptions.FlushFramesMax} frames, not {flushFrames}", errors.Messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public void FramesForNoTenantAreCountedAsUnmatched()
    {
        using var t = TestTenants.Create("FromSteering -> c :: Counter -> Discard;", tenants: 2);
        t.Send([ToTenant(0), ToTenant(2), Frames.Udp(Src, Dst, 1, 53), Frames.ArpRequest(Src, Dst)]);
        t.Stop();
        Assert.Equal("1\n", t.Read(0, "c.count"));
        Assert.Equal("0\n", t.Read(1, "c.count"));
        Assert.Equal(3, t.Host.UnmatchedFrames);
    }

    [Fact]
    public void ElementsWithOutsideResourcesAreRefusedWithTheirLandmark()
    {
        IReadOnlyList<string> errors = TestTenants.Refusal("FromSteering -> Discard;\nInfiniteSource -> td :: ToDump(/tmp/x.pcap);");
        Assert.Contains("config:2: 'td :: ToDump' not available in tenant mode: files are not per tenant (every tenant would write the same file)", errors);
    }

    [Fact]
    public void TenantModeNeedsExactlyOneFromSteering()
    {
        IReadOnlyList<string> errors = TestTenants.Refusal("InfiniteSource -> Discard;");
        Assert.Contains("tenant mode needs exactly one FromSteering element (where steered packets enter a tenant's router), not 0", errors);
    }

    [Fact]
    public void ATenantRouterCannotBeMadeFromARefusingTemplate()
    {
        using var r = Runtime.TestRouter.Create("Script(wait 1s); Idle -> Discard;");
        var ex = Assert.Throws<InvalidOperationException>(() => Router.CloneForTenant(r.Router, new Master()));
        Assert.Contains("not available in tenant mode", ex.Message, StringComparison.Ordinal);
    }
}

/// <summary>A test element that throws for a packet whose last payload byte is 0xEE (a tenant program's bug).</summary>
internal sealed class FaultOnMark : Element
{
    private static readonly Lock s_lock = new();

    public override string PortCount => "1/1";

    public static void Register()
    {
        lock (s_lock)
        {
            if (!ElementRegistry.IsPrimitiveClass("FaultOnMark"))
            {
                ElementRegistry.Register("FaultOnMark", () => new FaultOnMark());
            }
        }
    }

    public static byte[] Mark(byte[] frame)
    {
        frame[^1] = 0xEE;
        return frame;
    }

    public override Packet? SimpleAction(Packet p) => p.Data[^1] == 0xEE ? throw new InvalidOperationException("marked packet") : p;
}
