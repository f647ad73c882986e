using System.Buffers.Binary;
using EdgeOS.Fwp;
using EdgeOS.Net;
using EdgeOS.Net.Steering;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;

namespace EdgeOS.Samples.Click.Tenants;

/// <summary>How the multi-tenant host picks a frame's tenant.</summary>
internal enum TenantSteering
{
    /// <summary>By IPv4 UDP/TCP destination port: tenant i gets port <c>PortBase + i</c>.</summary>
    DestinationPort,

    /// <summary>By a hash of the IPv4 UDP/TCP 5-tuple, spread over all tenants (a flow stays with one tenant).</summary>
    FlowHash,
}

/// <summary>What <see cref="TenantHost.Create"/> needs besides the configuration.</summary>
internal sealed record TenantHostOptions
{
    /// <summary>The most tenants (<see cref="PacketSteeringOptions.ConsumersMax"/>).</summary>
    public const int TenantsMax = PacketSteeringOptions.ConsumersMax;

    /// <summary>Number of tenants (1 to <see cref="TenantsMax"/>).</summary>
    public int Tenants { get; init; } = 1;

    /// <summary>How frames are steered to tenants.</summary>
    public TenantSteering Steering { get; init; } = TenantSteering.DestinationPort;

    /// <summary>Tenant i's destination port is <c>PortBase + i</c> (port steering). Default 10000.</summary>
    public int PortBase { get; init; } = 10000;

    /// <summary>FWP runtime workers; 0 = the host's own thread runs the tenants after each steered batch.</summary>
    public int Workers { get; init; }

    /// <summary>Largest <see cref="FlushFrames"/>.</summary>
    public const int FlushFramesMax = 1 << 20;

    /// <summary>
    /// Frames steered between two flushes at most (1 to <see cref="FlushFramesMax"/>; default 4096): the host posts
    /// every pending batch (and, without workers, runs the tenants) when the port is drained or after this many
    /// frames, whichever comes first, so a port that always has a full batch (overload, an endless replay) does not
    /// hold frames back until the tenants' inboxes fill. Smaller values cut latency; larger ones make bigger batches.
    /// </summary>
    public int FlushFrames { get; init; } = 4096;

    /// <summary>How often a faulted tenant restarts from the template (0: a fault ends it).</summary>
    public int RestartsMax { get; init; }

    /// <summary>
    /// The host's device when tenants receive from a live interface (<c>--device</c>): tenants' ToDevice elements
    /// naming it transmit through it. Null when replaying a pcap.
    /// </summary>
    public TenantEgress? Egress { get; init; }

    /// <summary>Where elements print (shared by every tenant, synchronized).</summary>
    public TextWriter Chatter { get; init; } = Console.Error;
}

/// <summary>One tenant: its FWP and, once its FWP has handled a batch, its own router.</summary>
internal sealed class ClickTenant
{
    public ClickTenant(int index, FwpTenant fwpTenant, FwpHandle fwp)
    {
        Index = index;
        FwpTenant = fwpTenant;
        Fwp = fwp;
    }

    public int Index { get; }

    public FwpTenant FwpTenant { get; }

    public FwpHandle Fwp { get; }

    /// <summary>The tenant's router (built by its FWP on its first batch), or null while it has had no traffic.</summary>
    public Router? Router { get; private set; }

    /// <summary>The tenant's FromSteering.</summary>
    public FromSteering? Entry { get; private set; }

    /// <summary>Frames the host handed to the tenant's FWP.</summary>
    public long PostedFrames { get; private set; }

    /// <summary>Frames the host could not hand over: the tenant's FWP had ended (a fault), or the frame was too long.</summary>
    public long DroppedFrames { get; private set; }

    /// <summary>The exception that ended the tenant's FWP, if any.</summary>
    public Exception? Fault { get; internal set; }

