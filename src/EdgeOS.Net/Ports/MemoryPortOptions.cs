using EdgeOS.Core.Memory;

namespace EdgeOS.Net;

/// <summary>Sizes of each port of a <see cref="MemoryPort"/> pair.</summary>
public sealed class MemoryPortOptions
{
    /// <summary>The default number of frames per port.</summary>
    public const int DefaultFrameCount = 256;

    /// <summary>The default size of a frame buffer.</summary>
    public const int DefaultFrameSizeBytes = 2048;

    /// <summary>The most frames a port may have.</summary>
    public const int FrameCountMax = 1 << 20;

    /// <summary>The smallest frame buffer (headroom included).</summary>
    public const int FrameSizeBytesMin = 64;

    /// <summary>The largest frame buffer (headroom included).</summary>
    public const int FrameSizeBytesMax = 64 * 1024;

    /// <summary>Frames per port (1 to <see cref="FrameCountMax"/>): the port's receive queue and transmit pool share them.</summary>
    public int FrameCount { get; init; } = DefaultFrameCount;

    /// <summary>Bytes per frame buffer, headroom included (<see cref="FrameSizeBytesMin"/> to <see cref="FrameSizeBytesMax"/>).</summary>
    public int FrameSizeBytes { get; init; } = DefaultFrameSizeBytes;

    /// <summary>Bytes reserved before each frame's data (for headers pushed later); less than the frame size minus 60.</summary>
    public int HeadroomBytes { get; init; }

    /// <summary>The account charged for each port's frame memory; <see langword="null"/> for no limit.</summary>
    public MemoryAccount? Account { get; init; }
}
