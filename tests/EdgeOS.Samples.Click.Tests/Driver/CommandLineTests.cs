using System.Diagnostics;
using EdgeOS.Samples.Click.Tests.Elements;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Driver;

/// <summary>The driver run as a process, the way a user runs <c>click</c>: <c>dotnet click.dll ...</c>.</summary>
public sealed class CommandLineTests
{
    internal static (int ExitCode, string Stdout, string Stderr) Click(string? stdin, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "click.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
        }

        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("click did not exit");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void ExpressionRunsToTheStopAndOneHandlerPrintsWithoutAHeader()
    {
        var (code, stdout, stderr) = Click(null, "-e", "InfiniteSource(LIMIT 7, STOP true) -> c :: Counter -> Discard", "-h", "c.count");
        Assert.Equal(0, code);
        Assert.Equal("7\n", stdout);
        Assert.Equal(string.Empty, stderr);
    }

    [Fact]
    public void SeveralHandlersAndGlobsPrintNameHeadersAndBlankLines()
    {
        var (code, stdout, _) = Click(null, "-e", "s :: InfiniteSource(LIMIT 3, STOP true) -> c1 :: Counter -> c2 :: Counter -> Discard", "-h", "c*.count", "-h", "s.limit");
        Assert.Equal(0, code);
        Assert.Equal("c1.count:\n3\n\nc2.count:\n3\n\ns.limit:\n3\n\n", stdout);
    }

    [Fact]
    public void ConfigurationFromFileAndStdinAndVariables()
    {
        string path = Path.Combine(Path.GetTempPath(), "clickrt-" + Guid.NewGuid().ToString("N") + ".click");
        File.WriteAllText(path, "define($N 2);\nInfiniteSource(LIMIT $N, STOP true) -> c :: Counter -> Discard;\n");
        try
        {
            Assert.Equal("2\n", Click(null, path, "-h", "c.count").Stdout);
            Assert.Equal("5\n", Click(null, path, "N=5", "-h", "c.count").Stdout);
            Assert.Equal("4\n", Click(File.ReadAllText(path), "N=4", "-h", "c.count").Stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void QuitDoesNotRunAndHandlersStillAnswer()
    {
        var (code, stdout, _) = Click(null, "-q", "-e", "InfiniteSource(LIMIT 7) -> c :: Counter -> Discard", "-h", "c.count", "-h", "config", "-h", "list");
        Assert.Equal(0, code);
        Assert.Equal("c.count:\n0\n\nconfig:\nInfiniteSource(LIMIT 7) -> c :: Counter -> Discard\n\nlist:\n3\nInfiniteSource@1\nc\nDiscard@3\n\n", stdout);
    }

    [Fact]
    public void FlattenAndOutputPrintTheFlatConfiguration()
    {
        var (code, stdout, _) = Click(null, "--flatten", "-e", "elementclass X { input -> Counter -> output }; Idle -> x :: X -> Discard");
        Assert.Equal(0, code);
        Assert.Contains("x/Counter@1 :: Counter;", stdout, StringComparison.Ordinal);
        (code, string stdout2, _) = Click(null, "-q", "-o", "-", "-e", "elementclass X { input -> Counter -> output }; Idle -> x :: X -> Discard");
        Assert.Equal(0, code);
        Assert.Equal(stdout, stdout2);
    }

    [Fact]
    public void ErrorsArePrintedAsClickPrintsThemAndTheExitCodeIsOne()
    {
        var (code, stdout, stderr) = Click(null, "-e", "Idle -> x :: Foo -> Discard");
        Assert.Equal(1, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("config:1: unknown element class 'Foo'", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Click(null, "-e", "q :: Queue(x) -> Discard; Idle -> q");
        Assert.Equal(1, code);
        Assert.Equal("config:1: While configuring 'q :: Queue':\nconfig:1:   CAPACITY: invalid number\nRouter could not be initialized!\n", stderr);

        (code, _, stderr) = Click(null, "/nonexistent/router.click");
        Assert.Equal((1, "click: /nonexistent/router.click: No such file or directory\n"), (code, stderr));

        (code, _, stderr) = Click(null, "--bogus");
        Assert.Equal(1, code);
        Assert.StartsWith("click: unrecognized option '--bogus'", stderr, StringComparison.Ordinal);

        (code, stdout, stderr) = Click(null, "-q", "-e", "c :: Counter; Idle -> c -> Discard", "-h", "c.nothing", "-h", "zz.count");
        Assert.Equal(1, code);
        Assert.Contains("click: no 'c.nothing' handler", stderr, StringComparison.Ordinal);
        Assert.Contains("click: no element 'zz'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void SimtimePrintsTimerDrivenPacketsWithSimulatedTimestamps()
    {
        var (code, _, stderr) = Click(null, "--simtime", "-e", "TimedSource(2, \"x\", LIMIT 2, STOP true) -> Print(t, TIMESTAMP true) -> Discard");
        Assert.Equal(0, code);
        Assert.Equal("t: 1000000002.000000:    1 | 78\nt: 1000000004.000000:    1 | 78\n", stderr);
    }

    [Fact]
    public void PcapInPcapOutThroughTheCommandLine()
    {
        string input = Frames.WritePcap(Enumerable.Range(0, 10).Select(i => Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), (ushort)i, 53)));
        string output = input + ".out";
        try
        {
            var (code, stdout, stderr) = Click(null, "-e", $"FromDump({input}, STOP true) -> CheckIPHeader(14) -> c :: Counter -> ToDump({output})", "-h", "c.count");
            Assert.Equal((0, "10\n", string.Empty), (code, stdout, stderr));
            Assert.Equal(10, Frames.ReadPcap(output).Count);
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // started with SIGINT ignored, as a background job of a non-interactive shell: Click still stops
    public async Task InterruptStopsARunThatWouldNeverEndAndHandlersPrint(bool interruptIgnored)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "click.dll");
        const string Arguments = "-e 'Idle -> c :: Counter -> Discard' -h c.count";
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"{(interruptIgnored ? "trap '' INT; " : string.Empty)}exec dotnet '{dll}' {Arguments}");
        using Process p = Process.Start(psi)!;
        try
        {
            Task<string> stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            Task<string> stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);

            // Wait until the runtime has started (the process has loaded its own assembly) before interrupting.
            await Task.Delay(1500, TestContext.Current.CancellationToken);
            Assert.False(p.HasExited, "click exited early");
            using (Process kill = Process.Start("/bin/kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
            }

            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), "click did not stop on SIGINT");
            Assert.Equal((0, "0\n", string.Empty), (p.ExitCode, await stdout, await stderr));
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }
}
