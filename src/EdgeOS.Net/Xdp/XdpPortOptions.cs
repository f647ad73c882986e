namespace EdgeOS.Net.Xdp;

/// <summary>How an <see cref="XdpPort"/> binds its AF_XDP socket.</summary>
public enum XdpBindMode
{
    /// <summary>Zero-copy if the driver supports it on that queue, else copy mode.</summary>
    Auto = 0,

    /// <summary>Copy mode (XDP_COPY): works on every interface; the kernel copies each frame into the UMEM.</summary>
    Copy = 1,

    /// <summary>Zero-copy only (XDP_ZEROCOPY): fails if the driver cannot DMA into the UMEM.</summary>
    ZeroCopy = 2,
}

/// <summary>Where an <see cref="XdpPort"/> attaches its XDP program.</summary>
public enum XdpProgramMode
{
    /// <summary>In the driver if it supports XDP (XDP_FLAGS_DRV_MODE), else generic.</summary>
    Auto = 0,

    /// <summary>Generic XDP only (XDP_FLAGS_SKB_MODE): after skb allocation, slower, works on every interface.</summary>
    Generic = 1,
}

/// <summary>Configuration of an <see cref="XdpPort"/>. Sizes are validated by the port's constructor.</summary>
public sealed class XdpPortOptions
{
    /// <summary>The largest ring size accepted (entries).</summary>
    public const int RingEntriesMax = 1 << 16;

    /// <summary>The largest frame count accepted.</summary>
    public const int FrameCountMax = 1 << 20;

    /// <summary>The interface to bind to (in the calling thread's network namespace), e.g. <c>eth0</c>.</summary>
    public required string InterfaceName { get; init; }

    /// <summary>The receive queue of the interface (0 for single-queue devices such as veth).</summary>
    public int QueueId { get; init; }

    /// <summary>UMEM frames in all (receive and transmit share them). Default 4096.</summary>
    public int FrameCount { get; init; } = 4096;

    /// <summary>UMEM frame (chunk) size: 2048 or 4096 bytes. Default 2048.</summary>
    public int FrameSizeBytes { get; init; } = 2048;

    /// <summary>Bytes the kernel leaves free before received data in each frame (XDP_UMEM_REG headroom). Default 0.</summary>
    public int HeadroomBytes { get; init; }

    /// <summary>Fill ring entries (power of two). Default 2048.</summary>
    public int FillRingSize { get; init; } = 2048;

    /// <summary>Completion ring entries (power of two). Default 2048.</summary>
    public int CompletionRingSize { get; init; } = 2048;

    /// <summary>Receive ring entries (power of two). Default 2048.</summary>
    public int RxRingSize { get; init; } = 2048;

    /// <summary>Transmit ring entries (power of two). Default 2048.</summary>
    public int TxRingSize { get; init; } = 2048;

    /// <summary>Zero-copy, copy, or zero-copy with copy fallback (default).</summary>
    public XdpBindMode BindMode { get; init; }

    /// <summary>Native XDP with generic fallback (default), or generic only.</summary>
    public XdpProgramMode ProgramMode { get; init; }

    /// <summary>Bind with XDP_USE_NEED_WAKEUP so the kernel is woken only when it asks (fewer syscalls). Default true.</summary>
    public bool UseNeedWakeup { get; init; } = true;

    /// <summary>Lowest UDP destination port redirected to this socket (IPv4 only). Default 0.</summary>
    public int UdpPortLow { get; init; }

    /// <summary>Highest UDP destination port redirected to this socket (IPv4 only). Default 65535.</summary>
    public int UdpPortHigh { get; init; } = 65535;

    /// <summary>
    /// Another port whose UMEM this port shares (XDP_SHARED_UMEM), or null (the default) for a UMEM of its own. The
    /// sharing port binds its own socket, with its own fill, completion, rx and tx rings, to another queue
    /// (<see cref="QueueId"/> must differ from the owner's) of the owner's interface, and joins the owner's XDP
    /// program and XSKMAP (so one program redirects each queue to its socket). It takes <see cref="FrameCount"/> free
    /// frames from the owner for good: each UMEM chunk still belongs to exactly one port, and a chunk returned by the
    /// kernel to the wrong port is counted in <see cref="XdpPort.KernelAddressErrors"/>, never issued. The owner's
    /// FrameCount must cover its own frames and those it lends. InterfaceName, FrameSizeBytes, HeadroomBytes,
    /// UdpPortLow, UdpPortHigh and UseNeedWakeup must equal the owner's (the kernel makes a shared socket inherit the
    /// owner's copy / zero-copy mode and need-wakeup setting); BindMode and ProgramMode must be Auto or the owner's.
    /// The program stays attached until the owner and every port sharing its UMEM are disposed. Create the sharing
    /// port on the owner's thread (it takes frames from the owner's free list) or before the owner is in use.
    /// </summary>
    public XdpPort? ShareUmemWith { get; init; }
}
