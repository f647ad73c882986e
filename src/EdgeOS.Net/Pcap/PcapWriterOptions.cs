namespace EdgeOS.Net.Pcap;

/// <summary>The file header a <see cref="PcapWriter"/> writes.</summary>
public sealed class PcapWriterOptions
{
    /// <summary>The default snap length (libpcap's default, 262144 bytes).</summary>
    public const int DefaultSnapLengthBytes = 262_144;

    /// <summary>The link type (default <see cref="PcapLinkType.Ethernet"/>).</summary>
    public PcapLinkType LinkType { get; init; } = PcapLinkType.Ethernet;

    /// <summary>The snap length: packets longer than this are truncated in the file (1 to
    /// <see cref="PcapReader.RecordLengthBytesMax"/>).</summary>
    public int SnapLengthBytes { get; init; } = DefaultSnapLengthBytes;

    /// <summary>The timestamp unit, hence the magic number (default microseconds, the classic format).</summary>
    public PcapTimestampResolution Resolution { get; init; } = PcapTimestampResolution.Microseconds;
}
