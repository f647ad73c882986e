namespace EdgeOS.Samples.Click.Language;

/// <summary>
/// Parses the Click language (click(5)) and expands it into a flat <see cref="RouterGraph"/>, reporting
/// errors with Click's wording and line numbers.
/// </summary>
/// <remarks>
/// The parser is a state machine with an explicit stack of parse states (no recursion per nesting level),
/// so deeply nested groups and compounds cannot overflow the stack; nesting is limited to
/// <see cref="MaxDepth"/> levels as in Click. Tokens are read and pushed back in the same order as Click's
/// parser so that messages carry the same line numbers. Compound elements are expanded after parsing:
/// each instance becomes a pair of connection tunnels (<c>name</c> to <c>name/input</c>, <c>name/output</c>
/// to <c>name</c>) and its components are renamed <c>name/component</c>; tunnels are then collapsed into
/// direct connections.
/// </remarks>
internal sealed partial class ClickParser
{
    /// <summary>Maximum nesting of compound elements and element groups (Click's limit).</summary>
    public const int MaxDepth = 50;

    /// <summary>Maximum nesting of compound element instances during expansion (a class using a class using ...).</summary>
    public const int ExpansionDepthMax = 1000;

    private const int TunnelType = 0;
    private const int ErrorType = 1;
    private static readonly string[] s_portNames = ["input", "output"];

    private readonly ClickErrors _errors;
    private readonly Func<string, bool> _isPrimitiveClass;
    private readonly List<ElementType> _types = [];
    private readonly Dictionary<string, int> _primitiveTypes = new(StringComparer.Ordinal);
    private readonly List<(string Type, string Value)> _requirements = [];
    private readonly List<string> _libraries = [];
    private readonly Dictionary<int, List<TunnelEnd>> _tunnels = [];
    private readonly Lexeme[] _unlex = new Lexeme[2];
    private readonly string? _baseDirectory;
    private readonly string? _clickPath;
    private Dictionary<string, int> _typeMap = new(StringComparer.Ordinal);
    private readonly LexerFile _mainFile;
    private LexerFile _file;
    private int _unlexCount;
    private int _expansionDepth;
    private Compound _c;
    private ParseState? _ps;

    private ClickParser(string text, string fileName, Func<string, bool> isPrimitiveClass, ClickErrors errors, string? baseDirectory, string? clickPath)
    {
        _errors = errors;
        _isPrimitiveClass = isPrimitiveClass;
        _baseDirectory = baseDirectory;
        _clickPath = clickPath;
        _file = new LexerFile(text, fileName);
        _mainFile = _file;
        _types.Add(new ElementType("<tunnel>", TypeKind.Tunnel, "<tunnel>", null));
        _types.Add(new ElementType("Error", TypeKind.Error, "Error", null));
        _c = new Compound(string.Empty, null, null);
        _ps = new ParseState(ParseKind.File, null);
    }

    /// <summary>Parses and flattens <paramref name="text"/>; see <see cref="ClickLanguage.Parse"/>.</summary>
    public static RouterGraph? Parse(string text, string fileName, IReadOnlyDictionary<string, string> variables,
        Func<string, bool> isPrimitiveClass, ClickErrors errors, string? baseDirectory, string? clickPath = null)
    {
        int errorsBefore = errors.ErrorCount;
        var parser = new ClickParser(text, fileName, isPrimitiveClass, errors, baseDirectory, clickPath);
        while (parser._ps is not null)
        {
            parser.Step();
        }

        RouterGraph graph = parser.BuildGraph(variables);
        return errors.ErrorCount > errorsBefore ? null : graph;
    }

    private enum TypeKind
    {
        Tunnel,
        Error,
        Primitive,
        Compound,
    }

    private enum ParseKind
    {
        File,
        Compound,
        Group,
    }

    private enum State
    {
        Statement,
        FirstElement,
        Element,
        NextElement,
        Connector,
        ConnectionDone,
        CompoundElement,
        CompoundType,
        CompoundElementclass,
    }

    /// <summary>An element class visible to the parser: a primitive (known to the runtime), a compound, or an error placeholder.</summary>
    private sealed record ElementType(string Name, TypeKind Kind, string ClassName, Compound? Compound);

    private readonly record struct Port(int Index, int Number);

    private readonly record struct Connection(Port From, Port To, ClickLandmark Landmark);

    /// <summary>An element named or declared in the connection statement being parsed.</summary>
    private sealed class ElementState(string name, int type, bool bare, string file, int line)
    {
        public string Name { get; set; } = name;

        public int Type { get; set; } = type;

        public int DeclType { get; set; } = -1;

        public bool Bare { get; set; } = bare;

        public string Configuration { get; set; } = string.Empty;

        public string File { get; } = file;

        public int Line { get; } = line;
    }

