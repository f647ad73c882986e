namespace EdgeOS.Samples.Click.Runtime;

/// <summary>
/// Errors reported by one element while it configures or initializes, printed by the router under Click's
/// context line (<c>FILE:LINE: While configuring 'name :: Class':</c>) with each message indented.
/// </summary>
internal sealed class ElementErrors
{
    private readonly List<string> _messages = [];
    private readonly List<string> _warnings = [];

    /// <summary>Messages reported so far.</summary>
    public IReadOnlyList<string> Messages => _messages;

    /// <summary>Warnings reported so far.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Whether anything was reported.</summary>
    public bool HasErrors => _messages.Count > 0;

    /// <summary>Reports an error; returns false so callers can <c>return errors.Error(...)</c>.</summary>
    public bool Error(string message)
    {
        _messages.Add(message);
        return false;
    }

    /// <summary>Reports a warning (printed, does not fail configuration).</summary>
    public void Warning(string message) => _warnings.Add(message);

    /// <summary>Clears every message.</summary>
    public void Clear()
    {
        _messages.Clear();
        _warnings.Clear();
    }
}

/// <summary>Thrown by handlers and runtime helpers with a message in Click's wording.</summary>
internal sealed class ClickRuntimeException : Exception
{
    public ClickRuntimeException(string message)
        : base(message)
    {
    }

    public ClickRuntimeException()
    {
    }

    public ClickRuntimeException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
