using System.Globalization;
using System.Net;

namespace EdgeOS.Samples.Click.Classification;

/// <summary>
/// Parses Click's IP filter expression language (IPClassifier patterns and IPFilter rules) into an expression tree.
/// Precedence from loosest: <c>?:</c>, <c>or</c>/<c>||</c>, <c>and</c>/<c>&amp;&amp;</c>/juxtaposition, <c>not</c>/<c>!</c>.
/// A bare value after a primitive repeats that primitive's type (<c>src port 80 or 81</c>). Port, ICMP type, TCP
/// option and transport-field tests hold only on first fragments of the right protocol; their <c>!=</c>, <c>&lt;</c>,
/// <c>&gt;</c> forms keep that guard (<c>tcp port != 5</c> does not match UDP), while <c>not</c> negates the whole.
/// </summary>
internal static class IPFilterParser
{
    private const uint ProtoTcp = 6;
    private const uint ProtoUdp = 17;
    private const uint ProtoIcmp = 1;

    private static readonly Dictionary<string, uint> s_ports = new(StringComparer.Ordinal)
    {
        ["echo"] = 7, ["discard"] = 9, ["daytime"] = 13, ["chargen"] = 19, ["ftp-data"] = 20, ["ftp"] = 21,
        ["ssh"] = 22, ["telnet"] = 23, ["smtp"] = 25, ["domain"] = 53, ["dns"] = 53, ["bootps"] = 67,
        ["bootpc"] = 68, ["tftp"] = 69, ["finger"] = 79, ["www"] = 80, ["pop3"] = 110, ["sunrpc"] = 111,
        ["auth"] = 113, ["nntp"] = 119, ["ntp"] = 123, ["netbios-ns"] = 137, ["netbios-dgm"] = 138,
        ["netbios-ssn"] = 139, ["snmp"] = 161, ["snmp-trap"] = 162, ["irc"] = 194, ["imap3"] = 220,
        ["https"] = 443, ["rip"] = 520, ["route"] = 520, ["imaps"] = 993, ["pop3s"] = 995,
    };

    private static readonly Dictionary<string, uint> s_protocols = new(StringComparer.Ordinal)
    {
        ["icmp"] = ProtoIcmp, ["igmp"] = 2, ["ipip"] = 4, ["tcp"] = ProtoTcp, ["udp"] = ProtoUdp,
    };

    private static readonly Dictionary<string, uint> s_tcpOptions = new(StringComparer.Ordinal)
    {
        ["fin"] = 0x01, ["syn"] = 0x02, ["rst"] = 0x04, ["psh"] = 0x08, ["ack"] = 0x10, ["urg"] = 0x20,
    };

    private static readonly Dictionary<string, uint> s_icmpTypes = new(StringComparer.Ordinal)
    {
        ["echo-reply"] = 0, ["unreachable"] = 3, ["sourcequench"] = 4, ["redirect"] = 5, ["echo"] = 8,
        ["routeradvert"] = 9, ["routersolicit"] = 10, ["timeexceeded"] = 11, ["parameterproblem"] = 12,
        ["timestamp"] = 13, ["timestamp-reply"] = 14, ["inforeq"] = 15, ["inforeq-reply"] = 16,
        ["maskreq"] = 17, ["maskreq-reply"] = 18,
    };

    private enum SrcDst
    {
        None,
        Src,
        Dst,
        Or,
        And,
    }

    private enum PrimitiveType
    {
        None,
        Host,
        Net,
        Port,
        Proto,
        TcpOpt,
        TcpWin,
        IcmpType,
        Vers,
        Hl,
        Id,
        Tos,
        Dscp,
        Ttl,
        Frag,
        Unfrag,
        Ect,
        Ce,
        Field,
    }

