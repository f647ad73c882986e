using System.Text.RegularExpressions;
using EdgeOS.Samples.Click.Language;
using Xunit;
using static EdgeOS.Samples.Click.Tests.Language.ClickLanguageTestSupport;

namespace EdgeOS.Samples.Click.Tests.Language;

/// <summary>
/// Cases from Click's own regression tests (kohler/click test/tools/lexer-*.testie and test/compound/*.testie)
/// that exercise the language through <c>click -q -o -</c>, with the expected output those tests give.
/// Like those tests, some compare the output after joining continuation lines and sorting.
/// </summary>
public sealed partial class ClickRegressionSuiteTests
{
    // The testie "fix" filter: continuation lines joined, lines sorted (byte order), blank lines dropped.
    private static string[] Fix(string flat) =>
        flat.Replace("\n    ", " ", StringComparison.Ordinal)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Order(StringComparer.Ordinal)
            .ToArray();

    [Fact]
    public void Lexer02FormalsAreLexicallyScoped()
    {
        const string A = "elementclass Foo {\n$a |\n   DriverManager($a);\n}\nelementclass Far {\n$a, $b |\n   Foo($b);\n}\nFar(wait_stop stop, stop);\n";
        Assert.Equal(Lines("Far@1/Foo@1/DriverManager@1 :: DriverManager(stop);", ""), Flatten(A, fileName: "A.click"));

        const string B = "elementclass Foo {\n$a |\n   elementclass Bar {\n   $b |\n      DriverManager($a);\n   }\n   elementclass Baz {\n   $a |\n      Idle; Bar($a);\n   }\n   Baz(fuckola);\n}\nFoo(stop);\n";
        Assert.Equal(
            Lines("Foo@1/Baz@1/Idle@1 :: Idle;", "Foo@1/Baz@1/Bar@2/DriverManager@1 :: DriverManager(stop);", ""),
            Flatten(B, fileName: "B.click"));
    }

    [Fact]
    public void Lexer04CommasInConnections()
    {
        Assert.Equal(
            ["a -> b -> p -> c;", "a :: Idle;", "a [1] -> b;", "b -> q -> [2] c;", "b :: Idle;", "c :: Idle;", "p -> [1] c;", "p :: PullNull;", "q :: PullNull;"],
            Fix(Flatten("a, b, c :: Idle;\np, q :: PullNull;\na, a[1] -> b -> p, q;\np -> [0]c, [1]c; q -> [2]c;\n")));

        Assert.Equal(
            ["a :: Idle;", "a [1] -> c;", "a [2] -> a -> b;", "a [3] -> [1] a;", "b :: Idle;", "c :: Idle;"],
            Fix(Flatten("a, b, c :: Idle;\na => b, c, [0,1] a;\n")));

        Assert.Equal(
            ["a -> b;", "a :: Idle;", "a [1] -> [1] b;", "b :: Idle;"],
            Fix(Flatten("a, b :: Idle;\na -> { -> } -> b;\na [1] -> { [0] -> [0] } -> [1] b;\n")));
    }

    [Fact]
    public void Lexer04ConnectionErrors()
    {
        Assert.Equal(
            ["C.click:2: connection mismatch: 2 outputs connected to 3 inputs", "C.click:3: at most one expandable port allowed per connection"],
            Errors("a, b, c, d :: Idle;\na [0,1] => [0,1,2] b;\nc [] => [] d;\n", "C.click"));
        Assert.Equal(
            ["C2.click:2: syntax error: many-to-many connections require '=>'"],
            Errors("a, b, c, d :: Idle;\na [0,1,2] -> [0,1,2] b;\n", "C2.click"));
    }

    [Theory]
    [InlineData("a, b, c, d :: Idle;\na [0,1,2] => c, b, d;\n")]
    [InlineData("a, b, c, d :: Idle;\na [0,1,2] => ( -> c ), ( -> b ), d;\n")]
    [InlineData("a, d :: Idle;\na => (-> c :: Idle), (-> b :: Idle), d;\n")]
    public void Lexer05GroupsInManyToManyConnections(string text)
    {
        Assert.Equal(
            ["a -> c;", "a :: Idle;", "a [1] -> b;", "a [2] -> d;", "b :: Idle;", "c :: Idle;", "d :: Idle;"],
            Fix(Flatten(text)));
    }

