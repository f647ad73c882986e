namespace EdgeOS.Net.Pcap;

/// <summary>The unit of the fractional part of a pcap record's timestamp, fixed per file by its magic number.</summary>
public enum PcapTimestampResolution
{
    /// <summary>Microseconds: magic 0xA1B2C3D4 (the classic format).</summary>
    Microseconds = 0,

    /// <summary>Nanoseconds: magic 0xA1B23C4D.</summary>
    Nanoseconds = 1,
}
