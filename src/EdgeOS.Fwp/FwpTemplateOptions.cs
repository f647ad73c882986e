using EdgeOS.Core.Memory;

namespace EdgeOS.Fwp;

/// <summary>How a <see cref="FwpTemplate"/> and its instances are laid out. Read once, by <see cref="FwpTemplate.Create{TProgram}(FwpTemplateOptions?, object?)"/>.</summary>
public sealed class FwpTemplateOptions
{
    /// <summary>The default <see cref="StateSizeBytes"/>: 64 KiB.</summary>
    public const long DefaultStateSizeBytes = 64 * 1024;

    /// <summary>
    /// The default <see cref="InboxSizeBytes"/>: 2 KiB, so that the ring (with its 2 KiB header) is one 4 KiB page per
    /// instance; messages up to 248 bytes. Raise it for larger messages.
    /// </summary>
    public const int DefaultInboxSizeBytes = 2048;

    /// <summary>The smallest <see cref="InboxSizeBytes"/>.</summary>
    public const int InboxSizeBytesMin = 256;

    /// <summary>The largest <see cref="InboxSizeBytes"/> (16 MiB).</summary>
    public const int InboxSizeBytesMax = 16 * 1024 * 1024;

    /// <summary>A name for logs, metrics and diagnostics; the program type's name when <see langword="null"/>.</summary>
    public string? Name { get; set; }

    /// <summary>The size of every instance's state region in bytes (1 byte to <see cref="MemoryRegion.SizeBytesMax"/>). Default 64 KiB.</summary>
    public long StateSizeBytes { get; set; } = DefaultStateSizeBytes;

    /// <summary>The copy-on-write chunk size (a power of two, 64 bytes to 16 MiB). Default 4 KiB.</summary>
    public int ChunkSizeBytes { get; set; } = CowImageOptions.DefaultChunkSizeBytes;

    /// <summary>
    /// The size of each instance's inbox ring in bytes (a power of two, <see cref="InboxSizeBytesMin"/> to
    /// <see cref="InboxSizeBytesMax"/>), the data area of an EdgeOS.Core <c>MpscByteRing</c> (plus its 2 KiB header). A message may be up to an eighth of it minus 8 bytes. Default 2 KiB.
    /// </summary>
    public int InboxSizeBytes { get; set; } = DefaultInboxSizeBytes;

    /// <summary>The most capabilities the template may grant in <see cref="IFwpProgram.Start"/>, and the size of each instance's own capability table. Default 64.</summary>
    public int CapabilitiesMax { get; set; } = 64;

    /// <summary>
    /// A memory quota for each instance's private copies, in bytes, below its tenant's; <see cref="MemoryAccount.UnlimitedQuotaBytes"/>
    /// (the default) charges the tenant's account directly (and makes spawning allocation-free).
    /// </summary>
    public long InstanceMemoryQuotaBytes { get; set; } = MemoryAccount.UnlimitedQuotaBytes;

    /// <summary>Instances made ready at creation, so that the first spawns reuse them. Default 0.</summary>
    public int PoolSizeInitial { get; set; }

    /// <summary>The most ended instances kept ready for reuse; more are freed. Default 4096.</summary>
    public int PoolSizeMax { get; set; } = 4096;

    /// <summary>
    /// How many times a faulted instance is restarted in place (same id and inbox, state reset to the template,
    /// capabilities reissued, the faulting message dropped) before it is ended. Default 0: a fault ends it.
    /// </summary>
    public int RestartsMax { get; set; }

    /// <summary>
    /// The CPU time each instance may use per budget period (<see cref="FwpRuntimeOptions.BudgetPeriod"/>), on top of
    /// its tenant's <see cref="FwpTenantOptions.CpuBudgetPerPeriod"/>: an instance over its own budget is deferred to
    /// the next period (counted as a budget deferral) while other instances, of its tenant or of others, keep running.
    /// Overrun carries over as debt, one budget paid back per period. <see cref="TimeSpan.Zero"/> (the default) sets
    /// no per-instance budget. Must not be negative.
    /// </summary>
    public TimeSpan InstanceCpuBudgetPerPeriod { get; set; }

    /// <summary>The account charged for the template's image and the instances' inboxes; <see langword="null"/> for <see cref="MemoryAccount.Unlimited"/>.</summary>
    public MemoryAccount? Account { get; set; }
}
