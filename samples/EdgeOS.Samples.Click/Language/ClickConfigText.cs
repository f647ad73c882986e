using System.Globalization;
using System.Text;

namespace EdgeOS.Samples.Click.Language;

/// <summary>
/// Click's rules for configuration strings as text: comments, quoting, backslash escapes, splitting at
/// commas and spaces, keyword arguments and <c>$variable</c> expansion (click(5), "Configuration strings").
/// The runtime's argument parsing builds on the same rules.
/// </summary>
internal static class ClickConfigText
{
    /// <summary>Click's definition of space: C's <c>isspace</c> in the C locale.</summary>
    public static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    /// <summary>C's <c>isalnum</c> in the C locale (ASCII letters and digits only).</summary>
    public static bool IsAlnum(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9');

    /// <summary>Index just past the comment starting at <paramref name="i"/> (which is <c>//</c> or <c>/*</c>).</summary>
    public static int SkipComment(string s, int i, int end)
    {
        if (s[i + 1] == '/')
        {
            for (i += 2; i + 1 < end && s[i] != '\n' && s[i] != '\r'; i++)
            {
            }

            if (i + 1 < end && s[i] == '\r' && s[i + 1] == '\n')
            {
                i++;
            }

            return i + 1;
        }

        for (i += 2; i + 2 < end && (s[i] != '*' || s[i + 1] != '/'); i++)
        {
        }

        return i + 2;
    }

    private static int SkipBackslash(string s, int i, int end)
    {
        if (i + 1 >= end)
        {
            return i + 1;
        }

        if (s[i + 1] == '<')
        {
            for (i += 2; i < end;)
            {
                if (s[i] == '>')
                {
                    return i + 1;
                }

                if (s[i] == '/' && i + 1 < end && (s[i + 1] == '/' || s[i + 1] == '*'))
                {
                    i = SkipComment(s, i, end);
                }
                else
                {
                    i++;
                }
            }

            return i;
        }

        if (s[i + 1] == '\r' && i + 2 < end && s[i + 2] == '\n')
        {
            return i + 3;
        }

        return i + 2;
    }

    /// <summary>Index just past the double-quoted string starting at <paramref name="i"/>, or <paramref name="end"/>.</summary>
    public static int SkipDoubleQuote(string s, int i, int end)
    {
        for (i++; i < end;)
        {
            if (s[i] == '\\')
            {
                i = SkipBackslash(s, i, end);
            }
            else if (s[i] == '"')
            {
                return i + 1;
            }
            else
            {
                i++;
            }
        }

        return end;
    }

    private static int SkipSingleQuote(string s, int i, int end)
    {
        for (i++; i < end; i++)
        {
            if (s[i] == '\'')
            {
                return i + 1;
            }
        }

        return end;
    }

    /// <summary>Index of the first character that is neither space nor inside a comment.</summary>
    public static int SkipCommentSpace(string s, int i, int end)
    {
        for (; i < end; i++)
        {
            if (IsSpace(s[i]))
            {
                continue;
            }

            if (s[i] == '/' && i + 1 < end && (s[i + 1] == '/' || s[i + 1] == '*'))
            {
                i = SkipComment(s, i, end) - 1;
            }
            else
            {
                break;
            }
        }

        return i;
    }

    // One argument starting at 'start': leading space removed, trailing space removed, comments and the
    // spaces around them replaced by one space. Stops at an unquoted comma when 'stopAtComma'.
    private static string PartialUncomment(string str, int start, bool stopAtComma, out int stop)
    {
        int end = str.Length;
        int s = SkipCommentSpace(str, start, end);
        StringBuilder? sb = null;
        int left = s, right = s;
        bool closed = false;
        while (s < end)
        {
            char c = str[s];
            if (IsSpace(c))
            {
                s++;
            }
            else if (c == '/' && s + 1 < end && (str[s + 1] == '/' || str[s + 1] == '*'))
            {
                s = SkipComment(str, s, end);
                closed = true;
            }
            else if (c == ',' && stopAtComma)
            {
                break;
            }
            else
            {
                if (closed)
                {
                    sb ??= new StringBuilder();
                    sb.Append(str, left, right - left).Append(' ');
                    left = s;
                    closed = false;
                }

                if (c == '\'')
                {
                    s = SkipSingleQuote(str, s, end);
                }
                else if (c == '"')
                {
                    s = SkipDoubleQuote(str, s, end);
                }
                else if (c == '\\' && s + 1 < end && str[s + 1] == '<')
                {
                    s = SkipBackslash(str, s, end);
                }
                else
                {
                    s++;
                }

                right = s;
            }
        }

        stop = s;
        if (sb is null)
        {
            return str[left..right];
        }

        sb.Append(str, left, right - left);
        return sb.ToString();
    }

    /// <summary>Click's <c>cp_uncomment</c>: trims space and replaces comments (with their surrounding space) by one space.</summary>
    public static string Uncomment(string str) => PartialUncomment(str, 0, false, out _);

    /// <summary>
    /// Click's <c>cp_argvec</c>: splits at unquoted commas, uncommenting each argument; a final empty
    /// argument is dropped (<c>Element(1, )</c> has one argument).
    /// </summary>
    public static List<string> ArgVec(string str)
    {
        var result = new List<string>();
        int len = str.Length;
        for (int pos = 0; pos < len; pos++)
        {
            string arg = PartialUncomment(str, pos, true, out pos);
            if (arg.Length > 0 || pos < len)
            {
                result.Add(arg);
            }
        }

        return result;
    }

    private static int SkipSpaceVecItem(string s, int i, int end)
    {
        while (i < end)
        {
            char c = s[i];
            switch (c)
            {
                case '/':
                    if (i + 1 < end && (s[i + 1] == '/' || s[i + 1] == '*'))
                    {
                        return i;
                    }

                    i++;
                    break;
                case '"':
                    i = SkipDoubleQuote(s, i, end);
                    break;
                case '\'':
                    i = SkipSingleQuote(s, i, end);
                    break;
                case '\\':
                    i = i + 1 < end && s[i + 1] == '<' ? SkipBackslash(s, i, end) : i + 1;
                    break;
                case ' ' or '\f' or '\n' or '\r' or '\t' or '\v':
                    return i;
                default:
                    i++;
                    break;
            }
        }

        return i;
    }

    /// <summary>Click's <c>cp_spacevec</c>: splits at unquoted spaces, skipping comments.</summary>
    public static List<string> SpaceVec(string str)
    {
        var result = new List<string>();
        int end = str.Length;
        int s = 0;
        while ((s = SkipCommentSpace(str, s, end)) < end)
        {
            int t = SkipSpaceVecItem(str, s, end);
            result.Add(str[s..t]);
            s = t;
        }

        return result;
    }

    /// <summary>Click's <c>cp_shift_spacevec</c>: removes and returns the first space-separated word.</summary>
    public static string ShiftSpaceVec(ref string str)
    {
        int end = str.Length;
        int item = SkipCommentSpace(str, 0, end);
        int itemEnd = SkipSpaceVecItem(str, item, end);
        string answer = str[item..itemEnd];
        itemEnd = SkipCommentSpace(str, itemEnd, end);
        str = str[itemEnd..];
        return answer;
    }

    /// <summary>Processes one backslash escape at <paramref name="i"/> (inside double quotes), appending its value.</summary>
    public static int ProcessBackslash(string s, int i, int end, StringBuilder sb)
    {
        if (i == end - 1)
        {
            sb.Append('\\');
            return end;
        }

        char c = s[i + 1];
        switch (c)
        {
            case '\r':
                return i + 2 < end && s[i + 2] == '\n' ? i + 3 : i + 2;
            case '\n':
                return i + 2;
            case 'a': sb.Append('\a'); return i + 2;
            case 'b': sb.Append('\b'); return i + 2;
            case 'f': sb.Append('\f'); return i + 2;
            case 'n': sb.Append('\n'); return i + 2;
            case 'r': sb.Append('\r'); return i + 2;
            case 't': sb.Append('\t'); return i + 2;
            case 'v': sb.Append('\v'); return i + 2;
            case >= '0' and <= '7':
            {
                int value = 0, digits = 0;
                for (i++; i < end && s[i] >= '0' && s[i] <= '7' && digits < 3; i++, digits++)
                {
                    value = (value * 8) + (s[i] - '0');
                }

                sb.Append((char)(value & 0xFF));
                return i;
            }

            case 'x':
            {
                int value = 0;
                for (i += 2; i < end; i++)
                {
                    int h = HexValue(s[i]);
                    if (h < 0)
                    {
                        break;
                    }

                    value = (value * 16) + h;
                }

                // Only the last two hex digits count (click(5)).
                sb.Append((char)(value & 0xFF));
                return i;
            }

            case '<':
            {
                int value = 0, digits = 0;
                for (i += 2; i < end; i++)
                {
                    if (s[i] == '>')
                    {
                        return i + 1;
                    }

                    int h = HexValue(s[i]);
                    if (h < 0)
                    {
                        if (s[i] == '/' && i + 1 < end && (s[i + 1] == '/' || s[i + 1] == '*'))
                        {
                            i = SkipComment(s, i, end) - 1;
                        }

                        continue;
                    }

                    value = (value * 16) + h;
                    if (++digits == 2)
                    {
                        sb.Append((char)value);
                        value = digits = 0;
                    }
                }

                return end;
            }

            default:
                sb.Append(c);
                return i + 2;
        }
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>
    /// Click's <c>cp_unquote</c>: uncomments, then removes one level of quoting; backslash escapes are
    /// processed inside double quotes, and a bare <c>\&lt;...&gt;</c> acts as if double-quoted.
    /// </summary>
    public static string Unquote(string str)
    {
        string x = Uncomment(str);
        int end = x.Length;
        var sb = new StringBuilder();
        int start = 0;
        char quote = '\0';
        int s = 0;
        for (; s < end; s++)
        {
            char c = x[s];
            if (c is '"' or '\'')
            {
                if (quote == '\0')
                {
                    sb.Append(x, start, s - start);
                    start = s + 1;
                    quote = c;
                }
                else if (quote == c)
                {
                    sb.Append(x, start, s - start);
                    start = s + 1;
                    quote = '\0';
                }
            }
            else if (c == '\\' && s + 1 < end && (quote == '"' || (quote == '\0' && x[s + 1] == '<')))
            {
                sb.Append(x, start, s - start);
                start = ProcessBackslash(x, s, end, sb);
                s = start - 1;
            }
        }

        if (start == 0)
        {
            return x;
        }

        if (start < s)
        {
            sb.Append(x, start, s - start);
        }

        return sb.ToString();
    }

    /// <summary>Click's <c>cp_quote</c>: a double-quoted string that unquotes to <paramref name="str"/>.</summary>
    public static string Quote(string str)
    {
        var sb = new StringBuilder(str.Length + 2);
        sb.Append('"');
        foreach (char c in str)
        {
            switch (c)
            {
                case '\\' or '"' or '$':
                    sb.Append('\\').Append(c);
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                default:
                    if (c < 32 || c >= 127)
                    {
                        int u = c & 0xFF;
                        sb.Append('\\').Append((char)('0' + (u >> 6))).Append((char)('0' + ((u >> 3) & 7))).Append((char)('0' + (u & 7)));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    /// <summary>Click's word test: printable ASCII without quotes, backslash or comma.</summary>
    public static bool IsWord(string str)
    {
        foreach (char c in str)
        {
            if (c is '"' or '\'' or '\\' or ',' || c <= 32 || c >= 127)
            {
                return false;
            }
        }

        return str.Length > 0;
    }

    /// <summary>Click's string argument: one unquoted-space-free item, unquoted.</summary>
    public static bool TryParseString(string str, out string result)
    {
        int end = str.Length;
        int s = 0;
        while (s < end)
        {
            char c = str[s];
            if (c is ' ' or '\f' or '\n' or '\r' or '\t' or '\v')
            {
                break;
            }

            s = c switch
            {
                '"' => SkipDoubleQuote(str, s, end),
                '\'' => SkipSingleQuote(str, s, end),
                '\\' => s + 1 < end && str[s + 1] == '<' ? SkipBackslash(str, s, end) : s + 1,
                _ => s + 1,
            };
        }

        if (s == 0 || s != end)
        {
            result = string.Empty;
            return false;
        }

        result = Unquote(str);
        return true;
    }

    /// <summary>Click's word argument: a string argument whose value is a word.</summary>
    public static bool TryParseWord(string str, out string result)
    {
        if (TryParseString(str, out result) && IsWord(result))
        {
            return true;
        }

        result = string.Empty;
        return false;
    }

    /// <summary>
    /// Splits <c>KEYWORD value</c>: keywords are <c>[A-Za-z0-9_.:?!]+</c>; <paramref name="rest"/> is what
    /// follows the spaces after it. Returns false when the argument does not start with a keyword.
    /// </summary>
    public static bool TrySplitKeyword(string str, out string keyword, out string rest)
    {
        int s = 0;
        for (; s < str.Length; s++)
        {
            char c = str[s];
            if (c is ' ' or '\f' or '\n' or '\r' or '\t' or '\v')
            {
                break;
            }

            if (!IsAlnum(c) && c is not ('_' or '.' or ':' or '?' or '!'))
            {
                keyword = rest = string.Empty;
                return false;
            }
        }

        if (s == 0)
        {
            keyword = rest = string.Empty;
            return false;
        }

        keyword = str[..s];
        while (s < str.Length && IsSpace(str[s]))
        {
            s++;
        }

        rest = str[s..];
        return true;
    }

    /// <summary>
    /// Matches compound-element arguments to formal parameters as Click does: <paramref name="keys"/> holds
    /// one entry per formal, empty for positional, the keyword for keyword formals (all mandatory), and
    /// <c>__REST__</c> last to collect what is left. Returns false on any mismatch.
    /// </summary>
    public static bool TryAssignArguments(IReadOnlyList<string> args, IReadOnlyList<string> keys, out List<string> values)
    {
        values = [];
        if (keys.Count == 0 || keys[^1].Length == 0)
        {
            if (args.Count != keys.Count)
            {
                return false;
            }

            values.AddRange(args);
            return true;
        }

        bool collectRest = keys[^1] == "__REST__";
        int nvalues = collectRest ? keys.Count - 1 : keys.Count;
        int npositional = 0;
        while (npositional < nvalues && keys[npositional].Length == 0)
        {
            npositional++;
        }

        var slot = new string[keys.Count];
        var keywordSeen = new bool[keys.Count];
        var used = new bool[args.Count];
        int positionalSupplied = 0;
        bool anyKeywords = false;
        bool keywordError = false;
        for (int i = 0; i < args.Count; i++)
        {
            if (positionalSupplied >= npositional)
            {
                int match = -1;
                bool isKeyword = TrySplitKeyword(args[i], out string keyword, out string rest) && rest.Length > 0;
                if (isKeyword)
                {
                    for (int k = npositional; k < nvalues; k++)
                    {
                        if (keys[k] == keyword)
                        {
                            match = k;
                            break;
                        }
                    }
                }

                if (match >= 0)
                {
                    slot[match] = rest;
                    keywordSeen[match] = true;
                    used[i] = true;
                    anyKeywords = true;
                    continue;
                }

                if (anyKeywords)
                {
                    keywordError |= !collectRest;
                    continue;
                }
            }

            if (positionalSupplied < npositional)
            {
                used[i] = true;
                slot[positionalSupplied] = args[i];
            }

            positionalSupplied++;
        }

        if (keywordError)
        {
            return false;
        }

        for (int k = npositional; k < nvalues; k++)
        {
            if (!keywordSeen[k])
            {
                return false;
            }
        }

        if (positionalSupplied < npositional || (positionalSupplied > npositional && !collectRest))
        {
            return false;
        }

        if (collectRest)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < args.Count; i++)
            {
                if (!used[i])
                {
                    if (sb.Length > 0)
                    {
                        sb.Append(", ");
                    }

                    sb.Append(args[i]);
                }
            }

            slot[nvalues] = sb.ToString();
        }

        for (int k = 0; k < keys.Count; k++)
        {
            values.Add(slot[k] ?? string.Empty);
        }

        return true;
    }

    /// <summary>
    /// Click's <c>cp_expand</c>: substitutes <c>$name</c>, <c>${name}</c>, <c>${name-default}</c>,
    /// <c>${name[N]}</c> (Nth space-separated word) and <c>$(name)</c> from <paramref name="env"/>. Nothing is
    /// substituted inside single quotes or comments; a value substituted inside double quotes is quoted.
    /// Unknown variables are left as written. Nesting is limited to 10 levels as in Click.
    /// </summary>
    public static string Expand(string config, ClickVariables env, int depth = 0)
    {
        if (config.Length == 0 || !config.Contains('$', StringComparison.Ordinal))
        {
            return config;
        }

        int end = config.Length;
        int s = 0;
        int uninterpolated = 0;
        char quote = '\0';
        StringBuilder? output = null;
        for (; s < end; s++)
        {
            char c = config[s];
            switch (c)
            {
                case '\\':
                    if (s + 1 < end && quote == '"')
                    {
                        s++;
                    }

                    break;
                case '\'' or '"':
                    if (quote == '\0')
                    {
                        quote = c;
                    }
                    else if (quote == c)
                    {
                        quote = '\0';
                    }

                    break;
                case '/':
                    if (s + 1 < end && (config[s + 1] == '/' || config[s + 1] == '*') && quote == '\0')
                    {
                        s = SkipCommentSpace(config, s, end) - 1;
                    }

                    break;
                case '$':
                {
                    if (s + 1 >= end || quote == '\'' || depth > 10)
                    {
                        break;
                    }

                    int beforeDollar = s;
                    string name;
                    char kind;
                    bool expandName = false;
                    if (config[s + 1] == '{')
                    {
                        kind = '{';
                        s += 2;
                        int nameStart = s;
                        for (; s < end && config[s] != '}'; s++)
                        {
                            expandName |= config[s] == '$';
                        }

                        if (s == end)
                        {
                            goto Done;
                        }

                        name = config[nameStart..s];
                        s++;
                    }
                    else if (config[s + 1] == '(')
                    {
                        kind = '(';
                        int level = 1;
                        char nestedQuote = '\0';
                        s += 2;
                        int nameStart = s;
                        for (; s < end && level > 0; s++)
                        {
                            switch (config[s])
                            {
                                case '(':
                                    level += nestedQuote == '\0' ? 1 : 0;
                                    break;
                                case ')':
                                    level -= nestedQuote == '\0' ? 1 : 0;
                                    break;
                                case '"' or '\'':
                                    if (nestedQuote == '\0')
                                    {
                                        nestedQuote = config[s];
                                    }
                                    else if (nestedQuote == config[s])
                                    {
                                        nestedQuote = '\0';
                                    }

                                    break;
                                case '\\':
                                    if (s + 1 < end && nestedQuote != '\'')
                                    {
                                        s++;
                                    }

                                    break;
                                case '$':
                                    expandName |= nestedQuote != '\'';
                                    break;
                            }
                        }

                        if (s == nameStart || config[s - 1] != ')')
                        {
                            goto Done;
                        }

                        name = config[nameStart..(s - 1)];
                    }
                    else if (IsAlnum(config[s + 1]) || config[s + 1] == '_')
                    {
                        kind = 'a';
                        s++;
                        int nameStart = s;
                        while (s < end && (IsAlnum(config[s]) || config[s] == '_'))
                        {
                            s++;
                        }

                        name = config[nameStart..s];
                    }
                    else if (config[s + 1] is '?' or '#' or '$')
                    {
                        kind = 'a';
                        name = config.Substring(s + 1, 1);
                        s += 2;
                    }
                    else
                    {
                        break;
                    }

                    output ??= new StringBuilder();
                    output.Append(config, uninterpolated, beforeDollar - uninterpolated);
                    if (expandName)
                    {
                        name = Expand(name, env, depth + 1);
                    }

                    bool found = env.TryExpand(name, kind, depth, out string text);
                    uninterpolated = s;
                    if (!found)
                    {
                        if (expandName)
                        {
                            output.Append(config[beforeDollar]).Append(config[beforeDollar + 1]).Append(name).Append(config[s - 1]);
                        }
                        else
                        {
                            uninterpolated = beforeDollar;
                        }
                    }
                    else if (quote == '"')
                    {
                        string quoted = Quote(text);
                        output.Append(quoted, 1, quoted.Length - 2);
                    }
                    else
                    {
                        output.Append(text);
                    }

                    s--;
                    break;
                }
            }
        }

    Done:
        // As in Click, when everything substituted so far is empty (a configuration that is only "$x" with
        // $x empty), the configuration is returned as written.
        if (output is null || output.Length == 0)
        {
            return config;
        }

        output.Append(config, uninterpolated, Math.Min(s, end) - uninterpolated);
        return output.ToString();
    }

    /// <summary>Click's printable form of a string for messages: control characters as <c>^X</c>, high bytes as <c>M-x</c>.</summary>
    public static string Printable(string str)
    {
        bool plain = true;
        foreach (char c in str)
        {
            if (c < 32 || c >= 127)
            {
                plain = false;
                break;
            }
        }

        if (plain)
        {
            return str;
        }

        var sb = new StringBuilder();
        foreach (char ch in str)
        {
            int c = ch & 0xFF;
            if (c >= 128)
            {
                sb.Append("M-");
                c -= 128;
            }

            if (c < 32)
            {
                sb.Append('^').Append((char)(c + 64));
            }
            else if (c == 127)
            {
                sb.Append("^?");
            }
            else
            {
                sb.Append((char)c);
            }
        }

        return sb.ToString();
    }

    /// <summary>Parses a port number as Click does (decimal, <c>0x</c> hexadecimal, leading-zero octal).</summary>
    public static bool TryParsePort(string text, out int port)
    {
        port = 0;
        if (text.Length == 0)
        {
            return false;
        }

        NumberStyles style = NumberStyles.None;
        string digits = text;
        int radix = 10;
        if (text.Length > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        {
            digits = text[2..];
            radix = 16;
            style = NumberStyles.AllowHexSpecifier;
        }
        else if (text.Length > 1 && text[0] == '0')
        {
            digits = text[1..];
            radix = 8;
        }

        if (radix == 8)
        {
            long value = 0;
            foreach (char c in digits)
            {
                if (c is < '0' or > '7')
                {
                    return false;
                }

                value = (value * 8) + (c - '0');
                if (value > int.MaxValue)
                {
                    return false;
                }
            }

            port = (int)value;
            return true;
        }

        foreach (char c in digits)
        {
            if (radix == 10 ? c is < '0' or > '9' : HexValue(c) < 0)
            {
                return false;
            }
        }

        return int.TryParse(digits, style, CultureInfo.InvariantCulture, out port) && port >= 0;
    }
}
