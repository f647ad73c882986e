using EdgeOS.Samples.Click.Driver;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

/// <summary>Arguments and handlers Click's element documentation lists that the issue 7 audit found missing.</summary>
public sealed class DocumentedHandlerTests
{
    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int code = ClickDriver.Run(args, new StringReader(string.Empty), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void UdpIPEncapHasItsAddressAndPortHandlers()
    {
        var (code, stdout, stderr) = Run(
            "-e", "InfiniteSource(LIMIT 1, STOP true) -> u :: UDPIPEncap(1.0.0.1, 1234, 2.0.0.2, 5678) -> Discard; Script(write u.sport 99, write u.dst 3.0.0.3)",
            "-h", "u.src", "-h", "u.sport", "-h", "u.dst", "-h", "u.dport");
        Assert.Equal((0, "u.src:\n1.0.0.1\n\nu.sport:\n99\n\nu.dst:\n3.0.0.3\n\nu.dport:\n5678\n\n", string.Empty), (code, stdout, stderr));
    }

    [Fact]
    public void InfiniteSourceHasABurstHandler()
    {
        var (code, stdout, stderr) = Run(
            "-e", "s :: InfiniteSource(LIMIT 8, BURST 2, STOP true) -> c :: Counter -> Discard; Script(write s.burst 4)",
            "-h", "s.burst", "-h", "c.count");
        Assert.Equal((0, "s.burst:\n4\n\nc.count:\n8\n\n", string.Empty), (code, stdout, stderr));
    }

    [Fact]
    public void CheckUdpHeaderDetailsCountsEachReason()
    {
        // A UDP datagram whose checksum (0x1234) is wrong, sent 3 times; CheckUDPHeader does not look at the IP checksum.
        const string Data = "\\<45 00 00 1c 00 00 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02 04 d2 16 2e 00 08 12 34>";
        var (code, stdout, stderr) = Run(
            "-e", $"InfiniteSource(DATA {Data}, LIMIT 3, STOP true) -> MarkIPHeader -> c :: CheckUDPHeader(DETAILS true) -> Discard",
            "-h", "c.drops", "-h", "c.drop_details");
        Assert.Equal(string.Empty, stderr);
        Assert.Equal(0, code);
        Assert.Equal(
            "c.drops:\n3\n\nc.drop_details:\n"
            + "              0 packets due to:                  not UDP\n"
            + "              0 packets due to:        bad packet length\n"
            + "              3 packets due to:         bad UDP checksum\n\n",
            stdout);

        // Without DETAILS there is no drop_details handler.
        (code, _, stderr) = Run("-q", "-e", "Idle -> c :: CheckTCPHeader -> Discard", "-h", "c.drop_details");
        Assert.Equal((1, "click: no 'c.drop_details' handler\n"), (code, stderr));
    }

    [Fact]
    public void IPClassifierHasPositionalPatternHandlers()
    {
        var (code, stdout, stderr) = Run(
            "-q", "-e", "Idle -> c :: IPClassifier(tcp port 80, -); c[0] -> Discard; c[1] -> Discard", "-h", "c.pattern0", "-h", "c.pattern1");
        Assert.Equal((0, "c.pattern0:\ntcp port 80\n\nc.pattern1:\n-\n\n", string.Empty), (code, stdout, stderr));
    }
}
