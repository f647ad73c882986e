using System.Globalization;
using System.Text;
using EdgeOS.Samples.Click.Language;

namespace EdgeOS.Samples.Click.Runtime;

/// <summary>
/// A running Click router built from a flat <see cref="RouterGraph"/>: element instances, connections checked
/// as Click checks them (port ranges, reuse, unused ports, push/pull), configured and initialized in Click's
/// order with Click's context messages, plus the handlers and the driver state (run count, master).
/// </summary>
internal sealed class Router
{
    private readonly List<Element> _elements = [];
    private readonly Dictionary<string, Element> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Element, HandlerTable> _handlers = [];
    private readonly List<(int From, int FromPort, int To, int ToPort, ClickLandmark Landmark)> _connections = [];
    private readonly List<IDriverStopHandler> _stopHandlers = [];

    private Router(RouterGraph graph, Master master)
    {
        Graph = graph;
        Master = master;
        Pool = new PacketPool();
    }

    /// <summary>The flat configuration this router was made from.</summary>
    public RouterGraph Graph { get; }

    /// <summary>The driver running this router.</summary>
    public Master Master { get; }

    /// <summary>Packets of this router.</summary>
    public PacketPool Pool { get; }

    /// <summary>Elements in configuration order.</summary>
    public IReadOnlyList<Element> Elements => _elements;

    /// <summary>The router's global handlers (<c>config</c>, <c>list</c>, ...).</summary>
    public HandlerTable GlobalHandlers { get; } = new();

    /// <summary>Names defined by AddressInfo elements.</summary>
    public AddressTable Addresses { get; } = new();

    /// <summary>Click's run count: the driver stops when it drops to 0 or below.</summary>
    public int RunCount { get; private set; } = 1;

    /// <summary>The flattened configuration text (global <c>flatconfig</c>), when the language provided it.</summary>
    public string? FlatConfiguration { get; set; }

    /// <summary>The configuration text as read (global <c>config</c>).</summary>
    public string ConfigurationText { get; set; } = string.Empty;

    /// <summary>Resources shared between elements of this router (a device opened by FromDevice and ToDevice).</summary>
    public Dictionary<string, IDisposable> SharedResources { get; } = new(StringComparer.Ordinal);

    /// <summary>Cleans up every element and releases shared resources (devices, files).</summary>
    public void Cleanup()
    {
        foreach (Element e in _elements)
        {
            e.Cleanup();
        }

        foreach (IDisposable d in SharedResources.Values)
        {
            d.Dispose();
        }

        SharedResources.Clear();
    }

    /// <summary>Elements that handle the driver's stop event (DriverManager, Script TYPE DRIVER).</summary>
    public IReadOnlyList<IDriverStopHandler> StopHandlers => _stopHandlers;

    /// <summary>Adds to the run count (saturating); at 0 or below the driver stops.</summary>
    public void AdjustRunCount(int delta) => RunCount = (int)Math.Clamp((long)RunCount + delta, int.MinValue / 2, int.MaxValue);

    /// <summary>Sets the run count.</summary>
    public void SetRunCount(int value) => RunCount = value;

    /// <summary>Registers an element that handles the stop event.</summary>
    public void AddStopHandler(IDriverStopHandler handler) => _stopHandlers.Add(handler);

    /// <summary>The element called <paramref name="name"/>, or null.</summary>
    public Element? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The handlers of <paramref name="element"/>.</summary>
    public HandlerTable HandlersOf(Element element) => _handlers[element];

    /// <summary>
    /// Builds and initializes a router. Returns null after reporting Click's messages (ending with
    /// <c>Router could not be initialized!</c>) when anything fails.
    /// </summary>
    public static Router? Create(RouterGraph graph, ClickErrors errors, Master master)
    {
        var router = new Router(graph, master);
        bool ok = router.Instantiate(errors) && router.Initialize(errors);
        if (!ok)
        {
            errors.Error(null, "Router could not be initialized!");
            foreach (Element e in router._elements)
            {
                e.Cleanup();
            }

            return null;
        }

        master.Attach(router);
        return router;
    }

