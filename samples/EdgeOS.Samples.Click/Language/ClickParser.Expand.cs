namespace EdgeOS.Samples.Click.Language;

internal sealed partial class ClickParser
{
    // ---- Connection tunnels ----

    // Creates the tunnel elements NAME, NAME/input and NAME/output and, at file level, pairs the tunnel
    // ends NAME(in) with NAME/input(out) and NAME/output(in) with NAME(out).
    private int[] AddTunnels(string name)
    {
        string[] names = [name, name + "/input", name + "/output", name];
        var ports = new Port[4];
        var indices = new int[3];
        bool ok = true;
        for (int i = 0; i < 3; i++)
        {
            indices[i] = GetElement(names[i], TunnelType);
            ports[i] = new Port(indices[i], 0);
            if (_c.Types[indices[i]] != TunnelType)
            {
                RedeclarationError("element", names[i], _file.Landmark, _c.ElementLandmark(indices[i]));
                ok = false;
            }
        }

        ports[3] = ports[0];
        if (ok && _c.Depth == 0)
        {
            var ends = new TunnelEnd[4];
            for (int i = 0; i < 4; i++)
            {
                ends[i] = FindTunnel(ports[i], i % 2 == 1, true)!;
                if (ends[i].Other is not null)
                {
                    RedeclarationError("connection tunnel", names[i], _file.Landmark, _c.ElementLandmark(ports[i].Index));
                    ok = false;
                }
            }

            if (ok)
            {
                ends[0].PairWith(ends[1]);
                ends[2].PairWith(ends[3]);
            }
        }

        return indices;
    }

    // Finds the tunnel end for a port. A tunnel declared for port 0 stands for every port: asking for
    // another port creates that port's end, paired with the matching port on the other side.
    private TunnelEnd? FindTunnel(Port port, bool isOutput, bool insert)
    {
        if (!_tunnels.TryGetValue(port.Index, out List<TunnelEnd>? list))
        {
            if (!insert)
            {
                return null;
            }

            list = [];
            _tunnels[port.Index] = list;
        }

        TunnelEnd? match = null;
        foreach (TunnelEnd te in list)
        {
            if (te.IsOutput == isOutput && te.Port.Number == port.Number)
            {
                return te;
            }

            if (te.IsOutput == isOutput && te.Port.Number == 0)
            {
                match = te;
            }
        }

        if (match is not null && !insert)
        {
            var te = new TunnelEnd(port, isOutput);
            list.Insert(0, te);
            if (match.Other is not null)
            {
                TunnelEnd other = FindTunnel(new Port(match.Other.Port.Index, port.Number), !isOutput, true)!;
                te.PairWith(other);
            }

            return te;
        }

        if (insert)
        {
            var te = new TunnelEnd(port, isOutput);
            list.Insert(0, te);
            return te;
        }

        return null;
    }

    private void ExpandConnection(Port end, bool isOutput, List<Port> into)
    {
        if (_c.Types[end.Index] != TunnelType)
        {
            into.Add(end);
        }
        else if (FindTunnel(end, isOutput, false) is { } te)
        {
            ExpandTunnel(te, into);
        }
        else if (FindTunnel(end, !isOutput, false) is not null)
        {
            _errors.Error(_c.ElementLandmark(end.Index), $"'{_c.Names[end.Index]}' used as {s_portNames[isOutput ? 1 : 0]}");
        }
    }

    private void ExpandTunnel(TunnelEnd te, List<Port> into)
    {
        if (te.Expanded == 1)
        {
            // A cycle of tunnels leads nowhere.
            return;
        }

        if (te.Expanded == 0)
        {
            te.Expanded = 1;
            List<Port> connections = te.Correspond;
            te.Correspond = [];
            if (connections.Count == 0 && te.Other is not null)
            {
                ReportUnusedTunnel(te);
            }

            foreach (Port p in connections)
            {
                ExpandConnection(p, te.IsOutput, te.Correspond);
            }

            te.Expanded = 2;
        }

        into.AddRange(te.Correspond);
    }

    private void ReportUnusedTunnel(TunnelEnd te)
    {
        TunnelEnd other = te.Other!;
        Port inside = te.IsOutput ? other.Port : te.Port;
        Port outside = te.IsOutput ? te.Port : other.Port;
        string inName = _c.Names[inside.Index];
        string outName = _c.Names[outside.Index];
        if (inName + "/input" == outName)
        {
            string message = te.IsOutput ? $"'{inName}' input {inside.Number} unused" : $"'{inName}' has no input {inside.Number}";
            _errors.Error(_c.ElementLandmark(inside.Index), message);
        }
        else if (inName == outName + "/output")
        {
            string message = te.IsOutput ? $"'{outName}' has no output {outside.Number}" : $"'{outName}' output {outside.Number} unused";
            _errors.Error(_c.ElementLandmark(outside.Index), message);
        }
        else
        {
            _errors.Error(_c.ElementLandmark(other.Port.Index), $"tunnel '{inName} -> {outName}' {s_portNames[te.IsOutput ? 1 : 0]} {te.Port.Index} unused");
        }
    }

