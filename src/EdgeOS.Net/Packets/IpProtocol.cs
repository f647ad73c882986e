namespace EdgeOS.Net.Packets;

/// <summary>IP protocol numbers (IANA registry) the views know.</summary>
public static class IpProtocol
{
    /// <summary>ICMP (1).</summary>
    public const byte Icmp = 1;

    /// <summary>TCP (6).</summary>
    public const byte Tcp = 6;

    /// <summary>UDP (17).</summary>
    public const byte Udp = 17;
}
