namespace EdgeOS.Samples.Click.Language;

/// <summary>
/// One scope of configuration variables (compound formals, <c>define</c>s, command-line <c>NAME=value</c>),
/// chained to its enclosing scope. Lookups walk outwards; values are expanded when used, in the scope of
/// the use, as Click does.
/// </summary>
internal sealed class ClickVariables
{
    private readonly List<string> _names = [];
    private readonly List<string> _values = [];

    public ClickVariables(ClickVariables? parent)
    {
        Parent = parent;
        Depth = parent is null ? 0 : parent.Depth + 1;
    }

    public ClickVariables? Parent { get; }

    /// <summary>Nesting depth: 0 for the file scope.</summary>
    public int Depth { get; }

    public int Count => _names.Count;

    public string Name(int i) => _names[i];

    public string Value(int i) => _values[i];

    public IReadOnlyList<string> Values => _values;

    /// <summary>The nearest scope (this or an ancestor) whose depth is below <paramref name="depth"/>.</summary>
    public ClickVariables? ParentOf(int depth)
    {
        ClickVariables? v = this;
        while (v is not null && v.Depth >= depth)
        {
            v = v.Parent;
        }

        return v;
    }

    /// <summary>Defines <paramref name="name"/>; returns false if it was already defined here (replacing it only when <paramref name="replace"/>).</summary>
    public bool Define(string name, string value, bool replace)
    {
        int i = _names.IndexOf(name);
        if (i >= 0)
        {
            if (replace)
            {
                _values[i] = value;
            }

            return false;
        }

        _names.Add(name);
        _values.Add(value);
        return true;
    }

    private bool TryGet(string name, out string value)
    {
        for (ClickVariables? v = this; v is not null; v = v.Parent)
        {
            int i = v._names.IndexOf(name);
            if (i >= 0)
            {
                value = v._values[i];
                return true;
            }
        }

        value = string.Empty;
        return false;
    }

    /// <summary>Expands one variable reference of kind <c>a</c> (<c>$x</c>), <c>{</c> or <c>(</c>.</summary>
    public bool TryExpand(string reference, char kind, int depth, out string expansion)
    {
        string name = reference;
        int minus = -1;
        int wordIndex = -1;
        if (kind == '{')
        {
            int end = reference.Length;
            int s = SkipSpace(reference, 0);
            int nameBegin = s;
            while (s < end && (ClickConfigText.IsAlnum(reference[s]) || reference[s] == '_'))
            {
                s++;
            }

            int nameEnd = s;
            s = SkipSpace(reference, s);
            if (s < end && reference[s] == '[')
            {
                int numberStart = SkipSpace(reference, s + 1);
                int t = numberStart;
                bool negative = false;
                if (t < end && (reference[t] == '-' || reference[t] == '+'))
                {
                    negative = reference[t] == '-';
                    t++;
                }

                int digitsStart = t;
                long n = 0;
                while (t < end && reference[t] is >= '0' and <= '9')
                {
                    n = Math.Min((n * 10) + (reference[t] - '0'), int.MaxValue);
                    t++;
                }

                if (t > digitsStart && t < end && reference[t] == ']')
                {
                    wordIndex = negative ? -(int)n : (int)n;
                    s = SkipSpace(reference, t + 1);
                }
                else
                {
                    wordIndex = -1;
                    s = t;
                }
            }

            if (s < end && reference[s] == '-')
            {
                minus = s;
            }

            name = reference[nameBegin..nameEnd];
        }

        if (TryGet(name, out string raw))
        {
            string value = ClickConfigText.Expand(raw, this, depth + 1);
            if (wordIndex >= 0)
            {
                string word = string.Empty;
                for (; wordIndex >= 0 && (value.Length > 0 || word.Length > 0); --wordIndex)
                {
                    word = ClickConfigText.ShiftSpaceVec(ref value);
                }

                expansion = word;
            }
            else
            {
                expansion = value;
            }

            return true;
        }

        if (minus >= 0)
        {
            expansion = ClickConfigText.Expand(reference[(minus + 1)..], this, depth + 1);
            return true;
        }

        expansion = string.Empty;
        return false;
    }

    private static int SkipSpace(string s, int i)
    {
        while (i < s.Length && ClickConfigText.IsSpace(s[i]))
        {
            i++;
        }

        return i;
    }
}
