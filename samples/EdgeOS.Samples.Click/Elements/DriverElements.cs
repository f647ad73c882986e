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
                string handler = Substitute(arg).Trim();
                string value = CallRead(handler);
                Router.Master.Chatter.Write(value.Length == 0 || value.EndsWith('\n') ? $"{handler}:\n{value}" : $"{handler}:\n{value}\n");
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

    protected string CallRead(string handler)
    {
        if (!Router.TryResolveHandler(handler, this, out Element? e, out string h, out string error))
        {
            Router.Master.Chatter.Write($"{Name}: {error}\n");
            return string.Empty;
        }

        try
        {
            return Router.CallRead(e, h);
        }
        catch (ClickRuntimeException ex)
        {
            Router.Master.Chatter.Write($"{Name}: {ex.Message}\n");
            return string.Empty;
        }
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

    /// <summary>Replaces <c>$VAR</c>, <c>${VAR}</c> and <c>$(HANDLER)</c> (and the arithmetic built-ins) in <paramref name="text"/>.</summary>
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

    private string Evaluate(string expression)
    {
        List<string> words = ClickConfigText.SpaceVec(expression);
        if (words.Count >= 2 && words[0] is "add" or "sub" or "mul" or "div" or "eq" or "ne" or "lt" or "gt" or "le" or "ge" or "not")
        {
            double[] n = [.. words.Skip(1).Select(w => CV.Double(w, out double v, out _) ? v : 0)];
            return words[0] switch
            {
                "add" => Fmt(n.Sum()),
                "sub" => Fmt(n.Skip(1).Aggregate(n[0], (a, b) => a - b)),
                "mul" => Fmt(n.Aggregate(1.0, (a, b) => a * b)),
                "div" => Fmt(n.Length > 1 && n[1] != 0 ? Math.Floor(n[0] / n[1]) : 0),
                "eq" => B(words.Count > 2 && words[1] == words[2]),
                "ne" => B(words.Count > 2 && words[1] != words[2]),
                "lt" => B(n.Length > 1 && n[0] < n[1]),
                "gt" => B(n.Length > 1 && n[0] > n[1]),
                "le" => B(n.Length > 1 && n[0] <= n[1]),
                "ge" => B(n.Length > 1 && n[0] >= n[1]),
                _ => B(words[1] is "false" or "0"),
            };
        }

        return CallRead(expression.Trim()).TrimEnd('\n');

        static string Fmt(double v) => v.ToString(CultureInfo.InvariantCulture);
        static string B(bool v) => v ? "true" : "false";
    }
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
/// <c>label L</c>, <c>goto L [COND]</c>, <c>loop</c>, <c>end</c>, <c>exit</c>, <c>stop</c>; <c>$VAR</c>,
/// <c>$(HANDLER)</c> and <c>$(add|sub|mul|div|eq|ne|lt|gt|le|ge|not ...)</c> are substituted.
/// </summary>
internal sealed class Script : InstructionRunner
{
    private string _type = "ACTIVE";

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
                    or "wait_stop" or "goto" or "loop" or "end" or "exit" or "stop" or "return":
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
                string text = string.Join(' ', ClickConfigText.SpaceVec(Substitute(arg)).Select(ClickConfigText.Unquote));
                Router.Master.Chatter.Write(op == "print" ? text + "\n" : text);
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

            case "end" or "return":
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
        handlers.AddWrite("run", (_, _) =>
        {
            _ended = false;
            _pc = 0;
            Step();
            return true;
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
