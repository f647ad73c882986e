using System.Buffers.Binary;

namespace EdgeOS.Net.Packets;

/// <summary>
/// A view over an IPv4 packet (RFC 791), options included. Fields are numbers (addresses too: 10.0.0.1 is
/// 0x0A000001); setters write big-endian into the packet and do not touch the checksum (use
/// <see cref="UpdateChecksum"/> or <see cref="InternetChecksum.Update(ushort, ushort, ushort)"/>).
/// </summary>
/// <remarks>
/// <see cref="TryParse"/> checks the version, that the header length (IHL) is at least 5 words and fits, that the
/// total length covers the header and fits in the bytes, and optionally the header checksum. After that every
/// accessor stays within <see cref="Bytes"/>, which ends at the total length (Ethernet padding after it is not
/// part of the packet).
/// </remarks>
public readonly ref struct Ipv4Packet
{
    /// <summary>The header length without options.</summary>
    public const int MinimumHeaderLength = 20;

    private readonly Span<byte> _packet;

    private Ipv4Packet(Span<byte> packet) => _packet = packet;

    /// <summary>The packet: header, options and payload, <see cref="TotalLength"/> bytes.</summary>
    public Span<byte> Bytes => _packet;

    /// <summary>The IP version (4).</summary>
    public int Version => _packet[0] >> 4;

    /// <summary>The header length in bytes (IHL * 4, 20 to 60).</summary>
    public int HeaderLength => (_packet[0] & 0x0F) * 4;

    /// <summary>The type-of-service byte (DSCP and ECN).</summary>
    public byte TypeOfService => _packet[1];

    /// <summary>The total length field: header plus payload.</summary>
    public ushort TotalLength
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_packet[2..]);
    }

    /// <summary>The identification field.</summary>
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_packet[4..]);

    /// <summary>The flags (3 bits: reserved, don't fragment, more fragments).</summary>
    public int Flags => _packet[6] >> 5;

    /// <summary>The fragment offset in 8-byte units.</summary>
    public int FragmentOffset => BinaryPrimitives.ReadUInt16BigEndian(_packet[6..]) & 0x1FFF;

    /// <summary>Whether this is a fragment (more fragments set, or a non-zero offset): the transport header may be
    /// absent or incomplete.</summary>
    public bool IsFragment => (BinaryPrimitives.ReadUInt16BigEndian(_packet[6..]) & 0x3FFF) != 0;

    /// <summary>The time to live.</summary>
    public byte TimeToLive
    {
        get => _packet[8];
        set => _packet[8] = value;
    }

    /// <summary>The protocol of the payload (<see cref="IpProtocol"/>).</summary>
    public byte Protocol => _packet[9];

    /// <summary>The stored header checksum.</summary>
    public ushort HeaderChecksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_packet[10..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_packet[10..], value);
    }

    /// <summary>The source address as a number.</summary>
    public uint Source
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_packet[12..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_packet[12..], value);
    }

    /// <summary>The destination address as a number.</summary>
    public uint Destination
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_packet[16..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_packet[16..], value);
    }

    /// <summary>The options (0 to 40 bytes), raw.</summary>
    public Span<byte> Options => _packet[MinimumHeaderLength..HeaderLength];

    /// <summary>The payload: <see cref="TotalLength"/> - <see cref="HeaderLength"/> bytes.</summary>
    public Span<byte> Payload => _packet[HeaderLength..];

    /// <summary>
    /// Makes a view over the IPv4 packet at the start of <paramref name="data"/> (an Ethernet payload, which may be
    /// padded). O(1) without checksum verification, O(header) with.
    /// </summary>
    /// <param name="data">The bytes.</param>
    /// <param name="view">The view (limited to the total length), or <c>default</c> on an error.</param>
    /// <param name="error"><see cref="PacketError.Truncated"/> (under 20 bytes), <see cref="PacketError.BadVersion"/>,
    /// <see cref="PacketError.BadHeaderLength"/> (IHL &lt; 5 or past the bytes), <see cref="PacketError.BadLength"/>
    /// (total length under the header or past the bytes), <see cref="PacketError.BadChecksum"/>.</param>
    /// <param name="verifyChecksum">Whether to verify the header checksum.</param>
    /// <returns><see langword="true"/> if the view was made.</returns>
    public static bool TryParse(Span<byte> data, out Ipv4Packet view, out PacketError error, bool verifyChecksum = true)
    {
        view = default;
        if (data.Length < MinimumHeaderLength)
        {
            error = PacketError.Truncated;
            return false;
        }

        if (data[0] >> 4 != 4)
        {
            error = PacketError.BadVersion;
            return false;
        }

        int headerLength = (data[0] & 0x0F) * 4;
        if (headerLength < MinimumHeaderLength || headerLength > data.Length)
        {
            error = PacketError.BadHeaderLength;
            return false;
        }

        int total = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (total < headerLength || total > data.Length)
        {
            error = PacketError.BadLength;
            return false;
        }

        if (verifyChecksum && !InternetChecksum.Verify(data[..headerLength]))
        {
            error = PacketError.BadChecksum;
            return false;
        }

        view = new Ipv4Packet(data[..total]);
        error = PacketError.None;
        return true;
    }

    /// <summary>Whether the stored header checksum verifies. O(header).</summary>
    /// <returns><see langword="true"/> if it does.</returns>
    public bool IsChecksumValid() => InternetChecksum.Verify(_packet[..HeaderLength]);

    /// <summary>Recomputes and stores the header checksum. O(header).</summary>
    public void UpdateChecksum()
    {
        HeaderChecksum = 0;
        HeaderChecksum = InternetChecksum.Compute(_packet[..HeaderLength]);
    }

    /// <summary>The pseudo-header partial sum for a transport checksum over this packet's payload.</summary>
    /// <returns>A partial sum for <see cref="InternetChecksum.Compute"/>'s <c>initial</c>.</returns>
    public uint PseudoHeaderSum() =>
        InternetChecksum.PseudoHeaderSum(Source, Destination, Protocol, (ushort)(TotalLength - HeaderLength));
}
