using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeOS.Core.Memory.Internal;

namespace EdgeOS.Core.Memory;

/// <summary>
/// Pinned, aligned unmanaged memory: the unit in which EdgeOS lays out rings, arenas and images. It never moves, so
/// pointers, spans and refs into it stay valid until <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// <para>
/// On Linux (x86-64, arm64) the memory is an anonymous private mmap mapping, optionally with huge pages; elsewhere it
/// comes from <see cref="NativeMemory.AlignedAlloc(nuint, nuint)"/>. <see cref="Length"/> bytes are charged to the
/// account before anything is allocated and released on dispose (the rounding of a mapping up to whole pages is
/// not charged).
/// </para>
/// <para>
/// Thread-safety: reads and writes of the memory are the caller's business (it is plain memory). The members are
/// safe to call concurrently; <see cref="Dispose"/> frees the memory exactly once however many threads call it,
/// but spans and pointers handed out earlier must not be used after it (they would touch freed memory).
/// A region that is never disposed is freed by its finalizer.
/// </para>
/// </remarks>
[DebuggerDisplay("MemoryRegion {Length} bytes at {_address}")]
public sealed unsafe class MemoryRegion : IDisposable
{
    /// <summary>The largest region this type will create (64 TiB), so that offset arithmetic can never overflow.</summary>
    public const long SizeBytesMax = 1L << 46;

    private const int AlignmentBytesMax = 1 << 30;

    private readonly long _length;
    private readonly RegionBacking _backing;
    private readonly MemoryAccount _account;
    private readonly long _chargedBytes;
    private readonly int _alignmentBytes;
    private readonly HugePageBacking _hugePages;
    private nint _address;

    internal MemoryRegion(nint address, long length, int alignmentBytes, RegionBacking backing, MemoryAccount account, long chargedBytes, HugePageBacking hugePages)
    {
        _address = address;
        _length = length;
        _alignmentBytes = alignmentBytes;
        _backing = backing;
        _account = account;
        _chargedBytes = chargedBytes;
        _hugePages = hugePages;
    }

    /// <summary>Frees the memory of a region that was not disposed.</summary>
    ~MemoryRegion()
    {
        Free();
    }

    /// <summary>The size of the region in bytes.</summary>
    public long Length => _length;

    /// <summary>The address of the first byte.</summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public nint Address
    {
        get
        {
            nint address = Volatile.Read(ref _address);
            if (address == 0)
            {
                MemoryThrowHelper.ThrowObjectDisposed(this);
            }

            return address;
        }
    }

    /// <summary>A pointer to the first byte: no bounds are checked on anything done with it.</summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public byte* DangerousPointer => (byte*)Address;

    /// <summary>The alignment <see cref="Address"/> is guaranteed to have.</summary>
    public int AlignmentBytes => _alignmentBytes;

    /// <summary>Whether the region is backed by explicit huge pages (hugetlb succeeded).</summary>
    public bool IsHugePages => _hugePages == HugePageBacking.HugeTlb;

    /// <summary>What the region got for its pages (normal, transparent huge pages advised, or hugetlb).</summary>
    public HugePageBacking HugePageBacking => _hugePages;

    /// <summary>The account the region is charged to.</summary>
    public MemoryAccount Account => _account;

    /// <summary>Whether <see cref="Dispose"/> was called (or the finalizer ran).</summary>
    public bool IsDisposed => Volatile.Read(ref _address) == 0;

    /// <summary>
    /// Allocates a region of <paramref name="sizeBytes"/> bytes. Costs one mmap system call (Linux) or one aligned
    /// allocation, plus the charge; the pages themselves are populated by the kernel on first touch.
    /// </summary>
    /// <param name="sizeBytes">The size, at least 1 and at most <see cref="SizeBytesMax"/>.</param>
    /// <param name="options">Alignment, huge pages, account, zero-fill; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size or the alignment is out of range.</exception>
    /// <exception cref="MemoryQuotaExceededException">The account cannot take the size; nothing is allocated.</exception>
    /// <exception cref="NotSupportedException">Huge pages were <see cref="HugePagePolicy.Required"/> and none are available.</exception>
    /// <exception cref="InsufficientMemoryException">The operating system refused the memory.</exception>
    public static MemoryRegion Allocate(long sizeBytes, MemoryRegionOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sizeBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sizeBytes, SizeBytesMax);
        int alignment = options?.AlignmentBytes ?? MemoryRegionOptions.DefaultAlignmentBytes;
        if (alignment < 8 || alignment > AlignmentBytesMax || !BitOperations.IsPow2(alignment))
        {
            MemoryThrowHelper.ThrowAlignment(alignment);
        }

