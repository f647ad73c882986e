using EdgeOS.Samples.Click.Runtime;
using EdgeOS.Samples.Click.Tests.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Elements;

/// <summary>
/// Keywords and handlers of CheckIPHeader (GOODDST and the source check it belongs to), Print (PRINTANNO, HEADROOM)
/// and VLANEncap (NATIVE_VLAN and its handlers), checked against Click's element documentation and sources.
/// </summary>
public sealed class KeywordGapTests
{
    private static readonly string[] s_checkFrames = WriteCheckFrames();

    // a: 10.0.0.255 -> 10.0.0.1  (subnet broadcast source, to the interface address)
    // b: 10.0.0.255 -> 10.0.0.2  (subnet broadcast source, to another host)
    // c: 0.0.0.0 -> 10.0.0.1     (zero source, to the interface address)
    // d: 255.255.255.255 -> 10.0.0.7
    // e: 10.0.0.9 -> 10.0.0.7    (an ordinary packet)
    private static string[] WriteCheckFrames()
    {
        byte[] Frame(string src, string dst) => Frames.Udp(Frames.IP(src), Frames.IP(dst), 1, 2);
        return [Frames.WritePcap([
            Frame("10.0.0.255", "10.0.0.1"), Frame("10.0.0.255", "10.0.0.2"), Frame("0.0.0.0", "10.0.0.1"),
            Frame("255.255.255.255", "10.0.0.7"), Frame("10.0.0.9", "10.0.0.7"),
        ])];
    }

    private static (long Ok, long Bad, string Chatter) RunCheck(string arguments)
    {
        using TestRouter r = TestRouter.Create(
            $"FromDump({s_checkFrames[0]}, STOP true) -> c :: CheckIPHeader({arguments}) -> ok :: Counter -> Discard; c[1] -> bad :: Counter -> Discard;").Run();
        return (r.Count("ok"), r.Count("bad"), r.Chatter.ToString());
    }

    [Theory]
    [InlineData("14", 5, 0)] // no INTERFACES, BADSRC or GOODDST: no source check at all
    [InlineData("14, GOODDST 10.0.0.1", 5, 0)] // a good-destination list alone exempts from an empty bad list
    [InlineData("14, BADSRC 10.0.0.255", 3, 2)] // a and b
    [InlineData("14, BADSRC 10.0.0.255, GOODDST 10.0.0.1", 4, 1)] // a is exempt (to 10.0.0.1); b is not
    [InlineData("14, INTERFACES 10.0.0.1/24", 3, 2)] // BADSRC 10.0.0.255 0.0.0.0 255.255.255.255, GOODDST 10.0.0.1: b, d
    [InlineData("14, INTERFACES 10.0.0.1/24, GOODDST 10.0.0.2", 2, 3)] // GOODDST replaces the interfaces' list: a, c, d
    [InlineData("OFFSET 14, INTERFACES 10.0.0.1/24, BADSRC 10.0.0.9", 4, 1)] // BADSRC replaces the interfaces' list: e
    [InlineData("10.0.0.255, 14", 1, 4)] // Click's old form: the list plus 0.0.0.0 and 255.255.255.255, then OFFSET
    public void CheckIPHeaderChecksSourcesAgainstBadSourceAndGoodDestinationLists(string arguments, long ok, long bad)
    {
        var (okCount, badCount, chatter) = RunCheck(arguments);
        Assert.Equal((ok, bad), (okCount, badCount));

        // Without VERBOSE only the first bad packet is reported.
        Assert.Equal(bad == 0 ? string.Empty : "c: IP header check failed: bad source address\n", chatter);
    }

