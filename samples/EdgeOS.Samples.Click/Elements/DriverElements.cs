using System.Globalization;
using System.Text;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>Shared machinery of DriverManager and Script: instructions run in order, waits on time and on stop events.</summary>
internal abstract class InstructionRunner : Element, IDriverStopHandler
{
    /// <inheritdoc/>
    public override string? TenantRefusal => "not available in tenant mode: the host, not a tenant, decides when a multi-tenant run ends";

    protected readonly List<(string Op, string Arg)> _instructions = [];
    protected readonly Dictionary<string, int> _labels = new(StringComparer.Ordinal);
    protected readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);
    protected int _pc;
    protected int _stopWaits;
    protected bool _waitingForStop;
    protected bool _ended;
    protected bool _managesDriver = true;
    protected ClickTimer? _timer;

    public override int ConfigurePhase => ConfigurePhaseDefault + 1;

    public override bool Initialize(ElementErrors errors)
    {
        _timer = Router.Master.NewTimer(this);
        if (_managesDriver)
        {
            Router.AddStopHandler(this);
        }

        return true;
    }

    public override void RunTimer(ClickTimer timer)
    {
        _pc++;
        Step();
    }

    public void HandleStop()
    {
        if (_ended)
        {
            return;
        }

        if (_waitingForStop)
        {
            if (--_stopWaits > 0)
            {
                Router.SetRunCount(1);
                return;
            }

            _waitingForStop = false;
            _pc++;
            Router.SetRunCount(1);
            Step();
            return;
        }

        // A stop event while waiting on time: the driver stops unless the instructions say otherwise.
    }

    /// <summary>Runs instructions from the current one until a wait or the end.</summary>
    protected void Step()
    {
        for (int guard = 0; guard < 100_000; guard++)
        {
            if (_pc >= _instructions.Count)
            {
                Finish();
                return;
            }

            (string op, string arg) = _instructions[_pc];
            if (!Execute(op, arg))
            {
                return;
            }
        }

        Router.Master.Chatter.Write($"{Name}: too many instructions without a wait\n");
        Finish();
    }

    protected void Finish()
    {
        _ended = true;
        _timer?.Unschedule();
        if (_managesDriver)
        {
            Router.SetRunCount(0);
        }
    }

    /// <summary>Executes one instruction; returns false when it waits.</summary>
    protected virtual bool Execute(string op, string arg)
    {
        switch (op)
        {
            case "wait_stop":
            case "pause":
                _stopWaits = arg.Length == 0 ? 1 : int.Parse(arg, CultureInfo.InvariantCulture);
                _waitingForStop = true;
                return false;
            case "wait_time":
            case "wait_for":
            case "wait":
                CV.TimeNanoseconds(Substitute(arg), out long ns, out _);
                _timer!.ScheduleAfter(ns);
                return false;
            case "write":
            case "writeq":
            {
                string text = Substitute(arg);
                string handler = ClickConfigText.ShiftSpaceVec(ref text);
                CallWrite(handler, text);
                _pc++;
                return true;
            }

            case "read":
            case "readq":
            {
                // As Click's Script: readq removes a layer of quotes before substituting; the text is "HANDLER [PARAM]",
                // and the header names the handler without its parameter.
                string text = Substitute(op == "readq" ? ClickConfigText.Unquote(arg) : arg);
                if (CallRead(text, out string name) is { } value)
                {
                    Router.Master.Chatter.Write(value.Length == 0 || value.EndsWith('\n') ? $"{name}:\n{value}" : $"{name}:\n{value}\n");
                }

                _pc++;
                return true;
            }

            case "stop":
                Router.SetRunCount(0);
                _ended = true;
                _managesDriver = false;
                return false;
            case "loop":
                _pc = 0;
                return true;
            default:
                _pc++;
                return true;
        }
    }

    /// <summary>
    /// Calls a read handler as Click's HandlerCall does: <paramref name="text"/> is <c>HANDLER [PARAM]</c>, the first word
    /// naming the handler (a bare name is this element's own handler when it has one, otherwise the router's) and the
    /// rest its parameter. Returns the value, or null after printing the problem; <paramref name="name"/> is the handler's
    /// full name (<c>element.handler</c>).
    /// </summary>
    protected string? CallRead(string text, out string name)
    {
        string parameter = text;
        string handler = ClickConfigText.ShiftSpaceVec(ref parameter);
        name = handler;
        if (!Router.TryResolveHandler(handler, this, out Element? e, out string h, out string error))
        {
            Router.Master.Chatter.Write($"{Name}: {error}\n");
            return null;
        }

        name = Router.HandlerName(e, h);
        var errors = new ElementErrors();
        string? value = Router.CallRead(e, h, parameter, errors);
        foreach (string m in errors.Messages)
        {
            Router.Master.Chatter.Write($"{Name}: {m}\n");
        }

        return value;
    }

    protected void CallWrite(string handler, string value)
    {
        if (!Router.TryResolveHandler(handler, this, out Element? e, out string h, out string error))
        {
            Router.Master.Chatter.Write($"{Name}: {error}\n");
            return;
        }

        var errors = new ElementErrors();
        if (!Router.CallWrite(e, h, value, errors))
        {
            foreach (string m in errors.Messages)
            {
                Router.Master.Chatter.Write($"{Name}: {handler}: {m}\n");
            }
        }
    }

    /// <summary>
    /// Sets Script's run variables: <c>$args</c> is the whole text, <c>$1</c>, <c>$2</c>, ... its space-separated words
    /// and <c>$#</c> their number.
    /// </summary>
    protected void SetRunArguments(string arguments)
    {
        List<string> words = ClickConfigText.SpaceVec(arguments);
        _variables["args"] = arguments;
        _variables["#"] = words.Count.ToString(CultureInfo.InvariantCulture);
        for (int i = 1; i <= 9; i++)
        {
            _variables[i.ToString(CultureInfo.InvariantCulture)] = i <= words.Count ? words[i - 1] : string.Empty;
        }
    }

    /// <summary>Replaces <c>$VAR</c>, <c>${VAR}</c>, <c>$#</c> and <c>$(HANDLER [PARAM])</c> in <paramref name="text"/>.</summary>
    protected string Substitute(string text)
    {
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return text;
        }

        var sb = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i + 1 >= text.Length)
            {
                sb.Append(text[i]);
                continue;
            }

            if (text[i + 1] == '(')
            {
                int depth = 0;
                int j = i + 1;
                for (; j < text.Length; j++)
                {
                    depth += text[j] == '(' ? 1 : text[j] == ')' ? -1 : 0;
                    if (depth == 0)
                    {
                        break;
                    }
                }

                string inner = Substitute(text[(i + 2)..Math.Min(j, text.Length)]);
                sb.Append(Evaluate(inner));
                i = j;
            }
            else
            {
                int j = i + 1;
                bool braced = text[j] == '{';
                if (braced)
                {
                    j++;
                }

                int start = j;
                while (j < text.Length && (char.IsAsciiLetterOrDigit(text[j]) || text[j] == '_'))
                {
                    j++;
                }

                if (start == j && j < text.Length && text[j] == '#')
                {
                    j++;
                }

                string name = text[start..j];
                if (braced && j < text.Length && text[j] == '}')
                {
                    j++;
                }

                sb.Append(_variables.GetValueOrDefault(name, string.Empty));
                i = j - 1;
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// The value of <c>$(...)</c>: script variables were substituted inside it first; what remains is a read handler
    /// call <c>HANDLER [PARAM]</c> (Script's own arithmetic handlers are local: <c>$(add 1 2)</c>). A failed call leaves
    /// nothing. Our handlers end their values with a newline where Click 2's return bare values, so a final newline is
    /// dropped.
    /// </summary>
    private string Evaluate(string expression) => (CallRead(expression.Trim(), out _) ?? string.Empty).TrimEnd('\n');
}

