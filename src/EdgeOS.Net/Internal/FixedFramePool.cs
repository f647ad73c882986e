using EdgeOS.Core.Memory;

namespace EdgeOS.Net.Internal;

/// <summary>
/// Fixed-size frame buffers in one <see cref="MemoryRegion"/> with a stack of free slots (lowest slot first on a
/// fresh pool, so tests are deterministic). Not thread-safe: the owning port serializes access.
/// </summary>
internal sealed unsafe class FixedFramePool : IDisposable
{
    private readonly MemoryRegion _region;
    private readonly byte* _base;
    private readonly int _frameSizeBytes;
    private readonly int _headroomBytes;
    private readonly int[] _free;
    private int _freeCount;

    public FixedFramePool(int frameCount, int frameSizeBytes, int headroomBytes, MemoryAccount? account)
    {
        _frameSizeBytes = frameSizeBytes;
        _headroomBytes = headroomBytes;
        _region = MemoryRegion.Allocate((long)frameCount * frameSizeBytes, new MemoryRegionOptions { Account = account, AlignmentBytes = 64 });
        _base = _region.DangerousPointer;
        _free = new int[frameCount];
        for (int i = 0; i < frameCount; i++)
        {
            _free[i] = frameCount - 1 - i;
        }

        _freeCount = frameCount;
    }

    public int FreeCount => _freeCount;

    /// <summary>The start of slot 0's buffer (before headroom); slot i's is <c>i * <see cref="FrameSizeBytes"/></c> further.</summary>
    public byte* BaseAddress => _base;

    /// <summary>The distance between two slots' buffers, headroom included.</summary>
    public int FrameSizeBytes => _frameSizeBytes;

    /// <summary>The bytes before each slot's data.</summary>
    public int HeadroomBytes => _headroomBytes;

    public int CapacityBytes => _frameSizeBytes - _headroomBytes;

    public bool TryTake(out int slot)
    {
        if (_freeCount == 0)
        {
            slot = -1;
            return false;
        }

        slot = _free[--_freeCount];
        return true;
    }

    /// <summary>
    /// Takes the <paramref name="count"/> slots on top of the free stack (at most <see cref="FreeCount"/>) at once:
    /// the span's order is the reverse of the order <see cref="TryTake"/> would give them in.
    /// </summary>
    public ReadOnlySpan<int> TakeTop(int count)
    {
        _freeCount -= count;
        return new ReadOnlySpan<int>(_free, _freeCount, count);
    }

    public void Return(int slot) => _free[_freeCount++] = slot;

    public nint Address(int slot) => (nint)(_base + ((long)slot * _frameSizeBytes) + _headroomBytes);

    public Span<byte> Buffer(int slot) => new((void*)Address(slot), CapacityBytes);

    public void Dispose() => _region.Dispose();
}
