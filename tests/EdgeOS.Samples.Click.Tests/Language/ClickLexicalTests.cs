using EdgeOS.Samples.Click.Language;
using static EdgeOS.Samples.Click.Tests.Language.ClickLanguageTestSupport;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Language;

/// <summary>Comments, identifiers, configuration strings and line directives (click(5) "Lexical issues").</summary>
public sealed class ClickLexicalTests
{
    [Theory]
    [InlineData("C1(#simple string#)", "#simple string#")]
    [InlineData("C2(#string with (balanced parens)#)", "#string with (balanced parens)#")]
    [InlineData("C3(#string with \")quoted\" paren#)", "#string with \")quoted\" paren#")]
    [InlineData("C4(#// end-of-line comment)\n   still going!#)", "#// end-of-line comment)\n   still going!#")]
    [InlineData("C5(#/* slash-star comment) */ and backslash \\#)", "#/* slash-star comment) */ and backslash \\#")]
    [InlineData("C6('single ) quoted', x)", "'single ) quoted', x")]
    [InlineData("C7(\"escaped \\\" ) quote\")", "\"escaped \\\" ) quote\"")]
    [InlineData("C8(\\<48 29 4c>)", "\\<48 29 4c>")]
    public void ConfigurationStringRunsToTheUnbalancedParenthesis(string declaration, string expected)
    {
        // C1..C8 stand for primitive classes here.
        var errors = new ClickErrors();
        RouterGraph? graph = ClickLanguage.Parse("x :: " + declaration + ";", "config", new Dictionary<string, string>(),
            name => name.Length == 2 && name[0] == 'C', errors);
        Assert.Empty(errors.Messages);
        Assert.NotNull(graph);
        Assert.Equal(expected, Assert.Single(graph.Elements).Configuration);
    }

    [Fact]
    public void CommentsSeparateTokensAndEndIdentifiers()
    {
        (RouterGraph? graph, _) = Parse("an/identifier/with/slashes//too/many\n :: /* a comment */ Idle;");
        Assert.NotNull(graph);
        Assert.Equal("an/identifier/with/slashes", Assert.Single(graph.Elements).Name);
    }

    [Fact]
    public void IdentifiersMayContainAtSignsAndUnderscores()
    {
        (RouterGraph? graph, _) = Parse("my_elt@x :: Idle; _y :: Discard; my_elt@x -> _y;");
        Assert.NotNull(graph);
        Assert.Equal(["my_elt@x", "_y"], graph.Elements.Select(e => e.Name));
    }

    [Fact]
    public void LineDirectiveChangesFileAndLineOfLaterMessages()
    {
        string[] errors = Errors("a :: Idle;\n# 10 \"foo.click\"\na -> b;\n#line 40 \"bar.click\"\nc -> a;\n# 7\nd -> a;\n# 3 \"\"\ne -> a;");
        Assert.Equal(
            ["foo.click:10: undeclared element 'b'", "bar.click:40: undeclared element 'c'", "bar.click:7: undeclared element 'd'", "config:3: undeclared element 'e'"],
            errors);
    }

    [Fact]
    public void HashNotAtTheStartOfALineIsASyntaxError()
    {
        string[] errors = Errors("a :: Idle; # 5\n");
        Assert.Equal(["config:1: syntax error near '#'", "config:1: undeclared element '5'"], errors);
    }

    [Fact]
    public void UnknownPreprocessorDirectiveIsReported()
    {
        string[] errors = Errors("# pragma once\nIdle -> Discard;");
        Assert.Equal(["config:1: unknown preprocessor directive"], errors);
    }

    [Fact]
    public void LandmarksFollowLinesThroughMultiLineConfigurationsAndComments()
    {
        const string Text = "a :: Queue(1,\n  2,\n  3);\n/* one\n two */\nb -> a;";
        Assert.Equal(["config:6: undeclared element 'b'"], Errors(Text));
    }

    [Fact]
    public void CarriageReturnLineEndsCountAsOneLine()
    {
        Assert.Equal(["config:3: undeclared element 'b'"], Errors("a :: Idle;\r\n\r\nb -> a;"));
        Assert.Equal(["config:3: undeclared element 'b'"], Errors("a :: Idle;\r\rb -> a;"));
    }

    [Fact]
    public void ElementLandmarkIsTheLineOfItsDeclaration()
    {
        (RouterGraph? graph, _) = Parse("\n\nq :: Queue;\n\nIdle -> q -> Discard;", "router.click");
        Assert.NotNull(graph);
        Assert.Equal(new ClickLandmark("router.click", 3), graph.Elements[0].Landmark);
        Assert.Equal(new ClickLandmark("router.click", 5), graph.Elements[1].Landmark);
    }

    [Fact]
    public void KeywordsCannotBeElementNames()
    {
        Assert.Equal(["config:1: syntax error near 'provide'", "config:1: syntax error near '::'"], Errors("provide :: Idle;"));
    }
}
