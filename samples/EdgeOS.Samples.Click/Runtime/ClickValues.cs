using System.Globalization;
using EdgeOS.Samples.Click.Language;

namespace EdgeOS.Samples.Click.Runtime;

/// <summary>
/// Click's value types as configuration text (confparse): integers (decimal, <c>0x</c> hex, <c>0</c> octal),
/// booleans, real numbers, times with units, strings (quoted or not), IP and Ethernet addresses (or names
/// an AddressInfo element defines), IP prefixes and bandwidths.
/// </summary>
internal static class ClickValues
{
    public static bool UInt32(string text, out uint value, out string expected)
    {
        expected = "unsigned integer";
        if (TryParseInteger(text, out ulong v) && v <= uint.MaxValue)
        {
            value = (uint)v;
            return true;
        }

        value = 0;
        return false;
    }

    public static bool Int32(string text, out int value, out string expected)
    {
        expected = "integer";
        string t = text.Trim();
        bool negative = t.StartsWith('-');
        if (!(negative && t.Length > 1 && t[1] == '+')
            && TryParseInteger(negative || t.StartsWith('+') ? t[1..] : t, out ulong v)
            && v <= (negative ? 2147483648UL : int.MaxValue))
        {
            value = negative ? (int)-(long)v : (int)v;
            return true;
        }

        value = 0;
        return false;
    }

    public static bool UInt64(string text, out ulong value, out string expected)
    {
        expected = "unsigned integer";
        return TryParseInteger(text, out value);
    }

    public static bool Bool(string text, out bool value, out string expected)
    {
        expected = "boolean";
        switch (text.Trim())
        {
            // Click's BoolArg takes exactly these six spellings of each value (no "on"/"off").
            case "true" or "yes" or "1" or "t" or "y":
                value = true;
                return true;
            case "false" or "no" or "0" or "f" or "n":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    public static bool Double(string text, out double value, out string expected)
    {
        expected = "real number";
        return double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>A time in seconds (units <c>s</c>, <c>ms</c>, <c>us</c>, <c>ns</c>, <c>m</c>/<c>min</c>, <c>h</c>/<c>hr</c>, <c>d</c>) as nanoseconds.</summary>
    public static bool TimeNanoseconds(string text, out long value, out string expected)
    {
        expected = "time in seconds";
        value = 0;
        string t = text.Trim();
        int end = 0;
        while (end < t.Length && (char.IsAsciiDigit(t[end]) || t[end] == '.' || (end == 0 && t[end] == '-')))
        {
            end++;
        }

        if (end == 0 || !decimal.TryParse(t[..end], NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out decimal number))
        {
            return false;
        }

        decimal scale = t[end..].Trim() switch
        {
            "" or "s" or "sec" or "secs" => 1_000_000_000m,
            "ms" or "msec" or "msecs" => 1_000_000m,
            "us" or "usec" or "usecs" => 1_000m,
            "ns" or "nsec" or "nsecs" => 1m,
            "m" or "min" or "mins" => 60_000_000_000m,
            "h" or "hr" or "hrs" => 3_600_000_000_000m,
            "d" or "day" or "days" => 86_400_000_000_000m,
            _ => -1m,
        };
        if (scale < 0 || number < 0)
        {
            return false;
        }

        decimal ns = number * scale;
        if (ns > long.MaxValue)
        {
            return false;
        }

        value = (long)decimal.Round(ns);
        return true;
    }

    /// <summary>A string: unquoted when quoted, as written otherwise.</summary>
    public static bool String(string text, out string value, out string expected)
    {
        expected = "string";
        value = ClickConfigText.Unquote(text);
        return true;
    }

    /// <summary>A single word (no spaces after unquoting).</summary>
    public static bool Word(string text, out string value, out string expected)
    {
        expected = "word";
        value = ClickConfigText.Unquote(text);
        return value.Length > 0 && !value.Any(ClickConfigText.IsSpace);
    }

    /// <summary>A dotted-quad IPv4 address as a big-endian number (a.b.c.d -> a&lt;&lt;24|...).</summary>
    public static bool TryParseIPAddress(string text, out uint value)
    {
        value = 0;
        string[] parts = text.Trim().Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        foreach (string part in parts)
        {
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit))
            {
                return false;
            }

            int b = int.Parse(part, CultureInfo.InvariantCulture);
            if (b > 255)
            {
                return false;
            }

            value = (value << 8) | (uint)b;
        }

        return true;
    }

    /// <summary>An Ethernet address <c>xx:xx:xx:xx:xx:xx</c> (or with <c>-</c>) as the 48-bit number.</summary>
    public static bool TryParseEthernetAddress(string text, out ulong value)
    {
        value = 0;
        string t = text.Trim();
        string[] parts = t.Split(t.Contains('-', StringComparison.Ordinal) ? '-' : ':');
        if (parts.Length != 6)
        {
            return false;
        }

        foreach (string part in parts)
        {
            if (part.Length is 0 or > 2 || !byte.TryParse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
            {
                return false;
            }

            value = (value << 8) | b;
        }

        return true;
    }

    /// <summary>An IP prefix <c>a.b.c.d/len</c> or <c>a.b.c.d/mask</c> (a bare address is a /32).</summary>
    public static bool TryParseIPPrefix(string text, out uint address, out uint mask)
    {
        address = mask = 0;
        string t = text.Trim();
        int slash = t.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            mask = uint.MaxValue;
            return TryParseIPAddress(t, out address);
        }

        if (!TryParseIPAddress(t[..slash], out address))
        {
            return false;
        }

        string m = t[(slash + 1)..];
        if (int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out int len) && len is >= 0 and <= 32)
        {
            mask = len == 0 ? 0 : uint.MaxValue << (32 - len);
            return true;
        }

        return TryParseIPAddress(m, out mask);
    }

