namespace EdgeOS.Net.Packets;

/// <summary>Why a packet view could not be made over some bytes (the <c>TryParse</c> methods' second result).</summary>
public enum PacketError
{
    /// <summary>The bytes hold a well-formed header.</summary>
    None = 0,

    /// <summary>Fewer bytes than the fixed part of the header.</summary>
    Truncated,

    /// <summary>A version field with a value this view does not read (IPv4: not 4).</summary>
    BadVersion,

    /// <summary>The header length field is below the minimum or runs past the bytes (IPv4: IHL &lt; 5 or IHL * 4 &gt; bytes).</summary>
    BadHeaderLength,

    /// <summary>A total or datagram length field is below the header length or runs past the bytes.</summary>
    BadLength,

    /// <summary>The stored checksum does not verify.</summary>
    BadChecksum,

    /// <summary>A well-formed header of another kind than the view reads (ARP for other than Ethernet/IPv4, an
    /// EtherType that is not the one asked for, more VLAN tags than supported).</summary>
    Unsupported,
}
