using EdgeOS.Samples.Click.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Runtime;

public sealed class ArgsTests
{
    [Fact]
    public void PositionalAndKeywordArgumentsAreMatchedLikeClick()
    {
        var errors = new ElementErrors();
        var args = new Args("\"hello, world\", 12, LIMIT 5, ACTIVE false", errors);
        Assert.Equal("hello, world", args.Read("DATA", ArgFlags.Positional, ClickValues.String, string.Empty));
        Assert.Equal(12u, args.Read("RATE", ArgFlags.Positional, ClickValues.UInt32, 0u));
        Assert.Equal(5u, args.Read("LIMIT", ArgFlags.Positional, ClickValues.UInt32, 0u));
        Assert.False(args.Read("ACTIVE", ArgFlags.None, ClickValues.Bool, true));
        Assert.True(args.Complete());
        Assert.False(errors.HasErrors);
    }

    [Fact]
    public void LeftoverMissingAndMistypedArgumentsGetClickMessages()
    {
        var errors = new ElementErrors();
        var args = new Args("1, 2, BOGUS 3", errors);
        args.Read("A", ArgFlags.Positional, ClickValues.UInt32, 0u);
        args.Read("B", ArgFlags.Mandatory, ClickValues.UInt32, 0u);
        Assert.False(args.Complete());
        Assert.Equal(["B: required argument missing", "BOGUS: unknown argument", "too many arguments"], errors.Messages);

        errors.Clear();
        args = new Args("x1", errors);
        args.Read("CAPACITY", ArgFlags.Positional, ClickValues.UInt32, 0u);
        Assert.Equal(["CAPACITY: invalid number"], errors.Messages);
    }

    // Click's IntArg wording (its confparse regression test): "invalid number" for what is no integer, "out of range,
    // bound N" with the bound that was passed; other types get Args::postparse's "parse error". IntArg's digit scan takes
    // no minus sign for an unsigned type, so "-1" (and "-0") is an invalid number there, not a range error.
    [Theory]
    [InlineData("aoeu", "invalid number")]
    [InlineData("0x", "invalid number")]
    [InlineData("09", "invalid number")]
    [InlineData("4294967296", "out of range, bound 4294967295")]
    [InlineData("42949672961939", "out of range, bound 4294967295")]
    [InlineData("0x1FFFFFFFF", "out of range, bound 4294967295")]
    [InlineData("-1", "invalid number")]
    [InlineData("-0", "invalid number")]
    [InlineData("1__0", "invalid number")]
    [InlineData("1_", "invalid number")]
    [InlineData("0b102", "invalid number")]
    public void UnsignedIntegerErrorsUseClicksWording(string text, string message)
    {
        var errors = new ElementErrors();
        new Args("N " + text, errors).Read("N", ArgFlags.None, ClickValues.UInt32, 0u);
        Assert.Equal(["N: " + message], errors.Messages);
    }

    [Theory]
    [InlineData("2147483648", "out of range, bound 2147483647")]
    [InlineData("-2147483649", "out of range, bound -2147483648")]
    [InlineData("-4294967296", "out of range, bound -2147483648")]
    [InlineData("1.5", "invalid number")]
    [InlineData("-+5", "invalid number")]
    public void SignedIntegerErrorsUseClicksWording(string text, string message)
    {
        var errors = new ElementErrors();
        Assert.False(new Args("N " + text, errors).TryRead("N", ArgFlags.None, ClickValues.Int32, out int _));
        Assert.Equal(["N: " + message], errors.Messages);
    }