    [Fact]
    public void CheckIPHeaderVerboseReportsEveryBadPacketAndDetailsCountsThemByReason()
    {
        byte[] good = Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), 1, 2);
        byte[] badSum = (byte[])good.Clone();
        badSum[24] ^= 0xFF;
        byte[] badSrc = Frames.Udp(Frames.IP("10.0.0.255"), Frames.IP("10.0.0.2"), 1, 2);
        byte[] longHeader = (byte[])good.Clone();
        longHeader[14] = 0x4F; // 60-byte header: more than the IP length says, so Click calls it a bad IP length
        string path = Frames.WritePcap([good, badSum, badSrc, good[..20], longHeader, badSrc]);
        using TestRouter r = TestRouter.Create(
            $"FromDump({path}, STOP true) -> c :: CheckIPHeader(14, BADSRC 10.0.0.255, VERBOSE true, DETAILS true) -> ok :: Counter -> Discard; c[1] -> Discard;").Run();
        Assert.Equal(1L, r.Count("ok"));
        Assert.Equal("5", r.Read("c.drops"));
        Assert.Equal(
            "c: IP header check failed: bad IP checksum\nc: IP header check failed: bad source address\n" +
            "c: IP header check failed: tiny packet\nc: IP header check failed: bad IP length\n" +
            "c: IP header check failed: bad source address\n",
            r.Chatter.ToString());
        Assert.Equal(
            "1\ttiny packet\n0\tbad IP version\n0\tbad IP header length\n1\tbad IP length\n1\tbad IP checksum\n2\tbad source address",
            r.Read("c.drop_details"));
        File.Delete(path);
    }

    [Fact]
    public void CheckIPHeaderChecksTheChecksumBeforeTheSource()
    {
        byte[] badBoth = Frames.Udp(Frames.IP("10.0.0.255"), Frames.IP("10.0.0.2"), 1, 2);
        badBoth[24] ^= 0xFF;
        string path = Frames.WritePcap([badBoth]);
        using TestRouter r = TestRouter.Create($"FromDump({path}, STOP true) -> c :: CheckIPHeader(14, BADSRC 10.0.0.255) -> Discard;").Run();
        Assert.Equal("c: IP header check failed: bad IP checksum\n", r.Chatter.ToString());
        File.Delete(path);
    }

    [Theory]
    [InlineData("GOODDST bogus", "GOODDST: parse error")]
    [InlineData("BADSRC 10.0.0.1 x", "BADSRC: parse error")]
    [InlineData("INTERFACES 10.0.0.1/40", "INTERFACES: parse error")]
    [InlineData("bogus", "BADSRC: parse error")]
    [InlineData("10.0.0.1, x", "OFFSET: invalid number")]
    [InlineData("10.0.0.1, 14, 3", "too many arguments")]
    public void CheckIPHeaderRejectsBadAddressLists(string arguments, string message)
    {
        Assert.Contains(message, TestRouter.Failure($"Idle -> CheckIPHeader({arguments}) -> Discard;"), StringComparison.Ordinal);
    }

    [Fact]
    public void PrintHeadroomShowsHeadroomAndTailroomAfterTheLength()
    {
        using TestRouter r = TestRouter.Create("""
            InfiniteSource(DATA "abcdef", LIMIT 1, STOP true) -> Print(a, HEADROOM true) -> Strip(2) -> Print(b, HEADROOM true, CONTENTS NONE)
              -> Print(HEADROOM true, MAXLENGTH 0) -> Print(c, HEADROOM false) -> Discard;
            """).Run();
        int tail = PacketPool.BufferSizeBytes - PacketPool.DefaultHeadroomBytes - 6;
        Assert.Equal(
            $"a:    6 (h64 t{tail}) | 61626364 6566\nb:    4 (h66 t{tail})\n   4 (h66 t{tail})\nc:    4 | 63646566\n",
            r.Chatter.ToString());
    }

    [Fact]
    public void PrintAnnoShowsClicksAnnotationAreaInHex()
    {
        byte[] udp = Frames.Udp(Frames.IP("10.1.2.3"), Frames.IP("192.168.7.9"), 1, 2);
        string path = Frames.WritePcap([udp]);
        using TestRouter r = TestRouter.Create($"""
            FromDump({path}, STOP true) -> Print(x, PRINTANNO true, MAXLENGTH 4) -> CheckIPHeader(14) -> Paint(5)
              -> SetVLANAnno(VLAN_ID 7, VLAN_PCP 1) -> Print(y, PRINTANNO true, HEADROOM true, CONTENTS NONE) -> Discard;
            """).Run();
        string zeros = new('0', 96);
        string annotated = "c0a80709" + new string('0', 24) + "05" + "000000" + "2007" + new string('0', 52);
        Assert.Equal(96, annotated.Length);
        string[] lines = r.Chatter.ToString().Split('\n');
        Assert.Equal($"x: {udp.Length,4} | {zeros} | 02000000", lines[0]);
        Assert.Matches($@"^y: {udp.Length,4} \(h\d+ t\d+\) \| {annotated}$", lines[1]);
        File.Delete(path);
    }

    [Fact]
    public void PrintHasNoTailroomKeyword()
    {
        // Click's Print prints the tailroom with HEADROOM; TAILROOM is not one of its arguments.
        Assert.Contains("TAILROOM: unknown argument", TestRouter.Failure("Idle -> Print(TAILROOM true) -> Discard;"), StringComparison.Ordinal);
    }

    private static string VlanOutput(string arguments, string before = "")
    {
        using TestRouter r = TestRouter.Create(
            $"InfiniteSource(DATA \\<0202020202020303030303030800aa>, LIMIT 1, STOP true) {before} -> VLANEncap({arguments}) -> Print(MAXLENGTH -1) -> Discard;").Run();
        return r.Chatter.ToString().TrimEnd('\n');
    }

    [Theory]
    [InlineData("", "  15 | 02020202 02020303 03030303 0800aa")] // no TCI: VLAN 0, the default native VLAN
    [InlineData("VLAN_ID 0", "  15 | 02020202 02020303 03030303 0800aa")]
    [InlineData("VLAN_ID 0, NATIVE_VLAN -1", "  19 | 02020202 02020303 03030303 81000000 0800aa")]
    [InlineData("VLAN_ID 5, VLAN_PCP 3", "  19 | 02020202 02020303 03030303 81006005 0800aa")]
    [InlineData("VLAN_ID 5, VLAN_PCP 3, NATIVE_VLAN 5", "  15 | 02020202 02020303 03030303 0800aa")] // PCP plays no part
    [InlineData("0x6005, NATIVE_VLAN 6", "  19 | 02020202 02020303 03030303 81006005 0800aa")]
    [InlineData("5, 3", "  19 | 02020202 02020303 03030303 81006005 0800aa")] // positional VLAN_TCI, VLAN_PCP
    [InlineData("VLAN_TCI 0x0005, VLAN_PCP 3, ETHERTYPE 0x88a8", "  19 | 02020202 02020303 03030303 88a86005 0800aa")]
    public void VlanEncapLeavesTheNativeVlanUntagged(string arguments, string expected)
    {
        Assert.Equal(expected, VlanOutput(arguments));
    }

    [Fact]
    public void VlanEncapNativeVlanAppliesToTheAnnotation()
    {
        Assert.Equal("  15 | 02020202 02020303 03030303 0800aa", VlanOutput("ANNO, NATIVE_VLAN 7", "-> SetVLANAnno(VLAN_ID 7, VLAN_PCP 1)"));
        Assert.Equal("  19 | 02020202 02020303 03030303 81002008 0800aa", VlanOutput("ANNO, NATIVE_VLAN 7", "-> SetVLANAnno(VLAN_ID 8, VLAN_PCP 1)"));
    }

    [Theory]
    [InlineData("VLAN_ID 5, VLAN_PCP 3", "VLAN_ID 5, VLAN_PCP 3", "24581", "5", "3", "")]
    [InlineData("VLAN_ID 5, NATIVE_VLAN 9, ETHERTYPE 0x88a8", "VLAN_ID 5, VLAN_PCP 0, NATIVE_VLAN 9", "5", "5", "0", "9")]
    [InlineData("VLAN_TCI 0xE00C", "VLAN_ID 12, VLAN_PCP 7", "57356", "12", "7", "")]
    [InlineData("ANNO, NATIVE_VLAN 4", "ANNO, NATIVE_VLAN 4", "ANNO", "", "", "4")]
    [InlineData("VLAN_ID 1, NATIVE_VLAN -1", "VLAN_ID 1, VLAN_PCP 0, NATIVE_VLAN 65535", "1", "1", "0", "65535")] // Click's 16-bit unparse of -1
    public void VlanEncapHandlersReadAsClicks(string arguments, string config, string tci, string id, string pcp, string native)
    {
        using TestRouter r = TestRouter.Create($"Idle -> v :: VLANEncap({arguments}) -> Discard;");
        Assert.Equal(
            (config, tci, id, pcp, native, string.Empty),
            (r.Read("v.config"), r.Read("v.vlan_tci"), r.Read("v.vlan_id"), r.Read("v.vlan_pcp"), r.Read("v.native_vlan"), r.Read("v.ethertype")));
    }

    [Theory]
    [InlineData("vlan_tci", "7")]
    [InlineData("vlan_id", "7")]
    [InlineData("vlan_pcp", "1")]
    [InlineData("native_vlan", "-1")]
    [InlineData("ethertype", "0x88a8")]
    public void VlanEncapWriteHandlersFailAsInClick(string handler, string value)
    {
        // Click registers these write handlers, but VLANEncap cannot live-reconfigure, so each write fails.
        using TestRouter r = TestRouter.Create("Idle -> v :: VLANEncap(VLAN_ID 5) -> Discard;");
        Assert.True(r.Router.TryResolveHandler("v." + handler, null, out Element? e, out string h, out string error), error);
        var errors = new ElementErrors();
        Assert.False(r.Router.CallWrite(e, h, value, errors));
        Assert.Equal(["cannot reconfigure 'v :: VLANEncap' live"], errors.Messages);
        Assert.Equal("5", r.Read("v.vlan_tci"));
        Assert.Contains(handler + "\trw", r.Read("v.handlers"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("VLAN_ID 5, VLAN_PCP 8", "VLAN_PCP: out of range, bound 7")]
    [InlineData("VLAN_ID 4096", "VLAN_ID: out of range, bound 4095")]
    [InlineData("VLAN_ID x", "VLAN_ID: invalid number")]
    [InlineData("VLAN_ID ANNO", "VLAN_ID: invalid number")]
    [InlineData("VLAN_ID 5, NATIVE_VLAN -2", "NATIVE_VLAN: out of range, bound -1")]
    [InlineData("70000", "VLAN_TCI: out of range, bound 65535")]
    [InlineData("VLAN_ID 5, TCI 3", "TCI: unknown argument")]
    public void VlanEncapRejectsOutOfRangeArguments(string arguments, string message)
    {
        Assert.Contains(message, TestRouter.Failure($"Idle -> VLANEncap({arguments}) -> Discard;"), StringComparison.Ordinal);
    }
}