    /// <summary>One level of the parse: the file, a compound body or an element group.</summary>
    private sealed class ParseState(ParseKind kind, ParseState? parent)
    {
        public State State { get; set; } = State.Statement;

        public ParseKind Kind { get; } = kind;

        // Element references of the previous element set in a chain, and of the current one. Each group
        // is [element index, input port count, output port count, input ports..., output ports...]; a port
        // list ending in -1 is expandable ("[n]" followed by more).
        public List<int> LastElements { get; set; } = [];

        public List<int> Elements { get; set; } = [];

        public int Connector { get; set; }

        public List<ElementState> Declared { get; } = [];

        public bool AnyImplicit { get; set; }

        public bool AnyPorts { get; set; }

        public bool LastConnectionEndsOutput { get; set; } = true;

        public int CurrentPosition { get; set; }

        public string ElementName { get; set; } = string.Empty;

        public Dictionary<string, int>? SavedTypeMap { get; set; }

        public Compound? SavedCompound { get; set; }

        public Compound? CompoundFirst { get; set; }

        public Compound? CompoundLast { get; set; }

        public int CompoundExtension { get; set; } = -1;

        public ParseState? Parent { get; } = parent;

        public int Depth { get; } = parent is null ? 0 : parent.Depth + 1;

        public bool FirstElementSet => LastElements.Count == 0;

        public void EnterElementState()
        {
            Declared.Clear();
            AnyImplicit = AnyPorts = false;
            Elements.Clear();
            State = State.Element;
        }

        public void StartElement()
        {
            CurrentPosition = Elements.Count;
            Elements.Add(-1);
            Elements.Add(0);
            Elements.Add(0);
        }

        public int PortCount(bool isOutput) => Elements[CurrentPosition + 1 + (isOutput ? 1 : 0)];

        public void ClearPorts(bool isOutput)
        {
            int n = PortCount(isOutput);
            Elements.RemoveRange(Elements.Count - n, n);
            Elements[CurrentPosition + 1 + (isOutput ? 1 : 0)] = 0;
        }

        public void PushPort(bool isOutput, int port)
        {
            Elements.Add(port);
            Elements[CurrentPosition + 1 + (isOutput ? 1 : 0)]++;
        }
    }

    /// <summary>
    /// A compound element class (or the file itself, the unnamed root): its formal parameters and
    /// definitions, its components and their connections. Components 0 and 1 are <c>input</c> and <c>output</c>.
    /// </summary>
    private sealed class Compound
    {
        public Compound(string name, ClickLandmark? landmark, ClickVariables? parentScope)
        {
            Name = name;
            Landmark = landmark;
            Scope = new ClickVariables(parentScope);
        }

        public string Name { get; }

        public ClickLandmark? Landmark { get; }

        /// <summary>The next overloading (a type index), or -1.</summary>
        public int OverloadType { get; set; } = -1;

        public ClickVariables Scope { get; }

        public int FormalCount { get; set; }

        public int Inputs { get; set; }

        public int Outputs { get; set; }

        public bool ScopeOrderError { get; set; }

        public Dictionary<string, int> ElementMap { get; } = new(StringComparer.Ordinal);

        public List<int> Types { get; } = [];

        public List<string> Names { get; } = [];

        public List<string> Configurations { get; } = [];

        public List<string> Files { get; } = [];

        public List<int> Lines { get; } = [];

        public List<int> InputCounts { get; } = [];

        public List<int> OutputCounts { get; } = [];

        public int AnonymousOffset { get; set; }

        public List<Connection> Connections { get; } = [];

        public int Depth => Scope.Depth;

        public string PrintableName => Name.Length > 0 ? Name : "<anonymous>";

        public int Lookup(string name) => ElementMap.TryGetValue(name, out int i) ? i : -1;

        public ClickLandmark ElementLandmark(int e) => new(Files[e], Lines[e]);

        public void Connect(int fromIndex, int fromPort, int toIndex, int toPort, ClickLandmark landmark)
        {
            fromPort = Math.Max(fromPort, 0);
            toPort = Math.Max(toPort, 0);
            Connections.Add(new Connection(new Port(fromIndex, fromPort), new Port(toIndex, toPort), landmark));
            if (InputCounts[toIndex] <= toPort)
            {
                InputCounts[toIndex] = toPort + 1;
            }

            if (OutputCounts[fromIndex] <= fromPort)
            {
                OutputCounts[fromIndex] = fromPort + 1;
            }
        }

