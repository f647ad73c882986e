using System.Globalization;

namespace EdgeOS.Samples.Click.Classification;

/// <summary>
/// Parses one Classifier pattern: space-separated clauses <c>[!]OFFSET/VALUE[%MASK]</c> (offset decimal, value and
/// mask hex with an even number of digits, <c>?</c> a don't-care nibble), all of which must hold; or <c>-</c>,
/// which matches every packet. Each clause becomes one test per aligned 32-bit word it touches.
/// </summary>
internal static class ClassifierPatternParser
{
    /// <summary>Largest clause offset accepted (Click packets are at most 64 KiB).</summary>
    public const int OffsetMax = 65535;

    public static ClassifierExpression Parse(string pattern, int slot)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        string[] clauses = pattern.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (clauses.Length == 0)
        {
            throw Error(slot, "empty pattern");
        }

        if (clauses.Length == 1 && clauses[0] == "-")
        {
            return ClassifierExpression.True;
        }

        ClassifierExpression result = ClassifierExpression.True;
        foreach (string clause in clauses)
        {
            ClassifierExpression term = ParseClause(clause, slot);
            result = ReferenceEquals(result, ClassifierExpression.True) ? term : ClassifierExpression.And(result, term);
        }

        return result;
    }

    private static ClassifierExpression ParseClause(string clause, int slot)
    {
        int i = 0;
        bool negated = false;
        if (clause[0] == '!')
        {
            negated = true;
            i = 1;
        }

        int offsetStart = i;
        while (i < clause.Length && char.IsAsciiDigit(clause[i]))
        {
            i++;
        }

        // Wordings as Click's Classifier::parse_program reports them.
        if (i == offsetStart)
        {
            throw Error(slot, "expected a digit");
        }

        if (!int.TryParse(clause.AsSpan(offsetStart, i - offsetStart), NumberStyles.None, CultureInfo.InvariantCulture, out int offset) || offset > OffsetMax)
        {
            throw Error(slot, $"offset too large in '{clause}' (at most {OffsetMax})");
        }

        if (i >= clause.Length || clause[i] != '/')
        {
            throw Error(slot, "expected '/'");
        }

        i++;
        int valueStart = i;
        while (i < clause.Length && (char.IsAsciiHexDigit(clause[i]) || clause[i] == '?'))
        {
            i++;
        }

        string valueText = clause[valueStart..i];
        string? maskText = null;
        if (i < clause.Length && clause[i] == '%')
        {
            int maskStart = ++i;
            while (i < clause.Length && (char.IsAsciiHexDigit(clause[i]) || clause[i] == '?'))
            {
                i++;
            }

            maskText = clause[maskStart..i];
        }

        if (valueText.Length < 2)
        {
            throw Error(slot, "value has less than 2 hex digits");
        }

        if (valueText.Length % 2 != 0)
        {
            throw Error(slot, "value has odd number of hex digits");
        }

        if (maskText is not null && maskText.Length != valueText.Length)
        {
            throw Error(slot, maskText.Length > valueText.Length ? "mask has too many hex digits" : "mask has too few hex digits");
        }

        if (i < clause.Length)
        {
            // Click's scanner ends the clause at the first character that is no hex digit and starts the next one
            // there, which must begin with a digit.
            throw Error(slot, "expected a digit");
        }

        int length = valueText.Length / 2;
        if (offset + length - 1 > OffsetMax)
        {
            throw Error(slot, $"clause '{clause}' reaches past offset {OffsetMax}");
        }

        var bytes = new byte[length];
        var masks = new byte[length];
        for (int b = 0; b < length; b++)
        {
            for (int n = 0; n < 2; n++)
            {
                char v = valueText[(2 * b) + n];
                int vn = v == '?' ? -1 : HexValue(v);
                if (vn == -2)
                {
                    throw Error(slot, $"bad hex digit '{v}' in value '{valueText}'");
                }

                int mn = 0xF;
                if (maskText is not null)
                {
                    char m = maskText[(2 * b) + n];
                    mn = m == '?' ? 0 : HexValue(m);
                    if (mn < 0)
                    {
                        throw Error(slot, $"bad hex digit '{m}' in mask '{maskText}'");
                    }
                }

                if (vn == -1)
                {
                    mn = 0;
                    vn = 0;
                }

                int shift = n == 0 ? 4 : 0;
                masks[b] |= (byte)(mn << shift);
                bytes[b] |= (byte)((vn & mn) << shift);
            }
        }

        // Split the clause on aligned words: one test per word with at least one cared-for bit.
        ClassifierExpression term = ClassifierExpression.True;
        int firstWord = offset & ~3;
        for (int word = firstWord; word < offset + length; word += 4)
        {
            uint mask = 0;
            uint value = 0;
            for (int k = 0; k < 4; k++)
            {
                int at = word + k - offset;
                byte mb = at >= 0 && at < length ? masks[at] : (byte)0;
                byte vb = at >= 0 && at < length ? bytes[at] : (byte)0;
                mask = (mask << 8) | mb;
                value = (value << 8) | vb;
            }

            if (mask == 0)
            {
                continue;
            }

            var test = ClassifierExpression.Test(new FieldTest(FieldBase.Data, word, mask, value, FieldOperation.Equal, 0));
            term = ReferenceEquals(term, ClassifierExpression.True) ? test : ClassifierExpression.And(term, test);
        }

        return negated ? ClassifierExpression.Not(term) : term;
    }

    // -1 is never returned for a digit; -2 means "not a hex digit".
    private static int HexValue(char c) => char.IsAsciiHexDigit(c) ? Convert.ToInt32(c.ToString(), 16) : -2;

    private static ClickConfigurationException Error(int slot, string message) => new($"pattern {slot}: {message}");
}
