using EdgeOS.Samples.Click.Elements;

namespace EdgeOS.Samples.Click.Runtime;

/// <summary>The primitive element classes this runtime implements (feeds the parser's <c>isPrimitiveClass</c>).</summary>
internal static class ElementRegistry
{
    private static readonly Dictionary<string, Func<Element>> s_factories = new(StringComparer.Ordinal)
    {
        ["Idle"] = () => new Idle(),
        ["Discard"] = () => new Discard(),
        ["InfiniteSource"] = () => new InfiniteSource(),
        ["RatedSource"] = () => new RatedSource(),
        ["TimedSource"] = () => new TimedSource(),
        ["RandomSource"] = () => new RandomSource(),
        ["Queue"] = () => new ClickQueue(notify: true),
        ["SimpleQueue"] = () => new ClickQueue(notify: false),
        ["NotifierQueue"] = () => new ClickQueue(notify: true),
        ["FullNoteQueue"] = () => new ClickQueue(notify: true),
        ["Unqueue"] = () => new Unqueue(),
        ["Counter"] = () => new Counter(),
        ["AverageCounter"] = () => new AverageCounter(),
        ["Print"] = () => new Print(),
        ["IPPrint"] = () => new IPPrint(),
        ["Tee"] = () => new Tee(),
        ["Hub"] = () => new Hub(),
        ["Null"] = () => new NullElement(),
        ["Switch"] = () => new Switch(),
        ["PaintSwitch"] = () => new PaintSwitch(),
        ["RoundRobinSwitch"] = () => new RoundRobinSwitch(),
        ["HashSwitch"] = () => new HashSwitch(),
        ["Paint"] = () => new Paint(),
        ["PaintTee"] = () => new PaintTee(),
        ["CheckPaint"] = () => new CheckPaint(),
        ["Strip"] = () => new Strip(),
        ["Unstrip"] = () => new Unstrip(),
        ["Pad"] = () => new Pad(),
        ["Truncate"] = () => new Truncate(),
        ["Resize"] = () => new Resize(),
        ["EtherEncap"] = () => new EtherEncap(),
        ["EtherMirror"] = () => new EtherMirror(),
        ["VLANEncap"] = () => new VlanEncap(),
        ["VLANDecap"] = () => new VlanDecap(),
        ["SetVLANAnno"] = () => new SetVlanAnno(),
        ["IPEncap"] = () => new IPEncap(),
        ["IPMirror"] = () => new IPMirror(),
        ["UDPIPEncap"] = () => new UdpIPEncap(),
        ["SetIPAddress"] = () => new SetIPAddress(),
        ["GetIPAddress"] = () => new GetIPAddress(),
        ["StoreIPAddress"] = () => new StoreIPAddress(),
        ["SetIPDSCP"] = () => new SetIPDscp(),
        ["DecIPTTL"] = () => new DecIPTtl(),
        ["CheckIPHeader"] = () => new CheckIPHeader(),
        ["MarkIPHeader"] = () => new MarkIPHeader(),
        ["CheckICMPHeader"] = () => new CheckTransportHeader(CheckTransportHeader.Kind.Icmp),
        ["CheckUDPHeader"] = () => new CheckTransportHeader(CheckTransportHeader.Kind.Udp),
        ["CheckTCPHeader"] = () => new CheckTransportHeader(CheckTransportHeader.Kind.Tcp),
        ["ARPResponder"] = () => new ArpResponder(),
        ["ARPQuerier"] = () => new ArpQuerier(),
        ["ARPTable"] = () => new ArpTable(),
        ["ICMPPingResponder"] = () => new IcmpPingResponder(),
        ["LinearIPLookup"] = () => new LinearIPLookup(),
        ["AddressInfo"] = () => new AddressInfo(),
        ["PortInfo"] = () => new PortInfo(),
        ["AlignmentInfo"] = () => new AlignmentInfo(),
        ["ScheduleInfo"] = () => new ScheduleInfo(),
        ["DriverManager"] = () => new DriverManager(),
        ["Script"] = () => new Script(),
        ["FromDump"] = () => new FromDump(),
        ["ToDump"] = () => new ToDump(),
        ["FromIPSummaryDump"] = () => new FromIPSummaryDump(),
        ["ToIPSummaryDump"] = () => new ToIPSummaryDump(),
        ["FromDevice"] = () => new FromDevice(),
        ["Classifier"] = () => new Classifier(),
        ["IPClassifier"] = () => new IPClassifier(),
        ["IPFilter"] = () => new IPFilter(),
        ["ToDevice"] = () => new ToDevice(),
        ["FromSteering"] = () => new Tenants.FromSteering(),
    };

    private static readonly HashSet<string> s_provided = new(StringComparer.Ordinal) { "userlevel", "int64", "ip", "linux", "pcap" };

    /// <summary>Adds a class that a host program provides (benchmark sources, tests); refuses to replace a built-in.</summary>
    public static void Register(string className, Func<Element> factory)
    {
        if (!s_factories.TryAdd(className, factory))
        {
            throw new InvalidOperationException($"element class '{className}' is already registered");
        }
    }

    /// <summary>Every class name.</summary>
    public static IEnumerable<string> ClassNames => s_factories.Keys;

    /// <summary>Whether <paramref name="className"/> is implemented.</summary>
    public static bool IsPrimitiveClass(string className) => s_factories.ContainsKey(className);

    /// <summary>A new instance of <paramref name="className"/>, or null when unknown.</summary>
    public static Element? Create(string className) => s_factories.TryGetValue(className, out Func<Element>? f) ? f() : null;

    /// <summary>Whether a <c>require(...)</c> requirement is available.</summary>
    public static bool IsProvided(string requirement) => s_provided.Contains(requirement) || s_factories.ContainsKey(requirement);
}
