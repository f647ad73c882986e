using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeOS.Core.Memory.Internal;

namespace EdgeOS.Core.Memory;

/// <summary>
/// A private copy-on-write view of a <see cref="CowImage"/>: reads see the image until the view writes; writes go to
/// private copies that neither the image nor any other view ever sees. <see cref="Reset"/> drops the private copies
/// and returns the view to the image's contents.
/// </summary>
/// <remarks>
/// <para>
/// <b>Managed images</b> split the image into chunks (4 KiB by default). A two-level table (a directory of leaf
/// tables, both allocated on the first write) maps a chunk to its private copy. The first write to a chunk copies
/// it from the image into native memory taken from the image's free list and charged to the view's account; later
/// writes go straight to the copy. Zero-copy access (<see cref="GetReadOnlySpan"/>, <see cref="GetWritableSpan"/>,
/// <see cref="GetRef{T}"/>) is confined to one chunk; <see cref="Read"/> and <see cref="Write"/> cross chunks.
/// Lay out structures (hash buckets, slab pages) so that no element straddles a chunk boundary, or pick a larger
/// <see cref="CowImageOptions.ChunkSizeBytes"/>.
/// </para>
/// <para>
/// <b>Kernel images</b> map the image privately (<c>MAP_PRIVATE</c>): the kernel copies a page on first write,
/// zero-copy spans may be any length, and <see cref="Reset"/> is <c>madvise(MADV_DONTNEED)</c>, which drops the
/// private pages so the mapping reads the image again.
/// </para>
/// <para>
/// <b>Accounting</b>: before write access to a chunk or page is first granted (by <see cref="Write"/>,
/// <see cref="GetWritableSpan"/> or <see cref="GetRef{T}"/>), the view charges the chunk (and, the first time in a
/// 512-chunk range, its index leaf) to its account; when the charge is refused the view is left exactly as it was
/// and <see cref="MemoryQuotaExceededException"/> is thrown. For kernel views this counts pages whose write access
/// was granted, an upper bound of what the kernel actually copied (all writes go through these members). Not charged:
/// the image's free lists and, per managed view, the one chunk (of at most 16 KiB) and one index leaf that a reset
/// keeps for the next first write; both are caches bounded in size, given back on dispose.
/// </para>
/// <para>
/// <b>Leaks</b>: the view has no finalizer (registering one would cost more than the rest of creating a view). Its
/// first write, or a kernel view's mapping, creates a small finalizable owner for its native memory, so a view that
/// is never disposed still gives back its private memory, its charge and its image reference once collected; a view
/// that never wrote holds no native memory, and its image's memory is freed once the image is disposed and the
/// leaked view collected.
/// </para>
/// <para>
/// <b>Validity</b>: spans and refs obtained from a view are valid until its next <see cref="Reset"/>,
/// <see cref="Dispose"/> or <see cref="Return"/>. A writable span of a managed view points into a private chunk
/// that the reset gives back to the image's free list, where another view may take it, or keeps for the view's next
/// first write to a possibly different chunk.
/// </para>
/// <para>
/// <b>Thread-safety</b>: a view is single-threaded (use it from one thread at a time). Different views of one image
/// may be used concurrently on different threads.
/// </para>
/// </remarks>
[DebuggerDisplay("CowView {Length} bytes, {PrivateBytes} private")]
public sealed unsafe class CowView : IDisposable
{
    // More dirty pages than this and a kernel reset drops the whole mapping in one madvise call.
    private const int KernelResetPagesBatchMax = 16;
    private const int DirtyListInitialCapacity = 16;

    // A reset keeps one dropped chunk of at most 2^this bytes (16 KiB), and one leaf, for the view's next first write.
    private const int SpareChunkShiftMax = 14;

    private readonly CowImage _image;
    private readonly CowImageStore _store;
    private readonly long _chunkMask;
    private readonly int _leafMask;
    private readonly byte _chunkShift;
    private readonly byte _leafShift;
    private readonly bool _isKernel;