    /// <summary>
    /// A tenant's router made from <paramref name="template"/>, an initialized router, without configuring or
    /// initializing anything again: every element is copied (<see cref="Element.CloneShallowForTenant"/>: its counters
    /// and indices copied, its configuration objects shared), connected like the template, given its own mutable
    /// objects (<see cref="Element.RebindForTenant"/>), its own packet pool, driver (<paramref name="master"/>) and
    /// handler tables. The template is read, never written.
    /// </summary>
    /// <exception cref="InvalidOperationException">An element cannot run per tenant (<see cref="Element.TenantRefusal"/>).</exception>
    public static Router CloneForTenant(Router template, Master master)
    {
        foreach (Element e in template._elements)
        {
            if (e.TenantRefusal is string why)
            {
                throw new InvalidOperationException($"'{e.Declaration}': {why}");
            }
        }

        var router = new Router(template.Graph, master)
        {
            RunCount = template.RunCount,
            FlatConfiguration = template.FlatConfiguration,
            ConfigurationText = template.ConfigurationText,
        };
        router.Addresses.CopyFrom(template.Addresses);
        var cloner = new TenantCloner(router);
        foreach (Element e in template._elements)
        {
            Element copy = e.CloneShallowForTenant(router);
            cloner.Add(e, copy);
            router._elements.Add(copy);
            router._byName[copy.Name] = copy;
        }

        router._connections.AddRange(template._connections);
        foreach (Element e in template._elements)
        {
            Element copy = cloner.Map(e);
            copy.Inputs = [.. e.Inputs.Select(p => new InputPort(copy, p.Port, cloner.Map(p.Peer), p.PeerPort, p.IsPull))];
            copy.Outputs = [.. e.Outputs.Select(p => new OutputPort(copy, p.Port, cloner.Map(p.Peer), p.PeerPort, p.IsPush))];
        }

        foreach (Element e in template._elements)
        {
            cloner.Map(e).RebindForTenant(cloner);
        }

        foreach (IDriverStopHandler h in template._stopHandlers)
        {
            router._stopHandlers.Add((IDriverStopHandler)cloner.Map((Element)h));
        }

        router.AddGlobalHandlers();
        foreach (Element copy in router._elements)
        {
            var table = new HandlerTable();
            router._handlers[copy] = table;
            router.AddDefaultHandlers(copy, table);
            copy.AddHandlers(table);
        }

        master.Attach(router);
        return router;
    }

    private bool Instantiate(ClickErrors errors)
    {
        bool ok = true;
        foreach (ElementDeclaration d in Graph.Elements)
        {
            Element? e = ElementRegistry.Create(d.ClassName);
            if (e is null)
            {
                errors.Error(d.Landmark, $"unknown element class '{d.ClassName}'");
                ok = false;
                e = new UnknownElement();
            }

            e.Name = d.Name;
            e.ClassName = d.ClassName;
            e.Landmark = d.Landmark.ToString();
            e.Configuration = d.Configuration;
            e.Router = this;
            e.Index = _elements.Count;
            _elements.Add(e);
            _byName[d.Name] = e;
        }

        foreach (string requirement in Graph.Requirements)
        {
            if (!ElementRegistry.IsProvided(requirement))
            {
                errors.Error(null, $"requirement '{requirement}' not available");
                ok = false;
            }
        }

        return ok;
    }

    private ClickLandmark LandmarkOf(Element e) => Graph.Elements[e.Index].Landmark;

