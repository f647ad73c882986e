using EdgeOS.Samples.Click.Language;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Language;

/// <summary>Configuration-string text rules (click(5) "Configuration strings", "Backslash substitutions").</summary>
public sealed class ClickConfigTextTests
{
    [Theory]
    [InlineData("a, b, c", new[] { "a", "b", "c" })]
    [InlineData("  a /*?*/ b,  c, ", new[] { "a b", "c" })]
    [InlineData("\"x, y\" // ?", new[] { "\"x, y\"" })]
    [InlineData("1, /* comment */", new[] { "1" })]
    [InlineData("1, , 2", new[] { "1", "", "2" })]
    [InlineData("'a,b', \\<2c>, c", new[] { "'a,b'", "\\<2c>", "c" })]
    [InlineData("", new string[0])]
    public void ArgumentsSplitAtUnquotedCommasAndDropAFinalEmptyOne(string config, string[] expected)
    {
        Assert.Equal(expected, ClickConfigText.ArgVec(config));
    }

    [Theory]
    [InlineData("\"\\n\" abc /* 123 */ '/* def */'", "\n abc /* def */")]
    [InlineData("a\"b\"c", "abc")]
    [InlineData("\"\\< 48 45 4c 4C 4f >\"", "HELLO")]
    [InlineData("\\<48 45>", "HE")]
    [InlineData("'\\<48>'", "\\<48>")]
    [InlineData("\"\\x41\\101\\t\\\\\"", "AA\t\\")]
    [InlineData("\"\\xfff41\"", "A")]
    [InlineData("\"a\\\nb\"", "ab")]
    [InlineData("\"\\q\"", "q")]
    public void UnquoteRemovesOneLevelOfQuotingAndProcessesEscapesInDoubleQuotes(string text, string expected)
    {
        Assert.Equal(expected, ClickConfigText.Unquote(text));
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("with \"quotes\" and $dollar and \\ backslash")]
    [InlineData("tab\tnewline\nbell\a")]
    [InlineData("")]
    public void QuoteRoundTripsThroughUnquote(string text)
    {
        string quoted = ClickConfigText.Quote(text);
        Assert.StartsWith("\"", quoted, StringComparison.Ordinal);
        Assert.Equal(text, ClickConfigText.Unquote(quoted));
    }

    [Fact]
    public void SpaceVecSplitsAtUnquotedSpacesAndSkipsComments()
    {
        Assert.Equal(["a", "b,", "c"], ClickConfigText.SpaceVec("a  b, c"));
        Assert.Equal(["'a /*?*/ b'c"], ClickConfigText.SpaceVec("  'a /*?*/ b'c"));
        Assert.Equal(["x", "y"], ClickConfigText.SpaceVec("x /* z */ y // w"));
    }

    [Fact]
    public void KeywordAndRestAssignmentFollowsClick()
    {
        Assert.True(ClickConfigText.TryAssignArguments(["1", "2", "COUNT 3", "FOO 4"], ["", "COUNT", "__REST__"], out List<string> values));
        Assert.Equal(["1", "3", "2, FOO 4"], values);

        Assert.False(ClickConfigText.TryAssignArguments(["1"], ["", ""], out _));
        Assert.False(ClickConfigText.TryAssignArguments(["1", "2", "3"], ["", ""], out _));
        Assert.False(ClickConfigText.TryAssignArguments(["1"], ["COUNT"], out _));
        Assert.False(ClickConfigText.TryAssignArguments(["COUNT 1", "BAD 2"], ["COUNT"], out _));
        Assert.True(ClickConfigText.TryAssignArguments(["COUNT 1", "COUNT 2"], ["COUNT"], out values));
        Assert.Equal(["2"], values);
    }

    [Fact]
    public void ExpansionSubstitutesVariablesButNotInSingleQuotesOrComments()
    {
        var env = new ClickVariables(null);
        env.Define("a", "1", false);
        env.Define("b", "$a$a", false);
        Assert.Equal("x 1 11 '$a' /* $a */ $zz", ClickConfigText.Expand("x $a $b '$a' /* $a */ $zz", env));
        Assert.Equal("$(a)", ClickConfigText.Expand("$(a)", new ClickVariables(null)));
        Assert.Equal("1", ClickConfigText.Expand("$(a)", env));
    }

    [Fact]
    public void ExpansionLooksOutwardThroughEnclosingScopes()
    {
        var outer = new ClickVariables(null);
        outer.Define("x", "outer", false);
        var inner = new ClickVariables(outer);
        inner.Define("y", "inner", false);
        Assert.Equal("outer inner", ClickConfigText.Expand("$x $y", inner));
        Assert.Same(outer, inner.ParentOf(1));
        Assert.False(inner.Define("y", "again", false));
    }

    [Fact]
    public void PortNumbersAcceptDecimalHexAndOctal()
    {
        Assert.True(ClickConfigText.TryParsePort("12", out int p) && p == 12);
        Assert.True(ClickConfigText.TryParsePort("0x1f", out p) && p == 31);
        Assert.True(ClickConfigText.TryParsePort("010", out p) && p == 8);
        Assert.False(ClickConfigText.TryParsePort("x", out _));
        Assert.False(ClickConfigText.TryParsePort("99999999999", out _));
        Assert.False(ClickConfigText.TryParsePort("09", out _));
    }
}
