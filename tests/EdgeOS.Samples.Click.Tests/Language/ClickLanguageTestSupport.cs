using EdgeOS.Samples.Click.Language;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Language;

/// <summary>Parsing helpers with a fixed set of primitive classes standing in for the runtime's registry.</summary>
internal static class ClickLanguageTestSupport
{
    private static readonly HashSet<string> s_primitives = new(StringComparer.Ordinal)
    {
        "Idle", "Discard", "Null", "Counter", "Queue", "Shaper", "InfiniteSource", "Tee", "Paint",
        "Classifier", "Print", "Message", "Test", "Unqueue", "RatedSource", "SimpleQueue", "Strip",
        "CheckIPHeader", "ToDevice", "FromDevice", "EtherMirror", "IPFilter", "A", "X", "Y", "DriverManager", "PullNull", "Script", "PushNull",
    };

    public static bool IsPrimitive(string name) => s_primitives.Contains(name);

    public static (RouterGraph? Graph, ClickErrors Errors) Parse(string text, string fileName = "config",
        IReadOnlyDictionary<string, string>? variables = null, string? baseDirectory = null)
    {
        var errors = new ClickErrors();
        RouterGraph? graph = ClickLanguage.Parse(text, fileName, variables ?? new Dictionary<string, string>(), IsPrimitive, errors, baseDirectory);
        return (graph, errors);
    }

    /// <summary>Parses a configuration that must be valid and returns its flattened form.</summary>
    public static string Flatten(string text, IReadOnlyDictionary<string, string>? variables = null, string? baseDirectory = null, string fileName = "config")
    {
        (RouterGraph? graph, ClickErrors errors) = Parse(text, fileName, variables, baseDirectory);
        Assert.True(graph is not null, "unexpected errors:\n" + string.Join("\n", errors.Messages));
        Assert.Empty(errors.Messages);
        return ClickLanguage.Flatten(graph);
    }

    /// <summary>Parses a configuration that must fail and returns every message line.</summary>
    public static string[] Errors(string text, string fileName = "config", IReadOnlyDictionary<string, string>? variables = null, string? baseDirectory = null)
    {
        (RouterGraph? graph, ClickErrors errors) = Parse(text, fileName, variables, baseDirectory);
        Assert.Null(graph);
        Assert.True(errors.HasErrors);
        return string.Join("\n", errors.Messages).Split('\n');
    }

    /// <summary>Joins expected output lines with Click's newline.</summary>
    public static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";
}