/// <summary>
/// DriverManager(INSTRUCTIONS...): manages the driver's run: <c>wait_stop [N]</c>, <c>wait_time T</c> (or
/// <c>wait T</c>), <c>read H</c>, <c>write H ARGS</c>, <c>stop</c>, <c>loop</c>. With no instructions it waits
/// for one stop event. When the instructions end, the driver stops.
/// </summary>
internal sealed class DriverManager : InstructionRunner
{
    public override bool Configure(Args args, ElementErrors errors)
    {
        foreach (string arg in args.TakeRemainingPositional())
        {
            string rest = arg;
            string op = ClickConfigText.ShiftSpaceVec(ref rest);
            switch (op)
            {
                case "wait_stop":
                    if (rest.Length > 0 && (!CV.Int32(rest, out int n, out _) || n < 1))
                    {
                        errors.Error($"bad count in '{arg}'");
                    }

                    break;
                case "wait_time" or "wait":
                    if (!CV.TimeNanoseconds(rest, out _, out _))
                    {
                        errors.Error($"bad time in '{arg}'");
                    }

                    break;
                case "read" or "write" or "readq" or "writeq":
                    if (rest.Length == 0)
                    {
                        errors.Error($"missing handler in '{arg}'");
                    }

                    break;
                case "stop" or "loop":
                    break;
                default:
                    errors.Error($"unknown instruction '{op}'");
                    break;
            }

            _instructions.Add((op, rest));
        }

        if (_instructions.Count == 0)
        {
            _instructions.Add(("wait_stop", string.Empty));
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        base.Initialize(errors);
        _pc = 0;
        _timer!.ScheduleNow();
        _pc = -1;
        return true;
    }
}

/// <summary>
/// Script([TYPE,] INSTRUCTIONS...): a small script over handlers. TYPE is ACTIVE (runs at start), PASSIVE
/// (runs on the <c>run</c> or <c>step</c> handler) or DRIVER (runs at start and manages the driver: the
/// driver stops when the script ends). Instructions: <c>set VAR EXPR</c>, <c>init VAR EXPR</c>,
/// <c>print ARGS</c>, <c>printn ARGS</c>, <c>read H</c>, <c>write H ARGS</c>, <c>wait TIME</c>, <c>pause</c>,
/// <c>label L</c>, <c>goto L [COND]</c>, <c>loop</c>, <c>end</c>, <c>exit</c>, <c>return [V]</c>, <c>returnq [V]</c>,
/// <c>stop</c>; <c>$VAR</c>, <c>$args</c>, <c>$1</c>.., <c>$#</c> and <c>$(HANDLER [PARAM])</c> are substituted, and
/// <c>print</c> of text that starts with a letter prints a read handler's value. Read handlers with a parameter:
/// <c>run</c> (also writable), <c>add</c>, <c>sub</c>, <c>mul</c>, <c>div</c>, <c>idiv</c>, <c>eq</c>, <c>ne</c>,
/// <c>gt</c>, <c>ge</c>, <c>lt</c>, <c>le</c>, <c>not</c>, <c>first</c>, <c>sprintf</c>.
/// </summary>
internal sealed class Script : InstructionRunner
{
    private string _type = "ACTIVE";
    private string _returnValue = string.Empty;

