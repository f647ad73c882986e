using EdgeOS.Samples.Click.Language;

namespace EdgeOS.Samples.Click.Runtime;

/// <summary>How an argument may be given.</summary>
[Flags]
internal enum ArgFlags
{
    /// <summary>Keyword only, optional.</summary>
    None = 0,

    /// <summary>May be given by position.</summary>
    Positional = 1,

    /// <summary>Must be given.</summary>
    Mandatory = 2,

    /// <summary>Mandatory and positional (Click's <c>read_mp</c>).</summary>
    MandatoryPositional = Positional | Mandatory,
}

/// <summary>Parses one argument's text; <paramref name="expected"/> names the type (for handler write messages; a configuration argument that fails gets Click's message, see <see cref="ClickValues.ArgumentError"/>).</summary>
internal delegate bool ArgParser<T>(string text, out T value, out string expected);

/// <summary>
/// Click's argument parsing (confparse/Args): the configuration string is split at unquoted commas; an
/// argument starting with an upper-case word followed by space is a keyword argument (<c>LIMIT 10</c>);
/// the others are positional and are taken in order. Every read either takes the keyword form or the next
/// positional argument; <see cref="Complete"/> reports what is left over.
/// </summary>
internal sealed class Args
{
    private readonly List<string> _positional = [];
    private readonly List<(string Keyword, string Value)> _keywords = [];
    private readonly List<bool> _keywordUsed = [];
    private readonly ElementErrors _errors;
    private int _nextPositional;

    public Args(string configuration, ElementErrors errors)
        : this(ClickConfigText.ArgVec(configuration), errors)
    {
    }

    public Args(IReadOnlyList<string> arguments, ElementErrors errors)
    {
        _errors = errors;
        foreach (string arg in arguments)
        {
            if (IsKeywordArgument(arg, out string keyword, out string value))
            {
                _keywords.Add((keyword, value));
                _keywordUsed.Add(false);
            }
            else
            {
                _positional.Add(arg);
            }
        }
    }

    /// <summary>The errors this parse reports to.</summary>
    public ElementErrors Errors => _errors;

    /// <summary>Positional arguments not yet consumed.</summary>
    public int RemainingPositional => _positional.Count - _nextPositional;

    /// <summary>Takes every remaining positional argument (for elements with variable argument lists).</summary>
    public List<string> TakeRemainingPositional()
    {
        var rest = _positional.GetRange(_nextPositional, _positional.Count - _nextPositional);
        _nextPositional = _positional.Count;
        return rest;
    }

    /// <summary>Finds <paramref name="keyword"/> (last occurrence wins) or, when positional, the next positional argument.</summary>
    public bool TryTake(string keyword, ArgFlags flags, out string value)
    {
        for (int i = _keywords.Count - 1; i >= 0; i--)
        {
            if (_keywords[i].Keyword == keyword)
            {
                for (int j = 0; j <= i; j++)
                {
                    if (_keywords[j].Keyword == keyword)
                    {
                        _keywordUsed[j] = true;
                    }
                }

                value = _keywords[i].Value;
                return true;
            }
        }

        if ((flags & ArgFlags.Positional) != 0 && _nextPositional < _positional.Count)
        {
            value = _positional[_nextPositional++];
            return true;
        }

        if ((flags & ArgFlags.Mandatory) != 0)
        {
            _errors.Error($"{keyword}: required argument missing"); // Click's Args::find
        }

        value = string.Empty;
        return false;
    }

    /// <summary>Reads an argument of type <typeparamref name="T"/>; returns <paramref name="defaultValue"/> when absent or bad (bad reports an error).</summary>
    public T Read<T>(string keyword, ArgFlags flags, ArgParser<T> parser, T defaultValue)
    {
        if (!TryTake(keyword, flags, out string text))
        {
            return defaultValue;
        }

        if (parser(text, out T value, out _))
        {
            return value;
        }

        _errors.Error($"{keyword}: {ClickValues.ArgumentError(parser, text)}");
        return defaultValue;
    }

    /// <summary>Reads an argument and says whether it was present and valid.</summary>
    public bool TryRead<T>(string keyword, ArgFlags flags, ArgParser<T> parser, out T value)
    {
        value = default!;
        if (!TryTake(keyword, flags, out string text))
        {
            return false;
        }

        if (parser(text, out value, out _))
        {
            return true;
        }

        _errors.Error($"{keyword}: {ClickValues.ArgumentError(parser, text)}");
        return false;
    }

    /// <summary>Reports leftover arguments as Click does; returns whether the parse had no errors.</summary>
    public bool Complete()
    {
        // Click's Args::check_complete: each unused keyword argument, then one message for extra positional ones.
        for (int i = 0; i < _keywords.Count; i++)
        {
            if (!_keywordUsed[i])
            {
                _errors.Error($"{_keywords[i].Keyword}: unknown argument");
            }
        }

        if (_nextPositional < _positional.Count)
        {
            _errors.Error("too many arguments");
        }

        return !_errors.HasErrors;
    }

    // Click's keyword form: an upper-case word (letters, digits, '_', ':', '.', '?', '!' after the first letter)
    // followed by space and the value, or standing alone (an empty value).
    private static bool IsKeywordArgument(string arg, out string keyword, out string value)
    {
        keyword = value = string.Empty;
        if (arg.Length == 0 || arg[0] is < 'A' or > 'Z')
        {
            return false;
        }

        int i = 1;
        while (i < arg.Length && (arg[i] is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or ':' or '.' or '?' or '!'))
        {
            i++;
        }

        if (i < arg.Length && !ClickConfigText.IsSpace(arg[i]))
        {
            return false;
        }

        if (i == arg.Length)
        {
            // A bare upper-case word is positional (a class name or a symbolic value), not a keyword.
            return false;
        }

        keyword = arg[..i];
        value = arg[i..].TrimStart(' ', '\t', '\n', '\r', '\f', '\v');
        return true;
    }
}
