using EdgeOS.Samples.Click.Classification;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Classification;

public sealed class ClassifierPatternTests
{
    [Fact]
    public void DocumentationExampleSendsArpRequestsRepliesIpAndOthersToFourOutputs()
    {
        ClassifierProgram program = ClassifierProgram.CompileClassifier(["12/0806 20/0001", "12/0806 20/0002", "12/0800", "-"]);

        Assert.Equal(4, program.OutputCount);
        Assert.Equal(0, program.Match(TestPackets.Arp(1), 0));
        Assert.Equal(1, program.Match(TestPackets.Arp(2), 0));
        Assert.Equal(2, program.Match(TestPackets.Ip(), 0));
        byte[] ipv6 = TestPackets.Ip();
        ipv6[12] = 0x86;
        ipv6[13] = 0xDD;
        Assert.Equal(3, program.Match(ipv6, 0));
        Assert.Equal(3, program.Match(TestPackets.Arp(3), 0));
    }

    [Fact]
    public void WithoutCatchAllAnUnmatchedPacketGoesNowhere()
    {
        ClassifierProgram program = ClassifierProgram.CompileClassifier(["12/0800"]);

        Assert.Equal(-1, program.Match(TestPackets.Arp(1), 0));
        Assert.Equal(0, program.Match(TestPackets.Ip(), 0));
    }

    [Fact]
    public void QuestionMarkNibblesAreIgnored()
    {
        ClassifierProgram program = ClassifierProgram.CompileClassifier(["12/08?6"]);

        Assert.Equal(0, program.Match(TestPackets.Arp(1), 0)); // 0806
        byte[] other = TestPackets.Arp(1);
        other[13] = 0xF6;
        Assert.Equal(0, program.Match(other, 0));
        other[13] = 0xF5;
        Assert.Equal(-1, program.Match(other, 0));
    }

    [Fact]
    public void MaskSelectsTheBitsThatAreCompared()
    {
        // The IP version nibble only: any IPv4 header length matches.
        ClassifierProgram program = ClassifierProgram.CompileClassifier(["14/40%f0"]);

        Assert.Equal(0, program.Match(TestPackets.Ip(), 0));
        Assert.Equal(0, program.Match(TestPackets.Ip(optionWords: 2), 0));
        byte[] v6 = TestPackets.Ip();
        v6[14] = 0x60;
        Assert.Equal(-1, program.Match(v6, 0));
    }

    [Fact]
    public void NegatedClauseMustNotMatchAndClausesAreAnded()
    {
        ClassifierProgram program = ClassifierProgram.CompileClassifier(["12/0800 !23/06", "12/0800"]);

        Assert.Equal(1, program.Match(TestPackets.Ip(proto: 6), 0));
        Assert.Equal(0, program.Match(TestPackets.Ip(proto: 17), 0));
        Assert.Equal(-1, program.Match(TestPackets.Arp(1), 0));
    }

    [Fact]
    public void ClauseSpanningTwoWordsChecksBoth()
    {
        // Bytes 10..13 straddle the aligned words at 8 and 12.
        ClassifierProgram program = ClassifierProgram.CompileClassifier(["10/00000800"]);

        Assert.Equal(0, program.Match(TestPackets.Ip(), 0));
        byte[] changed = TestPackets.Ip();
        changed[10] = 1;
        Assert.Equal(-1, program.Match(changed, 0));
    }

    [Fact]
    public void ShortPacketFailsTestsOnMissingBytesWithoutThrowing()
    {
        ClassifierProgram program = ClassifierProgram.CompileClassifier(["12/0806 20/0001", "!40/00", "-"]);

        Assert.Equal(1, program.Match(new byte[10], 0)); // 12/0806 needs missing bytes and fails; byte 40 is missing, so "!40/00" matches
        Assert.Equal(1, program.Match(new byte[30], 0));
        Assert.Equal(2, program.Match(new byte[41], 0)); // byte 40 present and zero
        Assert.Equal(1, program.Match([], 0));
        byte[] arp = TestPackets.Arp(1);
        Assert.Equal(0, program.Match(arp[..22], 0)); // ends right after the operation field the pattern needs
        Assert.Equal(1, program.Match(arp[..21], 0)); // one byte of the operation missing: pattern 0 fails
    }

    [Theory]
    [InlineData("12/08060", "pattern 0: value has odd number of hex digits")]
    [InlineData("12-0806", "pattern 0: expected '/'")]
    [InlineData("x/0806", "pattern 0: expected a digit")]
    [InlineData("12/08g6", "pattern 0: expected a digit")]
    [InlineData("12/0g06", "pattern 0: value has less than 2 hex digits")]
    [InlineData("12/0806%ff", "pattern 0: mask has too few hex digits")]
    [InlineData("12/08%ffff", "pattern 0: mask has too many hex digits")]
    [InlineData("12/", "pattern 0: value has less than 2 hex digits")]
    [InlineData("99999/00", "pattern 0: offset too large in '99999/00' (at most 65535)")]
    [InlineData("", "pattern 0: empty pattern")]
    public void BadPatternIsRefusedWithClickStyleMessage(string pattern, string message)
    {
        var error = Assert.Throws<ClickConfigurationException>(() => ClassifierProgram.CompileClassifier([pattern]));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void ErrorNamesTheFailingPatternNumber()
    {
        var error = Assert.Throws<ClickConfigurationException>(() => ClassifierProgram.CompileClassifier(["12/0800", "-", "1/x"]));
        Assert.StartsWith("pattern 2:", error.Message, StringComparison.Ordinal);
    }
}
