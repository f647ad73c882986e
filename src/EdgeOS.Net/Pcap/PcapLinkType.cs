namespace EdgeOS.Net.Pcap;

/// <summary>
/// The link-layer header type of a pcap file (the tcpdump.org LINKTYPE_ registry numbers). Any value can be read
/// and written; the named ones are those EdgeOS uses or meets most. EdgeOS.Net's packet views start at an
/// Ethernet header, so <see cref="PcapPort"/> is meant for <see cref="Ethernet"/> files.
/// </summary>
public enum PcapLinkType
{
    /// <summary>LINKTYPE_NULL (0): BSD loopback, a 4-byte host-order address family before the packet.</summary>
    Null = 0,

    /// <summary>LINKTYPE_ETHERNET (1): IEEE 802.3 Ethernet frames, without the FCS (the default).</summary>
    Ethernet = 1,

    /// <summary>LINKTYPE_RAW (101): raw IPv4 or IPv6 packets, no link header.</summary>
    Raw = 101,

    /// <summary>LINKTYPE_LINUX_SLL (113): Linux "cooked" capture (tcpdump -i any).</summary>
    LinuxSll = 113,
}