    private bool Initialize(ClickErrors errors)
    {
        int before = errors.ErrorCount;
        int n = _elements.Count;

        // Bad element or port numbers (only possible for graphs built in code).
        foreach (ConnectionDeclaration c in Graph.Connections)
        {
            bool bad = false;
            if (c.FromElement < 0 || c.FromElement >= n)
            {
                errors.Error(null, $"bad element number '{c.FromElement}'");
                bad = true;
            }

            if (c.ToElement < 0 || c.ToElement >= n)
            {
                errors.Error(null, $"bad element number '{c.ToElement}'");
                bad = true;
            }

            if (c.FromPort < 0)
            {
                errors.Error(null, $"bad port number '{c.FromPort}'");
                bad = true;
            }

            if (c.ToPort < 0)
            {
                errors.Error(null, $"bad port number '{c.ToPort}'");
                bad = true;
            }

            if (!bad && !_connections.Exists(x => x.From == c.FromElement && x.FromPort == c.FromPort && x.To == c.ToElement && x.ToPort == c.ToPort))
            {
                _connections.Add((c.FromElement, c.FromPort, c.ToElement, c.ToPort, c.Landmark));
            }
        }

        if (errors.ErrorCount != before)
        {
            return false;
        }

        // Port counts from the port count codes and the ports the connections use.
        int[] nin = new int[n];
        int[] nout = new int[n];
        int[] usedIn = new int[n];
        int[] usedOut = new int[n];
        foreach (var c in _connections)
        {
            usedOut[c.From] = Math.Max(usedOut[c.From], c.FromPort + 1);
            usedIn[c.To] = Math.Max(usedIn[c.To], c.ToPort + 1);
        }

        bool portsOk = true;
        for (int i = 0; i < n; i++)
        {
            if (!PortCodes.TryResolveCounts(_elements[i].PortCount, usedIn[i], usedOut[i], out nin[i], out nout[i]))
            {
                errors.Error(LandmarkOf(_elements[i]), $"syntax error in port count code for '{_elements[i].ClassName}'");
                portsOk = false;
            }
        }

        for (int k = 0; k < _connections.Count; k++)
        {
            var c = _connections[k];
            bool bad = false;
            if (c.FromPort >= nout[c.From])
            {
                errors.Error(LandmarkOf(_elements[c.From]), $"'{_elements[c.From].Declaration}' has no output {c.FromPort}");
                bad = true;
            }

            if (c.ToPort >= nin[c.To])
            {
                errors.Error(LandmarkOf(_elements[c.To]), $"'{_elements[c.To].Declaration}' has no input {c.ToPort}");
                bad = true;
            }

            if (bad)
            {
                _connections.RemoveAt(k--);
                portsOk = false;
            }
        }

        int[][] inPers = [];
        int[][] outPers = [];
        bool allOk = portsOk && CheckPushAndPull(nin, nout, errors, out inPers, out outPers)
            && CheckCompleteness(nin, nout, inPers, outPers, errors);
        if (allOk)
        {
            Connect(nin, nout, inPers, outPers);
        }

        // Configure in configure-phase order, even when the connections had errors? Click configures only when
        // the connections were fine.
        if (!allOk)
        {
            return false;
        }

        int[] order = Enumerable.Range(0, n).OrderBy(i => _elements[i].ConfigurePhase).ToArray();
        var elementErrors = new ElementErrors();
        foreach (int i in order)
        {
            Element e = _elements[i];
            elementErrors.Clear();
            bool configured;
            try
            {
                configured = e.Configure(new Args(e.Configuration, elementErrors), elementErrors);
            }
            catch (ClickRuntimeException ex)
            {
                elementErrors.Error(ex.Message);
                configured = false;
            }

            Report(errors, e, "While configuring", elementErrors, configured);
            allOk &= configured && !elementErrors.HasErrors;
        }

        if (!allOk)
        {
            return false;
        }

        AddGlobalHandlers();
        foreach (Element e in _elements)
        {
            var table = new HandlerTable();
            _handlers[e] = table;
            AddDefaultHandlers(e, table);
            e.AddHandlers(table);
        }

        foreach (int i in order)
        {
            Element e = _elements[i];
            elementErrors.Clear();
            bool initialized;
            try
            {
                initialized = e.Initialize(elementErrors);
            }
            catch (ClickRuntimeException ex)
            {
                elementErrors.Error(ex.Message);
                initialized = false;
            }

            Report(errors, e, "While initializing", elementErrors, initialized);
            if (!initialized || elementErrors.HasErrors)
            {
                return false;
            }
        }

        return true;
    }

    private void Report(ClickErrors errors, Element e, string context, ElementErrors elementErrors, bool ok)
    {
        ClickLandmark at = LandmarkOf(e);
        if (elementErrors.HasErrors || !ok || elementErrors.Warnings.Count > 0)
        {
            errors.Message(at, $"{context} '{e.Declaration}':");
            foreach (string w in elementErrors.Warnings)
            {
                errors.Warning(at, "  " + w);
            }

            foreach (string m in elementErrors.Messages)
            {
                errors.Error(at, "  " + m);
            }

            if (!ok && !elementErrors.HasErrors)
            {
                errors.Error(at, "  unspecified error");
            }
        }
    }