    [Fact]
    public void Lexer05GroupsAsDetours()
    {
        const string B = "analyzer, x1, x2 :: Idle;\nx1 -> analyzer -> x2;\nc :: Idle =>\n         [1] analyzer [1],\n         (-> c2 :: Idle => (->), Paint(1) ->)\n-> post_classification :: Idle;\n";
        string[] actual = Fix(Flatten(B)).Select(l => PaintNumber().Replace(l, "Paint@N")).ToArray();
        Assert.Equal(
            ["Paint@N :: Paint(1);", "analyzer :: Idle;", "analyzer [1] -> post_classification;", "c -> [1] analyzer;", "c :: Idle;",
                "c [1] -> c2 -> post_classification;", "c2 :: Idle;", "c2 [1] -> Paint@N -> post_classification;", "post_classification :: Idle;",
                "x1 -> analyzer -> x2;", "x1 :: Idle;", "x2 :: Idle;"],
            actual);
    }

    [Theory]
    [InlineData("elementclass Foo {\n    a, b, c, d :: Idle;\n    a [0,1,2] => c, b, d;\n}\nfoo::Foo;\n")]
    [InlineData("elementclass Foo {\n    a, b, c, d :: Idle;\n    a [0,1,2] => ( -> c ), ( -> b ), d;\n}\nfoo::Foo;\n")]
    [InlineData("elementclass Foo {\n    a, d :: Idle;\n    a => (-> c :: Idle), (-> b :: Idle), d;\n}\nfoo::Foo;\n")]
    public void Lexer06GroupsInsideCompounds(string text)
    {
        Assert.Equal(
            ["foo/a -> foo/c;", "foo/a :: Idle;", "foo/a [1] -> foo/b;", "foo/a [2] -> foo/d;", "foo/b :: Idle;", "foo/c :: Idle;", "foo/d :: Idle;"],
            Fix(Flatten(text)));
    }

    [Fact]
    public void Lexer06CompoundWithImplicitPortsInAConnection()
    {
        const string B = "analyzer, x1, x2 :: Idle;\nx1 -> analyzer -> x2;\nc :: Idle =>\n         [1] analyzer [1],\n         foo :: { -> c2 :: Idle => (->), Paint(1) -> }\n-> post_classification :: Idle;\n";
        string[] actual = Fix(Flatten(B)).Select(l => PaintNumber().Replace(l, "Paint@N")).ToArray();
        Assert.Equal(
            ["analyzer :: Idle;", "analyzer [1] -> post_classification;", "c -> [1] analyzer;", "c :: Idle;", "c [1] -> foo/c2 -> post_classification;",
                "foo/Paint@N :: Paint(1);", "foo/c2 :: Idle;", "foo/c2 [1] -> foo/Paint@N -> post_classification;", "post_classification :: Idle;",
                "x1 -> analyzer -> x2;", "x1 :: Idle;", "x2 :: Idle;"],
            actual);
    }

    [Fact]
    public void Lexer07BackslashesStayInTheConfiguration()
    {
        Assert.Equal(Lines("m :: Message(\"\\\\\");", ""), Flatten("m :: Message(\"\\\\\");\n"));
    }

    [Fact]
    public void Lexer08LineDirectiveInsideAConfigurationString()
    {
        (RouterGraph? graph, _) = Parse("m :: Message(\n# 100 \"foobar.click\"\n\"test\");\nm2 :: Message(\"test2\");\nDriverManager(stop);\n", "A.click");
        Assert.NotNull(graph);
        Assert.Equal(new ClickLandmark("A.click", 1), graph.Elements[0].Landmark);
        Assert.Equal(new ClickLandmark("foobar.click", 101), graph.Elements[1].Landmark);
        Assert.Equal("\"test\"", ClickConfigText.Uncomment(graph.Elements[0].Configuration));
    }

    [Fact]
    public void Lexer09UnspecifiedTopLevelElement()
    {
        Assert.Equal(["A.click:1: syntax error near '->'"], Errors("->Null;\n", "A.click"));
    }

    [Fact]
    public void CompoundCompact01OverloadingOutput()
    {
        const string Text = """

            require(compact_config)
            elementclass Foo {
               $a, $b | input -> Print(1) -> output
            || $a, __REST__ $b | input -> Print(2) -> output
            || $a, TWO $b, __REST__ $c | input -> Print(3) -> output
            }
            InfiniteSource(DATA "", LIMIT 1, STOP true)
              -> Foo(A)
              -> f::Foo(A, TWO B)
            elementclass Foo {
               $a, $b | input -> Print(4) -> output
            || ...
            }
            f -> Foo(A, B) -> Foo(A, B, C) -> Discard

            """;
        Assert.Equal(
            Lines("require(compact_config);", "", "InfiniteSource@1 :: InfiniteSource(DATA \"\", LIMIT 1, STOP true);", "Discard@6 :: Discard;",
                "Foo@2/Print@1 :: Print(2);", "f/Print@1 :: Print(1);", "Foo@4/Print@1 :: Print(4);", "Foo@5/Print@1 :: Print(2);", "",
                "InfiniteSource@1 -> Foo@2/Print@1", "    -> f/Print@1", "    -> Foo@4/Print@1", "    -> Foo@5/Print@1", "    -> Discard@6;"),
            Flatten(Text));
    }