    internal void AttachRouter(Router router)
    {
        // A restarted tenant replaces its router: the old router's transmit queues go once the host has sent what
        // they hold (frames its ToDevice accepted before the fault still leave), so restarts do not pile them up.
        if (Router is Router old)
        {
            foreach (Elements.ToDevice td in old.Elements.OfType<Elements.ToDevice>())
            {
                td.RetireTenantQueue();
            }
        }

        Router = router;
        Entry = router.Elements.OfType<FromSteering>().Single();
    }

    internal void CountDropped(long frames) => DroppedFrames += frames;

    /// <summary>
    /// Posts <paramref name="message"/> (a batch of <paramref name="frames"/> frames, header included);
    /// <paramref name="waitForRoom"/> runs when the inbox is full. Returns false when the FWP has ended.
    /// </summary>
    internal bool Post(ReadOnlySpan<byte> message, int frames, Action waitForRoom)
    {
        while (true)
        {
            FwpPostStatus status = Fwp.TryPost(message);
            if (status == FwpPostStatus.Posted)
            {
                PostedFrames += frames;
                return true;
            }

            if (status != FwpPostStatus.InboxFull)
            {
                DroppedFrames += frames;
                return false;
            }

            waitForRoom();
        }
    }
}

/// <summary>What the template grants every tenant's FWP: the template router and the tenant records.</summary>
internal sealed class TenantSet(Router template, Func<Master> newMaster)
{
    private ClickTenant[] _tenants = [];

    /// <summary>The initialized router every tenant's router is copied from; never run, never written.</summary>
    public Router Template { get; } = template;

    internal void SetTenants(ClickTenant[] tenants) => _tenants = tenants;

    /// <summary>Tenant <paramref name="index"/>, or null.</summary>
    public ClickTenant? Find(int index) => (uint)index < (uint)_tenants.Length ? _tenants[index] : null;

    /// <summary>A new tenant router from the template.</summary>
    public Router BuildRouter() => Router.CloneForTenant(Template, newMaster());
}

/// <summary>
/// The multi-tenant Click host (<c>click --tenants N</c>): one configuration parsed, checked, configured and
/// initialized once into a template router; N tenants, each an FWP of one <see cref="FwpTemplate"/> of
/// <see cref="ClickTenantProgram"/>, each building its own router from the template on its first traffic; frames
/// received on a <see cref="PacketPort"/> steered to tenants by <see cref="PacketSteering"/> (destination port or
/// 5-tuple hash) and posted to the tenants' FWPs in batches.
/// </summary>
internal sealed class TenantHost : IDisposable
{
    /// <summary>Each tenant FWP's inbox ring: 32 KiB, so a message (a batch of frames) may be up to 4 KiB - 8.</summary>
    public const int InboxSizeBytes = 32 * 1024;

    /// <summary>The largest message (a batch of frames) a tenant's inbox takes.</summary>
    public const int MessageBytesMax = (InboxSizeBytes / 8) - 8;

    /// <summary>The longest frame a tenant can receive (one frame alone in a message).</summary>
    public const int FrameBytesMax = MessageBytesMax - ClickTenantProgram.HeaderBytes - ClickTenantProgram.FrameHeaderBytes;

    private readonly TenantHostOptions _options;
    private readonly FwpRuntime _runtime;
    private readonly FwpTemplate _template;
    private readonly ClickTenant[] _tenants;
    private readonly Action _waitForRoom;
    private PacketSteering? _steering;
    private long _unmatchedBefore;
    private int _sinceFlush;
    private bool _postedSinceRun;

    // The tenants' pending batches, dense for the per-frame path: tenant i's message (header, then per frame its
    // length and bytes) is built at _batchMemory[i * MessageBytesMax ..], its fill state in _batches[i].
    private readonly byte[] _batchMemory;
    private readonly BatchState[] _batches;
    private bool _disposed;

