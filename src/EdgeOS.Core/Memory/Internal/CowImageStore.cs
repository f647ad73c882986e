using Microsoft.Win32.SafeHandles;

namespace EdgeOS.Core.Memory.Internal;

/// <summary>
/// The native memory of a <see cref="CowImage"/>: its bytes (a read-only region, or a sealed memfd) and the free
/// lists of chunks and index leaves that its views share.
/// </summary>
/// <remarks>
/// <para>
/// Kept apart from the image object so that a disposed image does not keep it reachable: the image drops its
/// reference on <see cref="CowImage.Dispose"/>, and from then on only views reach the store.
/// </para>
/// <para>
/// Two ways to be freed, whichever comes first, made idempotent by an interlocked flag. (1) Deterministically, when
/// the image's reference count (the image plus one per active or pooled view) reaches zero. (2) By this finalizer,
/// when the store became unreachable while references were still counted: that only happens when views were leaked
/// (a view that never wrote has no finalizer of its own, so it cannot give its reference back), and unreachable
/// means that no view can read the memory any more. A leaked view that wrote has a finalizable owner of its native
/// memory (<see cref="CowViewNative"/>) that may run before or after this finalizer: it gives its blocks to the free
/// lists, which free them at once when closed, and its reference release then finds the store already freed.
/// </para>
/// </remarks>
internal sealed unsafe class CowImageStore
{
    private readonly MemoryRegion? _data;
    private readonly SafeFileHandle? _memfd;
    private readonly MemoryAccount _account;
    private readonly long _kernelChargedBytes;
    private int _freed;

    internal CowImageStore(MemoryRegion? data, SafeFileHandle? memfd, MemoryAccount account, long kernelChargedBytes, long kernelMappingLength, NativeBlockPool chunks, NativeBlockPool leaves)
    {
        _data = data;
        DataPointer = data is null ? null : data.DangerousPointer;
        _memfd = memfd;
        _account = account;
        _kernelChargedBytes = kernelChargedBytes;
        KernelMappingLength = kernelMappingLength;
        Chunks = chunks;
        Leaves = leaves;
    }

    /// <summary>Frees the memory of an image whose views were leaked.</summary>
    ~CowImageStore()
    {
        Free();
    }

    /// <summary>Managed images: the image bytes.</summary>
    internal byte* DataPointer { get; }

    /// <summary>Kernel images: the length of every private mapping (the image rounded up to pages).</summary>
    internal long KernelMappingLength { get; }

    internal NativeBlockPool Chunks { get; }

    internal NativeBlockPool Leaves { get; }

    internal bool IsFreed => Volatile.Read(ref _freed) != 0;

    /// <summary>Maps a private (copy-on-write) view of the kernel image.</summary>
    internal nint MapPrivate() =>
        LinuxMemory.MapFile(
            _memfd!,
            (nuint)KernelMappingLength,
            Interop.Mman.ProtRead | Interop.Mman.ProtWrite,
            Interop.Mman.MapPrivate,
            "mmap(MAP_PRIVATE) of a kernel copy-on-write image");

    /// <summary>Frees everything once; later calls do nothing.</summary>
    internal void Free()
    {
        if (Interlocked.Exchange(ref _freed, 1) != 0)
        {
            return;
        }

        Chunks.Close();
        Leaves.Close();

        // From the finalizer the region or the handle may have been finalized already; their disposal is idempotent.
        _data?.Dispose();
        if (_memfd is not null)
        {
            _memfd.Dispose();
            _account.Release(_kernelChargedBytes);
        }

        GC.SuppressFinalize(this);
    }
}
