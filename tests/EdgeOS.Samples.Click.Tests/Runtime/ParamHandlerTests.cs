using EdgeOS.Samples.Click.Driver;
using EdgeOS.Samples.Click.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Runtime;

/// <summary>
/// Read handlers that take a parameter (Click's Handler::f_read_param): LinearIPLookup's <c>lookup ADDR</c> and Script's
/// arithmetic handlers, called through Router.CallRead, Script's <c>read</c>/<c>print</c>/<c>$(...)</c> and the driver's
/// <c>-h</c>, with Click's messages for parameters a handler does not take.
/// </summary>
public sealed class ParamHandlerTests
{
    private const string Routes = "Idle -> rt :: LinearIPLookup(10.0.0.0/8 0, 10.1.0.0/16 10.1.0.254 1, 192.168.0.0/16 2); rt[0] -> Discard; rt[1] -> Discard; rt[2] -> Discard;";

    private static (string? Value, string Errors) Read(TestRouter r, string element, string handler, string parameter)
    {
        var errors = new ElementErrors();
        string? value = r.Router.CallRead(element.Length == 0 ? null : r.Router.Find(element), handler, parameter, errors);
        return (value, string.Join("\n", errors.Messages));
    }

    [Theory]
    [InlineData("10.1.2.3", "1 10.1.0.254\n")]
    [InlineData("10.200.0.1", "0\n")]
    [InlineData("192.168.7.7", "2\n")]
    [InlineData("172.16.0.1", "-1\n")]
    public void LookupPrintsTheOutputAndTheGatewayAsIPRouteTableDoes(string address, string expected)
    {
        using TestRouter r = TestRouter.Create(Routes);
        Assert.Equal((expected, string.Empty), Read(r, "rt", "lookup", address));
    }

    [Fact]
    public void LookupFollowsRouteChangesAndRefusesWhatIsNotAnAddress()
    {
        using TestRouter r = TestRouter.Create(Routes);
        r.Write("rt.add", "172.16.0.0/12 172.16.0.1 2");
        Assert.Equal(("2 172.16.0.1\n", string.Empty), Read(r, "rt", "lookup", "172.16.9.9"));
        r.Write("rt.remove", "10.1.0.0/16");
        Assert.Equal(("0\n", string.Empty), Read(r, "rt", "lookup", "10.1.2.3"));
        Assert.Equal(((string?)null, "expected IP address"), Read(r, "rt", "lookup", "not-an-address"));
        Assert.Equal(((string?)null, "expected IP address"), Read(r, "rt", "lookup", string.Empty));
        Assert.Contains("lookup\tr", r.Read("rt.handlers"), StringComparison.Ordinal);
    }

    [Fact]
    public void AParameterToAHandlerWithoutOneAndAMissingHandlerAreHandlerCallErrors()
    {
        using TestRouter r = TestRouter.Create(Routes);
        Assert.Equal(((string?)null, "read handler 'rt.table' does not take parameters"), Read(r, "rt", "table", "x"));
        Assert.Equal(((string?)null, "read handler 'version' does not take parameters"), Read(r, string.Empty, "version", "x"));
        Assert.Equal(((string?)null, "no 'rt.nosuch' read handler"), Read(r, "rt", "nosuch", string.Empty));
        Assert.Equal(((string?)null, "no 'rt.add' read handler"), Read(r, "rt", "add", "10.0.0.0/8 0"));

        // Without a parameter, as Click's Handler::call_read(e): the handler's refusal is silent and the value empty.
        Assert.Equal(string.Empty, r.Router.CallRead(r.Router.Find("rt"), "lookup"));
    }

    [Fact]
    public void ScriptReadPassesTheParameterAndNamesTheHandlerWithoutIt()
    {
        using TestRouter r = TestRouter.Create(Routes + "c :: Counter -> Discard; Idle -> c; sc :: Script(read rt.lookup 10.1.2.3, readq \"rt.lookup 192.168.1.1\", print \"via $(rt.lookup 10.9.9.9)\", print rt.lookup 172.16.0.1, read c.count 5, stop);").Run();
        Assert.Equal(
            "rt.lookup:\n1 10.1.0.254\n" +
            "rt.lookup:\n2\n" +
            "via 0\n" +
            "-1\n" +
            "sc: read handler 'c.count' does not take parameters\n",
            r.Chatter.ToString());
    }

