using EdgeOS.Core.Memory;

namespace EdgeOS.Net.Pcap;

/// <summary>Sizes and clock of a <see cref="PcapPort"/>.</summary>
public sealed class PcapPortOptions
{
    /// <summary>Frames in the port's pool (1 to 65536; default 64): received and allocated frames share them.</summary>
    public int FrameCount { get; init; } = 64;

    /// <summary>Bytes per frame (64 to 262144; default 2048). Replayed records longer than this are dropped and
    /// counted in <see cref="PacketPortStatistics.ReceiveDroppedFrames"/>.</summary>
    public int FrameSizeBytes { get; init; } = 2048;

    /// <summary>
    /// How many times a loaded replay (<see cref="PcapPort.LoadReplay(string, PcapPortOptions?)"/>) runs through its
    /// file: 1 (the default) to <see cref="int.MaxValue"/>, or 0 for endlessly (until the port is disposed), as
    /// tcpreplay's <c>--loop</c>. A streaming replay or a capture port runs once: any other value than 1 is refused
    /// there with <see cref="ArgumentException"/>; a negative value with <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    public int ReplayLoops { get; init; } = 1;

    /// <summary>The header of a capture file made by <see cref="PcapPort.CreateCapture"/>.</summary>
    public PcapWriterOptions? Capture { get; init; }

    /// <summary>The clock that stamps transmitted frames that carry no timestamp of their own (default: system).</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>The account charged for the frame memory (and a loaded replay's file bytes); <see langword="null"/> for no limit.</summary>
    public MemoryAccount? Account { get; init; }
}