    [Theory]
    [InlineData("Idle -> Queue(-1) -> Discard", "CAPACITY: invalid number")]
    [InlineData("Idle -> Queue(99999999999) -> Discard", "CAPACITY: out of range, bound 2147483647")]
    [InlineData("Idle -> Paint(256) -> Discard", "COLOR: out of range, bound 255")]
    [InlineData("Idle -> SetIPDSCP(0x100) -> Discard", "DSCP: out of range, bound 255")]
    [InlineData("InfiniteSource(LIMIT -2) -> Discard", "LIMIT: out of range, bound -1")]
    [InlineData("Idle -> CheckIPHeader(OFFSET x) -> Discard", "OFFSET: invalid number")]
    [InlineData("Idle -> SetIPAddress(10.0.0.300) -> Discard", "IPADDR: parse error")]
    [InlineData("Idle -> Print(ACTIVE maybe) -> Discard", "ACTIVE: parse error")]
    [InlineData("InfiniteSource(ACTIVE on) -> Discard", "ACTIVE: parse error")]
    [InlineData("Idle -> Paint(-1) -> Discard", "COLOR: invalid number")]
    [InlineData("Idle -> UDPIPEncap(1.0.0.1, -5, 2.0.0.2, 7) -> Discard", "SPORT: invalid number")]
    [InlineData("Idle -> EtherEncap(0x0800, 00:01:02:03:04, 00:01:02:03:04:05) -> Discard", "SRC: parse error")]
    [InlineData("InfiniteSource(LIMIT 5, ACTIVE true, STOP 2) -> Discard", "STOP: parse error")]
    public void ElementArgumentErrorsUseClicksWording(string config, string message)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        Assert.Equal(1, EdgeOS.Samples.Click.Driver.ClickDriver.Run(["-q", "-e", config], new StringReader(string.Empty), stdout, stderr));
        Assert.Contains("\nconfig:1:   " + message + "\n", stderr.ToString(), StringComparison.Ordinal);
    }

    // The whole message block, with the landmark and line, exactly as click prints it for a configuration file.
    [Fact]
    public void UnsignedArgumentGivenMinusOneIsAnInvalidNumberAtItsLine()
    {
        string dir = Directory.CreateTempSubdirectory("click-args").FullName;
        try
        {
            string file = Path.Combine(dir, "neg.click");
            File.WriteAllText(file, "src :: InfiniteSource(LIMIT 1)\n  -> q :: Queue(CAPACITY -1)\n  -> Unqueue -> Paint(-1) -> Discard;\n");
            var stdout = new StringWriter { NewLine = "\n" };
            var stderr = new StringWriter { NewLine = "\n" };
            Assert.Equal(1, EdgeOS.Samples.Click.Driver.ClickDriver.Run(["-q", file], new StringReader(string.Empty), stdout, stderr));
            Assert.Equal(
                $"{file}:2: While configuring 'q :: Queue':\n{file}:2:   CAPACITY: invalid number\n"
                + $"{file}:3: While configuring 'Paint@4 :: Paint':\n{file}:3:   COLOR: invalid number\n"
                + "Router could not be initialized!\n",
                stderr.ToString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("1", 1_000_000_000L)]
    [InlineData("0.5", 500_000_000L)]
    [InlineData("10ms", 10_000_000L)]
    [InlineData("3us", 3_000L)]
    [InlineData("2min", 120_000_000_000L)]
    public void TimesAcceptClickUnits(string text, long ns)
    {
        Assert.True(ClickValues.TimeNanoseconds(text, out long v, out _));
        Assert.Equal(ns, v);
    }

    [Theory]
    [InlineData("0x10", 16UL)]
    [InlineData("010", 8UL)]
    [InlineData("42", 42UL)]
    [InlineData("0b101", 5UL)]
    [InlineData("1_000_000", 1_000_000UL)]
    [InlineData("+7", 7UL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    public void IntegersAcceptHexAndOctal(string text, ulong expected)
    {
        Assert.True(ClickValues.TryParseInteger(text, out ulong v));
        Assert.Equal(expected, v);
    }

    [Fact]
    public void AddressesAndBandwidthsParseAndBadOnesAreRefused()
    {
        Assert.True(ClickValues.TryParseIPAddress("10.0.0.1", out uint ip));
        Assert.Equal(0x0A000001u, ip);
        Assert.False(ClickValues.TryParseIPAddress("10.0.0.256", out _));
        Assert.True(ClickValues.TryParseIPPrefix("10.1.0.0/16", out uint a, out uint m));
        Assert.Equal((0x0A010000u, 0xFFFF0000u), (a, m));
        Assert.True(ClickValues.TryParseEthernetAddress("00:01:02:aa:bb:cc", out ulong mac));
        Assert.Equal(0x000102AABBCCUL, mac);
        Assert.False(ClickValues.TryParseEthernetAddress("00:01:02:aa:bb", out _));
        Assert.True(ClickValues.BandwidthBytesPerSecond("8Mbps", out double bw, out _));
        Assert.Equal(1_000_000, bw);
        Assert.True(ClickValues.BandwidthBytesPerSecond("2kBps", out bw, out _));
        Assert.Equal(2000, bw);
    }

    [Fact]
    public void AddressInfoNamesAreUsableInOtherElementsArguments()
    {
        using TestRouter r = TestRouter.Create("""
            AddressInfo(me 10.0.0.1/24 02:00:00:00:00:01);
            InfiniteSource(LIMIT 1, STOP true) -> e :: EtherEncap(0x0800, me, me:eth) -> Discard;
            """);
        Assert.Equal("02-00-00-00-00-01", r.Read("e.src"));
        Assert.True(r.Router.Addresses.TryIP("me", out uint ip));
        Assert.Equal(0x0A000001u, ip);
        Assert.True(r.Router.Addresses.TryPrefix("me:net", out uint net, out uint mask));
        Assert.Equal((0x0A000000u, 0xFFFFFF00u), (net, mask));
    }
}
