using System.Numerics;
using System.Runtime.InteropServices;
using EdgeOS.Core.Memory.Internal;
using Microsoft.Win32.SafeHandles;

namespace EdgeOS.Core.Memory;

/// <summary>
/// Immutable memory contents (a template's state) from which cheap private copy-on-write views are made: every
/// <see cref="CowView"/> reads the image until it writes, and its writes are never visible to the image or to
/// other views.
/// </summary>
/// <remarks>
/// <para>
/// Two implementations behind this one API, chosen per image with <see cref="CowImageOptions.Kind"/>:
/// <see cref="CowImageKind.Managed"/> (chunked copy-on-write in native memory; views in tens of nanoseconds) and
/// <see cref="CowImageKind.Kernel"/> (a sealed memfd mapped <c>MAP_PRIVATE</c> per view; Linux only).
/// </para>
/// <para>
/// Accounting: the image charges its <see cref="Length"/> to its account; each view charges its own account for what
/// it privately holds (see <see cref="CowView.ChargedBytes"/>).
/// </para>
/// <para>
/// Lifetime: disposing the image forbids new views, but the memory stays until the last view is disposed (views
/// hold a reference count), so live views never read freed memory. Views that are leaked instead of disposed do not
/// pin it forever: once the garbage collector finds them unreachable, the memory they held and, if the image was
/// disposed, the image's memory are freed. Thread-safety: every member of the image may be called concurrently;
/// each view is single-threaded, but many views of one image may run on different threads.
/// </para>
/// </remarks>
public sealed unsafe class CowImage : IDisposable
{
    private const int LeafEntriesMax = 512;
    private const int PooledChunkBytesMax = 4 * 1024 * 1024;
    private const int PooledChunksMin = 4;
    private const int PooledLeavesMax = 64;
    private const int PooledViewsMax = 64;

    private readonly long _length;
    private readonly CowImageKind _kind;
    private readonly int _chunkShift;
    private readonly int _leafShift;
    private readonly int _leafCount;
    private readonly MemoryAccount _account;

    // The native memory (image bytes, free lists). Dropped on Dispose so that only views keep it reachable: once they
    // are all disposed, or leaked and collected, it is freed (see CowImageStore).
    private CowImageStore? _store;

    // Returned views, one per slot, exchanged in and out with interlocked operations (no lock, no ABA: a slot holds
    // a reference, and whoever exchanges it out owns the view). A pooled view keeps its image reference.
    private readonly CowView?[] _viewPool = new CowView?[PooledViewsMax];

    // One reference for the image itself plus one per active or pooled view; the store is freed at zero.
    private int _refCount = 1;
    private int _disposed;

    private CowImage(long length, CowImageKind kind, int chunkShift, MemoryAccount account, MemoryRegion? data, SafeFileHandle? memfd, long kernelChargedBytes, bool isWriteSealed)
    {
        _length = length;
        _kind = kind;
        _chunkShift = chunkShift;
        _account = account;
        IsWriteSealed = isWriteSealed;

        long chunkCount = ((length - 1) >> chunkShift) + 1;
        int leafEntries = (int)Math.Min(LeafEntriesMax, (long)BitOperations.RoundUpToPowerOf2((ulong)chunkCount));
        _leafShift = BitOperations.Log2((uint)leafEntries);
        _leafCount = (int)(((chunkCount - 1) >> _leafShift) + 1);
        ChunkCount = (int)chunkCount;
        var chunks = new NativeBlockPool(1 << chunkShift, kind == CowImageKind.Managed ? Math.Max(PooledChunksMin, PooledChunkBytesMax >> chunkShift) : 0, zeroed: false);
        var leaves = new NativeBlockPool(leafEntries * sizeof(nint), Math.Min(_leafCount, PooledLeavesMax), zeroed: true);
        _store = new CowImageStore(data, memfd, account, kernelChargedBytes, LinuxMemory.RoundUp(length, LinuxMemory.PageSize), chunks, leaves);
    }

    /// <summary>Whether kernel copy-on-write (<see cref="CowImageKind.Kernel"/>) is available on this platform.</summary>
    public static bool IsKernelSupported => LinuxMemory.IsSupported;

    /// <summary>The size of the image in bytes.</summary>
    public long Length => _length;

    /// <summary>The implementation of the image.</summary>
    public CowImageKind Kind => _kind;

    /// <summary>The copy-on-write granularity: the chunk size (managed) or the page size (kernel).</summary>
    public int ChunkSizeBytes => 1 << _chunkShift;

    /// <summary>The account charged for the image's own memory.</summary>
    public MemoryAccount Account => _account;

