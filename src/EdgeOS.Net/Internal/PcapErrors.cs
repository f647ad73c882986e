using System.Globalization;
using EdgeOS.Net.Pcap;

namespace EdgeOS.Net.Internal;

/// <summary>Builds the pcap format errors (returned, so callers can record them before throwing).</summary>
internal static class PcapErrors
{
    public static PcapFormatException Truncated(long offset, string what, long expectedBytes, long gotBytes) =>
        At(offset, string.Create(CultureInfo.InvariantCulture, $"truncated {what}: {expectedBytes} bytes expected, the file ends after {gotBytes}"));

    public static PcapFormatException BadMagic(uint magic)
    {
        string hint = magic == PcapReader.MagicPcapNg
            ? "this is a pcapng file; convert it with 'editcap -F pcap' or 'tcpdump -r in -w out'"
            : string.Create(CultureInfo.InvariantCulture, $"magic 0x{magic:X8} is not a pcap magic (0xA1B2C3D4 or 0xA1B23C4D, either byte order)");
        return At(0, hint);
    }

    public static PcapFormatException At(long offset, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture, $"Bad pcap file at byte offset {offset}: {problem}."), offset);
}
