namespace EdgeOS.Core.Memory;

/// <summary>How a <see cref="CowImage"/> implements copy-on-write.</summary>
public enum CowImageKind
{
    /// <summary>
    /// Managed chunked copy-on-write (the default, any OS): views are created in tens of nanoseconds, a first write
    /// copies one chunk (4 KiB by default) into private native memory, reset drops the private chunks. A zero-copy
    /// span or ref cannot cross a chunk boundary.
    /// </summary>
    Managed = 0,

    /// <summary>
    /// Kernel copy-on-write (Linux): the image is a sealed memfd and each view a private mapping of it
    /// (<c>mmap(MAP_PRIVATE)</c>); the kernel copies a page on first write, reset is <c>madvise(MADV_DONTNEED)</c>.
    /// Creating a view costs a system call (microseconds) but spans may be any length: suited to large images.
    /// </summary>
    Kernel = 1,
}

/// <summary>Options for <see cref="CowImage.Create(ReadOnlySpan{byte}, CowImageOptions?)"/>.</summary>
public sealed class CowImageOptions
{
    /// <summary>The default chunk size of managed images: 4 KiB, one page.</summary>
    public const int DefaultChunkSizeBytes = 4096;

    /// <summary>The smallest chunk size of managed images.</summary>
    public const int ChunkSizeBytesMin = 64;

    /// <summary>The largest chunk size of managed images.</summary>
    public const int ChunkSizeBytesMax = 16 * 1024 * 1024;

    /// <summary>The implementation (default <see cref="CowImageKind.Managed"/>).</summary>
    public CowImageKind Kind { get; init; }

    /// <summary>
    /// The copy-on-write granularity of a managed image: a power of two between <see cref="ChunkSizeBytesMin"/> and
    /// <see cref="ChunkSizeBytesMax"/> (default 4 KiB). Larger chunks allow larger zero-copy spans and cost more per
    /// first write. Kernel images always use the system page size.
    /// </summary>
    public int ChunkSizeBytes { get; init; } = DefaultChunkSizeBytes;

    /// <summary>The account charged for the image's own memory; <see langword="null"/> means <see cref="MemoryAccount.Unlimited"/>.</summary>
    public MemoryAccount? Account { get; init; }
}
