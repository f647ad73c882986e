using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Runtime;

/// <summary>A router built from configuration text with the real parser and registry, run in simulated time.</summary>
internal sealed class TestRouter : IDisposable
{
    private TestRouter(Router router, StringWriter chatter)
    {
        Router = router;
        Chatter = chatter;
    }

    public Router Router { get; }

    public StringWriter Chatter { get; }

    public Master Master => Router.Master;

    /// <summary>Parses and initializes <paramref name="config"/>; fails the test with Click's messages if that fails.</summary>
    public static TestRouter Create(string config, bool simtime = true)
    {
        (TestRouter? r, ClickErrors errors) = TryCreate(config, simtime);
        Assert.True(r is not null, string.Join("\n", errors.Messages));
        return r!;
    }

    /// <summary>Parses and initializes <paramref name="config"/>, returning the messages when it fails.</summary>
    public static (TestRouter? Router, ClickErrors Errors) TryCreate(string config, bool simtime = true)
    {
        var errors = new ClickErrors();
        RouterGraph? graph = ClickLanguage.Parse(config, "config", new Dictionary<string, string>(), ElementRegistry.IsPrimitiveClass, errors);
        if (graph is null)
        {
            return (null, errors);
        }

        var chatter = new StringWriter { NewLine = "\n" };
        var master = new Master(simtime) { Chatter = chatter };
        Router? router = Router.Create(graph, errors, master);
        return (router is null ? null : new TestRouter(router, chatter), errors);
    }

    /// <summary>Runs until the router stops (with a 20-second safety limit that fails the test).</summary>
    public TestRouter Run()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Master.Run(cts.Token);
        Assert.False(cts.IsCancellationRequested, "the router did not stop by itself");
        return this;
    }

    /// <summary>Reads <c>element.handler</c> (or a global handler) and trims the final newline.</summary>
    public string Read(string handler)
    {
        Assert.True(Router.TryResolveHandler(handler, null, out Element? e, out string h, out string error), error);
        return Router.CallRead(e, h).TrimEnd('\n');
    }

    /// <summary>Writes a handler and asserts that it succeeded.</summary>
    public void Write(string handler, string value)
    {
        Assert.True(Router.TryResolveHandler(handler, null, out Element? e, out string h, out string error), error);
        var errors = new ElementErrors();
        Assert.True(Router.CallWrite(e, h, value, errors), string.Join("\n", errors.Messages));
    }

    public long Count(string element) => long.Parse(Read(element + ".count"), System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose() => Router.Cleanup();

    /// <summary>Messages of a configuration that must fail.</summary>
    public static string Failure(string config)
    {
        (TestRouter? r, ClickErrors errors) = TryCreate(config);
        r?.Dispose();
        Assert.Null(r);
        return string.Join("\n", errors.Messages);
    }
}