    /// <summary>
    /// Parses an IPFilter rule into its output (-1 for drop) and expression, with Click's messages (elements/ip/ipfilter.cc):
    /// an empty rule is <c>empty pattern N</c>; a slot word that is no action or integer is <c>unknown slot ID 'X'</c>; an
    /// integer slot below 0 or (when <paramref name="outputs"/> is known) not below it is <c>slot 'N' out of range</c>; a
    /// slot word alone (or followed by <c>-</c>, <c>any</c>, <c>all</c>) matches every packet.
    /// </summary>
    public static (int Output, ClassifierExpression Expression) ParseRule(string rule, int slot, int? outputs = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string trimmed = rule.Trim();
        if (trimmed.Length == 0)
        {
            throw new ClickConfigurationException($"empty pattern {slot}");
        }

        int space = trimmed.IndexOfAny([' ', '\t', '\n', '\r']);
        string action = space < 0 ? trimmed : trimmed[..space];
        string rest = space < 0 ? "" : trimmed[(space + 1)..];
        int output;
        if (action is "allow")
        {
            output = 0;
        }
        else if (action is "deny" or "drop")
        {
            output = -1;
        }
        else if (ClickValuesInteger(action) is long port)
        {
            if (port < 0 || port > ushort.MaxValue || (outputs is int n && port >= n))
            {
                throw new ClickConfigurationException(string.Create(CultureInfo.InvariantCulture, $"pattern {slot}: slot '{port}' out of range"));
            }

            output = (int)port;
        }
        else
        {
            throw new ClickConfigurationException($"pattern {slot}: unknown slot ID '{action}'");
        }

        return (output, rest.Trim().Length == 0 ? ClassifierExpression.True : ParsePattern(rest, slot));
    }

    /// <summary>An integer slot word as Click's IntArg reads it (decimal, 0x hex, 0 octal, sign), or null.</summary>
    private static long? ClickValuesInteger(string word)
    {
        string digits = word.StartsWith('-') || word.StartsWith('+') ? word[1..] : word;
        return digits.Length > 0 && char.IsAsciiDigit(digits[0])
            && EdgeOS.Samples.Click.Runtime.ClickValues.TryParseInteger(digits, out ulong v) && v <= int.MaxValue
            ? (word.StartsWith('-') ? -(long)v : (long)v)
            : null;
    }

    /// <summary>Parses one IPClassifier pattern (an empty one, like <c>-</c>, matches every packet).</summary>
    public static ClassifierExpression ParsePattern(string pattern, int slot)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        string trimmed = pattern.Trim();
        if (trimmed is "-" or "any" or "all")
        {
            return ClassifierExpression.True;
        }

        List<string> tokens = Tokenize(trimmed, slot);
        if (tokens.Count == 0)
        {
            // Click's IPClassifier hands IPFilter the rule "N PATTERN"; with an empty pattern that is the slot word
            // alone, which IPFilter reads as "match every packet" (elements/ip/ipclassifier.cc, ipfilter.cc). So an
            // empty IPClassifier pattern is no error: it matches everything, like "-". (IPFilter's own empty rule has no
            // slot word and is refused in ParseRule.)
            return ClassifierExpression.True;
        }

        var parser = new Parser(tokens, slot);
        ClassifierExpression result = parser.ParseExpression();
        if (parser.Position < tokens.Count)
        {
            throw parser.Error($"garbage after expression at '{tokens[parser.Position]}'");
        }