        HugePagePolicy policy = options?.HugePages ?? HugePagePolicy.None;
        if (policy is < HugePagePolicy.None or > HugePagePolicy.Required)
        {
            throw new ArgumentOutOfRangeException(nameof(options), policy, "Unknown huge page policy.");
        }

        if (policy == HugePagePolicy.Required && !LinuxMemory.IsSupported)
        {
            MemoryThrowHelper.ThrowLinuxOnly("Huge pages (HugePagePolicy.Required)");
        }

        MemoryAccount account = options?.Account ?? MemoryAccount.Unlimited;
        bool zeroFill = options?.ZeroFill ?? true;

        account.Charge(sizeBytes);
        try
        {
            return LinuxMemory.IsSupported
                ? AllocateMapped(sizeBytes, alignment, policy, account)
                : AllocatePortable(sizeBytes, alignment, zeroFill, account);
        }
        catch
        {
            account.Release(sizeBytes);
            throw;
        }
    }

    /// <summary>A span over <paramref name="length"/> bytes at <paramref name="offset"/> (bounds-checked, no copy).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not fit in the region.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetSpan(long offset, int length)
    {
        nint address = Volatile.Read(ref _address);
        if (address == 0 || (ulong)offset > (ulong)_length || (ulong)length > (ulong)(_length - offset))
        {
            ThrowForBadAccess(offset, length);
        }

        return new Span<byte>((byte*)address + offset, length);
    }

    /// <summary>A span over the whole region.</summary>
    /// <exception cref="InvalidOperationException">The region is longer than <see cref="int.MaxValue"/> bytes.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public Span<byte> AsSpan()
    {
        if (_length > int.MaxValue)
        {
            MemoryThrowHelper.ThrowLengthTooLarge(_length);
        }

        return GetSpan(0, (int)_length);
    }

    /// <summary>
    /// A reference to a <typeparamref name="T"/> at <paramref name="offset"/>. The offset must be a multiple of the
    /// largest power of two dividing <c>sizeof(T)</c>, capped at 8 (so 8-byte fields can be used atomically).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value does not fit in the region.</exception>
    /// <exception cref="ArgumentException">The offset is misaligned for <typeparamref name="T"/>.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T GetRef<T>(long offset)
        where T : unmanaged
    {
        nint address = Volatile.Read(ref _address);
        if (address == 0 || (ulong)offset > (ulong)_length || (ulong)sizeof(T) > (ulong)(_length - offset))
        {
            ThrowForBadAccess(offset, sizeof(T));
        }

        if ((offset & (RequiredAlignment<T>() - 1)) != 0)
        {
            MemoryThrowHelper.ThrowMisaligned(offset, RequiredAlignment<T>(), typeof(T).Name);
        }

        return ref Unsafe.AsRef<T>((byte*)address + offset);
    }

    /// <summary>
    /// Frees the memory and releases the account. Idempotent and thread-safe: the memory is freed exactly once.
    /// </summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"MemoryRegion({_length} bytes, {_hugePages}{(IsDisposed ? ", disposed" : string.Empty)})";

    /// <summary>The alignment <see cref="GetRef{T}(long)"/> requires: the largest power of two dividing sizeof(T), at most 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int RequiredAlignment<T>()
        where T : unmanaged
    {
        int size = sizeof(T);
        int alignment = size & -size;
        return alignment > 8 ? 8 : alignment;
    }

    /// <summary>Makes the region read-only where the platform allows (Linux mappings); returns whether it did.</summary>
    internal bool TryProtectReadOnly() => !IsDisposed && _backing.TryProtectReadOnly();

    private static MemoryRegion AllocateMapped(long sizeBytes, int alignment, HugePagePolicy policy, MemoryAccount account)
    {
        if (policy != HugePagePolicy.None)
        {
            // Explicit huge pages first: hugetlb reserves its pages at mmap time, so success here is a guarantee.
            nuint hugeLength = (nuint)LinuxMemory.RoundUp(sizeBytes, LinuxMemory.HugePageSizeBytes);
            nint huge = LinuxMemory.TryMapAnonymous(
                hugeLength,
                (nuint)Math.Max(alignment, LinuxMemory.PageSize),
                Interop.Mman.MapHugeTlb | Interop.Mman.MapHuge2Mb,
                out int hugeTlbErrno);
            if (huge != 0)
            {
                return new MemoryRegion(huge, sizeBytes, Math.Max(alignment, (int)LinuxMemory.HugePageSizeBytes), new MappingBacking(huge, hugeLength, null), account, sizeBytes, HugePageBacking.HugeTlb);
            }

            // Then transparent huge pages: a 2 MiB-aligned mapping so that whole huge pages fit, advised.
            nint thp = LinuxMemory.TryMapAnonymous(hugeLength, (nuint)Math.Max(alignment, (int)LinuxMemory.HugePageSizeBytes), 0, out int mapErrno);
            if (thp == 0)
            {
                MemoryThrowHelper.ThrowForErrno("mmap of an anonymous region", mapErrno);
            }

            if (Interop.Mman.Madvise(thp, hugeLength, Interop.Mman.MadvHugePage) == 0)
            {
                return new MemoryRegion(thp, sizeBytes, Math.Max(alignment, (int)LinuxMemory.HugePageSizeBytes), new MappingBacking(thp, hugeLength, null), account, sizeBytes, HugePageBacking.TransparentAdvised);
            }

            int madviseErrno = Marshal.GetLastPInvokeError();
            if (policy == HugePagePolicy.Required)
            {
                LinuxMemory.Unmap(thp, hugeLength);
                MemoryThrowHelper.ThrowHugePagesUnavailable(hugeTlbErrno, madviseErrno);
            }

            return new MemoryRegion(thp, sizeBytes, Math.Max(alignment, LinuxMemory.PageSize), new MappingBacking(thp, hugeLength, null), account, sizeBytes, HugePageBacking.None);
        }

        nuint length = (nuint)LinuxMemory.RoundUp(sizeBytes, LinuxMemory.PageSize);
        nint address = LinuxMemory.TryMapAnonymous(length, (nuint)alignment, 0, out int errno);
        if (address == 0)
        {
            MemoryThrowHelper.ThrowForErrno("mmap of an anonymous region", errno);
        }

        return new MemoryRegion(address, sizeBytes, Math.Max(alignment, LinuxMemory.PageSize), new MappingBacking(address, length, null), account, sizeBytes, HugePageBacking.None);
    }

    private static MemoryRegion AllocatePortable(long sizeBytes, int alignment, bool zeroFill, MemoryAccount account)
    {
        void* memory = NativeMemory.AlignedAlloc((nuint)sizeBytes, (nuint)alignment);
        if (zeroFill)
        {
            NativeMemory.Clear(memory, (nuint)sizeBytes);
        }

        return new MemoryRegion((nint)memory, sizeBytes, alignment, AlignedAllocBacking.Instance, account, sizeBytes, HugePageBacking.None);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowForBadAccess(long offset, long length)
    {
        if (IsDisposed)
        {
            MemoryThrowHelper.ThrowObjectDisposed(this);
        }

        MemoryThrowHelper.ThrowRangeOutOfBounds(nameof(offset), offset, length, _length);
    }

    private void Free()
    {
        // The exchange makes exactly one caller (dispose on any thread, or the finalizer) the one that frees.
        nint address = Interlocked.Exchange(ref _address, 0);
        if (address != 0)
        {
            _backing.Free(address);
            _account.Release(_chargedBytes);
        }
    }
}