    private static string? Fail(ElementErrors errors, string message)
    {
        errors.Error(message);
        return null;
    }

    /// <summary>Runs the script from its first instruction with <paramref name="arguments"/> as <c>$args</c>; returns what <c>return</c> gave.</summary>
    private string Run(string arguments)
    {
        _returnValue = string.Empty;
        SetRunArguments(arguments);
        _ended = false;
        _waitingForStop = false;
        _pc = 0;
        Step();
        return _returnValue;
    }

    public override bool Configure(Args args, ElementErrors errors)
    {
        List<string> all = args.TakeRemainingPositional();
        if (args.TryTake("TYPE", ArgFlags.None, out string type))
        {
            _type = type.Trim();
        }

        int first = 0;
        if (all.Count > 0 && all[0].Trim() is "ACTIVE" or "PASSIVE" or "DRIVER")
        {
            _type = all[0].Trim();
            first = 1;
        }

        if (_type is not ("ACTIVE" or "PASSIVE" or "DRIVER"))
        {
            errors.Error($"bad TYPE '{_type}'; expected ACTIVE, PASSIVE or DRIVER");
        }

        _managesDriver = _type == "DRIVER";
        foreach (string arg in all.Skip(first))
        {
            string rest = arg;
            string op = ClickConfigText.ShiftSpaceVec(ref rest);
            switch (op)
            {
                case "label":
                    _labels[rest.Trim()] = _instructions.Count;
                    break;
                case "init":
                {
                    string value = rest;
                    string name = ClickConfigText.ShiftSpaceVec(ref value);
                    _variables[name] = value;
                    break;
                }

                case "set" or "print" or "printn" or "read" or "readq" or "write" or "writeq" or "wait" or "wait_time" or "pause"
                    or "wait_stop" or "goto" or "loop" or "end" or "exit" or "stop" or "return" or "returnq":
                    break;
                default:
                    errors.Error($"unknown instruction '{op}'");
                    break;
            }

            _instructions.Add((op, rest));
        }

        foreach ((string op, string rest) in _instructions)
        {
            if (op == "goto")
            {
                string r = rest;
                string label = ClickConfigText.ShiftSpaceVec(ref r);
                if (!_labels.ContainsKey(label) && label != "begin" && label != "end")
                {
                    errors.Error($"no such label '{label}'");
                }
            }
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        base.Initialize(errors);
        if (_type != "PASSIVE")
        {
            _pc = -1;
            _timer!.ScheduleNow();
        }
        else
        {
            _ended = true;
        }

        return true;
    }

    protected override bool Execute(string op, string arg)
    {
        switch (op)
        {
            case "label" or "init":
                _pc++;
                return true;
            case "set":
            {
                string value = arg;
                string name = ClickConfigText.ShiftSpaceVec(ref value);
                _variables[name] = Substitute(value);
                _pc++;
                return true;
            }

            case "print" or "printn":
            {
                // As Click's Script: text that starts with a letter, '@' or '_' names a read handler (with an optional
                // parameter) whose value is printed; anything else loses a layer of quotes and is printed.
                string text = arg.Trim();
                string result;
                if (text.Length > 0 && (char.IsAsciiLetter(text[0]) || text[0] is '@' or '_'))
                {
                    result = CallRead(Substitute(text), out _) ?? string.Empty;
                }
                else
                {
                    result = ClickConfigText.Unquote(Substitute(text));
                }

                if (op == "print" && !result.EndsWith('\n'))
                {
                    result += "\n";
                }

                Router.Master.Chatter.Write(result);
                _pc++;
                return true;
            }

            case "goto":
            {
                string rest = arg;
                string label = ClickConfigText.ShiftSpaceVec(ref rest);
                string condition = Substitute(rest).Trim();
                if (condition.Length == 0 || condition is not ("false" or "0" or ""))
                {
                    _pc = label switch { "begin" => 0, "end" => _instructions.Count, _ => _labels[label] };
                }
                else
                {
                    _pc++;
                }

                return true;
            }

            case "return" or "returnq":
                _returnValue = Substitute(arg);
                if (op == "returnq")
                {
                    _returnValue = ClickConfigText.Unquote(_returnValue);
                }

                _pc = _instructions.Count;
                return true;
            case "end":
                _pc = _instructions.Count;
                return true;
            case "exit":
                _ended = true;
                _timer?.Unschedule();
                return false;
            default:
                return base.Execute(op, arg);
        }
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddWrite("run", (value, _) =>
        {
            Run(value);
            return true;
        });

        // Read with a parameter: runs the script with $args set to the parameter and returns what 'return' gave.
        handlers.AddReadParam("run", (parameter, _) => Run(parameter));
        foreach (string op in (ReadOnlySpan<string>)["add", "sub", "mul", "div", "idiv"])
        {
            handlers.AddReadParam(op, (parameter, errors) => ScriptArithmetic.Accumulate(op, parameter, errors));
        }

        foreach (string op in (ReadOnlySpan<string>)["eq", "ne", "gt", "ge", "lt", "le"])
        {
            handlers.AddReadParam(op, (parameter, errors) => ScriptArithmetic.Compare(op, parameter, errors));
        }

        handlers.AddReadParam("not", (parameter, errors) => CV.Bool(parameter, out bool b, out _) ? (b ? "false" : "true") : Fail(errors, "syntax error"));
        handlers.AddReadParam("sprintf", (parameter, errors) => ScriptArithmetic.Sprintf(parameter) ?? Fail(errors, "syntax error"));
        handlers.AddReadParam("first", (parameter, _) =>
        {
            string rest = parameter;
            return ClickConfigText.ShiftSpaceVec(ref rest);
        });
        handlers.AddWrite("step", (_, _) =>
        {
            if (_waitingForStop)
            {
                _waitingForStop = false;
                _pc++;
            }

            _ended = false;
            Step();
            return true;
        });
    }
}

/// <summary>
/// Script's arithmetic and comparison handlers, with Click's rules: a list of integers is added, subtracted, multiplied
/// or divided as 64-bit integers until a word is not an integer, then as doubles (<c>div</c> always in doubles,
/// <c>idiv</c> truncated to an integer); a comparison takes exactly two words, compares them as numbers when both are,
/// otherwise as unquoted strings in byte order.
/// </summary>
internal static class ScriptArithmetic
{
    public static string? Accumulate(string op, string parameter, ElementErrors errors)
    {
        bool additive = op is "add" or "sub";
        long accum = additive ? 0 : 1;
        double daccum = accum;
        bool useDouble = op is "div" or "idiv";
        bool first = true;
        foreach (string word in ClickConfigText.SpaceVec(parameter))
        {
            if (!useDouble && !TryInteger(word, out _))
            {
                useDouble = true;
                daccum = accum;
            }

            if (useDouble)
            {
                if (!TryReal(word, out double d))
                {
                    errors.Error("expected list of numbers");
                    return null;
                }

                daccum = first ? d : op switch
                {
                    "add" => daccum + d,
                    "sub" => daccum - d,
                    "mul" => daccum * d,
                    _ => daccum / d,
                };
            }
            else
            {
                TryInteger(word, out long v);
                accum = first ? v : op switch
                {
                    "add" => unchecked(accum + v),
                    "sub" => unchecked(accum - v),
                    _ => unchecked(accum * v),
                };
            }

            first = false;
        }

        if (op == "idiv")
        {
            return double.IsFinite(daccum) ? ((long)Math.Truncate(daccum)).ToString(CultureInfo.InvariantCulture) : FormatReal(daccum);
        }

        return useDouble ? FormatReal(daccum) : accum.ToString(CultureInfo.InvariantCulture);
    }

