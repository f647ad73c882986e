namespace EdgeOS.Samples.Click.Language;

internal sealed partial class ClickParser
{
    // ---- Tokens, pushback and messages ----

    private Lexeme Lex() => _unlexCount > 0 ? _unlex[--_unlexCount] : _file.Next(this);

    private void Unlex(Lexeme t)
    {
        // Two tokens of pushback suffice for the grammar; more would be a parser bug.
        if (_unlexCount >= _unlex.Length)
        {
            throw new InvalidOperationException("Click parser pushback overflow.");
        }

        _unlex[_unlexCount++] = t;
    }

    private string LexConfig() => _file.LexConfig(this);

    private bool Expect(int kind, bool noError = false)
    {
        if (_unlexCount > 0)
        {
            if (_unlex[_unlexCount - 1].Is(kind))
            {
                _unlexCount--;
                return true;
            }
        }
        else
        {
            // Looking ahead must not move the line number used in messages.
            string fileName = _file.FileName;
            int line = _file.Line;
            int position = _file.Position;
            if (Lex().Is(kind))
            {
                return true;
            }

            _file.FileName = fileName;
            _file.Line = line;
            _file.Position = position;
        }

        if (!noError)
        {
            LexError($"expected {LexemeKind.Describe(kind)}");
        }

        return false;
    }

    /// <summary>Reports an error at the lexer's current file and line.</summary>
    internal void LexError(string message) => _errors.Error(_file.Landmark, message);

    private void LexSyntaxError(Lexeme t) => LexError($"syntax error near '{ClickConfigText.Printable(t.Text)}'");

    // ---- Element classes ----

    private int AddElementType(string name, TypeKind kind, string className, Compound? compound)
    {
        int type = _types.Count;
        _types.Add(new ElementType(name, kind, className, compound));
        if (name.Length > 0)
        {
            _typeMap[name] = type;
        }

        return type;
    }

    private int LookupType(string name)
    {
        if (_typeMap.TryGetValue(name, out int type))
        {
            return type;
        }

        if (_primitiveTypes.TryGetValue(name, out type))
        {
            return type;
        }

        if (name.Length > 0 && _isPrimitiveClass(name))
        {
            type = _types.Count;
            _types.Add(new ElementType(name, TypeKind.Primitive, name, null));
            _primitiveTypes[name] = type;
            return type;
        }

        return -1;
    }

    private int ForceElementType(string name, bool reportError = true)
    {
        int type = LookupType(name);
        if (type >= 0)
        {
            return type;
        }

        if (reportError)
        {
            LexError($"unknown element class '{name}'");
        }

        // Later uses of the name resolve to this placeholder, so each unknown class is reported once.
        return AddElementType(name, TypeKind.Error, name, null);
    }

    // ---- Elements ----

    private int GetElement(string name, int type, string configuration = "", string? file = null, int line = 0)
    {
        int existing = _c.Lookup(name);
        if (existing >= 0)
        {
            return existing;
        }

        int e = _c.Types.Count;
        _c.ElementMap[name] = e;
        foreach (string component in name.Split('/'))
        {
            bool allDigits = true;
            foreach (char ch in component)
            {
                allDigits &= ch is >= '0' and <= '9';
            }

            if (allDigits)
            {
                LexError($"element name '{name}' has all-digit component");
                break;
            }
        }

        _c.Names.Add(name);
        _c.Configurations.Add(configuration);
        if (file is null && line == 0)
        {
            _c.Files.Add(_file.FileName);
            _c.Lines.Add(_file.Line);
        }
        else
        {
            _c.Files.Add(file ?? string.Empty);
            _c.Lines.Add(line);
        }

        _c.Types.Add(type);
        _c.InputCounts.Add(0);
        _c.OutputCounts.Add(0);
        return e;
    }