    /// <summary>Whether <see cref="Dispose"/> was called (views created before may still be alive).</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal int ChunkShift => _chunkShift;

    internal int LeafShift => _leafShift;

    internal int LeafCount => _leafCount;

    internal int ChunkCount { get; }

    /// <summary>The native memory, or <see langword="null"/> once the image is disposed (views keep their own reference).</summary>
    internal CowImageStore? Store => Volatile.Read(ref _store);

    /// <summary>Kernel images: whether the memfd carries F_SEAL_WRITE (nobody can change the contents).</summary>
    internal bool IsWriteSealed { get; }

    /// <summary>Active views plus one while the image is not disposed (for tests).</summary>
    internal int ReferenceCount => Volatile.Read(ref _refCount);

    internal int PooledViewCount => _viewPool.Count(view => view is not null);

    /// <summary>Creates a managed image holding a copy of <paramref name="contents"/> (default options).</summary>
    /// <param name="contents">The contents, at least 1 byte.</param>
    /// <exception cref="ArgumentException"><paramref name="contents"/> is empty.</exception>
    /// <exception cref="MemoryQuotaExceededException">The process-wide account cannot take the image.</exception>
    public static CowImage Create(ReadOnlySpan<byte> contents) => Create(contents, options: null);

    /// <summary>Creates a managed image holding a copy of the whole of <paramref name="source"/> (default options).</summary>
    /// <param name="source">The region to copy.</param>
    /// <exception cref="ObjectDisposedException">The source was disposed.</exception>
    /// <exception cref="MemoryQuotaExceededException">The process-wide account cannot take the image.</exception>
    public static CowImage Create(MemoryRegion source) => Create(source, options: null);

    /// <summary>
    /// Creates an image holding a copy of <paramref name="contents"/>. Costs one copy of the contents plus a region
    /// allocation (managed) or a memfd with its system calls (kernel).
    /// </summary>
    /// <param name="contents">The contents, at least 1 byte.</param>
    /// <param name="options">Kind, chunk size, account; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="contents"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="PlatformNotSupportedException">A kernel image was asked for off Linux.</exception>
    /// <exception cref="MemoryQuotaExceededException">The account cannot take the image; nothing is allocated.</exception>
    public static CowImage Create(ReadOnlySpan<byte> contents, CowImageOptions? options)
    {
        if (contents.IsEmpty)
        {
            throw new ArgumentException("An image needs at least one byte.", nameof(contents));
        }

        fixed (byte* source = contents)
        {
            return CreateCore(source, contents.Length, options);
        }
    }

    /// <summary>
    /// Creates an image holding a copy of the whole of <paramref name="source"/> (for example a template's state
    /// region after its initializer ran). The source stays the caller's and may be disposed afterwards.
    /// </summary>
    /// <param name="source">The region to copy.</param>
    /// <param name="options">Kind, chunk size, account; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ObjectDisposedException">The source was disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="PlatformNotSupportedException">A kernel image was asked for off Linux.</exception>
    /// <exception cref="MemoryQuotaExceededException">The account cannot take the image; nothing is allocated.</exception>
    public static CowImage Create(MemoryRegion source, CowImageOptions? options)
    {
        ArgumentNullException.ThrowIfNull(source);
        return CreateCore(source.DangerousPointer, source.Length, options);
    }

    /// <summary>
    /// Creates a private view of the image. Managed: O(1) whatever the image size, no native memory until the first
    /// write, one small object that is not finalizable (tens of nanoseconds with its dispose; the safety net that
    /// frees a leaked view is set up by its first write); <see cref="RentView"/> also avoids the allocation. Kernel:
    /// one <c>mmap</c> system call (microseconds).
    /// </summary>
    /// <param name="account">The account charged for the view's private copies; <see langword="null"/> for <see cref="MemoryAccount.Unlimited"/>.</param>
    /// <exception cref="ObjectDisposedException">The image was disposed.</exception>
    public CowView CreateView(MemoryAccount? account = null)
    {
        CowImageStore store = AddRef();

        // A managed view is one object whose constructor cannot fail (short of running out of managed memory, where
        // the reference would stay counted and the store's finalizer is the net), so no handler on this path.
        return _kind == CowImageKind.Managed
            ? new CowView(this, store, account ?? MemoryAccount.Unlimited)
            : CreateViewHoldingReference(store, account ?? MemoryAccount.Unlimited);
    }

