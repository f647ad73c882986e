using EdgeOS.Samples.Click.Language;
using static EdgeOS.Samples.Click.Tests.Language.ClickLanguageTestSupport;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Language;

/// <summary>Declarations, anonymous elements, connections and ports (click(5) "Shorthand"), checked through the flattened output.</summary>
public sealed class ClickDeclarationAndConnectionTests
{
    [Fact]
    public void DeclarationsThenConnectionFlattenInClickFormat()
    {
        string flat = Flatten("a :: Queue(10); b :: Discard; a -> b;");
        Assert.Equal(Lines("a :: Queue(10);", "b :: Discard;", "", "a -> b;"), flat);
    }

    [Fact]
    public void SemicolonsAreOptionalAndEmptyConfigurationsOmitParentheses()
    {
        string flat = Flatten("a :: Queue() b :: Discard a -> b");
        Assert.Equal(Lines("a :: Queue;", "b :: Discard;", "", "a -> b;"), flat);
    }

    [Fact]
    public void CommaSeparatedNamesDeclareSeveralElementsWithTheSameClassAndConfiguration()
    {
        (RouterGraph? graph, _) = Parse("a, b, c :: Queue(5);");
        Assert.NotNull(graph);
        Assert.Equal(["a", "b", "c"], graph.Elements.Select(e => e.Name));
        Assert.All(graph.Elements, e => Assert.Equal("Queue", e.ClassName));
        Assert.All(graph.Elements, e => Assert.Equal("5", e.Configuration));
    }

    [Fact]
    public void AnonymousElementsAreNumberedByTheirPositionInTheFile()
    {
        string flat = Flatten("InfiniteSource -> Counter -> Discard;");
        Assert.Equal(
            Lines("InfiniteSource@1 :: InfiniteSource;", "Counter@2 :: Counter;", "Discard@3 :: Discard;", "",
                "InfiniteSource@1 -> Counter@2", "    -> Discard@3;"),
            flat);
    }

    [Fact]
    public void AnonymousNameTakenByAUserElementMovesToTheNextFreeNumber()
    {
        string flat = Flatten("Idle -> Counter -> Discard; Counter@2 :: Counter;");
        Assert.Equal(
            Lines("Idle@1 :: Idle;", "Counter@3 :: Counter;", "Discard@3 :: Discard;", "Counter@2 :: Counter;", "",
                "Idle@1 -> Counter@3", "    -> Discard@3;"),
            flat);
    }

    [Fact]
    public void DeclarationInsideAConnectionDeclaresOneElement()
    {
        string flat = Flatten("Idle -> q :: Queue(3) -> u :: Unqueue -> Discard;");
        Assert.Equal(
            Lines("Idle@1 :: Idle;", "q :: Queue(3);", "u :: Unqueue;", "Discard@4 :: Discard;", "",
                "Idle@1 -> q", "    -> u", "    -> Discard@4;"),
            flat);
    }

    [Fact]
    public void PortNumbersAreKeptAndPortZeroIsImplied()
    {
        (RouterGraph? graph, _) = Parse("a :: Tee(3); b :: Queue; a [2] -> [0] b; a -> b;");
        Assert.NotNull(graph);
        Assert.Equal(2, graph.Connections.Count);
        Assert.Contains(graph.Connections, c => c.FromElement == 0 && c.FromPort == 2 && c.ToElement == 1 && c.ToPort == 0);
        Assert.Contains(graph.Connections, c => c.FromElement == 0 && c.FromPort == 0 && c.ToElement == 1 && c.ToPort == 0);
    }

    [Fact]
    public void ChainsStringConnectionsTogether()
    {
        string chained = Flatten("a :: Null; x :: Tee(4); b :: Null; a [0] -> [0] x [3] -> [0] b;");
        string separate = Flatten("a :: Null; x :: Tee(4); b :: Null; a -> x; x [3] -> b;");
        Assert.Equal(separate, chained);
        Assert.EndsWith(Lines("a -> x;", "x [3] -> b;"), chained);
    }

    [Fact]
    public void ManyToOneConnectsEveryElementToTheSamePort()
    {
        (RouterGraph? graph, _) = Parse("n1, n2, n3 :: Idle; x :: Discard; n1, n2, n3 -> x;");
        Assert.NotNull(graph);
        Assert.Equal([(0, 3), (1, 3), (2, 3)], graph.Connections.Select(c => (c.FromElement, c.ToElement)));
    }