    private TenantHost(TenantHostOptions options, TenantSet set)
    {
        _options = options;
        Set = set;
        var ended = new Dictionary<long, ClickTenant>();
        _runtime = new FwpRuntime(new FwpRuntimeOptions
        {
            WorkerCount = options.Workers,
            Name = "click",
            OnEnded = e =>
            {
                if (e.Exception is not null)
                {
                    lock (ended)
                    {
                        if (ended.TryGetValue(e.Id, out ClickTenant? t))
                        {
                            t.Fault = e.Exception;
                        }
                    }
                }
            },
        });
        _template = FwpTemplate.Create<ClickTenantProgram>(
            new FwpTemplateOptions
            {
                Name = "click-tenant",
                StateSizeBytes = 4096,
                InboxSizeBytes = InboxSizeBytes,
                RestartsMax = options.RestartsMax,
                PoolSizeMax = options.Tenants,
            },
            set);
        _tenants = new ClickTenant[options.Tenants];
        _batchMemory = new byte[options.Tenants * MessageBytesMax];
        _batches = new BatchState[options.Tenants];
        for (int i = 0; i < _batches.Length; i++)
        {
            _batches[i].Length = ClickTenantProgram.HeaderBytes;
            BinaryPrimitives.WriteInt32LittleEndian(_batchMemory.AsSpan(i * MessageBytesMax), i);
        }

        for (int i = 0; i < _tenants.Length; i++)
        {
            FwpTenant fwpTenant = _runtime.CreateTenant($"tenant-{i}");
            FwpHandle fwp = _runtime.Spawn(_template, fwpTenant);
            _tenants[i] = new ClickTenant(i, fwpTenant, fwp);
            lock (ended)
            {
                ended[fwp.Id] = _tenants[i];
            }
        }

        set.SetTenants(_tenants);
        _waitForRoom = _runtime.IsManual ? () => _runtime.RunUntilIdle() : () => Thread.Yield();
        _runtime.Start();
    }

    /// <summary>The template router and tenant records.</summary>
    public TenantSet Set { get; }

    /// <summary>The tenants, by index.</summary>
    public IReadOnlyList<ClickTenant> Tenants => _tenants;

    /// <summary>The FWP runtime the tenants run on.</summary>
    public FwpRuntime Runtime => _runtime;

    /// <summary>Frames the steering could not give to any tenant (not IPv4 UDP/TCP, malformed, or no tenant's port).</summary>
    public long UnmatchedFrames => (_steering?.UnmatchedFrames ?? 0) + _unmatchedBefore;

    /// <summary>
    /// Builds the template router from <paramref name="graph"/> and spawns the tenants. Returns null after reporting
    /// Click-style messages to <paramref name="errors"/> when the configuration cannot run per tenant.
    /// </summary>
    public static TenantHost? Create(RouterGraph graph, string configurationText, ClickErrors errors, TenantHostOptions options)
    {
        if (options.Tenants < 1 || options.Tenants > TenantHostOptions.TenantsMax)
        {
            errors.Error(null, $"--tenants: expected 1 to {TenantHostOptions.TenantsMax}");
            return null;
        }

        if (options.FlushFrames < 1 || options.FlushFrames > TenantHostOptions.FlushFramesMax)
        {
            errors.Error(null, $"flush interval: expected 1 to {TenantHostOptions.FlushFramesMax} frames, not {options.FlushFrames}");
            return null;
        }

        if (options.Steering == TenantSteering.DestinationPort && (options.PortBase < 0 || options.PortBase + options.Tenants - 1 > 65535))
        {
            errors.Error(null, $"--port-base: tenants' ports {options.PortBase}..{options.PortBase + options.Tenants - 1} are outside 0..65535");
            return null;
        }

        TextWriter chatter = TextWriter.Synchronized(options.Chatter);
        Master NewMaster() => new() { Chatter = chatter, TenantMode = true, TenantEgress = options.Egress };
        Router? template = Router.Create(graph, errors, NewMaster());
        if (template is null)
        {
            return null;
        }

        template.ConfigurationText = configurationText;
        bool ok = true;
        foreach (Element e in template.Elements)
        {
            if (e.TenantRefusal is string why)
            {
                errors.Error(graph.Elements[e.Index].Landmark, $"'{e.Declaration}' {why}");
                ok = false;
            }
        }

        int entries = template.Elements.Count(e => e is FromSteering);
        if (entries != 1)
        {
            errors.Error(null, $"tenant mode needs exactly one FromSteering element (where steered packets enter a tenant's router), not {entries}");
            ok = false;
        }

        if (!ok)
        {
            template.Cleanup();
            return null;
        }

        var set = new TenantSet(template, NewMaster);
        return new TenantHost(options, set);
    }

