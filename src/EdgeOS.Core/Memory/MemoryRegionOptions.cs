namespace EdgeOS.Core.Memory;

/// <summary>Whether a <see cref="MemoryRegion"/> should be backed by huge pages.</summary>
public enum HugePagePolicy
{
    /// <summary>Normal pages (the default).</summary>
    None = 0,

    /// <summary>
    /// Try explicit huge pages (hugetlb, 2 MiB), then transparent huge pages (<c>madvise(MADV_HUGEPAGE)</c>),
    /// then fall back to normal pages without an error.
    /// </summary>
    IfAvailable = 1,

    /// <summary>Like <see cref="IfAvailable"/>, but throw <see cref="NotSupportedException"/> when neither kind is available.</summary>
    Required = 2,
}

/// <summary>What a <see cref="MemoryRegion"/> actually got for its pages.</summary>
public enum HugePageBacking
{
    /// <summary>Normal pages.</summary>
    None = 0,

    /// <summary>
    /// A 2 MiB-aligned mapping advised with <c>MADV_HUGEPAGE</c>: the kernel backs it with transparent huge pages
    /// when it can, which is not guaranteed and not cheaply observable.
    /// </summary>
    TransparentAdvised = 1,

    /// <summary>Explicit 2 MiB huge pages from the hugetlb pool (<c>MAP_HUGETLB</c>): guaranteed.</summary>
    HugeTlb = 2,
}

/// <summary>Options for <see cref="MemoryRegion.Allocate(long, MemoryRegionOptions?)"/>.</summary>
public sealed class MemoryRegionOptions
{
    /// <summary>The default alignment: one cache line.</summary>
    public const int DefaultAlignmentBytes = 64;

    /// <summary>
    /// The alignment of <see cref="MemoryRegion.Address"/>: a power of two, at least 8 (default 64). Regions mapped
    /// with mmap (Linux) are at least page-aligned whatever this says; huge-page regions are 2 MiB-aligned.
    /// </summary>
    public int AlignmentBytes { get; init; } = DefaultAlignmentBytes;

    /// <summary>Whether to back the region with huge pages (default <see cref="HugePagePolicy.None"/>).</summary>
    public HugePagePolicy HugePages { get; init; }

    /// <summary>The account charged for the region; <see langword="null"/> means <see cref="MemoryAccount.Unlimited"/>.</summary>
    public MemoryAccount? Account { get; init; }

    /// <summary>
    /// Whether the memory starts zeroed (default <see langword="true"/>). mmap memory is always zero; turning this
    /// off only saves the clearing pass of the portable path.
    /// </summary>
    public bool ZeroFill { get; init; } = true;
}