    public static string? Compare(string op, string parameter, ElementErrors errors)
    {
        List<string> words = ClickConfigText.SpaceVec(parameter);
        if (words.Count != 2)
        {
            errors.Error("expected two numbers");
            return null;
        }

        int c;
        if (TryInteger(words[0], out long a) && TryInteger(words[1], out long b))
        {
            c = a.CompareTo(b);
        }
        else if (TryReal(words[0], out double da) && TryReal(words[1], out double db))
        {
            c = da < db ? -1 : da == db ? 0 : 1;
        }
        else
        {
            c = Math.Sign(string.CompareOrdinal(ClickConfigText.Unquote(words[0]), ClickConfigText.Unquote(words[1])));
        }

        bool result = op switch
        {
            "eq" => c == 0,
            "ne" => c != 0,
            "lt" => c < 0,
            "le" => c <= 0,
            "gt" => c > 0,
            _ => c >= 0,
        };
        return result ? "true" : "false";
    }

    /// <summary>
    /// Script's <c>sprintf FORMAT ARGS...</c>: FORMAT (unquoted) is C's printf format with the conversions Click allows,
    /// <c>d i u o x X s %</c>, flags <c>0 # - space +</c>, a width or <c>*</c>, a precision or <c>.*</c>, and the size
    /// letters <c>h l ll L q</c> (<c>h</c> narrows to 16 bits; integers are 64 bits otherwise). Each conversion takes the
    /// next space-separated argument. Null (Click's <c>syntax error</c>) for a bad conversion, a missing or bad argument,
    /// or arguments left over.
    /// </summary>
    public static string? Sprintf(string parameter)
    {
        string rest = parameter;
        string format = ClickConfigText.Unquote(ClickConfigText.ShiftSpaceVec(ref rest));
        var sb = new System.Text.StringBuilder();
        int i = 0;
        while (i < format.Length)
        {
            char c = format[i++];
            if (c != '%')
            {
                sb.Append(c);
                continue;
            }

            string flags = string.Empty;
            while (i < format.Length && format[i] is '0' or '#' or '-' or ' ' or '+')
            {
                flags += format[i++];
            }

            int width = 0;
            if (i < format.Length && format[i] == '*')
            {
                i++;
                if (!TryInteger(ClickConfigText.ShiftSpaceVec(ref rest), out long w) || w > 4096 || w < -4096)
                {
                    return null;
                }

                if (w < 0)
                {
                    flags += '-';
                }

                width = (int)Math.Abs(w);
            }
            else
            {
                while (i < format.Length && char.IsAsciiDigit(format[i]) && width < 4096)
                {
                    width = (width * 10) + (format[i++] - '0');
                }
            }

            int precision = -1;
            if (i < format.Length && format[i] == '.')
            {
                i++;
                precision = 0;
                if (i < format.Length && format[i] == '*')
                {
                    i++;
                    if (!TryInteger(ClickConfigText.ShiftSpaceVec(ref rest), out long pr) || pr < 0 || pr > 4096)
                    {
                        return null;
                    }

                    precision = (int)pr;
                }
                else
                {
                    while (i < format.Length && char.IsAsciiDigit(format[i]) && precision < 4096)
                    {
                        precision = (precision * 10) + (format[i++] - '0');
                    }
                }
            }

            bool narrow = false;
            while (i < format.Length && format[i] is 'h' or 'l' or 'L' or 'q')
            {
                narrow = format[i++] == 'h';
            }

            if (i >= format.Length)
            {
                return null;
            }

            char conversion = format[i++];
            string? piece = conversion switch
            {
                '%' => "%",
                'd' or 'i' or 'u' or 'o' or 'x' or 'X' => FormatInteger(ClickConfigText.ShiftSpaceVec(ref rest), conversion, flags, precision, narrow),
                's' => ClickConfigText.TryParseString(ClickConfigText.ShiftSpaceVec(ref rest), out string str)
                    ? (precision >= 0 && precision < str.Length ? str[..precision] : str)
                    : null,
                _ => null,
            };
            if (piece is null)
            {
                return null;
            }

            if (conversion != '%' && piece.Length < width)
            {
                bool zeroPad = flags.Contains('0', StringComparison.Ordinal) && !flags.Contains('-', StringComparison.Ordinal)
                    && conversion != 's' && precision < 0;
                if (flags.Contains('-', StringComparison.Ordinal))
                {
                    piece = piece.PadRight(width);
                }
                else if (zeroPad)
                {
                    int signEnd = piece.StartsWith("0x", StringComparison.Ordinal) || piece.StartsWith("0X", StringComparison.Ordinal) ? 2
                        : piece.Length > 0 && piece[0] is '-' or '+' or ' ' ? 1 : 0;
                    piece = piece[..signEnd] + new string('0', width - piece.Length) + piece[signEnd..];
                }
                else
                {
                    piece = piece.PadLeft(width);
                }
            }

            sb.Append(piece);
        }

        return ClickConfigText.SpaceVec(rest).Count == 0 ? sb.ToString() : null;
    }

