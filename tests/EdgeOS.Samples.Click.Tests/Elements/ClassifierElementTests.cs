using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

public sealed class ClassifierElementTests
{
    [Fact]
    public void FirewallConfigurationCountsAllowedAndDroppedPackets()
    {
        string path = Frames.WritePcap([
            Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.1.5"), 1, 53),
            Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.2.5"), 1, 53),
            Frames.IcmpEcho(Frames.IP("10.0.0.1"), Frames.IP("10.0.2.5"), 1, 1),
            Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.9.9.9"), 1, 53),
            Frames.ArpRequest(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2")),
        ]);
        try
        {
            using TestRouter r = TestRouter.Create($"""
                FromDump({path}, STOP true) -> cl :: Classifier(12/0800, 12/0806, -);
                cl[0] -> CheckIPHeader(14) -> f :: IPFilter(allow dst net 10.0.1.0/24, allow udp && dst net 10.0.2.0/24, deny all) -> ok :: Counter -> Discard;
                cl[1] -> arp :: Counter -> Discard;
                cl[2] -> other :: Counter -> Discard;
                """).Run();
            Assert.Equal((2L, 1L, 0L), (r.Count("ok"), r.Count("arp"), r.Count("other")));
            Assert.Equal("2", r.Read("f.drops"));
            Assert.Equal(0, r.Router.Pool.Outstanding);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void IPFilterPortRulesAllowOnlyTheNamedServices()
    {
        string path = Frames.WritePcap([
            Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.1.5"), 1000, 53),
            Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.1.5"), 53, 1000),
            Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.1.5"), 1000, 9999),
            Frames.IcmpEcho(Frames.IP("10.0.0.1"), Frames.IP("10.0.2.5"), 1, 1),
        ]);
        try
        {
            using TestRouter r = TestRouter.Create($"""
                FromDump({path}, STOP true) -> CheckIPHeader(14) -> f :: IPFilter(allow udp && dst port 53, 1 icmp, deny all);
                f[0] -> dns :: Counter -> Discard; f[1] -> icmp :: Counter -> Discard;
                """).Run();
            Assert.Equal((1L, 1L), (r.Count("dns"), r.Count("icmp")));
            Assert.Equal("2", r.Read("f.drops"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void IPClassifierSendsEachPacketToItsFirstMatchingPattern()
    {
        string path = Frames.WritePcap([
            Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.1.5"), 1, 53),
            Frames.IcmpEcho(Frames.IP("10.0.0.7"), Frames.IP("10.0.2.5"), 1, 1),
            Frames.Udp(Frames.IP("10.0.0.7"), Frames.IP("10.0.2.5"), 1, 53),
        ]);
        try
        {
            using TestRouter r = TestRouter.Create($"""
                FromDump({path}, STOP true) -> CheckIPHeader(14) -> c :: IPClassifier(src host 10.0.0.1, udp, -);
                c[0] -> a :: Counter -> Discard; c[1] -> b :: Counter -> Discard; c[2] -> d :: Counter -> Discard;
                """).Run();
            Assert.Equal((1L, 1L, 1L), (r.Count("a"), r.Count("b"), r.Count("d")));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void PatternCountMustMatchTheOutputsAndBadPatternsAreReported()
    {
        string m = TestRouter.Failure("Idle -> c :: Classifier(12/0800, -) -> Discard;");
        Assert.Contains("config:1: While configuring 'c :: Classifier':\nconfig:1:   need 1 arguments, one per output port", m, StringComparison.Ordinal);
        m = TestRouter.Failure("Idle -> f :: IPFilter(allow frobnicate) -> Discard;");
        Assert.Contains("config:1: While configuring 'f :: IPFilter':", m, StringComparison.Ordinal);
    }
}