    [Fact]
    public void OneToManyConnectsOnePortToEveryElement()
    {
        (RouterGraph? graph, _) = Parse("t :: Tee; a, b :: Discard; t -> a, b;");
        Assert.NotNull(graph);
        Assert.Equal([(0, 0, 1), (0, 0, 2)], graph.Connections.Select(c => (c.FromElement, c.FromPort, c.ToElement)));
    }

    [Fact]
    public void DeclarationInManyToOneAppliesOnlyToItsOwnName()
    {
        // click(5): "n1, n2 :: class -> n3" declares only n2.
        string[] errors = Errors("n3 :: Discard;\nn1, n2 :: Idle -> n3;");
        Assert.Equal(["config:2: undeclared element 'n1'"], errors);
    }

    [Fact]
    public void ManyToManyPortListsMatchTheDocumentedExpansion()
    {
        const string Long = "c :: Classifier(00/01, 00/02, 00/03); next :: Discard;\n"
            + "c [0] -> Paint(0) -> next; c [1] -> Paint(1) -> next; c [2] -> Paint(2) -> next;";
        const string Lists = "c :: Classifier(00/01, 00/02, 00/03); next :: Discard;\n"
            + "c [0], c [1], c [2] => Paint(0), Paint(1), Paint(2) -> next;";
        const string PortList = "c :: Classifier(00/01, 00/02, 00/03); next :: Discard;\n"
            + "c [0,1,2] => Paint(0), Paint(1), Paint(2) -> next;";
        const string Implied = "c :: Classifier(00/01, 00/02, 00/03); next :: Discard;\n"
            + "c => Paint(0), Paint(1), Paint(2) -> next;";

        (RouterGraph? expected, _) = Parse(Long);
        Assert.NotNull(expected);
        foreach (string text in new[] { Lists, PortList, Implied })
        {
            (RouterGraph? graph, ClickErrors errors) = Parse(text);
            Assert.Empty(errors.Messages);
            Assert.NotNull(graph);
            Assert.Equal(Describe(expected), Describe(graph));
        }
    }

    [Fact]
    public void ExpandablePortListContinuesFromItsLastNumber()
    {
        (RouterGraph? graph, _) = Parse("c :: Tee(4); a, b, d :: Discard; c [1,] => a, b, d;");
        Assert.NotNull(graph);
        Assert.Equal([(1, 1), (2, 2), (3, 3)], graph.Connections.Select(c => (c.FromPort, c.ToElement)));
    }

    [Fact]
    public void RepeatedConnectionsAreNotErrorsAndAppearOnce()
    {
        string flat = Flatten("a :: Idle; b :: Discard; a -> b; a -> b;");
        Assert.Equal(Lines("a :: Idle;", "b :: Discard;", "", "a -> b;"), flat);
    }

    [Fact]
    public void FlattenPrintsChainsOnlyThroughPortZeroAndListsOtherBranchesFirst()
    {
        string flat = Flatten("t :: Tee(2); Idle -> t; t [0] -> Discard; t [1] -> Discard;");
        Assert.Equal(
            Lines("t :: Tee(2);", "Idle@2 :: Idle;", "Discard@3 :: Discard;", "Discard@4 :: Discard;", "",
                "t [1] -> Discard@4;", "Idle@2 -> t", "    -> Discard@3;"),
            flat);
    }

    [Fact]
    public void FlattenBreaksCyclesIntoAChain()
    {
        string flat = Flatten("a :: Null; b :: Null; a -> b -> a;");
        Assert.Equal(Lines("a :: Null;", "b :: Null;", "", "a -> b", "    -> a;"), flat);
    }

    [Fact]
    public void FlattenOfAnEmptyConfigurationIsEmpty()
    {
        Assert.Equal(string.Empty, Flatten("// nothing here\n"));
    }

    [Fact]
    public void FlattenedOutputParsesBackToTheSameFlatOutput()
    {
        const string Text = """
            elementclass Pipe { $n | input -> Queue($n) -> Unqueue -> output }
            src :: InfiniteSource(LIMIT 5);
            src -> Pipe(7) -> c :: Classifier(12/0800, -) => Counter, Discard;
            c [1] -> Print(x) -> Discard;
            """;
        string once = Flatten(Text);
        string twice = Flatten(once);
        Assert.Equal(once, twice);
    }

    private static string Describe(RouterGraph graph) =>
        string.Join("; ", graph.Elements.Select(e => $"{e.ClassName}({e.Configuration})"))
        + " | "
        + string.Join("; ", graph.Connections.Select(c => $"{graph.Elements[c.FromElement].ClassName}({graph.Elements[c.FromElement].Configuration})[{c.FromPort}]->[{c.ToPort}]{graph.Elements[c.ToElement].ClassName}({graph.Elements[c.ToElement].Configuration})"));
}