        public void Define(string name, string value, bool isFormal, ClickParser parser)
        {
            if (!Scope.Define(name, value, false))
            {
                parser.LexError($"parameter '${name}' multiply defined");
                return;
            }

            if (!isFormal)
            {
                return;
            }

            FormalCount = Scope.Count;
            if (value.Length > 0)
            {
                for (int i = 0; i < Scope.Count - 1; i++)
                {
                    if (Scope.Value(i) == value)
                    {
                        parser.LexError($"repeated keyword parameter '{value}' in compound element");
                        break;
                    }
                }
            }

            if (!ScopeOrderError && FormalCount > 1
                && ((value.Length == 0 && Scope.Value(FormalCount - 2).Length > 0) || Scope.Value(FormalCount - 2) == "__REST__"))
            {
                parser.LexError("compound element parameters out of order\n(The correct order is '[positional], [keywords], [__REST__]'.)");
                ScopeOrderError = true;
            }
        }

        // Counts the ports of the pseudoelement 'which' (input or output) and reports misuse.
        public int CheckPseudoelement(int which, bool isOutput, string name, ClickLandmark? at, ClickErrors errors)
        {
            int usedSide = isOutput ? 0 : 1;
            int count = which >= 0 ? (usedSide == 0 ? InputCounts[which] : OutputCounts[which]) : 0;
            var used = new bool[count];
            foreach (Connection c in Connections)
            {
                Port p = usedSide == 0 ? c.To : c.From;
                if (p.Index == which)
                {
                    used[p.Number] = true;
                }
            }

            int wrongSide = which >= 0 ? (isOutput ? OutputCounts[which] : InputCounts[which]) : 0;
            if (wrongSide > 0)
            {
                errors.Error(at, $"'{name}' pseudoelement '{s_portNames[isOutput ? 1 : 0]}' may only be used as {s_portNames[isOutput ? 0 : 1]}");
            }

            for (int i = 0; i < used.Length; i++)
            {
                if (!used[i])
                {
                    errors.Error(at, $"'{name}' {s_portNames[isOutput ? 1 : 0]} {i} missing");
                }
            }

            return used.Length;
        }

        public void Finish(ClickErrors errors)
        {
            Inputs = CheckPseudoelement(0, false, PrintableName, Landmark, errors);
            Outputs = CheckPseudoelement(1, true, PrintableName, Landmark, errors);
            for (int i = 0; i < Types.Count; i++)
            {
                if (Names[i].StartsWith(';'))
                {
                    Deanonymize(i);
                }
            }
        }

        // Anonymous names are stored as ";Class@N" until the scope is complete; then the ';' goes, and N is
        // raised if a user happened to declare an element of that name.
        public string Deanonymize(int e)
        {
            string name = Names[e][1..];
            if (Lookup(name) >= 0)
            {
                int at = name.LastIndexOf('@');
                string prefix = name[..(at + 1)];
                int digitsEnd = at + 1;
                while (digitsEnd < name.Length && name[digitsEnd] is >= '0' and <= '9')
                {
                    digitsEnd++;
                }

                _ = int.TryParse(name.AsSpan(at + 1, digitsEnd - at - 1), out int n);
                do
                {
                    n++;
                    name = prefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                while (Lookup(name) >= 0);
            }

            ElementMap[name] = e;
            Names[e] = name;
            return name;
        }

        public bool AssignArguments(List<string> args, out List<string> values)
        {
            var keys = new List<string>(FormalCount);
            for (int i = 0; i < FormalCount; i++)
            {
                keys.Add(Scope.Value(i));
            }

            return ClickConfigText.TryAssignArguments(args, keys, out values);
        }

        public string Signature() => MakeSignature(Name, Scope.Values, -1, Inputs, Outputs);

        public static string MakeSignature(string name, IReadOnlyList<string>? formalTypes, int argumentCount, int inputs, int outputs)
        {
            var sb = new System.Text.StringBuilder(name.Length > 0 ? name : "<anonymous>");
            if (formalTypes is { Count: > 0 })
            {
                sb.Append('(');
                for (int i = 0; i < formalTypes.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    sb.Append(formalTypes[i] switch
                    {
                        "" => "<arg>",
                        "__REST__" => "...",
                        string t => t,
                    });
                }

                sb.Append(')');
            }

            sb.Append('[');
            if (formalTypes is null && argumentCount > 0)
            {
                sb.Append(argumentCount).Append(argumentCount == 1 ? " argument, " : " arguments, ");
            }

            sb.Append(inputs).Append(inputs == 1 ? " input, " : " inputs, ");
            sb.Append(outputs).Append(outputs == 1 ? " output" : " outputs");
            sb.Append(']');
            return sb.ToString();
        }
    }

    /// <summary>One end of a connection tunnel (a compound's or group's boundary) and what it leads to.</summary>
    private sealed class TunnelEnd(Port port, bool isOutput)
    {
        public Port Port { get; } = port;

        public bool IsOutput { get; } = isOutput;

        public TunnelEnd? Other { get; private set; }

        public List<Port> Correspond { get; set; } = [];

        // 0: not expanded, 1: expanding (a cycle stops here), 2: done.
        public int Expanded { get; set; }

        public void PairWith(TunnelEnd other)
        {
            Other = other;
            other.Other = this;
        }
    }
}