    /// <summary>Bandwidth in bytes per second: <c>N</c> (bytes/s), <c>Nbps</c>/<c>Nkbps</c>/<c>NMbps</c>/<c>NGbps</c> (bits), <c>NBps</c>/<c>NkBps</c>/... (bytes).</summary>
    public static bool BandwidthBytesPerSecond(string text, out double value, out string expected)
    {
        expected = "bandwidth";
        value = 0;
        string t = text.Trim();
        int end = 0;
        while (end < t.Length && (char.IsAsciiDigit(t[end]) || t[end] == '.'))
        {
            end++;
        }

        if (end == 0 || !double.TryParse(t[..end], NumberStyles.Float, CultureInfo.InvariantCulture, out double n))
        {
            return false;
        }

        string unit = t[end..].Trim();
        double multiplier = 1;
        if (unit.Length > 0 && unit[0] is 'k' or 'K' or 'M' or 'G')
        {
            multiplier = unit[0] switch { 'M' => 1e6, 'G' => 1e9, _ => 1e3 };
            unit = unit[1..];
        }

        switch (unit)
        {
            case "":
            case "Bps":
                value = n * multiplier;
                return true;
            case "bps":
            case "baud":
                value = n * multiplier / 8;
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Parses an unsigned integer in Click's forms (IntArg): decimal, <c>0x</c> hex, <c>0b</c> binary, leading-zero octal,
    /// an optional <c>+</c>, and single <c>_</c> separators between digits.
    /// </summary>
    public static bool TryParseInteger(string text, out ulong value)
    {
        value = 0;
        string t = text.Trim();
        if (t.StartsWith('+'))
        {
            t = t[1..];
        }

        if (!TryDigits(t, out System.Numerics.BigInteger v) || v > ulong.MaxValue)
        {
            return false;
        }

        value = (ulong)v;
        return true;
    }

    /// <summary>
    /// The digits of an unsigned Click integer (no sign) with its radix prefix; false when any character is no digit of
    /// the radix, when nothing follows the prefix, or when a <c>_</c> does not sit between two digits.
    /// </summary>
    private static bool TryDigits(string t, out System.Numerics.BigInteger value)
    {
        value = System.Numerics.BigInteger.Zero;
        int radix = TakeRadixPrefix(ref t);
        if (t.Length == 0)
        {
            return false;
        }

        bool afterDigit = false;
        for (int i = 0; i < t.Length; i++)
        {
            char c = t[i];
            if (c == '_' && afterDigit && i + 1 < t.Length && DigitValue(t[i + 1]) < radix)
            {
                afterDigit = false;
                continue;
            }

            int d = DigitValue(c);
            if (d >= radix)
            {
                return false;
            }

            value = (value * radix) + d;
            afterDigit = true;
        }

        return true;
    }

    /// <summary>The integer parsers, the range each accepts, and whether Click reads the value as a signed type (for IntArg's messages).</summary>
    private static readonly Dictionary<Delegate, (long Min, ulong Max, bool Signed)> s_integerParsers = new()
    {
        [(ArgParser<int>)Int32] = (int.MinValue, int.MaxValue, true),
        [(ArgParser<uint>)UInt32] = (0, uint.MaxValue, false),
        [(ArgParser<ulong>)UInt64] = (0, ulong.MaxValue, false),
        [Elements.ElementHelpers.NonNegative] = (0, int.MaxValue, false),
        [Elements.ElementHelpers.Limit] = (-1, int.MaxValue, true),
        [Elements.ElementHelpers.ByteValue] = (0, byte.MaxValue, false),
        [Elements.ElementHelpers.UInt16Value] = (0, ushort.MaxValue, false),
    };

    /// <summary>
    /// What Click's Args prints (after <c>KEYWORD: </c>) when <paramref name="parser"/> rejects <paramref name="text"/>:
    /// for an integer, IntArg's own message (<see cref="IntegerError"/>); for any other type <c>parse error</c>, what
    /// Args::postparse in Click's lib/args.cc reports for a parser that fails without a message of its own (IP and
    /// Ethernet addresses, booleans, times, strings). Older Click releases said <c>type mismatch</c> there; the
    /// <c>parse error</c> wording belongs to the same revision as IntArg's <c>invalid number</c>, so we use both.
    /// </summary>
    public static string ArgumentError(Delegate parser, string text) =>
        s_integerParsers.TryGetValue(parser, out (long Min, ulong Max, bool Signed) range)
            ? IntegerError(text, range.Min, range.Max, range.Signed) ?? "parse error"
            : "parse error";

    /// <summary>A hexadecimal digit's value, or 99 (more than any radix) for any other character.</summary>
    private static int DigitValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => 99,
    };

    /// <summary>Click's integer prefixes (IntArg): "0x"/"0X" is hexadecimal, "0b"/"0B" binary, a leading 0 octal; removes the prefix.</summary>
    private static int TakeRadixPrefix(ref string t)
    {
        if (t.Length > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
        {
            t = t[2..];
            return 16;
        }

        if (t.Length > 2 && t[0] == '0' && (t[1] == 'b' || t[1] == 'B'))
        {
            t = t[2..];
            return 2;
        }

        if (t.Length > 1 && t[0] == '0')
        {
            t = t[1..];
            return 8;
        }

        return 10;
    }

    /// <summary>
    /// Click's IntArg messages for <paramref name="text"/> read as an integer in <paramref name="min"/>..<paramref name="max"/>:
    /// <c>invalid number</c> when it is not an integer (see <see cref="TryParseInteger"/>; a <c>-</c> sign only when
    /// <paramref name="signed"/>: IntArg's digit scan takes no minus sign for an unsigned type, so "-1" and even "-0" are
    /// invalid numbers there, not out of range), <c>out of range, bound N</c> with the bound it passed (as Click's
    /// confparse regression test expects: "4294967296" for a uint32 gives bound 4294967295, "-1" for a signed range from
    /// 0 gives bound 0); null when it is in range.
    /// </summary>
    public static string? IntegerError(string text, long min, ulong max, bool signed)
    {
        string t = text.Trim();
        bool negative = signed && t.StartsWith('-');
        if (negative || t.StartsWith('+'))
        {
            t = t[1..];
        }

        if (!TryDigits(t, out System.Numerics.BigInteger v))
        {
            return "invalid number";
        }

        if (negative)
        {
            v = -v;
        }

        return v > max ? string.Create(CultureInfo.InvariantCulture, $"out of range, bound {max}")
            : v < min ? string.Create(CultureInfo.InvariantCulture, $"out of range, bound {min}")
            : null;
    }

    /// <summary>Click's unparse of an IP address.</summary>
    public static string FormatIP(uint address) =>
        $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}";

    /// <summary>Click's unparse of an Ethernet address (upper-case hex with colons... Click prints with <c>-</c>).</summary>
    public static string FormatEthernet(ReadOnlySpan<byte> mac) =>
        $"{mac[0]:X2}-{mac[1]:X2}-{mac[2]:X2}-{mac[3]:X2}-{mac[4]:X2}-{mac[5]:X2}";

    /// <summary>Writes the 48-bit Ethernet number into 6 bytes.</summary>
    public static void WriteEthernet(ulong mac, Span<byte> destination)
    {
        for (int i = 5; i >= 0; i--)
        {
            destination[i] = (byte)mac;
            mac >>= 8;
        }
    }

    /// <summary>Click's unparse of a time in seconds (<c>1</c>, <c>0.5</c>, <c>0.000001</c>).</summary>
    public static string FormatSeconds(long nanoseconds)
    {
        long s = nanoseconds / 1_000_000_000;
        long frac = nanoseconds % 1_000_000_000;
        if (frac == 0)
        {
            return s.ToString(CultureInfo.InvariantCulture);
        }

        string f = frac.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        return $"{s.ToString(CultureInfo.InvariantCulture)}.{f}";
    }

    /// <summary>Click's timestamp format <c>SEC.USEC</c> (microseconds, 6 digits).</summary>
    public static string FormatTimestamp(long nanoseconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{nanoseconds / 1_000_000_000}.{nanoseconds % 1_000_000_000 / 1000:D6}");
}
