using System.Globalization;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using CV = EdgeOS.Samples.Click.Runtime.ClickValues;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>AddressInfo(NAME ADDRESS [ADDRESS...], ...): names IP addresses, IP prefixes and Ethernet addresses for other elements' arguments.</summary>
internal sealed class AddressInfo : Element
{
    public override int ConfigurePhase => ConfigurePhaseInfo;

    public override bool Configure(Args args, ElementErrors errors)
    {
        foreach (string arg in args.TakeRemainingPositional())
        {
            List<string> words = ClickConfigText.SpaceVec(arg);
            if (words.Count < 2)
            {
                errors.Error($"expected 'NAME [ADDRS]', got '{arg}'");
                continue;
            }

            string name = words[0];
            foreach (string w in words.Skip(1))
            {
                string word = ClickConfigText.Unquote(w);
                if (word.Contains('/', StringComparison.Ordinal) && CV.TryParseIPPrefix(word, out uint a, out uint m))
                {
                    Router.Addresses.AddPrefix(name, a & m, m);
                    Router.Addresses.AddIP(name, a);
                }
                else if (CV.TryParseIPAddress(word, out uint ip))
                {
                    Router.Addresses.AddIP(name, ip);
                }
                else if (CV.TryParseEthernetAddress(word, out ulong eth))
                {
                    Router.Addresses.AddEthernet(name, eth);
                }
                else
                {
                    errors.Error($"\"{word}\" is not a recognizable address");
                }
            }
        }

        return args.Complete();
    }
}

/// <summary>PortInfo(NAME PORT[/PROTOCOL], ...): names TCP/UDP ports (readable through the <c>ports</c>-style lookup of other elements).</summary>
internal sealed class PortInfo : Element
{
    private readonly Dictionary<string, (int Port, string Protocol)> _ports = new(StringComparer.Ordinal);

    public override int ConfigurePhase => ConfigurePhaseInfo;

    public IReadOnlyDictionary<string, (int Port, string Protocol)> Ports => _ports;

    public override bool Configure(Args args, ElementErrors errors)
    {
        foreach (string arg in args.TakeRemainingPositional())
        {
            List<string> words = ClickConfigText.SpaceVec(arg);
            if (words.Count != 2)
            {
                errors.Error($"expected 'NAME PORT/PROTOCOL', got '{arg}'");
                continue;
            }

            string[] pp = words[1].Split('/');
            if (!int.TryParse(pp[0], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535
                || (pp.Length == 2 && pp[1] is not ("tcp" or "udp")) || pp.Length > 2)
            {
                errors.Error($"bad port '{words[1]}'");
                continue;
            }

            _ports[words[0]] = (port, pp.Length == 2 ? pp[1] : "tcp");
        }

        return args.Complete();
    }

    public override void AddHandlers(HandlerTable handlers) =>
        handlers.AddRead("table", () => string.Concat(_ports.Select(kv => $"{kv.Key} {kv.Value.Port}/{kv.Value.Protocol}\n")));
}

/// <summary>
/// AlignmentInfo(ELEMENT [MODULUS OFFSET]...): Click uses it to tell elements how their input data is aligned.
/// Managed code reads unaligned data safely, so the information has no effect here; the arguments are checked
/// (element names and integer pairs) so that a typo is still an error.
/// </summary>
internal sealed class AlignmentInfo : Element
{
    public override int ConfigurePhase => ConfigurePhaseInfo;

    public override bool Configure(Args args, ElementErrors errors)
    {
        foreach (string arg in args.TakeRemainingPositional())
        {
            List<string> words = ClickConfigText.SpaceVec(arg);
            if (words.Count == 0 || words.Count % 2 != 1 || words.Skip(1).Any(w => !CV.Int32(w, out _, out _)))
            {
                errors.Error($"expected 'ELEMENT [MODULUS OFFSET]...', got '{arg}'");
            }
        }

        return args.Complete();
    }
}

/// <summary>
/// ScheduleInfo(ELEMENT PARAM, ...): Click's stride-scheduling tickets. This driver runs tasks round-robin,
/// so the parameters are validated and kept (handler <c>table</c>) and a warning says they do not weight scheduling.
/// </summary>
internal sealed class ScheduleInfo : Element
{
    private readonly List<(string Element, double Parameter)> _entries = [];

    public override int ConfigurePhase => ConfigurePhaseInfo;

    public override bool Configure(Args args, ElementErrors errors)
    {
        foreach (string arg in args.TakeRemainingPositional())
        {
            List<string> words = ClickConfigText.SpaceVec(arg);
            if (words.Count != 2 || !CV.Double(words[1], out double v, out _) || v <= 0)
            {
                errors.Error($"expected 'ELEMENTNAME PARAM', got '{arg}'");
                continue;
            }

            _entries.Add((words[0], v));
        }

        if (_entries.Count > 0)
        {
            errors.Warning("tasks are scheduled round-robin here; ScheduleInfo parameters do not change their share");
        }

        return args.Complete();
    }

    public override void AddHandlers(HandlerTable handlers) =>
        handlers.AddRead("table", () => string.Concat(_entries.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Element} {e.Parameter}\n"))));
}
