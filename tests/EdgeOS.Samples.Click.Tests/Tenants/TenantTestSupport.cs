using EdgeOS.Net;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using EdgeOS.Samples.Click.Tenants;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Tenants;

/// <summary>A multi-tenant host over an in-memory wire: frames sent on one end are steered from the other.</summary>
internal sealed class TestTenants : IDisposable
{
    private readonly MemoryPort _wire;
    private readonly MemoryPort _hostEnd;
    private readonly Frame[] _one = new Frame[1];
    private bool _stopped;

    private TestTenants(TenantHost host, MemoryPort wire, MemoryPort hostEnd, StringWriter chatter)
    {
        Host = host;
        _wire = wire;
        _hostEnd = hostEnd;
        Chatter = chatter;
    }

    public TenantHost Host { get; }

    public StringWriter Chatter { get; }

    /// <summary>The device name tenants' ToDevice elements transmit on when created with a device (the host end of the wire).</summary>
    public const string DeviceName = "wire0";

    public static TestTenants Create(string config, int tenants, TenantSteering steering = TenantSteering.DestinationPort, int workers = 0, int restarts = 0, bool device = false, Action? wake = null)
    {
        (MemoryPort wire, MemoryPort hostEnd) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 512 }, "click-tenants-test");
        var errors = new ClickErrors();
        RouterGraph? graph = ClickLanguage.Parse(config, "config", new Dictionary<string, string>(), ElementRegistry.IsPrimitiveClass, errors);
        Assert.True(graph is not null, string.Join("\n", errors.Messages));
        var chatter = new StringWriter { NewLine = "\n" };
        TenantHost? host = TenantHost.Create(graph!, config, errors, new TenantHostOptions
        {
            Tenants = tenants,
            Steering = steering,
            PortBase = 10000,
            Workers = workers,
            RestartsMax = restarts,
            Chatter = chatter,
            Egress = device ? new TenantEgress(DeviceName, hostEnd.FrameCapacityBytes, wake) : null,
        });
        Assert.True(host is not null, string.Join("\n", errors.Messages));
        host!.Attach(hostEnd);
        return new TestTenants(host, wire, hostEnd, chatter);
    }

    /// <summary>Errors a configuration gets from <see cref="TenantHost.Create"/>.</summary>
    public static IReadOnlyList<string> Refusal(string config, int tenants = 2)
    {
        var errors = new ClickErrors();
        RouterGraph? graph = ClickLanguage.Parse(config, "config", new Dictionary<string, string>(), ElementRegistry.IsPrimitiveClass, errors);
        Assert.NotNull(graph);
        using TenantHost? host = TenantHost.Create(graph!, config, errors, new TenantHostOptions { Tenants = tenants, Chatter = TextWriter.Null });
        Assert.Null(host);
        return errors.Messages;
    }

    /// <summary>The host's end of the wire (the device <see cref="TenantHost.RunDevice"/> runs on).</summary>
    public MemoryPort HostEnd => _hostEnd;

    /// <summary>Puts <paramref name="frame"/> on the wire without steering it (another thread runs the host).</summary>
    public void SendOnly(byte[] frame)
    {
        if (_wire.AllocateTransmit(_one) != 1)
        {
            throw new InvalidOperationException("the wire has no free frame");
        }

        frame.CopyTo(_wire.GetBuffer(_one[0]));
        _one[0] = _one[0].WithLength(frame.Length);
        _wire.Transmit(_one);
    }

    /// <summary>Sends <paramref name="frames"/> over the wire and steers them (in chunks the port's frames can hold).</summary>
    public void Send(IEnumerable<byte[]> frames)
    {
        int pending = 0;
        byte[][] all = frames as byte[][] ?? [.. frames]; // an array is walked without an enumerator (the allocation test)
        foreach (byte[] f in all)
        {
            if (_wire.AllocateTransmit(_one) != 1)
            {
                throw new InvalidOperationException("the wire has no free frame"); // not Assert.Equal: it allocates, and the allocation test sends
            }

            f.CopyTo(_wire.GetBuffer(_one[0]));
            _one[0] = _one[0].WithLength(f.Length);
            _wire.Transmit(_one);
            if (++pending == 128)
            {
                Drain();
                pending = 0;
            }
        }

        Drain();
    }

    private void Drain()
    {
        while (Host.Poll() > 0)
        {
        }
    }

    /// <summary>Transmits what the tenants' ToDevice elements queued (as the host's device thread does); returns how many frames went out.</summary>
    public int Transmit() => Host.Egress!.Transmit(_hostEnd);

    /// <summary>Receives what arrived at the wire's far end, calls <paramref name="each"/> on every frame (when given), releases them; returns how many.</summary>
    public int ReceiveOnWire(Action<ReadOnlySpan<byte>>? each = null)
    {
        int total = 0;
        int n;
        while ((n = _wire.Receive(_one)) > 0)
        {
            each?.Invoke(_wire.GetSpan(_one[0]));
            _wire.Release(_one[0]);
            total += n;
        }

        return total;
    }

    /// <summary>Tenant <paramref name="k"/>'s handler value (read after <see cref="Stop"/> when workers run).</summary>
    public string Read(int k, string elementDotHandler)
    {
        int dot = elementDotHandler.LastIndexOf('.');
        Router r = Host.RouterOf(k);
        return r.CallRead(r.Find(elementDotHandler[..dot]), elementDotHandler[(dot + 1)..]);
    }

    public string ReadTemplate(string elementDotHandler)
    {
        int dot = elementDotHandler.LastIndexOf('.');
        Router r = Host.Set.Template;
        return r.CallRead(r.Find(elementDotHandler[..dot]), elementDotHandler[(dot + 1)..]);
    }

    public void Stop()
    {
        if (!_stopped)
        {
            _stopped = true;
            Host.Stop();
        }
    }

    public void Dispose()
    {
        Stop();
        Host.Dispose();
        _wire.Dispose();
        _hostEnd.Dispose();
    }
}