    // ---- Compound expansion ----

    private Compound? OverloadOf(Compound c) =>
        c.OverloadType >= 0 && _types[c.OverloadType].Kind == TypeKind.Compound ? _types[c.OverloadType].Compound : null;

    // Chooses the overloading that matches the argument count and the ports used; returns its type (a
    // compound or, past the last overloading, the class it extends), or -1.
    private int Resolve(Compound first, int type, int inputs, int outputs, ref List<string> args, ClickLandmark at)
    {
        Compound? ct = first;
        int closest = -1;
        int tried = 0;
        while (ct is not null && tried <= _types.Count)
        {
            tried++;
            if (ct.Inputs == inputs && ct.Outputs == outputs && ct.AssignArguments(args, out List<string> values))
            {
                args = values;
                return type;
            }

            if (ct.AssignArguments(args, out _))
            {
                closest = type;
            }

            if (OverloadOf(ct) is { } next)
            {
                type = ct.OverloadType;
                ct = next;
            }
            else if (ct.OverloadType >= 0)
            {
                return ct.OverloadType;
            }
            else
            {
                break;
            }
        }

        if (tried != 1 || closest < 0)
        {
            _errors.Error(at, $"no match for '{Compound.MakeSignature(first.Name, null, args.Count, inputs, outputs)}'");
            var candidates = new List<(ClickLandmark?, string)>();
            int listed = 0;
            for (Compound? c = first; c is not null && listed <= _types.Count; c = OverloadOf(c), listed++)
            {
                candidates.Add((c.Landmark, c.Signature()));
            }

            _errors.MessageList("candidates are:", candidates);
        }

        if (closest >= 0 && _types[closest].Compound!.AssignArguments(args, out List<string> closestValues))
        {
            args = closestValues;
        }

        return closest;
    }

    private void ExpandCompoundElement(int which, ClickVariables scope)
    {
        int type = _c.Types[which];
        if (_c.Names[which].StartsWith(';'))
        {
            _c.Deanonymize(which);
        }

        if (type == TunnelType)
        {
            return;
        }

        _c.Configurations[which] = ClickConfigText.Expand(_c.Configurations[which], scope);
        if (_types[type].Kind != TypeKind.Compound)
        {
            return;
        }

        List<string> args = ClickConfigText.ArgVec(_c.Configurations[which]);
        int found = Resolve(_types[type].Compound!, type, _c.InputCounts[which], _c.OutputCounts[which], ref args, _file.Landmark);
        if (found < 0)
        {
            _c.Types[which] = ErrorType;
        }
        else if (_types[found].Kind != TypeKind.Compound)
        {
            _c.Types[which] = found;
        }
        else if (_expansionDepth >= ExpansionDepthMax)
        {
            // Click recurses without bound here; a chain of classes each using the previous one could
            // exhaust the stack, so expansion stops at a documented depth instead.
            _errors.Error(_c.ElementLandmark(which), $"'{_c.Names[which]}': compound element expansion nested too deeply (limit {ExpansionDepthMax})");
            _c.Types[which] = ErrorType;
        }
        else
        {
            Compound compound = _types[found].Compound!;
            var inner = new ClickVariables(scope.ParentOf(compound.Depth));
            for (int i = 0; i < compound.FormalCount; i++)
            {
                inner.Define(compound.Scope.Name(i), i < args.Count ? args[i] : string.Empty, true);
            }

            for (int i = compound.FormalCount; i < compound.Scope.Count; i++)
            {
                inner.Define(compound.Scope.Name(i), ClickConfigText.Expand(compound.Scope.Value(i), inner), true);
            }

            _expansionDepth++;
            ExpandInto(compound, which, inner);
            _expansionDepth--;
        }
    }

    private void ExpandInto(Compound compound, int which, ClickVariables scope)
    {
        string name = _c.Names[which];
        _c.Types[which] = TunnelType;
        int[] tunnel = AddTunnels(name);
        var map = new List<int> { tunnel[1], tunnel[2] };

        for (int i = 2; i < compound.Types.Count; i++)
        {
            string componentName = name + "/" + compound.Names[i];
            int existing = _c.Lookup(componentName);
            if (existing >= 0)
            {
                RedeclarationError("element", componentName, _c.ElementLandmark(which), _c.ElementLandmark(existing));
                map.Add(-1);
                continue;
            }

            if (LookupType(componentName) >= 0)
            {
                _errors.Error(_c.ElementLandmark(which), $"'{componentName}' is an element class");
            }

            if (compound.Types[i] == TunnelType)
            {
                // A group inside the compound: its three tunnel elements come together.
                map.AddRange(AddTunnels(componentName));
                i += 2;
            }
            else
            {
                string configuration = ClickConfigText.Expand(compound.Configurations[i], scope);
                map.Add(GetElement(componentName, compound.Types[i], configuration, compound.Files[i], compound.Lines[i]));
            }
        }

        foreach (Connection c in compound.Connections)
        {
            int from = map[c.From.Index], to = map[c.To.Index];
            if (from >= 0 && to >= 0)
            {
                _c.Connect(from, c.From.Number, to, c.To.Number, c.Landmark);
            }
        }

        for (int i = 2; i < map.Count; i++)
        {
            if (map[i] >= 0)
            {
                ExpandCompoundElement(map[i], scope);
            }
        }
    }