    private bool CheckPushAndPull(int[] nin, int[] nout, ClickErrors errors, out int[][] inPers, out int[][] outPers)
    {
        int n = _elements.Count;
        inPers = new int[n][];
        outPers = new int[n][];
        for (int i = 0; i < n; i++)
        {
            string code = _elements[i].Processing;
            inPers[i] = new int[nin[i]];
            outPers[i] = new int[nout[i]];
            for (int p = 0; p < nin[i]; p++)
            {
                inPers[i][p] = PortCodes.ProcessingOf(code, false, p);
            }

            for (int p = 0; p < nout[i]; p++)
            {
                outPers[i][p] = PortCodes.ProcessingOf(code, true, p);
            }
        }

        // Agnostic inputs are tied to the agnostic outputs their flow code reaches by fake connections.
        var links = new List<(int From, int FromPort, int To, int ToPort, bool Fake)>();
        foreach (var c in _connections)
        {
            links.Add((c.From, c.FromPort, c.To, c.ToPort, false));
        }

        for (int i = 0; i < n; i++)
        {
            for (int p = 0; p < nin[i]; p++)
            {
                if (inPers[i][p] != PortCodes.Agnostic)
                {
                    continue;
                }

                for (int o = 0; o < nout[i]; o++)
                {
                    if (outPers[i][o] == PortCodes.Agnostic && PortCodes.Flows(_elements[i].FlowCode, p, o))
                    {
                        links.Add((i, o, i, p, true));
                    }
                }
            }
        }

        bool ok = true;
        bool[] dead = new bool[links.Count];
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int k = 0; k < links.Count; k++)
            {
                if (dead[k])
                {
                    continue;
                }

                var l = links[k];
                int pf = outPers[l.From][l.FromPort];
                int pt = inPers[l.To][l.ToPort];
                if (pt == PortCodes.Agnostic)
                {
                    if (pf != PortCodes.Agnostic)
                    {
                        inPers[l.To][l.ToPort] = pf;
                        changed = true;
                    }
                }
                else if (pf == PortCodes.Agnostic)
                {
                    outPers[l.From][l.FromPort] = pt;
                    changed = true;
                }
                else if (pf != pt)
                {
                    string type1 = pf == PortCodes.Push ? "push" : "pull";
                    string type2 = pf == PortCodes.Push ? "pull" : "push";
                    if (l.Fake)
                    {
                        errors.Error(null, $"agnostic '{_elements[l.From].Declaration}' in mixed context: {type2} input {l.ToPort}, {type1} output {l.FromPort}");
                    }
                    else
                    {
                        errors.Error(null, $"'{_elements[l.From].Declaration}' {type1} output {l.FromPort} connected to '{_elements[l.To].Declaration}' {type2} input {l.ToPort}");
                    }

                    dead[k] = true;
                    ok = false;
                }
            }
        }

        // Agnostic ports left unresolved are push.
        for (int i = 0; i < n; i++)
        {
            for (int p = 0; p < nin[i]; p++)
            {
                if (inPers[i][p] == PortCodes.Agnostic)
                {
                    inPers[i][p] = PortCodes.Push;
                }
            }

            for (int p = 0; p < nout[i]; p++)
            {
                if (outPers[i][p] == PortCodes.Agnostic)
                {
                    outPers[i][p] = PortCodes.Push;
                }
            }
        }

        return ok;
    }

    private bool CheckCompleteness(int[] nin, int[] nout, int[][] inPers, int[][] outPers, ClickErrors errors)
    {
        int n = _elements.Count;
        var usedOut = new bool[n][];
        var usedIn = new bool[n][];
        for (int i = 0; i < n; i++)
        {
            usedOut[i] = new bool[nout[i]];
            usedIn[i] = new bool[nin[i]];
        }

        bool ok = true;
        for (int k = 0; k < _connections.Count; k++)
        {
            var c = _connections[k];
            bool bad = false;
            if (usedOut[c.From][c.FromPort] && outPers[c.From][c.FromPort] == PortCodes.Push)
            {
                errors.Error(LandmarkOf(_elements[c.From]), $"illegal reuse of '{_elements[c.From].Declaration}' push output {c.FromPort}");
                bad = true;
            }
            else if (usedIn[c.To][c.ToPort] && inPers[c.To][c.ToPort] == PortCodes.Pull)
            {
                errors.Error(LandmarkOf(_elements[c.To]), $"illegal reuse of '{_elements[c.To].Declaration}' pull input {c.ToPort}");
                bad = true;
            }

            if (bad)
            {
                _connections.RemoveAt(k--);
                ok = false;
            }
            else
            {
                usedOut[c.From][c.FromPort] = true;
                usedIn[c.To][c.ToPort] = true;
            }
        }

        for (int i = 0; i < n; i++)
        {
            for (int p = 0; p < nin[i]; p++)
            {
                if (!usedIn[i][p])
                {
                    errors.Error(LandmarkOf(_elements[i]), $"'{_elements[i].Declaration}' input {p} unused");
                    ok = false;
                }
            }
        }

        for (int i = 0; i < n; i++)
        {
            for (int p = 0; p < nout[i]; p++)
            {
                if (!usedOut[i][p])
                {
                    errors.Error(LandmarkOf(_elements[i]), $"'{_elements[i].Declaration}' output {p} unused");
                    ok = false;
                }
            }
        }

        return ok;
    }

    private void Connect(int[] nin, int[] nout, int[][] inPers, int[][] outPers)
    {
        int n = _elements.Count;
        var outputs = new OutputPort?[n][];
        var inputs = new InputPort?[n][];
        for (int i = 0; i < n; i++)
        {
            outputs[i] = new OutputPort?[nout[i]];
            inputs[i] = new InputPort?[nin[i]];
        }

        foreach (var c in _connections)
        {
            Element from = _elements[c.From];
            Element to = _elements[c.To];
            outputs[c.From][c.FromPort] ??= new OutputPort(from, c.FromPort, to, c.ToPort, outPers[c.From][c.FromPort] == PortCodes.Push);
            inputs[c.To][c.ToPort] ??= new InputPort(to, c.ToPort, from, c.FromPort, inPers[c.To][c.ToPort] == PortCodes.Pull);
        }

        for (int i = 0; i < n; i++)
        {
            _elements[i].Outputs = [.. outputs[i].Select(o => o!)];
            _elements[i].Inputs = [.. inputs[i].Select(o => o!)];
        }
    }

    private void AddDefaultHandlers(Element e, HandlerTable table)
    {
        table.AddRead("name", () => e.Name + "\n");
        table.AddRead("class", () => e.ClassName + "\n");
        table.AddRead("config", () => e.Configuration + "\n");
        table.AddRead("ports", () => Ports(e));
        table.AddRead("handlers", () =>
        {
            var sb = new StringBuilder();
            foreach (Handler h in table.All)
            {
                sb.Append(h.Name).Append('\t').Append(h.Mode).Append('\n');
            }

            return sb.ToString();
        });
    }

    private static string Ports(Element e)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{e.NInputs} input{(e.NInputs == 1 ? string.Empty : "s")}\n");
        foreach (InputPort p in e.Inputs)
        {
            sb.Append(p.IsPull ? "pull" : "push").Append(CultureInfo.InvariantCulture, $"\t{p.Peer.Name}[{p.PeerPort}]\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"{e.NOutputs} output{(e.NOutputs == 1 ? string.Empty : "s")}\n");
        foreach (OutputPort p in e.Outputs)
        {
            sb.Append(p.IsPush ? "push" : "pull").Append(CultureInfo.InvariantCulture, $"\t[{p.PeerPort}]{p.Peer.Name}\n");
        }

        return sb.ToString();
    }

    private void AddGlobalHandlers()
    {
        GlobalHandlers.AddRead("version", () => "2.1\n");
        GlobalHandlers.AddRead("config", () => ConfigurationText.EndsWith('\n') || ConfigurationText.Length == 0 ? ConfigurationText : ConfigurationText + "\n");
        GlobalHandlers.AddRead("flatconfig", () => FlatConfiguration ?? ClickLanguage.Flatten(Graph));
        GlobalHandlers.AddRead("list", () =>
        {
            var sb = new StringBuilder();
            sb.Append(_elements.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
            foreach (Element e in _elements)
            {
                sb.Append(e.Name).Append('\n');
            }

            return sb.ToString();
        });
        GlobalHandlers.AddRead("classes", () => string.Concat(ElementRegistry.ClassNames.Order(StringComparer.Ordinal).Select(c => c + "\n")));
        GlobalHandlers.AddRead("requirements", () => string.Concat(Graph.Requirements.Select(r => r + "\n")));
        GlobalHandlers.AddRead("packages", () => string.Empty);
        GlobalHandlers.AddWrite("stop", (_, _) =>
        {
            AdjustRunCount(-1);
            return true;
        });
    }

    /// <summary>
    /// Reads handler <paramref name="element"/>.<paramref name="handler"/> (a null element for global handlers) without a
    /// parameter, as Click's <c>Handler::call_read(e)</c>: a handler that takes a parameter gets an empty one, and if it
    /// refuses that, the result is empty (Click passes no error handler there, so the message goes nowhere).
    /// </summary>
    public string CallRead(Element? element, string handler)
    {
        HandlerTable table = element is null ? GlobalHandlers : _handlers[element];
        Handler? h = table.Find(handler);
        if (h is null || !h.IsReadable)
        {
            throw new ClickRuntimeException(h is null
                ? $"no handler '{(element is null ? handler : element.Name + "." + handler)}'"
                : $"'{(element is null ? handler : element.Name + "." + handler)}' is a write handler");
        }

        return h.CallRead(string.Empty, new ElementErrors(), HandlerName(element, handler)) ?? string.Empty;
    }

    /// <summary>
    /// Reads handler <paramref name="element"/>.<paramref name="handler"/> with <paramref name="parameter"/> (empty for
    /// none), as Click's HandlerCall does: <c>no 'NAME' read handler</c> when there is no readable handler of that name,
    /// <c>read handler 'NAME' does not take parameters</c> when a parameter goes to a handler without one, and whatever
    /// the handler itself reports. Returns null after reporting to <paramref name="errors"/>.
    /// </summary>
    public string? CallRead(Element? element, string handler, string parameter, ElementErrors errors)
    {
        HandlerTable table = element is null ? GlobalHandlers : _handlers[element];
        Handler? h = table.Find(handler);
        string name = HandlerName(element, handler);
        if (h is null || !h.IsReadable)
        {
            errors.Error($"no '{name}' read handler");
            return null;
        }

        return h.CallRead(parameter, errors, name);
    }

    /// <summary>Click's <c>Handler::unparse_name</c>: <c>element.handler</c>, or the bare name of a global handler.</summary>
    public static string HandlerName(Element? element, string handler) => element is null ? handler : element.Name + "." + handler;

    /// <summary>Writes handler <paramref name="element"/>.<paramref name="handler"/>.</summary>
    public bool CallWrite(Element? element, string handler, string value, ElementErrors errors)
    {
        HandlerTable table = element is null ? GlobalHandlers : _handlers[element];
        Handler? h = table.Find(handler);
        if (h?.Write is null)
        {
            return errors.Error(h is null
                ? $"no handler '{(element is null ? handler : element.Name + "." + handler)}'"
                : $"'{(element is null ? handler : element.Name + "." + handler)}' is a read handler");
        }

        return h.Write(value, errors);
    }

    /// <summary>Splits <c>ELEMENT.HANDLER</c> (the last dot separates) and finds the element; null element = global handler.</summary>
    public bool TryResolveHandler(string text, Element? context, out Element? element, out string handler, out string error)
    {
        error = string.Empty;
        element = null;
        int dot = text.LastIndexOf('.');
        if (dot == 0 && text.IndexOf('.', 1) < 0)
        {
            // A leading dot names the router's own handler even when the context element has one of that name.
            text = text[1..];
            dot = -1;
        }
        else if (dot < 0 && context is not null && _handlers.TryGetValue(context, out HandlerTable? local) && local.Find(text) is not null)
        {
            // Click's local handler reference: a bare name is the calling element's own handler when it has one
            // (Script's "$(add 1 2)" is its own add handler), otherwise the router's.
            element = context;
            handler = text;
            return true;
        }

        if (dot < 0)
        {
            handler = text;
            if (GlobalHandlers.Find(text) is null)
            {
                error = $"no global handler named '{text}'";
                return false;
            }

            return true;
        }

        string name = text[..dot];
        handler = text[(dot + 1)..];
        element = FindRelative(name, context);
        if (element is null)
        {
            error = $"no element named '{name}'";
            return false;
        }

        if (_handlers[element].Find(handler) is null)
        {
            error = $"no handler named '{name}.{handler}'";
            return false;
        }

        return true;
    }

    /// <summary>Click's find with compound context: <c>a/b/x</c> looks for <c>a/b/name</c>, then <c>a/name</c>, then <c>name</c>.</summary>
    public Element? FindRelative(string name, Element? context)
    {
        string prefix = context is null ? string.Empty : context.Name;
        while (true)
        {
            int slash = prefix.LastIndexOf('/');
            prefix = slash < 0 ? string.Empty : prefix[..slash];
            string candidate = prefix.Length == 0 ? name : prefix + "/" + name;
            if (_byName.TryGetValue(candidate, out Element? e))
            {
                return e;
            }

            if (prefix.Length == 0)
            {
                return null;
            }
        }
    }
}

/// <summary>An element that manages the driver's stop event (Click's DriverManager and Script TYPE DRIVER).</summary>
internal interface IDriverStopHandler
{
    /// <summary>Called when the run count dropped to 0 or below; may raise it again to continue running.</summary>
    void HandleStop();
}

/// <summary>Stands in for an unknown class so that every error is reported before giving up.</summary>
internal sealed class UnknownElement : Element
{
    public override string PortCount => "-/-";
}

/// <summary>Names for addresses (AddressInfo): IPv4 addresses, prefixes and Ethernet addresses.</summary>
internal sealed class AddressTable
{
    private readonly Dictionary<string, uint> _ip = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (uint Address, uint Mask)> _prefix = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _ether = new(StringComparer.Ordinal);

    public void AddIP(string name, uint address) => _ip[name] = address;

    public void AddPrefix(string name, uint address, uint mask) => _prefix[name] = (address, mask);

    public void AddEthernet(string name, ulong address) => _ether[name] = address;

    /// <summary>Copies every name of <paramref name="other"/> (a tenant's router starts with its template's names).</summary>
    public void CopyFrom(AddressTable other)
    {
        foreach (var kv in other._ip)
        {
            _ip[kv.Key] = kv.Value;
        }

        foreach (var kv in other._prefix)
        {
            _prefix[kv.Key] = kv.Value;
        }

        foreach (var kv in other._ether)
        {
            _ether[kv.Key] = kv.Value;
        }
    }

    /// <summary>An IP address, literal or named (a name <c>x</c> also answers <c>x:ip</c>).</summary>
    public bool TryIP(string text, out uint value)
    {
        string t = ClickConfigText.Unquote(text.Trim());
        if (ClickValues.TryParseIPAddress(t, out value))
        {
            return true;
        }

        if (t.EndsWith(":ip", StringComparison.Ordinal))
        {
            t = t[..^3];
        }

        return _ip.TryGetValue(t, out value);
    }

    /// <summary>An IP prefix, literal or named (<c>x:net</c> names the prefix of a name).</summary>
    public bool TryPrefix(string text, out uint address, out uint mask)
    {
        string t = ClickConfigText.Unquote(text.Trim());
        if (ClickValues.TryParseIPPrefix(t, out address, out mask))
        {
            return true;
        }

        string key = t.EndsWith(":net", StringComparison.Ordinal) ? t[..^4] : t;
        if (_prefix.TryGetValue(key, out var p))
        {
            (address, mask) = p;
            return true;
        }

        if (_ip.TryGetValue(key, out address))
        {
            mask = uint.MaxValue;
            return true;
        }

        return false;
    }

    /// <summary>An Ethernet address, literal or named (<c>x:eth</c>).</summary>
    public bool TryEthernet(string text, out ulong value)
    {
        string t = ClickConfigText.Unquote(text.Trim());
        if (ClickValues.TryParseEthernetAddress(t, out value))
        {
            return true;
        }

        if (t.EndsWith(":eth", StringComparison.Ordinal))
        {
            t = t[..^4];
        }

        return _ether.TryGetValue(t, out value);
    }

    public ArgParser<uint> IP => (string text, out uint v, out string expected) =>
    {
        expected = "IP address";
        return TryIP(text, out v);
    };

    public ArgParser<ulong> Ethernet => (string text, out ulong v, out string expected) =>
    {
        expected = "Ethernet address";
        return TryEthernet(text, out v);
    };

    public ArgParser<(uint Address, uint Mask)> Prefix => (string text, out (uint Address, uint Mask) v, out string expected) =>
    {
        expected = "IP address prefix";
        bool ok = TryPrefix(text, out uint a, out uint m);
        v = (a, m);
        return ok;
    };
}
