using System.Text;
using EdgeOS.Samples.Click.Language;
using Xunit;
using static EdgeOS.Samples.Click.Tests.Language.ClickLanguageTestSupport;

namespace EdgeOS.Samples.Click.Tests.Language;

/// <summary>Random token soups: the parser never throws, and whatever it accepts flattens to a fixed point.</summary>
public sealed class ClickParserRobustnessTests
{
    private static readonly string[] s_tokens =
    [
        "a", "b", "c", "Idle", "Discard", "Queue", "Null", "Tee", "Foo", "::", "->", "=>", "[", "]", "0", "1", "2", "x1",
        ",", ";", "(", ")", "(5)", "(1, 2)", "{", "}", "|", "||", "...", "$x", "$y", "elementclass", "define", "require",
        "input", "output", "\n", "// c\n", "/* c */", "\"", "'", "#", "\n# 3 \"f.click\"\n", "(library none.click)",
        "define($x 1)", "@", "/", "a/b", "provide", "-", ">", "\\", "(\"q)\")", "K", "C",
    ];

    private static readonly string[] s_pieces =
    [
        "Idle", "Discard", "Null", "Queue(3)", "Tee(2)", "Counter", "K(7)", "K", "C", "{ input -> Null -> output }",
        "( input -> output )", "(->)", "Paint($x)", "Print(\"a)b\")", "Print('$x')",
    ];

    [Fact]
    public void RandomTokensNeverThrow()
    {
        var random = new Random(20261128);
        for (int round = 0; round < 3000; round++)
        {
            var sb = new StringBuilder();
            int n = random.Next(1, 30);
            for (int i = 0; i < n; i++)
            {
                sb.Append(s_tokens[random.Next(s_tokens.Length)]).Append(random.Next(3) == 0 ? "" : " ");
            }

            (RouterGraph? graph, ClickErrors errors) = Parse(sb.ToString());
            Assert.Equal(graph is null, errors.HasErrors);
            Assert.All(errors.Messages, m => Assert.False(string.IsNullOrWhiteSpace(m)));
        }
    }

    [Fact]
    public void AcceptedConfigurationsFlattenToAFixedPoint()
    {
        var random = new Random(7);
        int accepted = 0;
        for (int round = 0; round < 1500; round++)
        {
            var sb = new StringBuilder("define($x 1);\nelementclass K { $x | input -> Queue($x) -> output || input -> Null -> output }\nelementclass C { input -> output }\n");
            int statements = random.Next(1, 6);
            for (int st = 0; st < statements; st++)
            {
                int chain = random.Next(1, 5);
                for (int i = 0; i < chain; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(random.Next(4) == 0 ? $" [{random.Next(2)}] -> " : " -> ");
                    }

                    if (random.Next(5) == 0)
                    {
                        sb.Append('e').Append(random.Next(6)).Append(" :: ");
                    }

                    sb.Append(s_pieces[random.Next(s_pieces.Length)]);
                }

                sb.Append(random.Next(2) == 0 ? ";\n" : "\n");
            }

            string text = sb.ToString();
            (RouterGraph? graph, ClickErrors errors) = Parse(text);
            Assert.Equal(graph is null, errors.HasErrors);
            if (graph is null)
            {
                continue;
            }

            accepted++;
            string flat = ClickLanguage.Flatten(graph);
            (RouterGraph? again, ClickErrors againErrors) = Parse(flat);
            Assert.True(again is not null, $"flattened output of\n{text}\nfailed to parse:\n{flat}\n{string.Join("\n", againErrors.Messages)}");
            Assert.Equal(flat, ClickLanguage.Flatten(again));
            Assert.Equal(graph.Elements.Count, again.Elements.Count);
            Assert.Equal(graph.Connections.Count, again.Connections.Count);
        }

        // The generator must produce both valid and invalid configurations to mean anything.
        Assert.InRange(accepted, 100, 1450);
    }

    [Fact]
    public void DeepNestingIsLimitedInsteadOfOverflowingTheStack()
    {
        string groups = "x :: Idle; y :: Discard;\nx -> " + new string('(', 5000) + new string(')', 5000) + " -> y;";
        Assert.Contains("config:2: maximum element group nesting depth exceeded", Errors(groups));

        string compounds = string.Concat(Enumerable.Repeat("{ ", 5000)) + string.Concat(Enumerable.Repeat("} ", 5000));
        Assert.Contains("config:1: maximum compound element nesting depth exceeded", Errors(compounds));
    }

    [Fact]
    public void LongChainsOfCompoundClassesAreLimited()
    {
        var sb = new StringBuilder("elementclass E0 { input -> Null -> output }\n");
        for (int i = 1; i < 3000; i++)
        {
            sb.Append("elementclass E").Append(i).Append(" { input -> E").Append(i - 1).Append(" -> output }\n");
        }

        sb.Append("Idle -> E2999 -> Discard;\n");
        string[] errors = Errors(sb.ToString());
        Assert.Contains(errors, e => e.EndsWith("compound element expansion nested too deeply (limit 1000)", StringComparison.Ordinal));
    }

    [Fact]
    public void ModeratelyDeepCompoundChainsExpand()
    {
        var sb = new StringBuilder("elementclass E0 { input -> Null -> output }\n");
        for (int i = 1; i < 200; i++)
        {
            sb.Append("elementclass E").Append(i).Append(" { input -> E").Append(i - 1).Append(" -> output }\n");
        }

        sb.Append("Idle -> e :: E199 -> Discard;\n");
        (RouterGraph? graph, ClickErrors errors) = Parse(sb.ToString());
        Assert.Empty(errors.Messages);
        Assert.NotNull(graph);
        Assert.Equal(3, graph.Elements.Count);
        Assert.StartsWith("e/E198@1/E197@1/", graph.Elements[2].Name, StringComparison.Ordinal);
        Assert.Equal(2, graph.Connections.Count);
    }
    [Fact]
    public void LongChainFlattensIntoOneChain()
    {
        const int Count = 5000;
        string text = "Idle" + string.Concat(Enumerable.Repeat(" -> Null", Count - 2)) + " -> Discard;";
        (RouterGraph? graph, ClickErrors errors) = Parse(text);
        Assert.Empty(errors.Messages);
        Assert.NotNull(graph);
        Assert.Equal(Count, graph.Elements.Count);
        Assert.Equal(Count - 1, graph.Connections.Count);
        string[] lines = ClickLanguage.Flatten(graph).Split('\n');
        Assert.Equal("Idle@1 -> Null@2", lines[Count + 1]);
        Assert.Equal($"    -> Discard@{Count};", lines[(2 * Count) - 1]);
    }
}
