namespace EdgeOS.Net.Packets;

/// <summary>EtherType values (IEEE registry) the views know.</summary>
public static class EtherType
{
    /// <summary>IPv4 (0x0800).</summary>
    public const ushort Ipv4 = 0x0800;

    /// <summary>ARP (0x0806).</summary>
    public const ushort Arp = 0x0806;

    /// <summary>IEEE 802.1Q VLAN tag (0x8100).</summary>
    public const ushort Vlan = 0x8100;

    /// <summary>IEEE 802.1ad service VLAN tag, the outer tag of QinQ (0x88A8).</summary>
    public const ushort QinQ = 0x88A8;

    /// <summary>IPv6 (0x86DD).</summary>
    public const ushort Ipv6 = 0x86DD;
}
