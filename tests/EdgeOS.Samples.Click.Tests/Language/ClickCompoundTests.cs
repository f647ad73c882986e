using EdgeOS.Samples.Click.Language;
using static EdgeOS.Samples.Click.Tests.Language.ClickLanguageTestSupport;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Language;

/// <summary>Element groups, compound elements, elementclass, parameters and overloading (click(5)).</summary>
public sealed class ClickCompoundTests
{
    [Fact]
    public void ElementGroupExpressesADetourFromTheMainPath()
    {
        const string WithGroup = """
            x :: Idle; y :: Discard;
            x -> c :: Classifier(00/01, -) => (
                input [0] -> output;
                input [1] -> Paint(1) -> output
            ) -> y;
            """;
        string flat = Flatten(WithGroup);
        Assert.Equal(
            Lines("x :: Idle;", "y :: Discard;", "c :: Classifier(00/01, -);", "Paint@7 :: Paint(1);", "",
                "x -> c", "    -> y;", "c [1] -> Paint@7", "    -> y;"),
            flat);
    }

    [Theory]
    [InlineData("x -> ( input -> output ) -> y;")]
    [InlineData("x -> ( [0] -> [0] ) -> y;")]
    [InlineData("x -> (->) -> y;")]
    [InlineData("x -> ( [0]->[0]; [1]->[1] ) => ( [0]->[0]; [1]->[1] ) -> y;")]
    public void EquivalentGroupFormsAllConnectXToY(string connection)
    {
        string flat = Flatten("x :: Idle; y :: Discard;\n" + connection);
        Assert.Equal(Lines("x :: Idle;", "y :: Discard;", "", "x -> y;"), flat);
    }

    [Fact]
    public void GroupsHaveImpliedPortListsForAllTheirPorts()
    {
        string implied = Flatten("x :: Tee(2); y :: Null;\nx => ( [0]->[0]; [1]->[1] ) -> y;");
        string explicitPorts = Flatten("x :: Tee(2); y :: Null;\nx => [0,1] ( [0]->[0]; [1]->[1] ) [0,1] -> y;");
        string plain = Flatten("x :: Tee(2); y :: Null;\nx -> y; x [1] -> y;");
        Assert.Equal(plain, implied);
        Assert.Equal(plain, explicitPorts);
    }

