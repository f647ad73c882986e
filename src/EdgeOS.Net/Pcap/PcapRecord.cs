namespace EdgeOS.Net.Pcap;

/// <summary>The header of one pcap record, as returned by <see cref="PcapReader.TryReadNext"/>.</summary>
public readonly struct PcapRecord
{
    /// <summary>The capture time in nanoseconds since the Unix epoch (microsecond files: a multiple of 1000).</summary>
    public long TimestampNanoseconds { get; init; }

    /// <summary>The number of packet bytes stored in the file for this record (at most the snap length).</summary>
    public int CapturedLength { get; init; }

    /// <summary>The length the packet had on the wire (at least <see cref="CapturedLength"/> in a well-formed file).</summary>
    public int OriginalLength { get; init; }

    /// <summary>How many bytes were copied to the destination: <see cref="CapturedLength"/>, or less when the
    /// destination was smaller (the rest of the record was skipped).</summary>
    public int CopiedLength { get; init; }

    /// <summary>The byte offset of the record header in the file.</summary>
    public long Offset { get; init; }
}
