using System.Text.RegularExpressions;
using EdgeOS.Samples.Click.Driver;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Driver;

/// <summary>click(1)'s options and handler forms that the issue names, checked in process against Click's driver (userlevel/click.cc).</summary>
public sealed partial class DriverOptionTests
{
    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int code = ClickDriver.Run(args, new StringReader(string.Empty), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("InfiniteSource(LIMIT 7, STOP true) -> c :: Counter -> Discard", "c.count", 7, "")]
    [InlineData("Idle -> s :: Switch(0) -> Discard", "s.switch", 0, "")]
    [InlineData("Idle -> d :: Discard(ACTIVE true)", "d.active", 0, "")]
    [InlineData("Idle -> d :: Discard(ACTIVE false)", "d.active", 1, "")]
    [InlineData("Idle -> Discard", "config", -1, "click: exit handler value should be integer\n")]
    [InlineData("Idle -> d :: Discard", "d.nothing", -1, "click: no 'd.nothing' read handler\n")]
    [InlineData("Idle -> d :: Discard", "e.count", -1, "click: no element named 'e'\n")]
    [InlineData("Idle -> d :: Discard", "d.count 1", -1, "click: read handler 'd.count' does not take parameters\n")]
    [InlineData("Idle -> rt :: LinearIPLookup(10.0.0.0/8 10.0.0.254 3, 0.0.0.0/0 1) -> Discard; rt[1], rt[2], rt[3] -> Discard", "rt.lookup 10.0.0.1", -1, "click: exit handler value should be integer\n")]
    [InlineData("Idle -> rt :: LinearIPLookup(10.0.0.0/8 10.0.0.254 3, 0.0.0.0/0 1) -> Discard; rt[1], rt[2], rt[3] -> Discard", "rt.lookup 192.168.0.1", 1, "")]
    [InlineData("Idle -> rt :: LinearIPLookup(10.0.0.0/8 10.0.0.254 3, 0.0.0.0/0 1) -> Discard; rt[1], rt[2], rt[3] -> Discard", "rt.lookup nowhere", -1, "click: expected IP address\n")]
    [InlineData("Idle -> Discard; s :: Script(TYPE PASSIVE, return $(add $args 2))", "s.run 40", 42, "")]
    public void ExitHandlerValueIsTheExitStatus(string config, string handler, int status, string stderr)
    {
        // -q: the Idle configurations would run until interrupted; click calls the exit handler either way.
        var (code, _, err) = Run(config.StartsWith("Idle", StringComparison.Ordinal) ? ["-q", "-e", config, "-x", handler] : ["-e", config, "-x", handler]);
        Assert.Equal((status, stderr), (code, err));
    }

    [Fact]
    public void ExitHandlerTwiceIsRefused()
    {
        var (code, _, err) = Run("-x", "a.b", "--exit-handler", "c.d", "-e", "Idle -> Discard");
        Assert.Equal(1, code);
        Assert.StartsWith("click: --exit-handler specified twice\n", err, StringComparison.Ordinal);
    }

    [Fact]
    public void ClickPathOptionIsSearchedByRequireLibrary()
    {
        string dir = Directory.CreateTempSubdirectory("click-path").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "lib.click"), "elementclass Twice { input -> t :: Tee(2); t[0] -> [0]output; t[1] -> [1]output }\n");
            string config = "require(library lib.click); InfiniteSource(LIMIT 3, STOP true) -> t :: Twice; t[0] -> a :: Counter -> Discard; t[1] -> b :: Counter -> Discard";
            var (code, stdout, err) = Run("-C", dir, "-e", config, "-h", "a.count");
            Assert.Equal((0, "3\n", string.Empty), (code, stdout, err));

            (code, _, err) = Run("--clickpath=/nonexistent-click-path", "-e", config);
            Assert.Equal(1, code);
            Assert.Contains("library 'lib.click' not found in CLICKPATH/conf", err, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // click -h CLASS.HANDLER: a name that is no element is a class; each element of it that has the handler is printed
    // with its name; a glob with no matching element, or a class with no element, is an error in click's words.
    [Fact]
    public void HandlerOnAClassNameReadsEveryElementOfTheClass()
    {
        const string Config = "InfiniteSource(LIMIT 2, STOP true) -> t :: Tee; t[0] -> a :: Counter -> Discard; t[1] -> b :: Counter -> Discard";
        var (code, stdout, err) = Run("-e", Config, "-h", "Counter.count");
        Assert.Equal((0, "a.count:\n2\n\nb.count:\n2\n\n", string.Empty), (code, stdout, err));

        (code, _, err) = Run("-q", "-e", Config, "-h", "Queue.length", "-h", "z*.count", "-h", "nosuch", "-h", "stop");
        Assert.Equal(1, code);
        Assert.Equal("click: no element 'Queue'\nclick: no element matching 'z*'\nclick: no 'nosuch' handler\nclick: 'stop' is a write handler\n", err);

        // A glob whose elements lack the handler prints nothing and is no error.
        (code, stdout, err) = Run("-q", "-e", Config, "-h", "[ab].length");
        Assert.Equal((0, string.Empty, string.Empty), (code, stdout, err));
    }

    [Fact]
    public void TimeOptionPrintsUserSystemAndElapsedAsClickDoes()
    {
        var (code, stdout, _) = Run("-t", "-e", "InfiniteSource(LIMIT 10, STOP true) -> Discard");
        Assert.Equal(0, code);
        Assert.Matches(TimesLine(), stdout);
        Assert.Equal("0.012u 0.004s 1:01.25\n", ClickDriver.FormatTimes(TimeSpan.FromMilliseconds(12.4), TimeSpan.FromMilliseconds(3.6), TimeSpan.FromMilliseconds(61_249)));
    }

    [GeneratedRegex(@"^\d+\.\d{3}u \d+\.\d{3}s \d+:\d{2}\.\d{2}\n$")]
    private static partial Regex TimesLine();
}