    private static string? FormatInteger(string word, char conversion, string flags, int precision, bool narrow)
    {
        // Signed conversions read a signed integer, unsigned ones an unsigned integer (no minus sign), as Click's cp_integer.
        long v;
        if (conversion is 'd' or 'i')
        {
            if (!TryInteger(word, out v))
            {
                return null;
            }
        }
        else if (CV.TryParseInteger(word, out ulong unsignedValue))
        {
            v = unchecked((long)unsignedValue);
        }
        else
        {
            return null;
        }

        string sign = string.Empty;
        string digits;
        if (conversion is 'd' or 'i')
        {
            long n = narrow ? (short)v : v;
            sign = n < 0 ? "-" : flags.Contains('+', StringComparison.Ordinal) ? "+" : flags.Contains(' ', StringComparison.Ordinal) ? " " : string.Empty;
            digits = n < 0 ? ((ulong)(-(n + 1)) + 1).ToString(CultureInfo.InvariantCulture) : n.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            ulong u = narrow ? (ushort)v : unchecked((ulong)v);
            digits = conversion switch
            {
                'u' => u.ToString(CultureInfo.InvariantCulture),
                'o' => Convert.ToString(unchecked((long)u), 8),
                'x' => u.ToString("x", CultureInfo.InvariantCulture),
                _ => u.ToString("X", CultureInfo.InvariantCulture),
            };
        }

        if (precision == 0 && digits == "0")
        {
            digits = string.Empty;
        }
        else if (precision > digits.Length)
        {
            digits = new string('0', precision - digits.Length) + digits;
        }

        if (flags.Contains('#', StringComparison.Ordinal))
        {
            if (conversion == 'o' && !digits.StartsWith('0'))
            {
                digits = "0" + digits;
            }
            else if (conversion is 'x' or 'X' && v != 0)
            {
                sign = conversion == 'x' ? "0x" : "0X";
            }
        }

        return sign + digits;
    }

    /// <summary>Click's integer syntax (decimal, <c>0x</c> hexadecimal, leading-0 octal, <c>0b</c> binary), signed, 64 bits.</summary>
    private static bool TryInteger(string word, out long value)
    {
        value = 0;
        bool negative = word.StartsWith('-');
        string digits = negative || word.StartsWith('+') ? word[1..] : word;
        if (!CV.TryParseInteger(digits, out ulong magnitude) || magnitude > (negative ? 1UL << 63 : long.MaxValue))
        {
            return false;
        }

        value = negative ? unchecked(-(long)magnitude) : (long)magnitude;
        return true;
    }

    private static bool TryReal(string word, out double value) =>
        double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>A double as C's <c>%.12g</c>, which Click's String(double) uses.</summary>
    private static string FormatReal(double v)
    {
        if (double.IsNaN(v))
        {
            return "nan";
        }

        if (double.IsInfinity(v))
        {
            return v > 0 ? "inf" : "-inf";
        }

        return v.ToString("G12", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
    }
}