    // Hot fields. _length is 0 while the view is not active (disposed, or in the image's pool), which makes every
    // fast path's bounds check fail and sends it to the slow path, which throws ObjectDisposedException; it is also
    // the view's active flag (an image has at least one byte).
    private nint* _directory;
    private byte* _readBase;
    private long _length;

    private MemoryAccount _account;
    private int _dirtyCount;
    private long _chargedBytes;

    // Created with the first native memory the view takes; the dirty list, the spare blocks, the kernel mapping and
    // the finalizer that frees them all if the view is leaked (see CowViewNative).
    private CowViewNative? _native;

    /// <summary>
    /// Creates a view holding an image reference; a managed view is active at once, a kernel view needs
    /// <see cref="Activate"/> (its mapping may fail).
    /// </summary>
    internal CowView(CowImage image, CowImageStore store, MemoryAccount account)
    {
        _image = image;
        _store = store;
        _account = account;
        _chunkShift = (byte)image.ChunkShift;
        _chunkMask = (1L << _chunkShift) - 1;
        _leafShift = (byte)image.LeafShift;
        _leafMask = (1 << _leafShift) - 1;
        _isKernel = image.Kind == CowImageKind.Kernel;
        if (!_isKernel)
        {
            _readBase = store.DataPointer;
            _length = image.Length;
        }
    }

    internal bool IsKernel => _isKernel;

    /// <summary>The size of the view (the image's length).</summary>
    public long Length => _image.Length;

    /// <summary>The image this is a view of.</summary>
    public CowImage Image => _image;

    /// <summary>The account the view's private copies are charged to.</summary>
    public MemoryAccount Account => _account;

    /// <summary>The copy-on-write granularity (a chunk, or a page for kernel views).</summary>
    public int ChunkSizeBytes => 1 << _chunkShift;

    /// <summary>The bytes of private copies the view holds (chunks or pages written since creation or the last reset).</summary>
    public long PrivateBytes => (long)_dirtyCount << _chunkShift;

    /// <summary>
    /// The bytes charged to <see cref="Account"/>: <see cref="PrivateBytes"/> plus the index leaves that locate them
    /// (at most 4 KiB per 512 chunks written).
    /// </summary>
    public long ChargedBytes => _chargedBytes;

    /// <summary>Whether the view was disposed or returned.</summary>
    public bool IsDisposed => Volatile.Read(ref _length) == 0;

    /// <summary>
    /// A read-only span of <paramref name="length"/> bytes at <paramref name="offset"/>, no copy: the private copy if
    /// the view wrote there, else the image. Never copies or charges anything.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the view.</exception>
    /// <exception cref="ArgumentException">Managed view: the range crosses a chunk boundary.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed or returned.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> GetReadOnlySpan(long offset, int length) => new(ReadPointer(offset, length), length);

    /// <summary>
    /// A writable span of <paramref name="length"/> bytes at <paramref name="offset"/>, no copy. The first access to a
    /// chunk copies it from the image and charges it (about a microsecond); later accesses are a table lookup.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the view.</exception>
    /// <exception cref="ArgumentException">Managed view: the range crosses a chunk boundary.</exception>
    /// <exception cref="MemoryQuotaExceededException">The account cannot take the copy; nothing changed.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed or returned.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetWritableSpan(long offset, int length) => new(WritablePointer(offset, length), length);

    /// <summary>
    /// A writable reference to a <typeparamref name="T"/> at <paramref name="offset"/>, with the rules of
    /// <see cref="GetWritableSpan"/>. The offset must be a multiple of the largest power of two dividing
    /// <c>sizeof(T)</c>, capped at 8.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside the view.</exception>
    /// <exception cref="ArgumentException">The offset is misaligned, or (managed) the value crosses a chunk boundary.</exception>
    /// <exception cref="MemoryQuotaExceededException">The account cannot take the copy; nothing changed.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed or returned.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T GetRef<T>(long offset)
        where T : unmanaged
    {
        if ((offset & (MemoryRegion.RequiredAlignment<T>() - 1)) != 0)
        {
            MemoryThrowHelper.ThrowMisaligned(offset, MemoryRegion.RequiredAlignment<T>(), typeof(T).Name);
        }

        return ref Unsafe.AsRef<T>(WritablePointer(offset, sizeof(T)));
    }

