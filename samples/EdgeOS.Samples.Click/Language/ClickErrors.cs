using System.Text;

namespace EdgeOS.Samples.Click.Language;

/// <summary>
/// Collects errors, warnings and informational lines already formatted as Click's userlevel driver prints
/// them on standard error: <c>FILE:LINE: message</c>, <c>FILE:LINE: warning: message</c>, one landmark per
/// line of a multi-line message, and Click's indented context lines (for example the
/// <c>candidates are:</c> list after an overloading error).
/// </summary>
/// <remarks>
/// Quotes are the ASCII apostrophe Click uses when standard error is not a UTF-8 terminal. Messages are
/// kept in the order reported; nothing is printed until <see cref="WriteTo"/>.
/// </remarks>
internal sealed class ClickErrors
{
    private readonly List<string> _messages = [];

    /// <summary>Number of errors reported so far.</summary>
    public int ErrorCount { get; private set; }

    /// <summary>Number of warnings reported so far.</summary>
    public int WarningCount { get; private set; }

    /// <summary>Whether any error was reported.</summary>
    public bool HasErrors => ErrorCount > 0;

    /// <summary>Every message in order; a multi-line message is one entry with <c>\n</c> between its lines.</summary>
    public IReadOnlyList<string> Messages => _messages;

    /// <summary>Reports an error at <paramref name="at"/> (or without a landmark when null).</summary>
    public void Error(ClickLandmark? at, string message)
    {
        ErrorCount++;
        _messages.Add(Format(at?.ToString(), string.Empty, message));
    }

    /// <summary>Reports a warning; Click prefixes the text with <c>warning: </c>.</summary>
    public void Warning(ClickLandmark? at, string message)
    {
        WarningCount++;
        _messages.Add(Format(at?.ToString(), "warning: ", message));
    }

    /// <summary>Reports an informational line (neither error nor warning), such as a candidate list entry.</summary>
    public void Message(ClickLandmark? at, string message) => _messages.Add(Format(at?.ToString(), string.Empty, message));

    /// <summary>Reports an error whose landmark is already a string (Click's <c>&lt;unknown&gt;</c> and similar).</summary>
    internal void ErrorAt(string landmark, string message)
    {
        ErrorCount++;
        _messages.Add(Format(landmark, string.Empty, message));
    }

    /// <summary>
    /// Reports a context header and its indented lines the way Click's context error handler does: the header
    /// takes the first line's landmark, every line is indented by two spaces after its landmark.
    /// </summary>
    internal void MessageList(string header, IReadOnlyList<(ClickLandmark? At, string Text)> lines)
    {
        if (lines.Count == 0)
        {
            return;
        }

        _messages.Add(Format(lines[0].At?.ToString(), string.Empty, header));
        foreach ((ClickLandmark? at, string text) in lines)
        {
            _messages.Add(Format(at?.ToString(), "  ", text));
        }
    }

    /// <summary>Writes every message, each line ended by a newline, as Click prints them.</summary>
    public void WriteTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (string message in _messages)
        {
            writer.Write(message);
            writer.Write('\n');
        }
    }

    private static string Format(string? landmark, string prefix, string message)
    {
        string head = string.IsNullOrEmpty(landmark) ? string.Empty : CleanLandmark(landmark) + ": ";
        if (!message.Contains('\n', StringComparison.Ordinal))
        {
            return head + prefix + message;
        }

        // Click annotates each line of a multi-line message separately, so every line carries the landmark.
        var sb = new StringBuilder();
        string[] lines = message.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (i == lines.Length - 1 && lines[i].Length == 0)
            {
                break;
            }

            if (i > 0)
            {
                sb.Append('\n');
            }

            sb.Append(head).Append(prefix).Append(lines[i]);
        }

        return sb.ToString();
    }

    private static string CleanLandmark(string landmark)
    {
        // Click strips trailing spaces and one trailing colon before adding its own ": ".
        int end = landmark.Length;
        while (end > 0 && char.IsWhiteSpace(landmark[end - 1]))
        {
            end--;
        }

        if (end > 0 && landmark[end - 1] == ':')
        {
            end--;
        }

        return landmark[..end];
    }
}
