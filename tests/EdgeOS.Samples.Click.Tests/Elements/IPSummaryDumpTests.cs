using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

public sealed class IPSummaryDumpTests
{
    [Fact]
    public void SummaryDumpRoundTripsFieldsCountsAndSkipsBadLines()
    {
        string input = Path.Combine(Path.GetTempPath(), "clickrt-" + Guid.NewGuid().ToString("N") + ".ipsum");
        string output = input + ".out";
        File.WriteAllText(input, """
            !IPSummaryDump 1.3
            !data timestamp ip_src ip_dst sport dport ip_proto payload_len count
            1.5 10.0.0.1 10.0.0.2 1000 53 U 10 2
            2.25 10.0.0.3 10.0.0.4 5 80 T 0 1
            not a packet line
            3 1.1.1.1 2.2.2.2 - - I 8 1

            """.Replace("\r", string.Empty, StringComparison.Ordinal));
        try
        {
            using (TestRouter r = TestRouter.Create($"""
                f :: FromIPSummaryDump({input}, STOP true) -> c :: CheckIPHeader -> CheckIPHeader -> t :: ToIPSummaryDump({output}, CONTENTS "timestamp ip_src ip_dst sport dport ip_proto ip_len payload_len", BANNER "test");
                c[1] -> bad :: Counter -> Discard;
                """).Run())
            {
                Assert.Equal(4, r.Count("f"));
                Assert.Equal("1", r.Read("f.bad_lines"));
                Assert.Equal(0, r.Count("bad"));
                Assert.Equal(4, r.Count("t"));
            }

            Assert.Equal(
                "!IPSummaryDump 1.3\n!creator \"test\"\n!data timestamp ip_src ip_dst sport dport ip_proto ip_len payload_len\n" +
                "1.500000 10.0.0.1 10.0.0.2 1000 53 U 38 10\n1.500000 10.0.0.1 10.0.0.2 1000 53 U 38 10\n" +
                "2.250000 10.0.0.3 10.0.0.4 5 80 T 40 0\n3.000000 1.1.1.1 2.2.2.2 - - I 36 8\n",
                File.ReadAllText(output));
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }

    [Fact]
    public void UnknownContentTypesAreConfigurationErrors()
    {
        string m = TestRouter.Failure("Idle -> ToIPSummaryDump(/tmp/never, CONTENTS \"ip_src wobble\");");
        Assert.Contains("config:1:   unknown content type 'wobble'", m, StringComparison.Ordinal);
    }
}
