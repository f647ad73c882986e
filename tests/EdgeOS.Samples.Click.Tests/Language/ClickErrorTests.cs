using EdgeOS.Samples.Click.Language;
using static EdgeOS.Samples.Click.Tests.Language.ClickLanguageTestSupport;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Language;

/// <summary>Language-level errors in Click's wording, with file and line, and recovery after them.</summary>
public sealed class ClickErrorTests
{
    [Fact]
    public void UnknownElementClassIsReportedOnce()
    {
        Assert.Equal(["config:1: unknown element class 'Foo'"], Errors("a :: Foo;\nb :: Foo;\nIdle -> a;"));
    }

    [Fact]
    public void UndeclaredElementInAConnection()
    {
        Assert.Equal(["config:2: undeclared element 'b'"], Errors("a :: Idle;\na -> b;"));
    }

    [Fact]
    public void RedeclarationPointsAtThePreviousDeclaration()
    {
        Assert.Equal(
            ["config:3: redeclaration of element 'a'", "config:1: element 'a' previously declared here"],
            Errors("a :: Idle;\n\na :: Discard;"));
    }

    [Fact]
    public void ClassNameUsedAsElementName()
    {
        Assert.Equal(["config:1: class 'Queue' used as element name"], Errors("Queue :: Counter;"));
    }

    [Fact]
    public void SyntaxErrorNearTheOffendingToken()
    {
        Assert.Equal(["config:2: syntax error near '->'"], Errors("a :: Idle;\n-> a;"));
    }

    [Theory]
    [InlineData("a :: Idle; b :: Discard; a [x] -> b;", "config:1: syntax error: port number should be integer")]
    [InlineData("a :: Idle; b :: Discard; a [ -> b;", "config:1: syntax error: expected port number")]
    [InlineData("a :: Tee; b :: Discard; a [0 1] -> b;", "config:1: syntax error: expected ','")]
    public void BadPortsAreSyntaxErrors(string text, string expected)
    {
        Assert.Contains(expected, Errors(text));
    }

    [Fact]
    public void PortsAtTheEndsOfAChainAreReported()
    {
        Assert.Equal(
            ["config:1: input ports ignored at start of chain", "config:1: output ports ignored at end of chain"],
            Errors("a :: Idle; b :: Discard; [1] a -> b [2];"));
    }

    [Fact]
    public void ManyToManyNeedsTheDoubleArrowAndMatchingCounts()
    {
        Assert.Contains("config:1: syntax error: many-to-many connections require '=>'", Errors("a, b :: Idle; c, d :: Discard; a, b -> c, d;"));
        Assert.Contains("config:1: connection mismatch: 2 outputs connected to 3 inputs", Errors("a, b :: Idle; c, d, e :: Discard; a, b => c, d, e;"));
    }

    [Fact]
    public void ConfigurationOnAnElementReferenceIsIgnoredWithAnError()
    {
        Assert.Equal(["config:1: configuration string ignored on element reference"], Errors("a :: Idle; a(5) -> Discard;"));
    }

    [Fact]
    public void UnterminatedConfigurationString()
    {
        Assert.Equal(["config:2: expected ')'"], Errors("a :: Queue(1,\n2"));
    }

    [Fact]
    public void UnterminatedCompound()
    {
        Assert.Contains("config:3: expected '}'", Errors("elementclass C {\n  input -> output\n"));
    }

    [Fact]
    public void AllDigitElementNameIsReported()
    {
        Assert.Equal(["config:1: element name '1' has all-digit component"], Errors("1 :: Idle;"));
    }

    [Fact]
    public void ParserKeepsGoingAndReportsEveryError()
    {
        const string Text = "a :: Idle;\nb :: Nope;\na -> c;\n\nd :: Idle; d :: Idle;\na -> Discard;";
        Assert.Equal(
            ["config:2: unknown element class 'Nope'", "config:3: undeclared element 'c'", "config:5: redeclaration of element 'd'", "config:5: element 'd' previously declared here"],
            Errors(Text));
    }