    [Fact]
    public void ClicksHandlersExpansionTestPrintsThroughLocalAndNamedHandlers()
    {
        // Click's test/handlers-expansion-01: $(add ...) is the script's own handler, $($(s.run).name) reads the name of
        // the element s.run returns, and a local 'sub' handler wins over the element called sub.
        const string Config = "define($j sub)\nScript(print $(add 1 2),\n set i add,\n print $($i 3 4),\n print $($(s.run).name),\n print $($j 8 5),\n print $($j.run),\n stop)\ns :: Script(TYPE PASSIVE, return i2)\nsub :: Script(TYPE PASSIVE, return Hello)\ni1, i2 :: Idle";
        using TestRouter r = TestRouter.Create(Config).Run();
        Assert.Equal("3\n7\ni2\n3\nHello\n", r.Chatter.ToString());
    }

    [Theory]
    [InlineData("add 10 5 2", "17")]
    [InlineData("sub 10 5 2", "3")]
    [InlineData("mul 2 3 4", "24")]
    [InlineData("add 1 0.5", "1.5")]
    [InlineData("div 7 2", "3.5")]
    [InlineData("div 1 3", "0.333333333333")]
    [InlineData("idiv 7 2", "3")]
    [InlineData("add 0x10 1", "17")]
    [InlineData("add", "0")]
    [InlineData("eq 10 0xA", "true")]
    [InlineData("le 9 8", "false")]
    [InlineData("lt 1.5 2", "true")]
    [InlineData("eq 10x 10x", "true")]
    [InlineData("lt abc abd", "true")]
    [InlineData("ne a b", "true")]
    [InlineData("ge 3 3", "true")]
    [InlineData("gt -1 -2", "true")]
    [InlineData("not false", "true")]
    [InlineData("first a b c", "a")]
    [InlineData("sprintf \"%05x\" 127", "0007f")]
    [InlineData("sprintf \"%s=%d;\" a -5", "a=-5;")]
    [InlineData("sprintf \"%-4s|%4s|\" ab cd", "ab  |  cd|")]
    [InlineData("sprintf \"%+.3d %#o %#X\" 7 8 255", "+007 010 0XFF")]
    [InlineData("sprintf \"%*d|%.*s\" 5 42 2 \"xyz\"", "   42|xy")]
    [InlineData("sprintf \"%hd %hu 100%%\" 65535 65537", "-1 1 100%")]
    [InlineData("sprintf \"%05d\" -42", "-0042")]
    public void ScriptArithmeticHandlersFollowClicksRules(string call, string expected)
    {
        using TestRouter r = TestRouter.Create("s :: Script(TYPE PASSIVE);");
        int space = call.IndexOf(' ', StringComparison.Ordinal);
        (string handler, string parameter) = space < 0 ? (call, string.Empty) : (call[..space], call[(space + 1)..]);
        Assert.Equal((expected, string.Empty), Read(r, "s", handler, parameter));
    }

    [Theory]
    [InlineData("add", "1 x", "expected list of numbers")]
    [InlineData("eq", "1", "expected two numbers")]
    [InlineData("eq", "1 2 3", "expected two numbers")]
    [InlineData("not", "maybe", "syntax error")]
    [InlineData("sprintf", "\"%d\"", "syntax error")]
    [InlineData("sprintf", "\"%d\" 1 2", "syntax error")]
    [InlineData("sprintf", "\"%u\" -1", "syntax error")]
    [InlineData("sprintf", "\"%q\" 1", "syntax error")]
    public void ScriptArithmeticHandlersRefuseBadParameters(string handler, string parameter, string message)
    {
        using TestRouter r = TestRouter.Create("s :: Script(TYPE PASSIVE);");
        Assert.Equal(((string?)null, message), Read(r, "s", handler, parameter));
    }

    [Fact]
    public void RunReadsWithArgumentsAndReturnsTheReturnValue()
    {
        using TestRouter r = TestRouter.Create("s :: Script(TYPE PASSIVE, return $(add $1 $2) of $# from $args);");
        Assert.Equal(("7 of 2 from 3 4", string.Empty), Read(r, "s", "run", "3 4"));
        Assert.Equal(("0 of 0 from ", string.Empty), Read(r, "s", "run", string.Empty));
    }

    [Fact]
    public void DriverReadsAParameterHandlerWithoutAParameterAndTakesSpacesAsPartOfTheName()
    {
        using TestRouter r = TestRouter.Create(Routes);
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };

        // click -h rt.lookup: read with no parameter; the lookup refuses silently and prints nothing.
        Assert.True(ClickDriver.CallHandlers(r.Router, ["rt.lookup"], stdout, stderr));
        Assert.Equal((string.Empty, string.Empty), (stdout.ToString(), stderr.ToString()));

        // click -h "rt.lookup 10.0.0.1": everything after the first dot is the handler's name.
        Assert.False(ClickDriver.CallHandlers(r.Router, ["rt.lookup 10.0.0.1"], stdout, stderr));
        Assert.Equal("click: no 'rt.lookup 10.0.0.1' handler\n", stderr.ToString());
    }
}
