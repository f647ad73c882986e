using System.Runtime.CompilerServices;

namespace EdgeOS.Samples.Click.Runtime;

/// <summary>
/// Base of every element class. Subclasses say their port counts, processing and flow codes as Click does
/// (<c>"1/1-2"</c>, <c>"h/h"</c>, <c>"a/ah"</c>, <c>"x/x"</c>), parse their configuration in
/// <see cref="Configure"/>, and move packets with <see cref="Push"/> / <see cref="Pull"/> or
/// <see cref="SimpleAction"/>. Elements are sealed so that a push is one direct virtual call.
/// </summary>
internal abstract class Element
{
    private static readonly OutputPort[] s_noOutputs = [];
    private OutputPort[] _outputs = s_noOutputs;
    private Element? _output0Peer;
    private int _output0PeerPort;
    private static readonly InputPort[] s_noInputs = [];

    /// <summary>Click's push processing code.</summary>
    public const string PushCode = "h/h";

    /// <summary>Click's pull processing code.</summary>
    public const string PullCode = "l/l";

    /// <summary>Click's agnostic processing code.</summary>
    public const string AgnosticCode = "a/a";

    /// <summary>The element's name in the router.</summary>
    public string Name { get; internal set; } = string.Empty;

    /// <summary>The element class name as written in the configuration.</summary>
    public string ClassName { get; internal set; } = string.Empty;

    /// <summary>Where the element was declared (<c>file:line</c>), or empty.</summary>
    public string Landmark { get; internal set; } = string.Empty;

    /// <summary>The configuration string (the <c>config</c> handler).</summary>
    public string Configuration { get; internal set; } = string.Empty;

    /// <summary>The router, set before configuration.</summary>
    public Router Router { get; internal set; } = null!;

    /// <summary>Index in the router.</summary>
    public int Index { get; internal set; }

    /// <summary>Click's port count code.</summary>
    public virtual string PortCount => "0/0";

    /// <summary>Click's processing code.</summary>
    public virtual string Processing => AgnosticCode;

    /// <summary>Click's flow code (which inputs reach which outputs).</summary>
    public virtual string FlowCode => "x/x";

    /// <summary>Configure phase: lower configures first (information elements before their users).</summary>
    public virtual int ConfigurePhase => ConfigurePhaseDefault;

    /// <summary>Click's CONFIGURE_PHASE_INFO.</summary>
    public const int ConfigurePhaseInfo = 20;

    /// <summary>Click's CONFIGURE_PHASE_DEFAULT.</summary>
    public const int ConfigurePhaseDefault = 100;

    /// <summary>Input ports after initialization.</summary>
    internal InputPort[] Inputs { get; set; } = s_noInputs;

    /// <summary>Output ports after initialization (always assigned as a whole array, which also sets what <see cref="PushOutput0"/> uses).</summary>
    internal OutputPort[] Outputs
    {
        get => _outputs;
        set
        {
            _outputs = value;
            _output0Peer = value.Length > 0 ? value[0].Peer : null;
            _output0PeerPort = value.Length > 0 ? value[0].PeerPort : 0;
        }
    }

    /// <summary>
    /// Pushes <paramref name="p"/> out of output 0, as <c>Outputs[0].Push(p)</c> does, with the peer kept in this
    /// element: no load of the ports array and the port object per packet (and two lines fewer to bring into the cache
    /// when a tenant's router runs again after other tenants'). The element must have an output 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected internal void PushOutput0(Packet p) => _output0Peer!.Push(_output0PeerPort, p);

    /// <summary>Number of inputs.</summary>
    public int NInputs => Inputs.Length;

    /// <summary>Number of outputs.</summary>
    public int NOutputs => Outputs.Length;

    /// <summary>Click's <c>name :: Class</c> as used in messages.</summary>
    public string Declaration => Name + " :: " + ClassName;

    /// <summary>Output port <paramref name="i"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public OutputPort Output(int i) => Outputs[i];

    /// <summary>Input port <paramref name="i"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public InputPort Input(int i) => Inputs[i];

    /// <summary>Pushes to output <paramref name="i"/> when it exists, otherwise kills the packet (Click's checked_output_push).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CheckedOutputPush(int i, Packet p)
    {
        OutputPort[] outputs = Outputs;
        if ((uint)i < (uint)outputs.Length)
        {
            outputs[i].Push(p);
        }
        else
        {
            p.Kill();
        }
    }

    /// <summary>Parses the configuration arguments; report problems to <paramref name="errors"/> and return false.</summary>
    public virtual bool Configure(Args args, ElementErrors errors)
    {
        args.Complete();
        return !errors.HasErrors;
    }