    /// <summary>
    /// Steers frames received on <paramref name="port"/> from now on: one <see cref="SteeringConsumer"/> per tenant
    /// (shared frames: the host copies each into the tenant's batch and gives it back at once).
    /// </summary>
    public void Attach(PacketPort port)
    {
        if (_steering is not null)
        {
            _unmatchedBefore += _steering.UnmatchedFrames;
            _steering.Dispose();
        }

        var steering = new PacketSteering(port, new PacketSteeringOptions
        {
            Mode = _options.Steering == TenantSteering.FlowHash ? SteeringMode.FlowHash : SteeringMode.DestinationPort,
            BatchSize = PacketSteeringOptions.BatchSizeMax,
            Name = "click-tenants",
        });
        for (int i = 0; i < _tenants.Length; i++)
        {
            // Frames reach tenants through the inline sink (Poll), never through a consumer's ring: the smallest ring.
            SteeringConsumer consumer = steering.AddConsumer($"tenant-{i}", new SteeringConsumerOptions { SlotCount = 2 });
            if (_options.Steering == TenantSteering.DestinationPort)
            {
                steering.MapDestinationPorts(consumer, _options.PortBase + i, _options.PortBase + i);
            }
        }

        _steering = steering;
    }

    /// <summary>
    /// Receives one batch (up to 1024 frames) from the port and steers it into the tenants' pending batches (a batch
    /// that fills is posted at once). When the port had fewer frames than a full batch (it is drained), or
    /// <see cref="TenantHostOptions.FlushFrames"/> frames came since the last flush, every pending batch is posted
    /// and, without workers, the tenants run on this thread: batches grow with the load, as a NIC driver's polling
    /// does, up to that bound. Returns how many frames were received.
    /// </summary>
    public int Poll()
    {
        PacketSteering steering = _steering ?? throw new InvalidOperationException("no port attached");
        var sink = new TenantSteeringSink(this);
        int received = steering.Poll(ref sink);
        _sinceFlush += received;
        if (received < PacketSteeringOptions.BatchSizeMax || _sinceFlush >= _options.FlushFrames)
        {
            Flush();
        }
        else if (_postedSinceRun && _runtime.IsManual)
        {
            // Batches that filled during this poll were posted: their tenants run now, while the batches are still
            // in this core's cache, rather than at the next flush.
            _postedSinceRun = false;
            _runtime.RunUntilIdle();
        }

        return received;
    }