    /// <summary>
    /// Like <see cref="CreateView"/>, but reuses a view given back with <see cref="CowView.Return"/> when one is
    /// pooled (no allocation; for a kernel image no system call either, its mapping is kept).
    /// </summary>
    /// <param name="account">The account charged for the view's private copies; <see langword="null"/> for <see cref="MemoryAccount.Unlimited"/>.</param>
    /// <exception cref="ObjectDisposedException">The image was disposed.</exception>
    public CowView RentView(MemoryAccount? account = null)
    {
        if (IsDisposed)
        {
            MemoryThrowHelper.ThrowObjectDisposed(this);
        }

        // A pooled view still holds its image reference, so renting one needs no reference count change.
        CowView? view = null;
        CowView?[] pool = _viewPool;
        for (int i = 0; i < pool.Length; i++)
        {
            if (Volatile.Read(ref pool[i]) is not null && (view = Interlocked.Exchange(ref pool[i], null)) is not null)
            {
                break;
            }
        }

        if (view is null)
        {
            return CreateViewHoldingReference(AddRef(), account ?? MemoryAccount.Unlimited);
        }

        view.Activate(account ?? MemoryAccount.Unlimited);
        return view;
    }

    /// <summary>
    /// Forbids new views and frees the image's memory once the last view is disposed (immediately when there is
    /// none). A view that is never disposed does not keep the memory forever: once the garbage collector finds the
    /// leaked views unreachable, the memory is freed. Idempotent and thread-safe.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            CowImageStore store = _store!;

            // Pooled views hold references; free them now so that only live views keep the memory.
            for (int i = 0; i < _viewPool.Length; i++)
            {
                if (Interlocked.Exchange(ref _viewPool[i], null) is { } pooled)
                {
                    pooled.FreeBookkeeping();
                    Release(store);
                }
            }

            // From now on only views reach the store, so leaked views cannot keep it alive (see CowImageStore).
            Volatile.Write(ref _store, null);
            Release(store);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"CowImage({_kind}, {_length} bytes, chunk {ChunkSizeBytes} bytes)";

    /// <summary>Gives back one reference; <paramref name="store"/> (the caller's, the image may have dropped its own) is freed at zero.</summary>
    internal void Release(CowImageStore store)
    {
        if (Interlocked.Decrement(ref _refCount) == 0)
        {
            store.Free();
        }
    }

    /// <summary>
    /// Keeps a returned view, with its image reference, for <see cref="RentView"/>. False when the pool is full or
    /// the image is disposed: the caller then frees the view and releases its reference.
    /// </summary>
    internal bool TryPool(CowView view)
    {
        if (IsDisposed)
        {
            return false;
        }

        CowView?[] pool = _viewPool;
        for (int i = 0; i < pool.Length; i++)
        {
            if (Volatile.Read(ref pool[i]) is null && Interlocked.CompareExchange(ref pool[i], view, null) is null)
            {
                // Dispose sets _disposed and then empties the slots; we filled a slot and then read _disposed. Both
                // sides write with an interlocked (full-fence) operation before they read, so at least one sees the
                // other: either Dispose finds our view in the slot, or we see the flag and take the view back.
                if (IsDisposed && Interlocked.CompareExchange(ref pool[i], null, view) == view)
                {
                    return false;
                }

                return true;
            }
        }

        return false;
    }

    // The caller holds a reference for the new view; it is given back if the view cannot be made.
    private CowView CreateViewHoldingReference(CowImageStore store, MemoryAccount account)
    {
        CowView? view = null;
        try
        {
            view = new CowView(this, store, account);
            if (view.IsKernel)
            {
                view.Activate(account);
            }

            return view;
        }
        catch
        {
            view?.FreeBookkeeping();
            Release(store);
            throw;
        }
    }