    private string AnonymousElementName(string className)
    {
        int number = _c.Types.Count - _c.AnonymousOffset + 1;
        return ";" + className + "@" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private void RedeclarationError(string what, string name, ClickLandmark at, ClickLandmark previous)
    {
        _errors.Error(at, $"redeclaration of {what} '{name}'");
        _errors.Error(previous, $"'{name}' previously declared here");
    }

    // ---- The state machine ----

    private void Step()
    {
        ParseState ps = _ps!;
        switch (ps.State)
        {
            case State.Statement:
                YStatement();
                break;
            case State.FirstElement:
                ps.EnterElementState();
                break;
            case State.Element:
                YElementName();
                break;
            case State.NextElement:
                YElementNext();
                break;
            case State.Connector:
                YConnectionConnector();
                break;
            case State.ConnectionDone:
            {
                CheckUselessPorts(ps.LastElements, true);
                List<int> last = ps.LastElements;

                // True only when the chain ended with exactly one element and it was "output".
                ps.LastConnectionEndsOutput = last.Count > 0 && last.Count == 3 + last[1] + last[2] && last[0] == _c.Lookup("output");
                last.Clear();
                ps.State = State.Statement;
                break;
            }

            default:
                YCompoundNext();
                break;
        }
    }

    private void YStatement()
    {
        ParseState ps = _ps!;
        Lexeme t = Lex();
        switch (t.Kind)
        {
            case LexemeKind.Ident or '[' or '{' or '(' or LexemeKind.Arrow or LexemeKind.TwoArrow:
                Unlex(t);
                ps.State = State.FirstElement;
                break;
            case LexemeKind.Elementclass:
                YElementclass();
                break;
            case LexemeKind.Require:
                YRequire();
                break;
            case LexemeKind.Define:
                YDefine();
                break;
            case ';':
                break;
            case '}' or LexemeKind.TwoBar:
                if (ps.Kind == ParseKind.Compound)
                {
                    YCompoundEnd(t);
                }
                else
                {
                    LexSyntaxError(t);
                    if (ps.Kind == ParseKind.Group)
                    {
                        Unlex(t);
                        YGroupEnd();
                    }
                }

                break;
            case ')':
                if (ps.Kind == ParseKind.Group)
                {
                    YGroupEnd();
                }
                else
                {
                    LexSyntaxError(t);
                }

                break;
            case LexemeKind.Eof:
                if (ps.Kind == ParseKind.Group)
                {
                    LexError("expected ')'");
                    YGroupEnd();
                }
                else if (ps.Kind == ParseKind.Compound)
                {
                    LexError("expected '}'");
                    YCompoundEnd(t);
                }
                else
                {
                    _ps = null;
                }

                break;
            default:
                LexSyntaxError(t);
                break;
        }
    }

    private void YPort(bool isOutput)
    {
        if (!Expect('[', true))
        {
            return;
        }

        ParseState ps = _ps!;
        while (true)
        {
            Lexeme t = Lex();
            if (t.Is(LexemeKind.Ident))
            {
                if (!ClickConfigText.TryParsePort(t.Text, out int port))
                {
                    LexError("syntax error: port number should be integer");
                    port = 0;
                }

                ps.PushPort(isOutput, port);
            }
            else if (t.Is(']'))
            {
                // "[]" and a trailing "," mean "and the following ports".
                if (ps.PortCount(isOutput) == 0)
                {
                    ps.PushPort(isOutput, 0);
                }

                ps.PushPort(isOutput, -1);
                break;
            }
            else
            {
                LexError("syntax error: expected port number");
                Unlex(t);
                break;
            }

            t = Lex();
            if (t.Is(']'))
            {
                break;
            }

            if (!t.Is(','))
            {
                LexError("syntax error: expected ','");
                Unlex(t);
            }
        }
    }

    private void YElementName()
    {
        ParseState ps = _ps!;
        ps.StartElement();
        YPort(false);

        bool thisImplicit = false;
        bool thisIdent = false;
        Lexeme t = Lex();
        if (t.Is(LexemeKind.Ident))
        {
            ps.ElementName = t.Text;
            thisIdent = true;
        }
        else if (t.Is('{'))
        {
            ps.ElementName = string.Empty;
            ps.State = State.CompoundElement;
            YCompound();
            return;
        }
        else if (t.Is('('))
        {
            ps.ElementName = AnonymousElementName(string.Empty);
            YGroup();
            return;
        }
        else
        {
            // Inside compounds and groups a missing element name means "input" at the start of a chain
            // and "output" at its end.
            bool nested = _c.Depth > 0 || ps.Parent is not null;
            if (nested && (t.Is(LexemeKind.Arrow) || t.Is(LexemeKind.TwoArrow)))
            {
                thisImplicit = ps.FirstElementSet && (ps.PortCount(false) > 0 || ps.CurrentPosition == 0);
                if (thisImplicit && ps.PortCount(false) == 0 && !ps.LastConnectionEndsOutput)
                {
                    _errors.Warning(_file.Landmark, $"suggest 'input {t.Text}' or '[0] {t.Text}' to start connection");
                }
            }
            else if (nested && t.Is(','))
            {
                thisImplicit = ps.PortCount(false) > 0;
            }
            else if (nested && !t.Is(LexemeKind.TwoColon))
            {
                thisImplicit = !ps.FirstElementSet && (ps.PortCount(false) > 0 || ps.CurrentPosition == 0);
            }

            if (thisImplicit)
            {
                ps.ElementName = s_portNames[ps.FirstElementSet ? 0 : 1];
                ps.AnyImplicit = true;
                if (ps.FirstElementSet)
                {
                    // Ports written before an implicit "input" are its output ports.
                    int p = ps.CurrentPosition;
                    (ps.Elements[p + 1], ps.Elements[p + 2]) = (ps.Elements[p + 2], ps.Elements[p + 1]);
                }

                Unlex(t);
            }
            else
            {
                if (ps.PortCount(false) > 0)
                {
                    LexError("stranded port ignored");
                }

                ps.Elements.RemoveRange(ps.CurrentPosition, ps.Elements.Count - ps.CurrentPosition);
                if (ps.CurrentPosition == 0)
                {
                    if (nested && ps.FirstElementSet)
                    {
                        Unlex(t);
                    }
                    else
                    {
                        LexSyntaxError(t);
                    }

                    ps.State = State.ConnectionDone;
                }
                else
                {
                    ps.State = State.NextElement;
                }

                return;
            }
        }

        YElementType(LookupType(ps.ElementName), thisIdent, thisImplicit);
    }

    private void YElementType(int type, bool thisIdent, bool thisImplicit)
    {
        ParseState ps = _ps!;
        var e = new ElementState(ps.ElementName, type, thisIdent, _file.FileName, _file.Line);
        ps.Declared.Add(e);

        Lexeme t = Lex();
        if (t.Is(LexemeKind.TwoColon) && !thisImplicit)
        {
            e.Bare = false;
            t = Lex();
            if (t.Is(LexemeKind.Ident))
            {
                e.DeclType = ForceElementType(t.Text);
                t = Lex();
            }
            else if (t.Is('{'))
            {
                ps.ElementName = string.Empty;
                ps.State = State.CompoundType;
                YCompound();
                return;
            }
            else
            {
                LexError("missing element type in declaration");
                e.DeclType = ForceElementType(e.Name);
            }
        }

        Unlex(t);
        YElementConfig(e, thisImplicit);
    }

    private void YElementConfig(ElementState e, bool thisImplicit)
    {
        ParseState ps = _ps!;
        Lexeme t = Lex();
        if (t.Is('(') && !thisImplicit)
        {
            if (_c.Lookup(e.Name) >= 0)
            {
                LexError("configuration string ignored on element reference");
            }

            e.Configuration = LexConfig();
            Expect(')');
            e.Bare = false;
            t = Lex();
        }

        Unlex(t);
        if (t.Is('[') && !thisImplicit)
        {
            // Explicit output ports replace the ports a group implies.
            ps.ClearPorts(true);
            YPort(true);
        }

        if (ps.PortCount(false) > 0 || ps.PortCount(true) > 0)
        {
            ps.AnyPorts = true;
        }

        ps.State = State.NextElement;
    }

    private void YElementNext()
    {
        ParseState ps = _ps!;
        Lexeme t = Lex();
        if (t.Is(','))
        {
            ps.State = State.Element;
            return;
        }

        Unlex(t);
        bool arrow = t.Is(LexemeKind.Arrow) || t.Is(LexemeKind.TwoArrow);
        if (ps.AnyImplicit && !ps.FirstElementSet && arrow)
        {
            LexError("implicit ports used in the middle of a chain");
        }

        // "a, b, c :: Class(config)" declares all three with the last one's class and configuration.
        List<ElementState> declared = ps.Declared;
        if (declared.Count > 1 && ps.FirstElementSet && !arrow && !ps.AnyPorts && !ps.AnyImplicit)
        {
            int last = 0;
            while (last < declared.Count - 1 && declared[last].Bare)
            {
                last++;
            }

            if (last == declared.Count - 1 && declared[last].DeclType != TunnelType)
            {
                for (int i = 0; i < declared.Count - 1; i++)
                {
                    declared[i].DeclType = declared[last].DeclType;
                    declared[i].Configuration = declared[last].Configuration;
                }
            }
        }

        int resp = 0;
        foreach (ElementState e in declared)
        {
            var landmark = new ClickLandmark(e.File, e.Line);
            if (e.Type >= 0 || (ps.Elements[resp] = _c.Lookup(e.Name)) < 0)
            {
                if (e.DeclType >= 0 && e.Type >= 0)
                {
                    _errors.Error(landmark, $"class '{e.Name}' used as element name");
                }
                else if (e.DeclType < 0 && e.Type < 0)
                {
                    _errors.Error(landmark, $"undeclared element '{e.Name}'");
                    e.Type = ForceElementType(e.Name, false);
                }

                if (e.Type >= 0)
                {
                    e.Name = AnonymousElementName(e.Name);
                }

                ps.Elements[resp] = GetElement(e.Name, e.Type >= 0 ? e.Type : e.DeclType, e.Configuration, e.File, e.Line);
            }
            else if (e.DeclType >= 0)
            {
                int previous = ps.Elements[resp];
                _errors.Error(landmark, $"redeclaration of element '{e.Name}'");
                if (_c.Types[previous] != TunnelType)
                {
                    _errors.Error(_c.ElementLandmark(previous), $"element '{e.Name}' previously declared here");
                }
            }

            resp += 3 + ps.Elements[resp + 1] + ps.Elements[resp + 2];
        }

        declared.Clear();
        ps.State = State.Connector;
    }

    private void CheckUselessPorts(List<int> x, bool isOutput)
    {
        for (int i = 0; i < x.Count; i += 3 + x[i + 1] + x[i + 2])
        {
            if (x[i + (isOutput ? 2 : 1)] > 0)
            {
                LexError(isOutput ? "output ports ignored at end of chain" : "input ports ignored at start of chain");
                break;
            }
        }
    }

    private static void AnalyzePorts(List<int> x, bool isOutput, out int minPorts, out int expandable)
    {
        minPorts = expandable = 0;
        for (int i = 0; i < x.Count; i += 3 + x[i + 1] + x[i + 2])
        {
            int n = x[i + (isOutput ? 2 : 1)];
            if (n <= 1)
            {
                minPorts += 1;
            }
            else if (x[i + 3 + (isOutput ? x[i + 1] : 0) + n - 1] == -1)
            {
                minPorts += n - 1;
                expandable++;
            }
            else
            {
                minPorts += n;
            }
        }
    }

    // Connects every output reference of the previous set to the input references of this one: one to
    // many, many to one, or pairwise ("=>") with port lists and expandable ports.
    private void ConnectAll(List<int> outputs, List<int> inputs, int connector)
    {
        // Index 0 is the input side (this set), 1 the output side (the previous set).
        var minp = new int[2];
        var expandable = new int[2];
        AnalyzePorts(outputs, true, out minp[1], out expandable[1]);
        AnalyzePorts(inputs, false, out minp[0], out expandable[0]);

        if (expandable[0] + expandable[1] > 1)
        {
            LexError("at most one expandable port allowed per connection");
            expandable[minp[0] < minp[1] ? 1 : 0] = 0;
        }

        if (connector == LexemeKind.TwoArrow)
        {
            // "=>" reads a lone element without ports as "all its ports, from 0".
            for (int k = 0; k < 2; k++)
            {
                List<int> vec = k == 1 ? outputs : inputs;
                if (minp[k] == 1 && minp[1 - k] > 1 && vec[1 + k] == 0)
                {
                    expandable[k] = 1;
                }
            }
        }

        var step = new bool[2];
        var remainingExpansions = new int[2];
        for (int k = 0; k < 2; k++)
        {
            step[k] = minp[k] > 1 || expandable[k] > 0;
            remainingExpansions[k] = expandable[k] > 0 ? minp[1 - k] - minp[k] : 0;
        }

        if (step[0] && step[1])
        {
            if (connector != LexemeKind.TwoArrow)
            {
                LexError("syntax error: many-to-many connections require '=>'");
            }

            if (expandable[0] == 0 && expandable[1] == 0 && minp[0] != minp[1])
            {
                LexError($"connection mismatch: {minp[1]} outputs connected to {minp[0]} inputs");
            }
            else if (expandable[0] == 0 && minp[0] < minp[1])
            {
                LexError($"connection mismatch: {minp[1]} or more outputs connected to {minp[0]} inputs");
            }
            else if (expandable[1] == 0 && minp[1] < minp[0])
            {
                LexError($"connection mismatch: {minp[1]} outputs connected to {minp[0]} or more inputs");
            }
        }
        else if (!step[0] && !step[1])
        {
            step[0] = true;
        }

        List<int>[] lists = [inputs, outputs];
        int[] it = [0, 0];
        int[] ppos = [0, 0];
        int[] port = [-1, -1];
        while (it[0] < inputs.Count && it[1] < outputs.Count)
        {
            for (int k = 0; k < 2; k++)
            {
                if (port[k] < 0)
                {
                    List<int> v = lists[k];
                    int np = v[it[k] + 1 + k];
                    port[k] = np > 0 ? v[it[k] + 3 + (k == 1 ? v[it[k] + 1] : 0)] : 0;
                }
            }

            _c.Connect(outputs[it[1]], port[1], inputs[it[0]], port[0], _file.Landmark);

            for (int k = 0; k < 2; k++)
            {
                if (!step[k])
                {
                    continue;
                }

                List<int> v = lists[k];
                int np = v[it[k] + 1 + k];
                int pvec = it[k] + 3 + (k == 1 ? v[it[k] + 1] : 0);
                ++ppos[k];
                if (ppos[k] < np && v[pvec + ppos[k]] >= 0)
                {
                    port[k] = v[pvec + ppos[k]];
                }
                else if (np > 0 && v[pvec + np - 1] == -1 && remainingExpansions[k] > 0)
                {
                    port[k] = v[pvec + np - 2] + ppos[k] - (np - 2);
                    --remainingExpansions[k];
                }
                else if (np == 0 && minp[k] == 1 && remainingExpansions[k] > 0)
                {
                    port[k] = ppos[k];
                    --remainingExpansions[k];
                }
                else
                {
                    port[k] = -1;
                    ppos[k] = 0;
                    it[k] += 3 + v[it[k] + 1] + v[it[k] + 2];
                }
            }
        }
    }

    private void YConnectionConnector()
    {
        ParseState ps = _ps!;
        if (ps.FirstElementSet)
        {
            CheckUselessPorts(ps.Elements, false);
        }
        else
        {
            ConnectAll(ps.LastElements, ps.Elements, ps.Connector);
        }

        (ps.LastElements, ps.Elements) = (ps.Elements, ps.LastElements);

        while (true)
        {
            Lexeme t = Lex();
            switch (t.Kind)
            {
                case ',' or LexemeKind.TwoColon:
                    LexSyntaxError(t);
                    continue;
                case LexemeKind.Arrow or LexemeKind.TwoArrow:
                    ps.Connector = t.Kind;
                    ps.State = State.FirstElement;
                    return;
                case LexemeKind.Ident or '{' or '}' or '[' or ')' or LexemeKind.TwoBar
                    or LexemeKind.Elementclass or LexemeKind.Require or LexemeKind.Provide or LexemeKind.Define:
                    Unlex(t);
                    ps.State = State.ConnectionDone;
                    return;
                case ';' or LexemeKind.Eof:
                    ps.State = State.ConnectionDone;
                    return;
                default:
                    LexSyntaxError(t);
                    if (t.Kind >= LexemeKind.Ident)
                    {
                        Unlex(t);
                    }

                    ps.State = State.ConnectionDone;
                    return;
            }
        }
    }

    // ---- elementclass, compounds and groups ----

    private void YElementclass()
    {
        ParseState ps = _ps!;
        Lexeme nameToken = Lex();
        string name = string.Empty;
        if (nameToken.Is(LexemeKind.Ident))
        {
            name = nameToken.Text;
        }
        else
        {
            Unlex(nameToken);
            LexError("expected element type name");
        }

        Lexeme next = Lex();
        if (next.Is('{'))
        {
            ps.ElementName = name;
            ps.State = State.CompoundElementclass;
            YCompound();
        }
        else if (next.Is(LexemeKind.Ident))
        {
            // A synonym shares the original class: a primitive keeps its own class name.
            ElementType original = _types[ForceElementType(next.Text)];
            AddElementType(name, original.Kind, original.ClassName, original.Compound);
        }
        else
        {
            LexSyntaxError(next);
            AddElementType(name, TypeKind.Error, name, null);
        }
    }

    private void YCompoundArguments(Compound compound)
    {
        while (true)
        {
            string varType = string.Empty;
            string varName;
            Lexeme t1 = Lex();
            if (t1.Is(LexemeKind.Ident))
            {
                Lexeme t2 = Lex();
                if (t2.Is(LexemeKind.Variable))
                {
                    varType = t1.Text;
                    varName = t2.Text;
                }
                else
                {
                    if (compound.Scope.Count > 0)
                    {
                        LexError("expected variable");
                    }

                    Unlex(t2);
                    Unlex(t1);
                    break;
                }
            }
            else if (t1.Is(LexemeKind.Variable))
            {
                varName = t1.Text;
            }
            else if (t1.Is('|'))
            {
                break;
            }
            else
            {
                if (compound.FormalCount > 0)
                {
                    LexError("expected variable");
                }

                Unlex(t1);
                break;
            }

            compound.Define(varName, varType, true, this);

            Lexeme separator = Lex();
            if (separator.Is('|'))
            {
                break;
            }

            if (!separator.Is(','))
            {
                LexError("expected ',' or '|'");
                Unlex(separator);
                break;
            }
        }
    }

    private void YCompound()
    {
        ParseState ps = _ps!;
        ps.SavedTypeMap = new Dictionary<string, int>(_typeMap, StringComparer.Ordinal);
        ps.SavedCompound = _c;
        ps.CompoundFirst = ps.CompoundLast = null;
        ps.CompoundExtension = -1;
        YCompoundNext();
    }

    private void YCompoundNext()
    {
        ParseState ps = _ps!;
        Lexeme t = Lex();
        if (t.Is(LexemeKind.ThreeDot))
        {
            // "|| ..." extends the class already visible under this name.
            string name = ps.ElementName;
            if (LookupType(name) < 0)
            {
                LexError($"cannot extend unknown element class '{name}'");
                AddElementType(name, TypeKind.Error, name, null);
            }

            ps.CompoundExtension = LookupType(name);
            t = Lex();
            if (ps.CompoundFirst is null || !t.Is('}'))
            {
                LexError("'...' should occur last, after one or more compounds");
            }

            Unlex(t);
            return;
        }

        _c = new Compound(ps.ElementName, _file.Landmark, ps.SavedCompound!.Scope);
        _ps = new ParseState(ParseKind.Compound, ps);
        GetElement("input", TunnelType);
        GetElement("output", TunnelType);
        _c.AnonymousOffset = 2;

        Unlex(t);
        YCompoundArguments(_c);
        _ps.State = State.Statement;

        if (_ps.Depth >= MaxDepth)
        {
            LexError("maximum compound element nesting depth exceeded");
            YCompoundEnd(Lexeme.Eof);
        }
    }

    private void YCompoundEnd(Lexeme t)
    {
        Compound finished = _c;
        ParseState ps = _ps!.Parent!;
        _ps = ps;
        _typeMap = new Dictionary<string, int>(ps.SavedTypeMap!, StringComparer.Ordinal);
        _c = ps.SavedCompound!;

        finished.Finish(_errors);

        if (ps.CompoundLast is not null)
        {
            int overload = AddElementType(ps.ElementName, TypeKind.Compound, ps.ElementName, finished);
            ps.CompoundLast.OverloadType = overload;
        }
        else
        {
            ps.CompoundFirst = finished;
        }

        ps.CompoundLast = finished;

        if (t.Is(LexemeKind.TwoBar))
        {
            return;
        }

        ps.CompoundLast.OverloadType = ps.CompoundExtension;
        int type = AddElementType(ps.ElementName, TypeKind.Compound, ps.ElementName, ps.CompoundFirst);

        if (ps.State == State.CompoundElement)
        {
            ps.ElementName = _types[type].Name;
            YElementType(type, false, false);
        }
        else if (ps.State == State.CompoundType)
        {
            ElementState e = ps.Declared[^1];
            e.DeclType = type;
            YElementConfig(e, false);
        }
        else
        {
            ps.State = State.Statement;
        }
    }

    private void YGroup()
    {
        ParseState ps = _ps!;
        int[] tunnel = AddTunnels(ps.ElementName);

        // The group's input and output shadow any outer ones until it closes.
        ps.Elements.Add(_c.Lookup("input"));
        ps.Elements.Add(_c.Lookup("output"));
        _c.ElementMap["input"] = tunnel[1];
        _c.ElementMap["output"] = tunnel[2];
        _ps = new ParseState(ParseKind.Group, ps);

        if (_ps.Depth >= MaxDepth)
        {
            LexError("maximum element group nesting depth exceeded");
            YGroupEnd();
        }
    }

    private void YGroupEnd()
    {
        ParseState ps = _ps!.Parent!;
        _ps = ps;

        ClickLandmark at = _file.Landmark;
        string printable = ps.ElementName.StartsWith(';') ? "<anonymous group>" : ps.ElementName;
        int[] groupPorts =
        [
            _c.CheckPseudoelement(_c.Lookup("input"), false, printable, at, _errors),
            _c.CheckPseudoelement(_c.Lookup("output"), true, printable, at, _errors),
        ];

        _c.ElementMap["input"] = ps.Elements[^2];
        _c.ElementMap["output"] = ps.Elements[^1];
        ps.Elements.RemoveRange(ps.Elements.Count - 2, 2);

        // A group implies port lists naming all its ports, which explicit ports may override.
        for (int k = 0; k < 2; k++)
        {
            if (ps.Elements[ps.CurrentPosition + 1 + k] == 0)
            {
                ps.Elements[ps.CurrentPosition + 1 + k] = groupPorts[k];
                for (int i = 0; i < groupPorts[k]; i++)
                {
                    ps.Elements.Add(i);
                }
            }
        }

        YElementType(-1, false, false);
    }

    // ---- require and define ----

    private void YRequire()
    {
        if (!Expect('('))
        {
            return;
        }

        string requirement = LexConfig();
        Expect(')');
        Expect(';', true);

        foreach (string arg in ClickConfigText.ArgVec(requirement))
        {
            List<string> words = ClickConfigText.SpaceVec(arg);
            if (words.Count == 0)
            {
                continue;
            }

            _ = ClickConfigText.TryParseWord(words[0], out string type);

            // "require(NAME)" means "require(package NAME)".
            if (type.Length > 0 && type is not ("compact_config" or "package" or "library") && words.Count == 1)
            {
                words.Add(type);
                type = "package";
            }

            string value = string.Empty;
            if (type == "library" && words.Count == 2 && ClickConfigText.TryParseString(words[1], out value))
            {
                YRequireLibrary(value);
                continue;
            }

            // compact_config (Click's hint to share configuration string storage) has no value; a package
            // names one.
            bool compactConfig = type == "compact_config" && words.Count == 1;
            bool package = type == "package" && words.Count == 2 && ClickConfigText.TryParseString(words[1], out value);
            if (!compactConfig && !package)
            {
                LexError("syntax error at requirement");
                continue;
            }

            _requirements.Add((type, value));
        }
    }

    private void YRequireLibrary(string value)
    {
        if (_c.Depth > 0)
        {
            LexError("'require library' must be used at file scope");
            return;
        }

        string? path = FindLibrary(value);
        if (path is null)
        {
            LexError($"library '{ClickConfigText.Printable(value)}' not found in CLICKPATH/conf");
            return;
        }

        // A library is read at most once however often it is required.
        string key = Path.GetFullPath(path);
        if (_libraries.Contains(key))
        {
            return;
        }

        _libraries.Add(key);

        string data;
        try
        {
            data = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LexError($"{path}: {DescribeReadFailure(ex)}");
            return;
        }

        LexerFile oldFile = _file;
        ParseState? oldState = _ps;
        _file = new LexerFile(data, path);
        _ps = new ParseState(ParseKind.File, null);
        while (_ps is not null)
        {
            Step();
        }

        _file = oldFile;
        _ps = oldState;
    }

    // Click's search: an absolute name as is; otherwise each CLICKPATH directory (click -C PATH, else the environment's) (DIR/conf/click/NAME,
    // DIR/conf/NAME, DIR/NAME), where an empty CLICKPATH entry, or no CLICKPATH, means the default
    // directory: the configuration's base directory for the main file, a library's own directory for
    // libraries.
    private string? FindLibrary(string name)
    {
        if (name.Length == 0)
        {
            return null;
        }

        if (name[0] == '/')
        {
            return name;
        }

        string defaultDirectory;
        if (ReferenceEquals(_file, _mainFile) && _baseDirectory is not null)
        {
            defaultDirectory = _baseDirectory;
        }
        else
        {
            int slash = _file.FileName.LastIndexOf('/');
            defaultDirectory = slash > 0 ? _file.FileName[..slash] : ".";
        }

        bool defaultUsed = false;
        foreach (string entry in (_clickPath ?? Environment.GetEnvironmentVariable("CLICKPATH") ?? string.Empty).Split(':'))
        {
            if (entry.Length == 0)
            {
                if (!defaultUsed)
                {
                    defaultUsed = true;
                    string candidate = defaultDirectory.TrimEnd('/') + "/" + name;
                    if (File.Exists(candidate))
                    {
                        return candidate;
                    }
                }

                continue;
            }

            string dir = entry.EndsWith('/') ? entry : entry + "/";
            foreach (string candidate in new[] { dir + "conf/click/" + name, dir + "conf/" + name, dir + name })
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    // The C library's wording for the usual failures, as Click prints strerror().
    private static string DescribeReadFailure(Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => ex.Message,
    };

    private void YDefine()
    {
        if (!Expect('('))
        {
            return;
        }

        string text = LexConfig();
        Expect(')');
        foreach (string argument in ClickConfigText.ArgVec(text))
        {
            if (argument.Length == 0)
            {
                continue;
            }

            string rest = argument;
            string variable = ClickConfigText.ShiftSpaceVec(ref rest);
            int s = 0;
            if (variable.Length > 0 && variable[0] == '$')
            {
                for (s = 1; s < variable.Length && (ClickConfigText.IsAlnum(variable[s]) || variable[s] == '_'); s++)
                {
                }
            }

            if (variable.Length < 2 || s != variable.Length)
            {
                LexError("bad 'define' declaration: not a variable");
            }
            else
            {
                _c.Define(variable[1..], rest, false, this);
            }
        }
    }
}