    [Fact]
    public void GroupDeclarationsAreVisibleAfterTheGroup()
    {
        string flat = Flatten("x :: Idle; x -> ( input -> q :: Queue -> output ) -> Discard; q2 :: Queue; Idle -> q2 -> Discard;");
        Assert.Contains("q :: Queue;", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void GroupWithAGapInItsPortsIsAnError()
    {
        string[] errors = Errors("x :: Idle; y :: Discard;\nx => ( [0]->[0]; [2]->Idle ) -> y;");
        Assert.Contains("config:2: '<anonymous group>' input 1 missing", errors);
    }

    [Fact]
    public void CompoundExpandsIntoPrefixedComponents()
    {
        const string Text = """
            compound :: {
              input -> Null -> output;
              input [1] -> Counter -> [1] output;
            };
            a :: Idle; b :: Discard; c :: Idle; d :: Discard;
            a -> compound -> b;
            c -> [1] compound [1] -> d;
            """;
        Assert.Equal(
            Lines("a :: Idle;", "b :: Discard;", "c :: Idle;", "d :: Discard;", "compound/Null@1 :: Null;", "compound/Counter@2 :: Counter;", "",
                "a -> compound/Null@1", "    -> b;", "c -> compound/Counter@2", "    -> d;"),
            Flatten(Text));
    }

    [Fact]
    public void NamedComponentsKeepTheirNamesUnderTheCompoundPrefix()
    {
        string flat = Flatten("compound :: { input -> x :: Null -> output };\na :: Idle; b :: Discard;\na -> compound -> b;");
        Assert.EndsWith(Lines("compound/x :: Null;", "", "a -> compound/x", "    -> b;"), flat);
    }

    [Fact]
    public void AnonymousCompoundIsNamedAtNumber()
    {
        string flat = Flatten("a :: Idle; b :: Discard;\na -> { input -> Null -> output } -> b;");
        Assert.Equal(Lines("a :: Idle;", "b :: Discard;", "@3/Null@1 :: Null;", "", "a -> @3/Null@1", "    -> b;"), flat);
    }

    [Fact]
    public void ElementclassMakesANamedCompound()
    {
        const string Text = """
            elementclass MyQueue {
              input -> Queue -> Shaper(1000) -> output;
            }
            a :: Idle; b :: Discard;
            q :: MyQueue;
            a -> q -> b;
            """;
        Assert.Equal(
            Lines("a :: Idle;", "b :: Discard;", "q/Queue@1 :: Queue;", "q/Shaper@2 :: Shaper(1000);", "",
                "a -> q/Queue@1", "    -> q/Shaper@2", "    -> b;"),
            Flatten(Text));
    }

    [Fact]
    public void ElementclassShadowingAPrimitiveUsesThePrimitiveInside()
    {
        const string Text = """
            elementclass Queue { input -> Queue -> Shaper(1000) -> output; }
            Idle -> Queue -> Discard;
            """;
        string flat = Flatten(Text);
        Assert.Contains("Queue@2/Queue@1 :: Queue;", flat, StringComparison.Ordinal);
        Assert.Contains("Queue@2/Shaper@2 :: Shaper(1000);", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void ElementclassDoesNotAffectEarlierDefinitions()
    {
        const string Text = """
            elementclass A2 { input -> X -> output }
            elementclass X { input -> Y -> output }
            Idle -> A2 -> Discard;
            """;
        string flat = Flatten(Text);
        Assert.Contains("A2@2/X@1 :: X;", flat, StringComparison.Ordinal);
        Assert.DoesNotContain(":: Y;", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void SynonymElementclassNamesTheOriginalClass()
    {
        string flat = Flatten("elementclass MyQueue Queue;\nIdle -> q :: MyQueue(9) -> Discard;");
        Assert.Contains("q :: Queue(9);", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void ParametersAreSubstitutedIntoComponentConfigurations()
    {
        string flat = Flatten("Idle -> { $a | input -> A(1, $a, 3) -> output } (100) -> Discard;");
        Assert.Contains("@2/A@1 :: A(1, 100, 3);", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void KeywordAndRestParametersAreAssignedAsDocumented()
    {
        const string Text = """
            elementclass K { $a, COUNT $count, __REST__ $rest | input -> Test($a / $count / $rest) -> output }
            Idle -> K(1, 2, COUNT 3, FOO 4) -> Discard;
            """;
        Assert.Contains("K@2/Test@1 :: Test(1 / 3 / 2, FOO 4);", Flatten(Text), StringComparison.Ordinal);
    }

    [Fact]
    public void SingleQuotesProtectTheDollarSignAndBracesDelimitNames()
    {
        string flat = Flatten("Idle -> { $a | input -> Test('$a', ${a}b, $ab) -> output } (7) -> Discard;");
        Assert.Contains("Test('$a', 7b, $ab);", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void OverloadingChoosesTheDefinitionMatchingArgumentsAndPorts()
    {
        const string Text = """
            elementclass MyQueue {
              input -> Queue -> Shaper(1000) -> output;
            ||
              $cap | input -> Queue($cap)
                           -> Shaper(1000) -> output;
            }
            Idle -> q1 :: MyQueue -> Discard;
            Idle -> q2 :: MyQueue(5) -> Discard;
            """;
        string flat = Flatten(Text);
        Assert.Contains("q1/Queue@1 :: Queue;", flat, StringComparison.Ordinal);
        Assert.Contains("q2/Queue@1 :: Queue(5);", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void OverloadingByPortCount()
    {
        const string Text = """
            elementclass Two {
              input -> Null -> output;
            ||
              input -> Null -> output; input [1] -> Counter -> [1] output;
            }
            s :: Idle; t :: Idle; d1, d2 :: Discard;
            s -> one :: Two -> d1;
            t -> two :: Two -> d2; t -> [1] two [1] -> d2;
            """;
        string flat = Flatten(Text);
        Assert.DoesNotContain("one/Counter", flat, StringComparison.Ordinal);
        Assert.Contains("two/Counter@2 :: Counter;", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void EllipsisExtendsAnExistingClassWithAnOverloading()
    {
        const string Text = """
            elementclass Queue {
              $cap, $rate | input -> Queue($cap) -> Shaper($rate) -> output;
            || ...
            }
            Idle -> a :: Queue(10, 100) -> Discard;
            Idle -> b :: Queue(5) -> Discard;
            """;
        string flat = Flatten(Text);
        Assert.Contains("a/Queue@1 :: Queue(10);", flat, StringComparison.Ordinal);
        Assert.Contains("a/Shaper@2 :: Shaper(100);", flat, StringComparison.Ordinal);
        Assert.Contains("b :: Queue(5);", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void OverloadingVisibleOnlyAfterItsDefinition()
    {
        const string Text = "elementclass Test { $a | /* nothing */ }\ntest :: Test(1, 2);\nelementclass Test { $a, $b | /* nothing */ || ... }";
        Assert.Equal(
            ["config:3: no match for 'Test[2 arguments, 0 inputs, 0 outputs]'", "config:1: candidates are:", "config:1:   Test(<arg>)[0 inputs, 0 outputs]"],
            Errors(Text));
    }

    [Fact]
    public void WrongNumberOfArgumentsToACompoundIsReportedWithItsSignature()
    {
        const string Text = "elementclass C { $a, $b | input -> output }\nIdle -> C(1) -> Discard;\n";
        Assert.Equal(
            ["config:3: no match for 'C[1 argument, 1 input, 1 output]'", "config:1: candidates are:", "config:1:   C(<arg>, <arg>)[1 input, 1 output]"],
            Errors(Text));
    }

    [Fact]
    public void MissingKeywordParameterDoesNotMatch()
    {
        string[] errors = Errors("elementclass C { COUNT $count | input -> output }\nIdle -> C(1) -> Discard;");
        Assert.Equal("config:2: no match for 'C[1 argument, 1 input, 1 output]'", errors[0]);
        Assert.Equal("config:1:   C(COUNT)[1 input, 1 output]", errors[2]);
    }

    [Fact]
    public void CompoundParametersOutOfOrderAreReported()
    {
        string[] errors = Errors("elementclass C { COUNT $c, $a | input -> output }");
        Assert.Equal(["config:1: compound element parameters out of order", "config:1: (The correct order is '[positional], [keywords], [__REST__]'.)"], errors);
    }

    [Fact]
    public void RepeatedParameterIsReported()
    {
        string[] errors = Errors("elementclass C { $a, $a | input -> output }");
        Assert.Equal(["config:1: parameter '$a' multiply defined"], errors);
    }

    [Fact]
    public void PseudoelementsUsedOnTheWrongSideAreReported()
    {
        string[] errors = Errors("elementclass C {\n  output -> input;\n}");
        Assert.Equal(
            ["config:2: 'C' pseudoelement 'input' may only be used as output", "config:2: 'C' pseudoelement 'output' may only be used as input"],
            errors);
    }

    [Fact]
    public void UnusedIntermediateCompoundPortIsReported()
    {
        string[] errors = Errors("elementclass C {\n  input [0] -> [0] output; input [2] -> [2] output;\n}");
        Assert.Equal(["config:2: 'C' input 1 missing", "config:2: 'C' output 1 missing"], errors);
    }

    [Fact]
    public void ConnectionToAMissingCompoundPortIsReported()
    {
        string[] errors = Errors("elementclass C { input -> output }\nIdle -> [1] C -> Discard;");
        Assert.Equal(["config:2: 'C@2' has no input 1", "config:2: 'C@2' input 0 unused"], errors);
    }

    [Fact]
    public void CompoundsNestAndPrefixesAccumulate()
    {
        const string Text = """
            elementclass Inner { $n | input -> Queue($n) -> output }
            elementclass Outer { $m | input -> in :: Inner($m) -> Counter -> output }
            Idle -> o :: Outer(3) -> Discard;
            """;
        Assert.Equal(
            Lines("Idle@1 :: Idle;", "Discard@3 :: Discard;", "o/Counter@2 :: Counter;", "o/in/Queue@1 :: Queue(3);", "",
                "Idle@1 -> o/in/Queue@1", "    -> o/Counter@2", "    -> Discard@3;"),
            Flatten(Text));
    }

    [Fact]
    public void ImplicitInputWarnsWhenThePreviousStatementDidNotEndInOutput()
    {
        (RouterGraph? graph, ClickErrors errors) = Parse("elementclass C {\n  x :: Null;\n  -> x -> output\n}\nIdle -> C -> Discard;");
        Assert.NotNull(graph);
        Assert.Equal(["config:3: warning: suggest 'input ->' or '[0] ->' to start connection"], errors.Messages);
        Assert.Equal(0, errors.ErrorCount);
        Assert.Equal(1, errors.WarningCount);
    }

    [Fact]
    public void CompoundDefinitionsAreLexicallyScoped()
    {
        string[] errors = Errors("elementclass O { elementclass I { input -> output } input -> I -> output }\nIdle -> I -> Discard;");
        Assert.Equal(["config:2: undeclared element 'I'"], errors);
    }

    [Fact]
    public void DeeplyNestedGroupsStopAtTheDepthLimit()
    {
        string text = "x :: Idle; y :: Discard;\nx -> " + new string('(', 60) + new string(')', 60) + " -> y;";
        string[] errors = Errors(text);
        Assert.Contains("config:2: maximum element group nesting depth exceeded", errors);
    }
    [Fact]
    public void DefinitionsInsideACompoundMaySeeItsFormals()
    {
        string flat = Flatten("elementclass C { $a | define($b x$a); input -> Test($b) -> output }\nIdle -> C(5) -> Discard;");
        Assert.Contains("C@2/Test@1 :: Test(x5);", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void OverloadErrorListsEveryCandidateInOrder()
    {
        const string Text = "elementclass Two {\n  input -> output\n||\n  $a | input -> output\n}\nIdle -> Two(1, 2) -> Discard;";
        (RouterGraph? graph, ClickErrors errors) = Parse(Text);
        Assert.Null(graph);
        var writer = new StringWriter();
        errors.WriteTo(writer);
        Assert.Equal(
            "config:6: no match for 'Two[2 arguments, 1 input, 1 output]'\n"
            + "config:2: candidates are:\n"
            + "config:2:   Two[1 input, 1 output]\n"
            + "config:4:   Two(<arg>)[1 input, 1 output]\n",
            writer.ToString());
    }
}