    [Fact]
    public void CompoundVariables01IndexedExpansion()
    {
        const string Text = """

            elementclass Foo {
               $a | input -> Print("$a") -> Print("${a[0]}") -> Print("${a[2]}") -> Print("${a[3]}") -> output
            }
            elementclass Bar {
               $a, $n | input -> Print("${a[$n]}") -> output
            }
            elementclass Baz {
               $a | input -> Bar(${a[1]} ${a[0]}, ${a[2]}) -> output
            }
            InfiniteSource(DATA "", LIMIT 1, STOP true)
              -> Foo(A B C)
              -> Bar(D E F, 2)
              -> Baz(G H 1)
              -> Baz(I J 0)
              -> Discard

            """;
        (RouterGraph? graph, ClickErrors errors) = Parse(Text);
        Assert.Empty(errors.Messages);
        Assert.NotNull(graph);
        string[] prints = graph.Elements.Where(e => e.ClassName == "Print").Select(e => e.Configuration).ToArray();
        Assert.Equal(["\"A B C\"", "\"A\"", "\"C\"", "\"\"", "\"F\"", "\"G\"", "\"J\""], prints);
    }

    [Fact]
    public void HandlersExpansion01LeavesScriptExpressionsForTheRuntime()
    {
        const string Text = "\n\tdefine($j sub)\n\tScript(print $(add 1 2),\n\t\tset i add,\n\t\tprint $($i 3 4),\n\t\tprint $($(s.run).name),\n\t\tprint $($j 8 5),\n\t\tprint $($j.run),\n\t\tstop)\n\ts :: Script(TYPE PASSIVE,\n\t\treturn i2)\n\tsub :: Script(TYPE PASSIVE, return Hello)\n\ti1, i2 :: Idle";
        (RouterGraph? graph, ClickErrors errors) = Parse(Text);
        Assert.Empty(errors.Messages);
        Assert.NotNull(graph);
        Assert.Equal("Script@1", graph.Elements[0].Name);
        Assert.Equal(
            "print $(add 1 2),\n\t\tset i add,\n\t\tprint $($i 3 4),\n\t\tprint $($(s.run).name),\n\t\tprint $(sub 8 5),\n\t\tprint $(sub.run),\n\t\tstop",
            graph.Elements[0].Configuration);
    }

    [Fact]
    public void StandardLibrary01NestedAndRepeatedLibraries()
    {
        string dir = Directory.CreateTempSubdirectory("clicklang").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "dir"));
            File.WriteAllText(Path.Combine(dir, "lib"), "require(library dir/lib2)\nelementclass A { b :: B; }\n");
            File.WriteAllText(Path.Combine(dir, "dir", "lib2"), "elementclass B { i :: Idle; }\n");
            File.WriteAllText(Path.Combine(dir, "lib3"), "require(library lib)\n");
            (RouterGraph? graph, ClickErrors errors) = Parse("require(library lib, library lib3)\na :: A;\n", "main", baseDirectory: dir);
            Assert.Empty(errors.Messages);
            Assert.NotNull(graph);
            Assert.Equal(["a/b/i"], graph.Elements.Select(e => e.Name));
            Assert.Equal(Lines("a/b/i :: Idle;", ""), ClickLanguage.Flatten(graph));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void StandardLandmarks01PreprocessorLineMarkers()
    {
        // What "cpp A" produces for Click's test: line markers with trailing flags.
        const string Cpp = "# 1 \"A\"\n\nx :: Idle;\nyy :: Idle;\n# 1 \"B\" 1\nx :: Idle;\n# 5 \"A\" 2\ny :: PushNull;\nx[1] -> y -> x;\ny -> [1]x;\n";
        Assert.Equal(["B:1: redeclaration of element 'x'", "A:2: element 'x' previously declared here"], Errors(Cpp, "<stdin>"));
    }

    [GeneratedRegex(@"Paint@\d+")]
    private static partial Regex PaintNumber();
}