        return result;
    }

    private static List<string> Tokenize(string text, int slot)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (c is '(' or ')' or '?')
            {
                tokens.Add(c.ToString());
                i++;
                continue;
            }

            if (i + 1 < text.Length)
            {
                string two = text.Substring(i, 2);
                if (two is "&&" or "||" or "==" or "!=" or "<=" or ">=")
                {
                    tokens.Add(two);
                    i += 2;
                    continue;
                }
            }

            if (c is '!' or '<' or '>' or '&' or '=' or ':')
            {
                tokens.Add(c.ToString());
                i++;
                continue;
            }

            int start = i;
            int brackets = 0;
            while (i < text.Length)
            {
                c = text[i];
                if (c == '[')
                {
                    brackets++;
                }
                else if (c == ']')
                {
                    brackets--;
                }
                else if (brackets == 0 && (char.IsWhiteSpace(c) || c is '(' or ')' or '?' or '!' or '<' or '>' or '&' or '=' or '|' or ':'))
                {
                    break;
                }

                i++;
            }

            if (i == start)
            {
                throw new ClickConfigurationException($"pattern {slot}: syntax error near '{text[i..]}'");
            }

            tokens.Add(text[start..i]);
        }

        return tokens;
    }

    private sealed class Primitive
    {
        public SrcDst SrcDst;
        public uint Proto; // 0: no transport protocol given
        public PrimitiveType Type;
        public int FieldOffset;
        public int FieldLength;
        public bool FieldTransport;
    }

    private sealed class Parser(List<string> tokens, int slot)
    {
        private Primitive? _previous;

        public int Position { get; private set; }

        public ClickConfigurationException Error(string message) => new($"pattern {slot}: {message}");

        public ClassifierExpression ParseExpression()
        {
            ClassifierExpression condition = ParseOr();
            if (Peek() == "?")
            {
                Position++;
                ClassifierExpression then = ParseExpression();
                if (Peek() != ":")
                {
                    throw Error("missing ':' in ternary expression");
                }

                Position++;
                ClassifierExpression otherwise = ParseExpression();
                return ClassifierExpression.Or(
                    ClassifierExpression.And(condition, then),
                    ClassifierExpression.And(ClassifierExpression.Not(condition), otherwise));
            }

            return condition;
        }

        private string? Peek(int ahead = 0) => Position + ahead < tokens.Count ? tokens[Position + ahead] : null;

        private ClassifierExpression ParseOr()
        {
            ClassifierExpression left = ParseAnd();
            while (Peek() is "or" or "||")
            {
                Position++;
                left = ClassifierExpression.Or(left, ParseAnd());
            }

            return left;
        }

        private ClassifierExpression ParseAnd()
        {
            ClassifierExpression left = ParseFactor();
            while (true)
            {
                string? next = Peek();
                if (next is "and" or "&&")
                {
                    Position++;
                    left = ClassifierExpression.And(left, ParseFactor());
                }
                else if (next is null or ")" or "or" or "||" or "?" or ":")
                {
                    return left;
                }
                else
                {
                    // Juxtaposition means "and" (e.g. 'fin ack').
                    left = ClassifierExpression.And(left, ParseFactor());
                }
            }
        }

        private ClassifierExpression ParseFactor()
        {
            string? token = Peek();
            if (token is null)
            {
                throw Error("missing expression");
            }

            if (token is "not" or "!")
            {
                Position++;
                if (Peek() is null or ")" or "or" or "||" or "?" or ":" or "and" or "&&")
                {
                    throw Error($"missing expression after '{token}'");
                }

                return ClassifierExpression.Not(ParseFactor());
            }

            if (token == "(")
            {
                Position++;
                if (Peek() is null or ")")
                {
                    throw Error("missing expression after '('");
                }

                ClassifierExpression inner = ParseExpression();
                if (Peek() != ")")
                {
                    throw Error("missing ')'");
                }

                Position++;
                return inner;
            }

            if (token is ")" or "and" or "&&" or "or" or "||" or "?" or ":")
            {
                throw Error($"syntax error near '{token}'");
            }

            return ParsePrimitive();
        }

        private ClassifierExpression ParsePrimitive()
        {
            string token = Peek()!;
            if (token is "true" or "any" or "all")
            {
                Position++;
                return ClassifierExpression.True;
            }

            if (token == "false")
            {
                Position++;
                return ClassifierExpression.False;
            }

            var primitive = new Primitive();
            bool qualified = false;

            // [src | dst | src or dst | src and dst]
            if (token is "src" or "dst")
            {
                qualified = true;
                primitive.SrcDst = token == "src" ? SrcDst.Src : SrcDst.Dst;
                Position++;
                if (token == "src" && Peek() is "or" or "and" or "||" or "&&" && Peek(1) == "dst")
                {
                    primitive.SrcDst = Peek() is "or" or "||" ? SrcDst.Or : SrcDst.And;
                    Position += 2;
                }
            }

            // Protocol qualifier or field: ip, tcp, udp, icmp, ip[..], transp[..], tcp[..] ...
            string? word = Peek();
            if (word is not null && TryParseField(word, primitive))
            {
                Position++;
                return FinishPrimitive(primitive);
            }

            if (word is "ip")
            {
                qualified = true;
                Position++;
                word = Peek();
                if (word is not ("proto" or "vers" or "hl" or "id" or "tos" or "dscp" or "ttl" or "frag" or "unfrag" or "ect" or "ce" or "host" or "net"))
                {
                    throw Error(word is null ? "missing type after 'ip'" : $"unknown type 'ip {word}'");
                }
            }
            else if (word is "tcpudp")
            {
                // Click's name for "tcp or udp": a primitive alone, or the protocol qualifier of 'port'.
                Position++;
                if (Peek() == "port")
                {
                    qualified = true;
                }
                else
                {
                    primitive.Type = PrimitiveType.Proto;
                    _previous = primitive;
                    return ClassifierExpression.Or(ProtoTest(FieldOperation.Equal, false, ProtoTcp), ProtoTest(FieldOperation.Equal, false, ProtoUdp));
                }
            }
            else if (word is "tcp" or "udp" or "icmp")
            {
                string? after = Peek(1);
                bool qualifier = after is "port" or "opt" or "win" or "type";
                if (!qualifier)
                {
                    // Plain 'tcp': the protocol primitive.
                    Position++;
                    primitive.Type = PrimitiveType.Proto;
                    _previous = primitive;
                    return ProtoTest(FieldOperation.Equal, false, s_protocols[word]);
                }

                qualified = true;
                primitive.Proto = s_protocols[word];
                Position++;
                word = Peek();
            }

            word = Peek();
            PrimitiveType type = word switch
            {
                "host" => PrimitiveType.Host,
                "net" => PrimitiveType.Net,
                "port" => PrimitiveType.Port,
                "proto" => PrimitiveType.Proto,
                "opt" => PrimitiveType.TcpOpt,
                "win" => PrimitiveType.TcpWin,
                "type" => PrimitiveType.IcmpType,
                "vers" => PrimitiveType.Vers,
                "hl" => PrimitiveType.Hl,
                "id" => PrimitiveType.Id,
                "tos" => PrimitiveType.Tos,
                "dscp" => PrimitiveType.Dscp,
                "ttl" => PrimitiveType.Ttl,
                "frag" => PrimitiveType.Frag,
                "unfrag" => PrimitiveType.Unfrag,
                "ect" => PrimitiveType.Ect,
                "ce" => PrimitiveType.Ce,
                _ => PrimitiveType.None,
            };
            if (type != PrimitiveType.None)
            {
                Position++;
                if (type == PrimitiveType.TcpOpt || type == PrimitiveType.TcpWin)
                {
                    if (primitive.Proto is not (0 or ProtoTcp))
                    {
                        throw Error($"'{word}' is only for tcp");
                    }

                    primitive.Proto = ProtoTcp;
                }
                else if (type == PrimitiveType.IcmpType)
                {
                    if (primitive.Proto is not (0 or ProtoIcmp))
                    {
                        throw Error("'type' is only for icmp");
                    }

                    primitive.Proto = ProtoIcmp;
                }
                else if (type == PrimitiveType.Port && primitive.Proto == ProtoIcmp)
                {
                    throw Error("'port' is only for tcp or udp");
                }
                else if (type != PrimitiveType.Port && primitive.Proto != 0)
                {
                    throw Error($"'{word}' does not take a transport protocol");
                }

                if (primitive.SrcDst != SrcDst.None && type is not (PrimitiveType.Host or PrimitiveType.Net or PrimitiveType.Port))
                {
                    throw Error($"'src' or 'dst' cannot qualify '{word}'");
                }

                primitive.Type = type;
                return FinishPrimitive(primitive);
            }

            if (word is null)
            {
                throw Error("missing value");
            }

            // No type word: a bare value. Repeat the previous primitive if it takes this value and nothing new was said.
            if (!qualified && _previous is not null && Accepts(_previous, word))
            {
                primitive = new Primitive
                {
                    SrcDst = _previous.SrcDst,
                    Proto = _previous.Proto,
                    Type = _previous.Type,
                    FieldOffset = _previous.FieldOffset,
                    FieldLength = _previous.FieldLength,
                    FieldTransport = _previous.FieldTransport,
                };
                return FinishPrimitive(primitive);
            }

            // Otherwise infer the type from the value.
            if (IsNet(word))
            {
                primitive.Type = PrimitiveType.Net;
            }
            else if (IPAddress.TryParse(word, out IPAddress? address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && word.Count(ch => ch == '.') == 3)
            {
                primitive.Type = PrimitiveType.Host;
            }
            else if (s_tcpOptions.ContainsKey(word) && primitive.Proto is 0 or ProtoTcp && primitive.SrcDst == SrcDst.None)
            {
                primitive.Type = PrimitiveType.TcpOpt;
                primitive.Proto = ProtoTcp;
            }
            else if (s_ports.ContainsKey(word) && primitive.Proto != ProtoIcmp)
            {
                primitive.Type = PrimitiveType.Port;
            }
            else if (s_icmpTypes.ContainsKey(word) && primitive.Proto == ProtoIcmp)
            {
                primitive.Type = PrimitiveType.IcmpType;
            }
            else if (word is "frag" or "unfrag")
            {
                primitive.Type = word == "frag" ? PrimitiveType.Frag : PrimitiveType.Unfrag;
                Position++;
                _previous = primitive;
                return FragTest(word == "frag");
            }
            else
            {
                throw Error($"unknown word '{word}'");
            }

            return FinishPrimitive(primitive);
        }

        private static bool IsNet(string word)
        {
            int slash = word.IndexOf('/', StringComparison.Ordinal);
            return slash > 0 && IPAddress.TryParse(word[..slash], out _);
        }

        private static bool Accepts(Primitive previous, string word)
        {
            bool number = word.Length > 0 && (char.IsAsciiDigit(word[0]));
            switch (previous.Type)
            {
                case PrimitiveType.Host:
                    return IPAddress.TryParse(word, out _) && word.Count(ch => ch == '.') == 3;
                case PrimitiveType.Net:
                    return IsNet(word) || (IPAddress.TryParse(word, out _) && word.Count(ch => ch == '.') == 3);
                case PrimitiveType.Port:
                    return (number && !word.Contains('.', StringComparison.Ordinal)) || s_ports.ContainsKey(word);
                case PrimitiveType.Proto:
                    return (number && !word.Contains('.', StringComparison.Ordinal)) || s_protocols.ContainsKey(word);
                case PrimitiveType.TcpOpt:
                    return s_tcpOptions.ContainsKey(word);
                case PrimitiveType.IcmpType:
                    return (number && !word.Contains('.', StringComparison.Ordinal)) || s_icmpTypes.ContainsKey(word);
                case PrimitiveType.TcpWin or PrimitiveType.Vers or PrimitiveType.Hl or PrimitiveType.Id or PrimitiveType.Tos
                    or PrimitiveType.Dscp or PrimitiveType.Ttl or PrimitiveType.Field:
                    return number && !word.Contains('.', StringComparison.Ordinal);
                default:
                    return false;
            }
        }

        private bool TryParseField(string word, Primitive primitive)
        {
            int open = word.IndexOf('[', StringComparison.Ordinal);
            if (open <= 0 || word[^1] != ']')
            {
                return false;
            }

            string name = word[..open];
            switch (name)
            {
                case "ip":
                    primitive.FieldTransport = false;
                    break;
                case "transp":
                    primitive.FieldTransport = true;
                    break;
                case "tcp" or "udp" or "icmp":
                    primitive.FieldTransport = true;
                    primitive.Proto = s_protocols[name];
                    break;
                default:
                    throw Error($"unknown field '{word}'");
            }

            if (primitive.SrcDst != SrcDst.None)
            {
                throw Error($"'src' or 'dst' cannot qualify '{word}'");
            }

            string inside = word[(open + 1)..^1];
            int colon = inside.IndexOf(':', StringComparison.Ordinal);
            string posText = colon < 0 ? inside : inside[..colon];
            string lenText = colon < 0 ? "1" : inside[(colon + 1)..];
            if (!int.TryParse(posText, NumberStyles.None, CultureInfo.InvariantCulture, out int position) || position > 65535)
            {
                throw Error($"bad field position in '{word}'");
            }

            if (!int.TryParse(lenText, NumberStyles.None, CultureInfo.InvariantCulture, out int length) || length is < 1 or > 4)
            {
                throw Error($"field length in '{word}' must be between 1 and 4");
            }

            primitive.Type = PrimitiveType.Field;
            primitive.FieldOffset = position;
            primitive.FieldLength = length;
            return true;
        }

        // After the type word (or for a repeated/inferred type, at the value): [& MASK] [OP] VALUE.
        private ClassifierExpression FinishPrimitive(Primitive primitive)
        {
            _previous = primitive;
            switch (primitive.Type)
            {
                case PrimitiveType.Frag:
                    return FragTest(true);
                case PrimitiveType.Unfrag:
                    return FragTest(false);
                case PrimitiveType.Ect:
                    return ClassifierExpression.Not(Test(FieldBase.Network, 0, 0x00030000, 0));
                case PrimitiveType.Ce:
                    return Test(FieldBase.Network, 0, 0x00030000, 0x00030000);
                case PrimitiveType.TcpOpt:
                    return TcpOptionTest();
                default:
                    break;
            }

            uint? userMask = null;
            if (Peek() == "&")
            {
                if (primitive.Type is PrimitiveType.Host or PrimitiveType.Net)
                {
                    throw Error("masks are not allowed on 'host' or 'net'");
                }

                Position++;
                userMask = ParseNumber(Peek() ?? throw Error("missing mask after '&'"), uint.MaxValue, "mask");
                Position++;
            }

            string op = "==";
            if (Peek() is "==" or "=" or "!=" or "<" or ">" or "<=" or ">=")
            {
                op = Peek()!;
                Position++;
            }

            string? valueText = Peek();
            if (userMask is not null && op == "==" && (valueText is null or ")" or "and" or "&&" or "or" or "||" or "?" or ":"))
            {
                // 'FIELD & MASK' alone: true when any masked bit is set.
                return Build(primitive, userMask, "!=", 0);
            }

            if (valueText is null)
            {
                throw Error("missing value");
            }

            Position++;
            if (primitive.Type is PrimitiveType.Host or PrimitiveType.Net)
            {
                if (op is not ("==" or "=" or "!="))
                {
                    throw Error($"'{op}' is not allowed on 'host' or 'net'");
                }

                (uint address, uint netmask) = primitive.Type == PrimitiveType.Host ? (ParseAddress(valueText), uint.MaxValue) : ParseNet(valueText);
                ClassifierExpression test = AddressTest(primitive.SrcDst, address, netmask);
                return op == "!=" ? ClassifierExpression.Not(test) : test;
            }

            uint value = ParseTypedValue(primitive, valueText);
            return Build(primitive, userMask, op, value);
        }

        private uint ParseTypedValue(Primitive primitive, string text)
        {
            switch (primitive.Type)
            {
                case PrimitiveType.Port:
                    return s_ports.TryGetValue(text, out uint port) ? port : ParseNumber(text, 65535, "port");
                case PrimitiveType.Proto:
                    return s_protocols.TryGetValue(text, out uint proto) ? proto : ParseNumber(text, 255, "protocol");
                case PrimitiveType.IcmpType:
                    return s_icmpTypes.TryGetValue(text, out uint type) ? type : ParseNumber(text, 255, "ICMP type");
                case PrimitiveType.TcpWin:
                    return ParseNumber(text, 65535, "window");
                case PrimitiveType.Vers:
                    return ParseNumber(text, 15, "version");
                case PrimitiveType.Hl:
                    return ParseNumber(text, 15, "header length");
                case PrimitiveType.Id:
                    return ParseNumber(text, 65535, "IP ID");
                case PrimitiveType.Tos:
                    return ParseNumber(text, 255, "TOS");
                case PrimitiveType.Dscp:
                    return ParseNumber(text, 63, "DSCP");
                case PrimitiveType.Ttl:
                    return ParseNumber(text, 255, "TTL");
                case PrimitiveType.Field:
                    return ParseNumber(text, primitive.FieldLength == 4 ? uint.MaxValue : (1u << (8 * primitive.FieldLength)) - 1, "value");
                default:
                    throw Error($"unknown word '{text}'");
            }
        }

        private uint ParseNumber(string text, uint max, string what)
        {
            bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong parsed)
                : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out parsed);
            if (!ok)
            {
                throw Error($"expected {what}, not '{text}'");
            }

            if (parsed > max)
            {
                throw Error($"{what} '{text}' out of range (at most {max})");
            }

            return (uint)parsed;
        }

        private uint ParseAddress(string text)
        {
            if (text.Count(ch => ch == '.') != 3 || !IPAddress.TryParse(text, out IPAddress? address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            {
                throw Error($"expected IP address, not '{text}'");
            }

            byte[] b = address.GetAddressBytes();
            return ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
        }

        private (uint Address, uint Mask) ParseNet(string text)
        {
            int slash = text.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                if (Peek() == "mask")
                {
                    Position++;
                    uint m = ParseAddress(Peek() ?? throw Error("missing mask after 'mask'"));
                    Position++;
                    return (ParseAddress(text) & m, m);
                }

                return (ParseAddress(text), uint.MaxValue);
            }

            uint address = ParseAddress(text[..slash]);
            string bitsText = text[(slash + 1)..];
            uint mask;
            if (bitsText.Contains('.', StringComparison.Ordinal))
            {
                mask = ParseAddress(bitsText);
            }
            else
            {
                uint bits = ParseNumber(bitsText, 32, "prefix length");
                mask = bits == 0 ? 0 : uint.MaxValue << (int)(32 - bits);
            }

            return (address & mask, mask);
        }

        private static ClassifierExpression Test(FieldBase fieldBase, int offset, uint mask, uint value)
            => ClassifierExpression.Test(new FieldTest(fieldBase, offset, mask, value, FieldOperation.Equal, 0));

        private static ClassifierExpression FragTest(bool fragmented)
        {
            // MF flag or a nonzero fragment offset.
            ClassifierExpression unfragmented = Test(FieldBase.Network, 4, 0x00003FFF, 0);
            return fragmented ? ClassifierExpression.Not(unfragmented) : unfragmented;
        }

        private static ClassifierExpression ProtoTest(FieldOperation operation, bool negate, uint proto)
        {
            ClassifierExpression test = Compare(FieldBase.Network, 8, 0x00FF0000, 16, operation, proto);
            return negate ? ClassifierExpression.Not(test) : test;
        }

        private static ClassifierExpression Compare(FieldBase fieldBase, int offset, uint mask, int shift, FieldOperation operation, uint value)
            => ClassifierExpression.Test(operation == FieldOperation.Equal
                ? new FieldTest(fieldBase, offset, mask, (value << shift) & mask, FieldOperation.Equal, 0)
                : new FieldTest(fieldBase, offset, mask, value, operation, (byte)shift));

        // Transport tests hold only on first fragments of the given protocol(s).
        private static ClassifierExpression TransportGuard(uint proto, ClassifierExpression test)
        {
            ClassifierExpression protoTest = proto == 0
                ? ClassifierExpression.Or(ProtoTest(FieldOperation.Equal, false, ProtoTcp), ProtoTest(FieldOperation.Equal, false, ProtoUdp))
                : proto == uint.MaxValue ? ClassifierExpression.True : ProtoTest(FieldOperation.Equal, false, proto);
            ClassifierExpression firstFragment = Test(FieldBase.Network, 4, 0x00001FFF, 0);
            return ClassifierExpression.And(ClassifierExpression.And(protoTest, firstFragment), test);
        }

        private ClassifierExpression TcpOptionTest()
        {
            string name = Peek() ?? throw Error("missing TCP option");
            if (!s_tcpOptions.TryGetValue(name, out uint flag))
            {
                throw Error($"unknown TCP option '{name}'");
            }

            Position++;
            return TransportGuard(ProtoTcp, Test(FieldBase.Transport, 12, flag << 16, flag << 16));
        }

        private static ClassifierExpression AddressTest(SrcDst srcDst, uint address, uint mask)
        {
            ClassifierExpression src = Test(FieldBase.Network, 12, mask, address & mask);
            ClassifierExpression dst = Test(FieldBase.Network, 16, mask, address & mask);
            return srcDst switch
            {
                SrcDst.Src => src,
                SrcDst.Dst => dst,
                SrcDst.And => ClassifierExpression.And(src, dst),
                _ => ClassifierExpression.Or(src, dst),
            };
        }

        // One integer comparison on a field of at most 32 bits, with an optional user mask.
        private ClassifierExpression Build(Primitive primitive, uint? userMask, string op, uint value)
        {
            (FieldBase fieldBase, int offset, uint fieldMask, int shift, uint guardProto) = primitive.Type == PrimitiveType.Port
                ? (FieldBase.Transport, 0, 0xFFFFu, 0, primitive.Proto)
                : Layout(primitive);
            uint mask = fieldMask;
            if (userMask is uint m)
            {
                mask &= m << shift;
                if ((m << shift) >> shift != m)
                {
                    throw Error($"mask 0x{m:x} is wider than the field");
                }
            }

            ClassifierExpression Single(int fieldOffset)
            {
                ClassifierExpression test = op switch
                {
                    "==" or "=" => Compare(fieldBase, fieldOffset, mask, shift, FieldOperation.Equal, value),
                    "!=" => ClassifierExpression.Not(Compare(fieldBase, fieldOffset, mask, shift, FieldOperation.Equal, value)),
                    ">" => Compare(fieldBase, fieldOffset, mask, shift, FieldOperation.Greater, value),
                    "<" => Compare(fieldBase, fieldOffset, mask, shift, FieldOperation.Less, value),
                    ">=" => ClassifierExpression.Not(Compare(fieldBase, fieldOffset, mask, shift, FieldOperation.Less, value)),
                    _ => ClassifierExpression.Not(Compare(fieldBase, fieldOffset, mask, shift, FieldOperation.Greater, value)),
                };
                return test;
            }

            ClassifierExpression result;
            if (primitive.Type == PrimitiveType.Port)
            {
                // Source port is the high half of transport word 0, destination port the low half.
                ClassifierExpression PortAt(bool source)
                {
                    uint portMask = userMask is uint um ? um & 0xFFFF : 0xFFFF;
                    int portShift = source ? 16 : 0;
                    uint wordMask = portMask << portShift;
                    return op switch
                    {
                        "==" or "=" => Compare(FieldBase.Transport, 0, wordMask, portShift, FieldOperation.Equal, value),
                        "!=" => ClassifierExpression.Not(Compare(FieldBase.Transport, 0, wordMask, portShift, FieldOperation.Equal, value)),
                        ">" => Compare(FieldBase.Transport, 0, wordMask, portShift, FieldOperation.Greater, value),
                        "<" => Compare(FieldBase.Transport, 0, wordMask, portShift, FieldOperation.Less, value),
                        ">=" => ClassifierExpression.Not(Compare(FieldBase.Transport, 0, wordMask, portShift, FieldOperation.Less, value)),
                        _ => ClassifierExpression.Not(Compare(FieldBase.Transport, 0, wordMask, portShift, FieldOperation.Greater, value)),
                    };
                }

                result = primitive.SrcDst switch
                {
                    SrcDst.Src => PortAt(true),
                    SrcDst.Dst => PortAt(false),
                    SrcDst.And => ClassifierExpression.And(PortAt(true), PortAt(false)),
                    _ => ClassifierExpression.Or(PortAt(true), PortAt(false)),
                };
                return TransportGuard(primitive.Proto, result);
            }

            result = Single(offset);
            return fieldBase == FieldBase.Transport ? TransportGuard(guardProto, result) : result;
        }

        private (FieldBase Base, int Offset, uint Mask, int Shift, uint GuardProto) Layout(Primitive primitive)
        {
            switch (primitive.Type)
            {
                case PrimitiveType.Proto:
                    return (FieldBase.Network, 8, 0x00FF0000, 16, 0);
                case PrimitiveType.Vers:
                    return (FieldBase.Network, 0, 0xF0000000, 28, 0);
                case PrimitiveType.Hl:
                    return (FieldBase.Network, 0, 0x0F000000, 24, 0);
                case PrimitiveType.Tos:
                    return (FieldBase.Network, 0, 0x00FF0000, 16, 0);
                case PrimitiveType.Dscp:
                    return (FieldBase.Network, 0, 0x00FC0000, 18, 0);
                case PrimitiveType.Id:
                    return (FieldBase.Network, 4, 0xFFFF0000, 16, 0);
                case PrimitiveType.Ttl:
                    return (FieldBase.Network, 8, 0xFF000000, 24, 0);
                case PrimitiveType.TcpWin:
                    return (FieldBase.Transport, 12, 0x0000FFFF, 0, ProtoTcp);
                case PrimitiveType.IcmpType:
                    return (FieldBase.Transport, 0, 0xFF000000, 24, ProtoIcmp);
                case PrimitiveType.Field:
                {
                    int pos = primitive.FieldOffset;
                    int length = primitive.FieldLength;
                    int word = pos & ~3;
                    int inWord = pos - word;
                    if (inWord + length > 4)
                    {
                        // Crosses an aligned word: test the unaligned word that starts at the field.
                        word = pos;
                        inWord = 0;
                    }

                    int shift = (4 - inWord - length) * 8;
                    uint mask = (length == 4 ? uint.MaxValue : (1u << (8 * length)) - 1) << shift;
                    FieldBase fieldBase = primitive.FieldTransport ? FieldBase.Transport : FieldBase.Network;
                    return (fieldBase, word, mask, shift, primitive.Proto == 0 ? uint.MaxValue : primitive.Proto);
                }

                default:
                    throw Error("internal: no layout for primitive");
            }
        }
    }
}