    private static CowImage CreateCore(byte* source, long length, CowImageOptions? options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, MemoryRegion.SizeBytesMax);
        CowImageKind kind = options?.Kind ?? CowImageKind.Managed;
        MemoryAccount account = options?.Account ?? MemoryAccount.Unlimited;
        switch (kind)
        {
            case CowImageKind.Managed:
                int chunkSize = options?.ChunkSizeBytes ?? CowImageOptions.DefaultChunkSizeBytes;
                if (chunkSize < CowImageOptions.ChunkSizeBytesMin || chunkSize > CowImageOptions.ChunkSizeBytesMax || !BitOperations.IsPow2(chunkSize))
                {
                    MemoryThrowHelper.ThrowChunkSize(chunkSize, CowImageOptions.ChunkSizeBytesMin, CowImageOptions.ChunkSizeBytesMax);
                }

                int chunkShift = BitOperations.Log2((uint)chunkSize);
                ThrowIfTooManyChunks(length, chunkShift);
                MemoryRegion data = MemoryRegion.Allocate(length, new MemoryRegionOptions { Account = account, ZeroFill = false });
                Buffer.MemoryCopy(source, data.DangerousPointer, length, length);

                // Immutability enforced by the MMU where possible: a stray write into the image faults at once
                // instead of silently changing every view.
                _ = data.TryProtectReadOnly();
                return new CowImage(length, kind, chunkShift, account, data, memfd: null, kernelChargedBytes: 0, isWriteSealed: false);

            case CowImageKind.Kernel:
                LinuxMemory.ThrowIfUnsupported("Kernel copy-on-write images (CowImageKind.Kernel)");
                return CreateKernel(source, length, account);

            default:
                throw new ArgumentOutOfRangeException(nameof(options), kind, "Unknown copy-on-write image kind.");
        }
    }

    private static CowImage CreateKernel(byte* source, long length, MemoryAccount account)
    {
        int pageShift = BitOperations.Log2((uint)LinuxMemory.PageSize);
        ThrowIfTooManyChunks(length, pageShift);
        long mappedLength = LinuxMemory.RoundUp(length, LinuxMemory.PageSize);
        account.Charge(length);
        SafeFileHandle? memfd = null;
        try
        {
            int fd = Interop.Memfd.MemfdCreate("edgeos-cow-image", Interop.Memfd.MfdCloexec | Interop.Memfd.MfdAllowSealing);
            if (fd < 0)
            {
                MemoryThrowHelper.ThrowForErrno("memfd_create", Marshal.GetLastPInvokeError());
            }

            memfd = new SafeFileHandle(fd, ownsHandle: true);
            if (Interop.Memfd.Ftruncate(fd, mappedLength) != 0)
            {
                MemoryThrowHelper.ThrowForErrno("ftruncate of the image memfd", Marshal.GetLastPInvokeError());
            }

            nint shared = LinuxMemory.MapFile(memfd, (nuint)mappedLength, Interop.Mman.ProtRead | Interop.Mman.ProtWrite, Interop.Mman.MapShared, "mmap of the image memfd");
            Buffer.MemoryCopy(source, (void*)shared, length, length);
            LinuxMemory.Unmap(shared, (nuint)mappedLength);

            // Seal: no one (not even this process) can change or resize the contents from now on. F_SEAL_WRITE
            // needs that no writable shared mapping exists, which holds since we just unmapped ours; private
            // writable mappings (the views) stay allowed. Without write sealing (old kernels) keep the size seals.
            const int AllSeals = Interop.Memfd.FSealWrite | Interop.Memfd.FSealShrink | Interop.Memfd.FSealGrow | Interop.Memfd.FSealSeal;
            const int SizeSeals = Interop.Memfd.FSealShrink | Interop.Memfd.FSealGrow | Interop.Memfd.FSealSeal;
            bool writeSealed = Interop.Memfd.Fcntl(fd, Interop.Memfd.FAddSeals, AllSeals) == 0;
            if (!writeSealed && Interop.Memfd.Fcntl(fd, Interop.Memfd.FAddSeals, SizeSeals) != 0)
            {
                MemoryThrowHelper.ThrowForErrno("fcntl(F_ADD_SEALS) on the image memfd", Marshal.GetLastPInvokeError());
            }

            return new CowImage(length, CowImageKind.Kernel, pageShift, account, data: null, memfd, length, writeSealed);
        }
        catch
        {
            memfd?.Dispose();
            account.Release(length);
            throw;
        }
    }

    private static void ThrowIfTooManyChunks(long length, int chunkShift)
    {
        if (((length - 1) >> chunkShift) + 1 > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The image has more than int.MaxValue chunks; use a larger chunk size.");
        }
    }

    /// <summary>Takes a reference for a new view and returns the store it will use.</summary>
    private CowImageStore AddRef()
    {
        // Refuse new views once disposed; the CAS loop also refuses to resurrect an image whose count reached zero.
        // The store is read before the count is raised: Dispose clears the field before it releases the image's own
        // reference, so a non-null store read here is still unfreed as long as the count was not zero at our CAS.
        CowImageStore? store = Volatile.Read(ref _store);
        if (store is null || IsDisposed)
        {
            MemoryThrowHelper.ThrowObjectDisposed(this);
        }

        int count = Volatile.Read(ref _refCount);
        while (true)
        {
            if (count == 0)
            {
                MemoryThrowHelper.ThrowObjectDisposed(this);
            }

            int seen = Interlocked.CompareExchange(ref _refCount, count + 1, count);
            if (seen == count)
            {
                return store;
            }

            count = seen;
        }
    }
}
