using EdgeOS.Samples.Click.Language;
using static EdgeOS.Samples.Click.Tests.Language.ClickLanguageTestSupport;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Language;

/// <summary>define, command-line variables, variable syntax, require and require(library).</summary>
public sealed class ClickVariablesAndRequireTests
{
    [Theory]
    [InlineData("define($a 2); Message($a)")]
    [InlineData("Message($a); define($a 2)")]
    public void DefinitionsInAScopeTakeEffectTogether(string text)
    {
        Assert.Equal(Lines("Message@1 :: Message(2);", ""), Flatten(text));
    }

    [Fact]
    public void CommandLineVariablesOverrideDefinitions()
    {
        var vars = new Dictionary<string, string> { ["DEV"] = "eth1", ["MSG"] = "Hi" };
        string flat = Flatten("define($DEV eth0, $COUNT 1); Message($MSG $DEV $COUNT)", vars);
        Assert.Equal(Lines("Message@1 :: Message(Hi eth1 1);", ""), flat);
    }

    [Fact]
    public void DefaultsWordsAndUnknownVariables()
    {
        string flat = Flatten("define($list a b c); Test(${x-dflt}, ${list[1]}, $unknown, ${list})");
        Assert.Equal(Lines("Test@1 :: Test(dflt, b, $unknown, a b c);", ""), flat);
    }

    [Fact]
    public void ValueSubstitutedInsideDoubleQuotesIsQuoted()
    {
        var vars = new Dictionary<string, string> { ["S"] = "q\"z$" };
        Assert.Equal(Lines("Test@1 :: Test(\"q\\\"z\\$\", q\"z$);", ""), Flatten("Test(\"$S\", $S)", vars));
    }

    [Fact]
    public void DefinitionsInsideACompoundStayInside()
    {
        const string Text = """
            define($v outer);
            elementclass C { define($v inner); input -> Test($v) -> output }
            Idle -> C -> Test($v) -> Discard;
            """;
        string flat = Flatten(Text);
        Assert.Contains("Test@3 :: Test(outer);", flat, StringComparison.Ordinal);
        Assert.Contains("C@2/Test@1 :: Test(inner);", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void DefiningAParameterTwiceInOneScopeIsAnError()
    {
        Assert.Equal(["config:1: parameter '$a' multiply defined"], Errors("define($a 1, $a 2); Idle -> Discard;"));
    }

    [Fact]
    public void DefineNeedsAVariable()
    {
        Assert.Equal(["config:1: bad 'define' declaration: not a variable"], Errors("define(a 1);"));
    }

    [Fact]
    public void RequirementsAreRecordedAndPrintedAsPackages()
    {
        (RouterGraph? graph, _) = Parse("require(userlevel, package \"fast classifier\");\nIdle -> Discard;");
        Assert.NotNull(graph);
        Assert.Equal(["userlevel", "fast classifier"], graph.Requirements);
        Assert.Equal(
            Lines("require(package \"userlevel\", package \"fast classifier\");", "", "Idle@1 :: Idle;", "Discard@2 :: Discard;", "", "Idle@1 -> Discard@2;"),
            ClickLanguage.Flatten(graph));
    }

    [Fact]
    public void MalformedRequirementIsASyntaxError()
    {
        Assert.Equal(["config:1: syntax error at requirement"], Errors("require(package a b);"));
    }

    [Fact]
    public void RequireLibraryReadsCompoundsFromAFileOnce()
    {
        string dir = Directory.CreateTempSubdirectory("clicklang").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "lib.click"), "elementclass Counted { input -> Counter -> output }\nrequire(library nested.click);\n");
            File.WriteAllText(Path.Combine(dir, "nested.click"), "elementclass Plain { input -> Null -> output }\n");
            const string Text = "require(library lib.click);\nrequire(library lib.click);\nIdle -> Counted -> Plain -> Discard;";
            string flat = Flatten(Text, baseDirectory: dir);
            Assert.Equal(
                Lines("Idle@1 :: Idle;", "Discard@4 :: Discard;", "Counted@2/Counter@1 :: Counter;", "Plain@3/Null@1 :: Null;", "",
                    "Idle@1 -> Counted@2/Counter@1", "    -> Plain@3/Null@1", "    -> Discard@4;"),
                flat);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void ErrorsInsideALibraryNameTheLibraryFile()
    {
        string dir = Directory.CreateTempSubdirectory("clicklang").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "bad.click"), "x :: Idle;\nx -> nowhere;\n");
            string[] errors = Errors("require(library bad.click);\nIdle -> Discard;", baseDirectory: dir);
            Assert.Equal([$"{dir}/bad.click:2: undeclared element 'nowhere'"], errors);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void MissingLibraryIsReported()
    {
        string dir = Directory.CreateTempSubdirectory("clicklang").FullName;
        try
        {
            Assert.Equal(["config:2: library 'nope.click' not found in CLICKPATH/conf"], Errors("\nrequire(library nope.click);", baseDirectory: dir));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void RequireLibraryOnlyAtFileScope()
    {
        Assert.Equal(["config:1: 'require library' must be used at file scope"], Errors("elementclass C { require(library x.click); input -> output }"));
    }
    [Fact]
    public void AbsoluteLibraryPathThatDoesNotExistIsAReadError()
    {
        string missing = Path.Combine(Path.GetTempPath(), "clicklang-missing-" + Guid.NewGuid().ToString("N"), "x.click");
        Assert.Equal([$"config:1: {missing}: No such file or directory"], Errors($"require(library {missing});"));
    }
}