    /// <summary>A read-only reference to a <typeparamref name="T"/> at <paramref name="offset"/>; never copies or charges.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside the view.</exception>
    /// <exception cref="ArgumentException">The offset is misaligned, or (managed) the value crosses a chunk boundary.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed or returned.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly T GetReadOnlyRef<T>(long offset)
        where T : unmanaged
    {
        if ((offset & (MemoryRegion.RequiredAlignment<T>() - 1)) != 0)
        {
            MemoryThrowHelper.ThrowMisaligned(offset, MemoryRegion.RequiredAlignment<T>(), typeof(T).Name);
        }

        return ref Unsafe.AsRef<T>(ReadPointer(offset, sizeof(T)));
    }

    /// <summary>Copies <c>destination.Length</c> bytes at <paramref name="offset"/> into <paramref name="destination"/> (may cross chunks).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the view.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed or returned.</exception>
    public void Read(long offset, Span<byte> destination)
    {
        CheckRange(offset, destination.Length);
        if (_isKernel)
        {
            new ReadOnlySpan<byte>(_readBase + offset, destination.Length).CopyTo(destination);
            return;
        }

        long chunkSize = _chunkMask + 1;
        while (!destination.IsEmpty)
        {
            long within = offset & _chunkMask;
            int count = (int)Math.Min(destination.Length, chunkSize - within);
            byte* chunk = PrivateChunk(offset >> _chunkShift);
            byte* source = chunk != null ? chunk + within : _readBase + offset;
            new ReadOnlySpan<byte>(source, count).CopyTo(destination);
            destination = destination[count..];
            offset += count;
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> into the view at <paramref name="offset"/> (may cross chunks). All chunks the
    /// range needs are made private and charged first, in one charge: either the whole write happens or nothing does.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the view.</exception>
    /// <exception cref="MemoryQuotaExceededException">The account cannot take the copies; the view is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed or returned.</exception>
    public void Write(long offset, ReadOnlySpan<byte> source)
    {
        CheckRange(offset, source.Length);
        if (source.IsEmpty)
        {
            return;
        }

        EnsurePrivate(offset >> _chunkShift, (offset + source.Length - 1) >> _chunkShift);
        if (_isKernel)
        {
            source.CopyTo(new Span<byte>(_readBase + offset, source.Length));
            return;
        }

        long chunkSize = _chunkMask + 1;
        while (!source.IsEmpty)
        {
            long within = offset & _chunkMask;
            int count = (int)Math.Min(source.Length, chunkSize - within);
            source[..count].CopyTo(new Span<byte>(PrivateChunk(offset >> _chunkShift) + within, count));
            source = source[count..];
            offset += count;
        }
    }

    /// <summary>
    /// Drops every private copy: the view reads the image again, <see cref="PrivateBytes"/> and
    /// <see cref="ChargedBytes"/> become 0 and the account gets them back. O(1) for a view that has not written or
    /// wrote one chunk (tens of nanoseconds: a few stores and one release per account on the path); otherwise
    /// proportional to the chunks written (managed: each goes back to the image's free list; kernel: one madvise per
    /// page, or one for the whole mapping past 16 pages).
    /// </summary>
    /// <remarks>
    /// A managed view keeps one dropped chunk (when chunks are at most 16 KiB) and one index leaf for its next first
    /// write instead of giving them to the image's free list. Like the free list they are a cache, not charged to any
    /// account; <see cref="Dispose"/> gives them back.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The view was disposed or returned.</exception>
    /// <exception cref="IOException">Kernel view: madvise failed (the view keeps its private pages).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reset()
    {
        if (_dirtyCount != 0 || _length == 0)
        {
            ResetSlow();
        }
    }

    /// <summary>
    /// Drops every private copy (as <see cref="Reset()"/>, whose account gets them back) and charges the view's future
    /// private copies to <paramref name="account"/>: for an owner that keeps a view across users of different
    /// accounts (a pool of ready featherweight processes handed to different tenants). O(1) for a view that has not
    /// written; no allocation.
    /// </summary>
    /// <param name="account">The account charged from now on.</param>
    /// <exception cref="ArgumentNullException"><paramref name="account"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed or returned.</exception>
    /// <exception cref="IOException">Kernel view: madvise failed (the view keeps its private pages and its account).</exception>
    public void ResetAndReassign(MemoryAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        Reset();
        _account = account;
    }

    /// <summary>
    /// Frees the view's private copies and bookkeeping and gives back its account charge. Idempotent, but like every
    /// member of a view not to be called concurrently. The image's memory is freed when its last view is disposed
    /// after the image itself.
    /// </summary>
    public void Dispose()
    {
        // A stale reference to a view that was returned (and is pooled, or rented by someone else) must not free it;
        // the state check makes that a no-op only while it is pooled, which is why Return documents the hazard. Plain
        // reads and writes: a view is single-threaded, and its CowViewNative cannot be finalized while the view is reachable.
        if (_length != 0)
        {
            DropPrivate(dropKernelPages: false);
            Deactivate();
            FreeBookkeeping();
            _image.Release(_store);
        }
    }

    /// <summary>
    /// Resets the view and gives it back to its image for <see cref="CowImage.RentView"/> (or disposes it when the
    /// image's pool is full). Like returning an array to <c>ArrayPool</c>: the caller must not use this object again,
    /// as it may already belong to someone else; until it is rented again every member throws
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Return()
    {
        // Views are single-threaded, so plain reads and writes of the state suffice here.
        if (_length == 0)
        {
            return;
        }

        DropPrivate(dropKernelPages: true);
        Deactivate();
        if (!_image.TryPool(this))
        {
            FreeBookkeeping();
            _image.Release(_store);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"CowView({_image.Kind}, {Length} bytes, {PrivateBytes} private bytes)";

    /// <summary>Makes the view usable; the caller holds an image reference for it.</summary>
    internal void Activate(MemoryAccount account)
    {
        byte* readBase = _store.DataPointer;
        if (_isKernel)
        {
            CowViewNative native = _native ??= new CowViewNative(this);
            if (native._mapping == 0)
            {
                native._mapping = _store.MapPrivate();
            }

            readBase = (byte*)native._mapping;
        }

        _account = account;
        _readBase = readBase;
        Volatile.Write(ref _length, _image.Length);
    }

    /// <summary>
    /// Frees the directory, dirty list, spare blocks and kernel mapping, and retires their finalizable owner: the view
    /// is not used again. The view must hold no private copies.
    /// </summary>
    internal void FreeBookkeeping()
    {
        Debug.Assert(_dirtyCount == 0, "private copies must be dropped first");

        // A view that never wrote has none of these; the single check keeps create-and-dispose cheap.
        CowViewNative? native = _native;
        if (native is null)
        {
            return;
        }

        if (native._spareChunk != null)
        {
            _store.Chunks.Return(native._spareChunk);
            native._spareChunk = null;
        }

        if (native._spareLeaf != null)
        {
            _store.Leaves.Return((byte*)native._spareLeaf);
            native._spareLeaf = null;
        }

        if (_directory != null)
        {
            NativeMemory.Free(_directory);
            _directory = null;
        }

        if (native._dirty != null)
        {
            NativeMemory.Free(native._dirty);
            native._dirty = null;
            native._dirtyCapacity = 0;
        }

        if (native._mapping != 0)
        {
            LinuxMemory.Unmap(native._mapping, (nuint)_store.KernelMappingLength);
            native._mapping = 0;
        }

        // Only now: until here the object (reachable through this local) cannot have been finalized under us.
        _native = null;
        GC.SuppressFinalize(native);
    }

    /// <summary>Called by the finalizer of <see cref="CowViewNative"/>: the view is unreachable, nobody else can touch it.</summary>
    internal void ReclaimLeaked()
    {
        if (_length != 0)
        {
            DropPrivate(dropKernelPages: false);
            Deactivate();
            FreeBookkeeping();
            _image.Release(_store);
        }
        else
        {
            // Pooled in an image that is itself unreachable: its store is freed by its own finalizer.
            FreeBookkeeping();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* ReadPointer(long offset, int length)
    {
        long within = offset & _chunkMask;
        if ((ulong)offset < (ulong)_length && (ulong)length <= (ulong)(_length - offset) && (ulong)(within + length) <= (ulong)(_chunkMask + 1))
        {
            nint* directory = _directory;
            if (directory != null)
            {
                long chunk = offset >> _chunkShift;
                nint* leaf = (nint*)directory[chunk >> _leafShift];
                if (leaf != null)
                {
                    byte* copy = (byte*)leaf[chunk & _leafMask];
                    if (copy != null)
                    {
                        return copy + within;
                    }
                }
            }

            return _readBase + offset;
        }

        return ReadPointerSlow(offset, length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* WritablePointer(long offset, int length)
    {
        long within = offset & _chunkMask;
        nint* directory = _directory;
        if (directory != null && (ulong)offset < (ulong)_length && (ulong)length <= (ulong)(_length - offset) && (ulong)(within + length) <= (ulong)(_chunkMask + 1))
        {
            long chunk = offset >> _chunkShift;
            nint* leaf = (nint*)directory[chunk >> _leafShift];
            if (leaf != null)
            {
                byte* copy = (byte*)leaf[chunk & _leafMask];
                if (copy != null)
                {
                    return copy + within;
                }
            }
        }

        return WritablePointerSlow(offset, length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte* ReadPointerSlow(long offset, int length)
    {
        CheckRange(offset, length);
        if (length == 0 || _isKernel)
        {
            return _readBase + offset;
        }

        MemoryThrowHelper.ThrowSpanCrossesChunk(offset, length, ChunkSizeBytes);
        return null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte* WritablePointerSlow(long offset, int length)
    {
        CheckRange(offset, length);
        if (length == 0)
        {
            return _readBase + offset;
        }

        long first = offset >> _chunkShift;
        long last = (offset + length - 1) >> _chunkShift;
        if (first != last && !_isKernel)
        {
            MemoryThrowHelper.ThrowSpanCrossesChunk(offset, length, ChunkSizeBytes);
        }

        EnsurePrivate(first, last);
        return _isKernel ? _readBase + offset : PrivateChunk(first) + (offset & _chunkMask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckRange(long offset, long length)
    {
        if ((ulong)offset > (ulong)_length || (ulong)length > (ulong)(_length - offset) || _length == 0)
        {
            ThrowForBadRange(offset, length);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowForBadRange(long offset, long length)
    {
        if (_length == 0)
        {
            MemoryThrowHelper.ThrowObjectDisposed(this);
        }

        MemoryThrowHelper.ThrowRangeOutOfBounds(nameof(offset), offset, length, _length);
    }

    private byte* PrivateChunk(long chunk)
    {
        nint* directory = _directory;
        if (directory == null)
        {
            return null;
        }

        nint* leaf = (nint*)directory[chunk >> _leafShift];
        return leaf == null ? null : (byte*)leaf[chunk & _leafMask];
    }

    /// <summary>
    /// Makes chunks <paramref name="first"/>..<paramref name="last"/> private, all or nothing: counts what is
    /// missing, charges it in one call (which throws and changes nothing when refused), then installs.
    /// </summary>
    private void EnsurePrivate(long first, long last)
    {
        long missingChunks = 0;
        long missingLeaves = 0;
        nint* directory = _directory;
        long lastMissingLeaf = -1;
        for (long chunk = first; chunk <= last; chunk++)
        {
            long leafIndex = chunk >> _leafShift;
            nint* leaf = directory == null ? null : (nint*)directory[leafIndex];
            if (leaf == null)
            {
                missingChunks++;
                if (leafIndex != lastMissingLeaf)
                {
                    missingLeaves++;
                    lastMissingLeaf = leafIndex;
                }
            }
            else if (leaf[chunk & _leafMask] == 0)
            {
                missingChunks++;
            }
        }

        if (missingChunks != 0)
        {
            InstallPrivate(first, last, missingChunks, missingLeaves);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void InstallPrivate(long first, long last, long missingChunks, long missingLeaves)
    {
        // Bookkeeping first (it is not charged and changes nothing visible), then the charge, then the copies. The
        // finalizable owner comes before the first native memory it is there to free.
        CowViewNative native = _native ??= new CowViewNative(this);
        if (_directory == null)
        {
            _directory = (nint*)NativeMemory.AllocZeroed((nuint)_image.LeafCount, (nuint)sizeof(nint));
        }

        EnsureDirtyCapacity(native, _dirtyCount + missingChunks);
        long chunkBytes = _chunkMask + 1;
        long leafBytes = _store.Leaves.BlockBytes;
        long bytes = (missingChunks * chunkBytes) + (missingLeaves * leafBytes);
        _account.Charge(bytes);
        long installed = 0;
        try
        {
            nint* directory = _directory;
            for (long chunk = first; chunk <= last; chunk++)
            {
                long leafIndex = chunk >> _leafShift;
                nint* leaf = (nint*)directory[leafIndex];
                if (leaf == null)
                {
                    leaf = native._spareLeaf;
                    if (leaf != null)
                    {
                        native._spareLeaf = null;
                    }
                    else
                    {
                        leaf = (nint*)_store.Leaves.Rent();
                    }

                    directory[leafIndex] = (nint)leaf;
                    installed += leafBytes;
                }

                ref nint slot = ref leaf[chunk & _leafMask];
                if (slot != 0)
                {
                    continue;
                }

                long start = chunk << _chunkShift;
                if (_isKernel)
                {
                    // The page is already mapped; granting write access is what we account for.
                    slot = (nint)(_readBase + start);
                }
                else
                {
                    byte* copy = native._spareChunk;
                    if (copy != null)
                    {
                        native._spareChunk = null;
                    }
                    else
                    {
                        copy = _store.Chunks.Rent();
                    }

                    long count = Math.Min(chunkBytes, _length - start);
                    Buffer.MemoryCopy(_readBase + start, copy, chunkBytes, count);
                    slot = (nint)copy;
                }

                if (_dirtyCount == 0)
                {
                    native._firstDirtyChunk = (int)chunk;
                    native._firstDirtyLeaf = leaf;
                    native._firstDirtyCopy = (byte*)slot;
                }

                native._dirty[_dirtyCount++] = (int)chunk;
                installed += chunkBytes;
            }
        }
        finally
        {
            _chargedBytes += installed;
            if (installed != bytes)
            {
                // Only a failed native allocation gets here; give back what was not installed.
                _account.Release(bytes - installed);
            }
        }
    }

    private void EnsureDirtyCapacity(CowViewNative native, long needed)
    {
        if (needed <= native._dirtyCapacity)
        {
            return;
        }

        long capacity = Math.Max(DirtyListInitialCapacity, (long)native._dirtyCapacity * 2);
        capacity = Math.Min(Math.Max(capacity, needed), _image.ChunkCount);
        native._dirty = (int*)NativeMemory.Realloc(native._dirty, (nuint)(capacity * sizeof(int)));
        native._dirtyCapacity = (int)capacity;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ResetSlow()
    {
        if (_length == 0)
        {
            MemoryThrowHelper.ThrowObjectDisposed(this);
        }

        DropPrivate(dropKernelPages: true);
    }

    private void DropPrivate(bool dropKernelPages)
    {
        int count = _dirtyCount;
        if (count == 1 && !_isKernel)
        {
            DropOnePrivateChunk();
        }
        else if (count != 0)
        {
            DropPrivateChunks(count, dropKernelPages);
        }
    }

    /// <summary>
    /// Drops the one private chunk of a managed view from the fields recorded at its first write: the stores clear
    /// the leaf slot and the directory entry, but nothing is read from native memory (after a batch of first writes
    /// those lines are usually out of the cache), and the blocks stay with the view for its next first write.
    /// </summary>
    private void DropOnePrivateChunk()
    {
        CowViewNative native = _native!;
        int chunk = native._firstDirtyChunk;
        nint* leaf = native._firstDirtyLeaf;
        byte* copy = native._firstDirtyCopy;
        Debug.Assert(_directory[chunk >> _leafShift] == (nint)leaf && leaf[chunk & _leafMask] == (nint)copy, "stale first-dirty record");

        // The leaf held only this chunk, so it is all zero again after this store, as a spare or pooled leaf must be.
        leaf[chunk & _leafMask] = 0;
        _directory[chunk >> _leafShift] = 0;
        KeepOrReturnChunk(native, copy);
        KeepOrReturnLeaf(native, leaf);
        native._firstDirtyLeaf = null;
        native._firstDirtyCopy = null;
        _dirtyCount = 0;
        long charged = _chargedBytes;
        _chargedBytes = 0;
        _account.Release(charged);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void KeepOrReturnChunk(CowViewNative native, byte* copy)
    {
        if (native._spareChunk == null && _chunkShift <= SpareChunkShiftMax)
        {
            native._spareChunk = copy;
        }
        else
        {
            _store.Chunks.Return(copy);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void KeepOrReturnLeaf(CowViewNative native, nint* leaf)
    {
        if (native._spareLeaf == null)
        {
            native._spareLeaf = leaf;
        }
        else
        {
            _store.Leaves.Return((byte*)leaf);
        }
    }

    private void DropPrivateChunks(int count, bool dropKernelPages)
    {
        CowViewNative native = _native!;
        int* dirty = native._dirty;
        nint* directory = _directory;
        if (_isKernel && dropKernelPages)
        {
            // For a private file mapping, MADV_DONTNEED discards the private copies: the next access maps the
            // image's page again. Done before the bookkeeping, so a failure leaves the view consistent.
            long pageBytes = _chunkMask + 1;
            if (count > KernelResetPagesBatchMax)
            {
                Madvise(native._mapping, _store.KernelMappingLength);
            }
            else
            {
                for (int i = 0; i < count; i++)
                {
                    Madvise(native._mapping + (nint)((long)dirty[i] * pageBytes), pageBytes);
                }
            }
        }

        for (int i = 0; i < count; i++)
        {
            int chunk = dirty[i];
            nint* leaf = (nint*)directory[chunk >> _leafShift];
            ref nint slot = ref leaf[chunk & _leafMask];
            if (!_isKernel)
            {
                KeepOrReturnChunk(native, (byte*)slot);
            }

            slot = 0;
        }

        // Every written slot of a leaf was in the dirty list, so the leaves are all zero again: back to the pool.
        for (int i = 0; i < count; i++)
        {
            int leafIndex = dirty[i] >> _leafShift;
            nint leaf = directory[leafIndex];
            if (leaf != 0)
            {
                KeepOrReturnLeaf(native, (nint*)leaf);
                directory[leafIndex] = 0;
            }
        }

        native._firstDirtyLeaf = null;
        native._firstDirtyCopy = null;
        _dirtyCount = 0;
        long charged = _chargedBytes;
        _chargedBytes = 0;
        _account.Release(charged);
    }

    private static void Madvise(nint address, long length)
    {
        if (Interop.Mman.Madvise(address, (nuint)length, Interop.Mman.MadvDontNeed) != 0)
        {
            MemoryThrowHelper.ThrowForErrno("madvise(MADV_DONTNEED) on a kernel copy-on-write view", Marshal.GetLastPInvokeError());
        }
    }

    // The account stays referenced (no write barrier on the dispose path); Activate replaces it.
    private void Deactivate()
    {
        _length = 0;
        _readBase = null;
    }
}