    /// <summary>Initializes after every element is configured and connected.</summary>
    public virtual bool Initialize(ElementErrors errors) => true;

    /// <summary>Registers element handlers.</summary>
    public virtual void AddHandlers(HandlerTable handlers)
    {
    }

    /// <summary>Releases resources when the router stops.</summary>
    public virtual void Cleanup()
    {
    }

    /// <summary>Receives a pushed packet on input <paramref name="port"/>; by default applies <see cref="SimpleAction"/> and pushes to output 0.</summary>
    public virtual void Push(int port, Packet p)
    {
        Packet? q = SimpleAction(p);
        if (q is not null)
        {
            PushOutput0(q);
        }
    }

    /// <summary>Answers a pull on output <paramref name="port"/>; by default pulls input 0 and applies <see cref="SimpleAction"/>.</summary>
    public virtual Packet? Pull(int port)
    {
        Packet? p = Inputs[0].Pull();
        return p is null ? null : SimpleAction(p);
    }

    /// <summary>The per-packet action of a one-in, one-out element; null when the packet was consumed.</summary>
    public virtual Packet? SimpleAction(Packet p) => p;

    /// <summary>Runs the element's task; returns whether it did useful work.</summary>
    public virtual bool RunTask(ClickTask task) => false;

    /// <summary>Runs when one of the element's timers fires.</summary>
    public virtual void RunTimer(ClickTimer timer)
    {
    }

    /// <summary>
    /// Why this element cannot be instantiated per tenant (it owns an outside resource: a device, a file, the
    /// driver's stop decision), or null when it can (see <see cref="TenantCloner"/>).
    /// </summary>
    public virtual string? TenantRefusal => null;

    /// <summary>
    /// A shallow copy for one tenant's router: value-typed state (counters, indices, flags) is copied, references to
    /// configuration-time objects (compiled programs, lookup tables, parsed arguments) are shared. Ports are left to
    /// the cloner; <see cref="RebindForTenant"/> then replaces whatever mutable object state the element keeps.
    /// </summary>
    internal Element CloneShallowForTenant(Router router)
    {
        var e = (Element)MemberwiseClone();
        e.Router = router;
        e.Inputs = s_noInputs;
        e.Outputs = s_noOutputs;
        return e;
    }

    /// <summary>
    /// Called on a tenant's copy, after every element of the tenant's router exists and is connected: give the copy
    /// its own mutable objects (queue rings, tables, tasks and timers on the tenant's driver, scratch buffers) so that
    /// nothing it writes is shared with the template or another tenant. The default has none to replace.
    /// </summary>
    internal virtual void RebindForTenant(TenantCloner cloner)
    {
    }

    /// <summary>Click's "stop the driver" request (sources with STOP true).</summary>
    protected void PleaseStopDriver() => Router.AdjustRunCount(-1);
}

/// <summary>An output port: where pushes go, or (for a pull output) nothing to call.</summary>
internal sealed class OutputPort
{
    private readonly Element _peer;
    private readonly int _peerPort;

    public OutputPort(Element owner, int port, Element peer, int peerPort, bool isPush)
    {
        Owner = owner;
        Port = port;
        _peer = peer;
        _peerPort = peerPort;
        IsPush = isPush;
    }

    /// <summary>The element whose output this is.</summary>
    public Element Owner { get; }

    /// <summary>This port's number.</summary>
    public int Port { get; }

    /// <summary>Whether this is a push output.</summary>
    public bool IsPush { get; }

    /// <summary>The connected element.</summary>
    public Element Peer => _peer;

    /// <summary>The connected element's input port.</summary>
    public int PeerPort => _peerPort;

    /// <summary>Pushes <paramref name="p"/> downstream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(Packet p) => _peer.Push(_peerPort, p);
}

/// <summary>An input port: where pulls come from.</summary>
internal sealed class InputPort
{
    private readonly Element _peer;
    private readonly int _peerPort;

    public InputPort(Element owner, int port, Element peer, int peerPort, bool isPull)
    {
        Owner = owner;
        Port = port;
        _peer = peer;
        _peerPort = peerPort;
        IsPull = isPull;
    }

    /// <summary>The element whose input this is.</summary>
    public Element Owner { get; }

    /// <summary>This port's number.</summary>
    public int Port { get; }

    /// <summary>Whether this is a pull input.</summary>
    public bool IsPull { get; }

    /// <summary>The connected element.</summary>
    public Element Peer => _peer;

    /// <summary>The connected element's output port.</summary>
    public int PeerPort => _peerPort;

    /// <summary>Pulls a packet from upstream (null when none is ready).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Packet? Pull() => _peer.Pull(_peerPort);
}
