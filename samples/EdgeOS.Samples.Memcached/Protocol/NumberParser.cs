namespace EdgeOS.Samples.Memcached;

/// <summary>
/// memcached's safe_strto* helpers, reproduced exactly because clients see their quirks: they are C's strtol family
/// on a 64-bit <c>long</c> (leading white space and a sign allowed, decimal only, overflow fails), then the token must
/// end at white space or at its end; a '-' on a number negative as signed fails; 32-bit results are truncated.
/// </summary>
internal static class NumberParser
{
    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    // strtoull: returns false on no digits or overflow; end = index after the last digit.
    private static bool Strtoull(ReadOnlySpan<byte> s, out ulong value, out int end, out bool negative)
    {
        value = 0;
        negative = false;
        int i = 0;
        while (i < s.Length && IsSpace(s[i]))
        {
            i++;
        }

        if (i < s.Length && (s[i] == '+' || s[i] == '-'))
        {
            negative = s[i] == '-';
            i++;
        }

        int start = i;
        bool overflow = false;
        while (i < s.Length && (uint)(s[i] - '0') <= 9)
        {
            ulong digit = (uint)(s[i] - '0');
            if (value > (ulong.MaxValue - digit) / 10)
            {
                overflow = true;
            }

            value = unchecked((value * 10) + digit);
            i++;
        }

        end = i;
        if (i == start)
        {
            end = 0;
            return false;
        }

        if (overflow)
        {
            return false;
        }

        if (negative)
        {
            value = unchecked(0 - value);
        }

        return true;
    }

    private static bool EndsWell(ReadOnlySpan<byte> s, int end, bool stopAtWhiteSpace) =>
        end == s.Length ? end != 0 : stopAtWhiteSpace && IsSpace(s[end]);

    /// <summary>safe_strtoull: a 64-bit unsigned value.</summary>
    public static bool TryParseStrtoull(ReadOnlySpan<byte> s, bool stopAtWhiteSpace, out ulong value)
    {
        if (!Strtoull(s, out value, out int end, out _) || !EndsWell(s, end, stopAtWhiteSpace))
        {
            value = 0;
            return false;
        }

        if ((long)value < 0 && s[..end].Contains((byte)'-'))
        {
            value = 0;
            return false;
        }

        return true;
    }

    /// <summary>safe_strtoull on a token (white space other than ' ' can end it, as in memcached).</summary>
    public static bool TryParseU64(ReadOnlySpan<byte> token, out ulong value) => TryParseStrtoull(token, stopAtWhiteSpace: true, out value);

    /// <summary>safe_strtoul: parsed as 64-bit unsigned, then truncated to 32 bits.</summary>
    public static bool TryParseU32(ReadOnlySpan<byte> token, out uint value)
    {
        bool ok = TryParseStrtoull(token, stopAtWhiteSpace: true, out ulong v);
        value = (uint)v;
        return ok;
    }

    /// <summary>safe_strtol: parsed as 64-bit signed (overflow fails), then truncated to 32 bits.</summary>
    public static bool TryParseI32(ReadOnlySpan<byte> token, out int value)
    {
        value = 0;
        if (!Strtoull(token, out ulong magnitudeOrValue, out int end, out bool negative) || !EndsWell(token, end, true))
        {
            return false;
        }

        // strtol overflows outside [long.MinValue, long.MaxValue].
        ulong magnitude = negative ? unchecked(0 - magnitudeOrValue) : magnitudeOrValue;
        if (negative ? magnitude > 1UL << 63 : magnitude > long.MaxValue)
        {
            return false;
        }

        long l = negative ? unchecked((long)(0 - magnitude)) : (long)magnitude;
        value = unchecked((int)l);
        return true;
    }
}
