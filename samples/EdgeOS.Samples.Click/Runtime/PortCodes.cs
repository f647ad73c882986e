using System.Globalization;

namespace EdgeOS.Samples.Click.Runtime;

/// <summary>Click's port count, processing and flow codes (element.hh: port_count, processing, flow_code).</summary>
internal static class PortCodes
{
    public const int Push = 1;
    public const int Pull = 2;
    public const int Agnostic = 3;

    /// <summary>
    /// Resolves a port count code (<c>"1/1-2"</c>, <c>"1-/="</c>, <c>"-/-"</c>, <c>"1/=+"</c>) against the ports
    /// the connections use: each count is the used count clamped to the code's range.
    /// </summary>
    public static bool TryResolveCounts(string code, int usedInputs, int usedOutputs, out int inputs, out int outputs)
    {
        inputs = outputs = 0;
        int slash = code.IndexOf('/', StringComparison.Ordinal);
        string inPart = slash < 0 ? code : code[..slash];
        string outPart = slash < 0 ? code : code[(slash + 1)..];
        if (!TryRange(inPart, out int inLo, out int inHi))
        {
            return false;
        }

        inputs = Math.Clamp(usedInputs, inLo, inHi);
        if (outPart.StartsWith('='))
        {
            int plus = 0;
            for (int i = 1; i < outPart.Length; i++)
            {
                if (outPart[i] != '+')
                {
                    return false;
                }

                plus++;
            }

            outputs = inputs + plus;
            return true;
        }

        if (!TryRange(outPart, out int outLo, out int outHi))
        {
            return false;
        }

        outputs = Math.Clamp(usedOutputs, outLo, outHi);
        return true;
    }

    private static bool TryRange(string s, out int lo, out int hi)
    {
        lo = 0;
        hi = int.MaxValue;
        if (s.Length == 0)
        {
            return false;
        }

        int dash = s.IndexOf('-', StringComparison.Ordinal);
        string a = dash < 0 ? s : s[..dash];
        string b = dash < 0 ? s : s[(dash + 1)..];
        if (a.Length > 0 && !int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out lo))
        {
            return false;
        }

        if (dash < 0)
        {
            hi = lo;
            return true;
        }

        if (b.Length > 0 && !int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out hi))
        {
            return false;
        }

        return lo <= hi;
    }

    /// <summary>The processing of input or output <paramref name="port"/> from a code like <c>"a/ah"</c> (the last letter repeats).</summary>
    public static int ProcessingOf(string code, bool output, int port)
    {
        int slash = code.IndexOf('/', StringComparison.Ordinal);
        string part = slash < 0 ? code : output ? code[(slash + 1)..] : code[..slash];
        if (part.Length == 0)
        {
            return Agnostic;
        }

        char c = part[Math.Min(port, part.Length - 1)];
        return c switch { 'h' => Push, 'l' => Pull, _ => Agnostic };
    }

    /// <summary>Whether input <paramref name="input"/> can reach output <paramref name="output"/> under a flow code.</summary>
    public static bool Flows(string flowCode, int input, int output)
    {
        if (flowCode.Length == 0 || flowCode == "x/x")
        {
            return true;
        }

        int slash = flowCode.IndexOf('/', StringComparison.Ordinal);
        string inPart = slash < 0 ? flowCode : flowCode[..slash];
        string outPart = slash < 0 ? flowCode : flowCode[(slash + 1)..];
        HashSet<int> a = CodeAt(inPart, input, input, output);
        HashSet<int> b = CodeAt(outPart, output, input, output);
        return a.Overlaps(b);
    }

    private static HashSet<int> CodeAt(string part, int port, int input, int output)
    {
        var items = new List<string>();
        for (int i = 0; i < part.Length;)
        {
            if (part[i] == '[')
            {
                int end = part.IndexOf(']', i);
                end = end < 0 ? part.Length - 1 : end;
                items.Add(part[i..(end + 1)]);
                i = end + 1;
            }
            else
            {
                items.Add(part[i].ToString());
                i++;
            }
        }

        var set = new HashSet<int>();
        if (items.Count == 0)
        {
            return set;
        }

        string item = items[Math.Min(port, items.Count - 1)];
        bool negated = item.StartsWith("[^", StringComparison.Ordinal);
        string letters = item.StartsWith('[') ? item.Trim('[', ']', '^') : item;
        foreach (char c in letters)
        {
            set.Add(c == '#' ? 256 + port : c);
        }

        if (negated)
        {
            var all = new HashSet<int>();
            for (int c = 'A'; c <= 'z'; c++)
            {
                if (!set.Contains(c))
                {
                    all.Add(c);
                }
            }

            foreach (int x in new[] { 256 + input, 256 + output })
            {
                if (!set.Contains(x))
                {
                    all.Add(x);
                }
            }

            return all;
        }

        return set;
    }
}
