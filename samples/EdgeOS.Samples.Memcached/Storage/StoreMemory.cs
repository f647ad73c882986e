using System.Runtime.CompilerServices;
using EdgeOS.Core.Memory;

namespace EdgeOS.Samples.Memcached.Storage;

/// <summary>
/// How the store reaches its area. Every access names whether it reads or writes, and never crosses a
/// <see cref="ChunkSizeBytes"/> boundary, so the area can be a copy-on-write view whose zero-copy access is
/// confined to one chunk (EdgeOS.Core's managed <c>CowView</c> with 4 KiB chunks) as well as plain memory.
/// </summary>
internal interface IStoreMemory
{
    /// <summary>The granularity no single access crosses (4096).</summary>
    int ChunkSizeBytes { get; }

    /// <summary>The size of the area.</summary>
    long LengthBytes { get; }

    /// <summary>A read-only reference to a <typeparamref name="T"/> at <paramref name="offset"/>.</summary>
    ref readonly T Read<T>(long offset) where T : unmanaged;

    /// <summary>A writable reference to a <typeparamref name="T"/> at <paramref name="offset"/>.</summary>
    ref T Write<T>(long offset) where T : unmanaged;

    /// <summary>A read-only span inside one chunk.</summary>
    ReadOnlySpan<byte> ReadSpan(long offset, int length);

    /// <summary>A writable span inside one chunk.</summary>
    Span<byte> WriteSpan(long offset, int length);
}

/// <summary>
/// The area as plain pinned memory (a <c>MemoryRegion</c> today): unchecked pointer arithmetic, inlined. The
/// chunk rule is asserted in debug builds so that code which would break over a copy-on-write view fails here first.
/// </summary>
internal readonly unsafe struct PointerStoreMemory : IStoreMemory
{
    public const int ChunkBytes = 4096;

    private readonly byte* _base;
    private readonly long _length;

    public PointerStoreMemory(byte* address, long length)
    {
        _base = address;
        _length = length;
    }

    public int ChunkSizeBytes => ChunkBytes;

    public long LengthBytes => _length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly T Read<T>(long offset) where T : unmanaged
    {
        AssertInChunk(offset, sizeof(T));
        return ref Unsafe.AsRef<T>(_base + offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T Write<T>(long offset) where T : unmanaged
    {
        AssertInChunk(offset, sizeof(T));
        return ref Unsafe.AsRef<T>(_base + offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> ReadSpan(long offset, int length)
    {
        AssertInChunk(offset, length);
        return new ReadOnlySpan<byte>(_base + offset, length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> WriteSpan(long offset, int length)
    {
        AssertInChunk(offset, length);
        return new Span<byte>(_base + offset, length);
    }

    [System.Diagnostics.Conditional("DEBUG")]
    private void AssertInChunk(long offset, int length)
    {
        System.Diagnostics.Debug.Assert(offset >= 0 && length >= 0 && offset + length <= _length, "access outside the area");
        System.Diagnostics.Debug.Assert(length == 0 || offset / ChunkBytes == (offset + length - 1) / ChunkBytes, "access crosses a 4 KiB chunk");
    }
}

/// <summary>
/// The area as a copy-on-write view (EdgeOS.Core's <see cref="CowView"/>, the FWP's state): reads see the template's
/// image until the tenant writes a chunk; the first write access to a chunk copies it and charges the tenant. The
/// view's own checks (bounds, chunk confinement, alignment) apply to every access.
/// </summary>
/// <remarks>
/// A read reference taken before the first write to its chunk keeps pointing at the image: code that writes must
/// re-read through a fresh reference (the store always does: it never reads a field back through a read reference
/// taken before writing that item).
/// </remarks>
internal readonly struct CowStoreMemory : IStoreMemory
{
    private readonly CowView _view;

    public CowStoreMemory(CowView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (view.ChunkSizeBytes != PointerStoreMemory.ChunkBytes)
        {
            throw new ArgumentException($"the store needs {PointerStoreMemory.ChunkBytes}-byte copy-on-write chunks; the view has {view.ChunkSizeBytes}", nameof(view));
        }

        _view = view;
    }

    public bool IsBound => _view is not null;

    public int ChunkSizeBytes => PointerStoreMemory.ChunkBytes;

    public long LengthBytes => _view.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly T Read<T>(long offset) where T : unmanaged => ref _view.GetReadOnlyRef<T>(offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T Write<T>(long offset) where T : unmanaged => ref _view.GetRef<T>(offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> ReadSpan(long offset, int length) => _view.GetReadOnlySpan(offset, length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> WriteSpan(long offset, int length) => _view.GetWritableSpan(offset, length);
}