    [Fact]
    public void ExpressionConfigurationIsNamedConfigAndStandardInputIsNamedStdin()
    {
        Assert.Equal(["<stdin>:1: undeclared element 'b'"], Errors("a :: Idle; a -> b;", "<stdin>"));
        Assert.Equal(["config:1: undeclared element 'b'"], Errors("a :: Idle; a -> b;"));
    }

    [Fact]
    public void ErrorsWriteOneLinePerMessageLine()
    {
        (RouterGraph? graph, ClickErrors errors) = Parse("elementclass C { COUNT $c, $a | input -> output }");
        Assert.Null(graph);
        var writer = new StringWriter();
        errors.WriteTo(writer);
        Assert.Equal(
            "config:1: compound element parameters out of order\nconfig:1: (The correct order is '[positional], [keywords], [__REST__]'.)\n",
            writer.ToString());
    }

    [Fact]
    public void ParseAddsNothingToTheErrorsOfAValidConfiguration()
    {
        (RouterGraph? graph, ClickErrors errors) = Parse("FromDevice(eth0) -> EtherMirror -> ToDevice(eth0);");
        Assert.NotNull(graph);
        Assert.False(errors.HasErrors);
        Assert.Empty(errors.Messages);
        Assert.Equal(3, graph.Elements.Count);
        Assert.Equal(2, graph.Connections.Count);
    }
    [Fact]
    public void StrandedPortIsReported()
    {
        Assert.Equal(["config:1: stranded port ignored", "config:1: syntax error near ';'"], Errors("a :: Idle; a -> [0] ;"));
    }

    [Fact]
    public void MissingElementTypeInDeclaration()
    {
        Assert.Equal(["config:1: missing element type in declaration", "config:1: unknown element class 'a'"], Errors("a :: ;"));
    }

    [Fact]
    public void AtMostOneExpandablePortPerConnection()
    {
        Assert.Contains("config:1: at most one expandable port allowed per connection", Errors("a :: Tee(3); b :: Queue; a [0,] => [0,] b;"));
    }

    [Fact]
    public void EllipsisMustComeLast()
    {
        Assert.Contains("config:1: '...' should occur last, after one or more compounds", Errors("elementclass Queue { ... || input -> output }"));
    }

    [Fact]
    public void EllipsisNeedsAnExistingClass()
    {
        Assert.Contains("config:1: cannot extend unknown element class 'Nothing'", Errors("elementclass Nothing { input -> output || ... }"));
    }

    [Fact]
    public void ElementclassNeedsAName()
    {
        Assert.Contains("config:1: expected element type name", Errors("elementclass { input -> output }"));
    }

    [Fact]
    public void GroupPseudoelementsUsedOnTheWrongSide()
    {
        Assert.Contains("config:1: '<anonymous group>' pseudoelement 'input' may only be used as output",
            Errors("x :: Idle; y :: Discard; x -> ( output -> input ) -> y;"));
    }

    [Fact]
    public void ConnectionFromAMissingCompoundOutputIsReported()
    {
        string[] errors = Errors("elementclass C { input -> output }\nc :: C;\nIdle -> c; c [1] -> Discard; c -> Discard;");
        Assert.Equal(["config:2: 'c' has no output 1"], errors);
    }

    [Fact]
    public void WarningsArePrintedWithTheirPrefix()
    {
        (RouterGraph? graph, ClickErrors errors) = Parse("elementclass C {\n  x :: Null;\n  -> x -> output\n}\nIdle -> C -> Discard;");
        Assert.NotNull(graph);
        var writer = new StringWriter();
        errors.WriteTo(writer);
        Assert.Equal("config:3: warning: suggest 'input ->' or '[0] ->' to start connection\n", writer.ToString());
    }

    [Fact]
    public void CompactConfigRequirementIsAcceptedAndPrinted()
    {
        (RouterGraph? graph, _) = Parse("require(compact_config); Idle -> Discard;");
        Assert.NotNull(graph);
        Assert.StartsWith("require(compact_config);\n\n", ClickLanguage.Flatten(graph), StringComparison.Ordinal);
    }
}