    /// <summary>Adds one frame to tenant <paramref name="index"/>'s batch without steering (tests); <see cref="Flush"/> posts it.</summary>
    public void Deliver(int index, ReadOnlySpan<byte> frame)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_tenants.Length, nameof(index));
        DeliverFrame(index, frame);
    }

    /// <summary>Posts every pending batch and, without workers, runs the tenants until idle.</summary>
    public void Flush()
    {
        _sinceFlush = 0;
        _postedSinceRun = false;
        for (int i = 0; i < _tenants.Length; i++)
        {
            if (_batches[i].Count != 0)
            {
                PostBatch(i);
            }
        }

        if (_runtime.IsManual)
        {
            _runtime.RunUntilIdle();
        }
    }

    internal void DeliverFrame(int index, ReadOnlySpan<byte> frame)
    {
        if (frame.Length > FrameBytesMax)
        {
            _tenants[index].CountDropped(1);
            return;
        }

        ref BatchState batch = ref _batches[index];
        int at = batch.Length;
        if (at + ClickTenantProgram.FrameHeaderBytes + frame.Length > MessageBytesMax)
        {
            PostBatch(index);
            _postedSinceRun = true;
            at = ClickTenantProgram.HeaderBytes;
        }

        Span<byte> to = _batchMemory.AsSpan((index * MessageBytesMax) + at, ClickTenantProgram.FrameHeaderBytes + frame.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(to, (ushort)frame.Length);
        frame.CopyTo(to[ClickTenantProgram.FrameHeaderBytes..]);
        batch.Length = at + to.Length;
        batch.Count++;
    }

    // Posts tenant index's pending batch (it has frames) and empties it.
    private void PostBatch(int index)
    {
        ref BatchState batch = ref _batches[index];
        Span<byte> message = _batchMemory.AsSpan(index * MessageBytesMax, batch.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(message[4..], (ushort)batch.Count);
        _tenants[index].Post(message, batch.Count, _waitForRoom);
        batch.Length = ClickTenantProgram.HeaderBytes;
        batch.Count = 0;
    }

    private struct BatchState
    {
        public int Length;
        public int Count;
    }

    /// <summary>Handles everything posted, then ends the tenants' FWPs (their routers stay readable).</summary>
    public void Stop()
    {
        Flush();
        _runtime.StopAsync().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Runs the tenants on a live device until <paramref name="cancellation"/> is cancelled (SIGINT, SIGTERM):
    /// attaches the steering to <paramref name="port"/>, then on this thread, the only one that calls the port,
    /// polls (steers received frames to the tenants' FWPs), transmits what the tenants' ToDevice elements queued
    /// (<see cref="Egress"/>), and when both found nothing sleeps in <paramref name="wait"/> for up to 100 ms, whether
    /// the tenants run on this thread or on FWP workers. <paramref name="wait"/> must also return when the egress's
    /// <see cref="TenantEgress.Doorbell"/> signals (the driver polls the port and a <see cref="ReceiveWakeup"/> the
    /// doorbell signals): before sleeping the host announces it (<see cref="EgressDoorbell.AnnounceSleep"/>), checks the
    /// tenants' queues once more and sleeps only if they are empty, so a frame a worker queues meanwhile either is seen
    /// by that check or wakes the wait (the ordering is documented on <see cref="EgressDoorbell"/>). A cancellation
    /// should also signal the doorbell (<see cref="EgressDoorbell.Wake"/>) so the run ends without waiting for the
    /// timeout. At the end the tenants handle everything posted, and what they queued is transmitted.
    /// </summary>
    public void RunDevice(PacketPort port, Func<int, bool> wait, CancellationToken cancellation)
    {
        const int SleepMilliseconds = 100;
        Attach(port);
        TenantEgress? egress = _options.Egress;
        while (!cancellation.IsCancellationRequested)
        {
            int received = Poll();
            int sent = egress?.Transmit(port) ?? 0;
            if (received != 0 || sent != 0)
            {
                continue;
            }

            if (egress is null)
            {
                wait(SleepMilliseconds);
                continue;
            }

            // Frames still queued with nothing sent: the device is busy; poll again rather than sleep on receive.
            egress.Doorbell.AnnounceSleep();
            if (egress.PendingFrames == 0 && !cancellation.IsCancellationRequested)
            {
                wait(SleepMilliseconds);
            }

            egress.Doorbell.EndSleep();
        }

        Stop();
        egress?.Transmit(port);
    }

    /// <summary>The host's device as tenants' ToDevice elements see it, or null (<see cref="TenantHostOptions.Egress"/>).</summary>
    public TenantEgress? Egress => _options.Egress;

    /// <summary>Frames steered to a tenant that the host could not hand over (the tenant had ended, or the frame was too long).</summary>
    public long DroppedFrames => _tenants.Sum(t => t.DroppedFrames);

    /// <summary>The router whose handlers answer for tenant <paramref name="index"/>: its own, or the template's while it has had no traffic (its state is still the template's).</summary>
    public Router RouterOf(int index) => _tenants[index].Router ?? Set.Template;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _runtime.Dispose();
        _steering?.Dispose();
        foreach (ClickTenant t in _tenants)
        {
            t.Router?.Cleanup();
        }

        _template.Dispose();
        Set.Template.Cleanup();
    }
}