    // ---- The flat router ----

    private RouterGraph BuildGraph(IReadOnlyDictionary<string, string> variables)
    {
        // Command-line NAME=value settings override the file's own definitions.
        foreach (KeyValuePair<string, string> v in variables)
        {
            _c.Scope.Define(v.Key, v.Value, true);
        }

        int initial = _c.Types.Count;
        for (int i = 0; i < initial; i++)
        {
            ExpandCompoundElement(i, _c.Scope);
        }

        var graph = new RouterGraph();
        var routerIndex = new int[_c.Types.Count];
        for (int i = 0; i < _c.Types.Count; i++)
        {
            ElementType type = _types[_c.Types[i]];
            if (type.Kind == TypeKind.Tunnel)
            {
                routerIndex[i] = -1;
                continue;
            }

            string className = type.Kind == TypeKind.Error ? "Error" : type.ClassName;
            graph.Elements.Add(new ElementDeclaration(_c.Names[i], className, _c.Configurations[i], _c.ElementLandmark(i)));
            routerIndex[i] = graph.Elements.Count - 1;
        }

        // First cut: what each tunnel end is directly connected to.
        int written = _c.Connections.Count;
        if (_tunnels.Count > 0)
        {
            for (int i = 0; i < written; i++)
            {
                Connection c = _c.Connections[i];
                if (routerIndex[c.To.Index] < 0 && FindTunnel(c.To, false, false) is { Other: { } toOther })
                {
                    toOther.Correspond.Add(c.From);
                }

                if (routerIndex[c.From.Index] < 0 && FindTunnel(c.From, true, false) is { Other: { } fromOther })
                {
                    fromOther.Correspond.Add(c.To);
                }
            }
        }

        // Replace every connection that touches a tunnel by connections between real elements.
        for (int i = 0; i < written; i++)
        {
            Connection c = _c.Connections[i];
            if (routerIndex[c.From.Index] >= 0 && routerIndex[c.To.Index] >= 0)
            {
                continue;
            }

            var froms = new List<Port>();
            var tos = new List<Port>();
            ExpandConnection(c.From, true, froms);
            ExpandConnection(c.To, false, tos);
            foreach (Port f in froms)
            {
                if (routerIndex[f.Index] < 0)
                {
                    continue;
                }

                foreach (Port t in tos)
                {
                    if (routerIndex[t.Index] >= 0)
                    {
                        _c.Connect(f.Index, f.Number, t.Index, t.Number, c.Landmark);
                    }
                }
            }
        }

        var connections = new List<ConnectionDeclaration>();
        foreach (Connection c in _c.Connections)
        {
            int from = c.From.Index < routerIndex.Length ? routerIndex[c.From.Index] : -1;
            int to = c.To.Index < routerIndex.Length ? routerIndex[c.To.Index] : -1;
            if (from >= 0 && to >= 0)
            {
                connections.Add(new ConnectionDeclaration(from, c.From.Number, to, c.To.Number, c.Landmark));
            }
        }

        graph.Connections.AddRange(SortAndDeduplicate(connections));
        foreach ((string type, string value) in _requirements)
        {
            graph.Requirements.Add(type == "package" ? value : type);
        }

        return graph;
    }

    /// <summary>Click's router keeps connections sorted by source then destination, each once.</summary>
    internal static List<ConnectionDeclaration> SortAndDeduplicate(IEnumerable<ConnectionDeclaration> connections)
    {
        var sorted = connections.ToList();
        sorted.Sort(static (a, b) =>
        {
            int c = a.FromElement.CompareTo(b.FromElement);
            if (c == 0)
            {
                c = a.FromPort.CompareTo(b.FromPort);
            }

            if (c == 0)
            {
                c = a.ToElement.CompareTo(b.ToElement);
            }

            return c != 0 ? c : a.ToPort.CompareTo(b.ToPort);
        });

        var result = new List<ConnectionDeclaration>(sorted.Count);
        foreach (ConnectionDeclaration c in sorted)
        {
            if (result.Count > 0)
            {
                ConnectionDeclaration last = result[^1];
                if (last.FromElement == c.FromElement && last.FromPort == c.FromPort && last.ToElement == c.ToElement && last.ToPort == c.ToPort)
                {
                    continue;
                }
            }

            result.Add(c);
        }

        return result;
    }
}
