using System.Runtime.InteropServices;

namespace EdgeOS.Core.Memory.Internal;

/// <summary>
/// A bounded free list of equally sized native blocks (copy-on-write chunks, or index leaves), shared by the views
/// of one image so that a first write after a reset does not go to the native allocator.
/// </summary>
/// <remarks>
/// A plain lock, not a lock-free stack: a Treiber stack threaded through the blocks would suffer ABA between views
/// on different threads, and the lock is uncontended in the common case (tens of nanoseconds against the
/// microsecond budget of a first write). Blocks beyond the bound are freed at once. Free blocks are the image's
/// cache and are not charged to any account; the bound keeps them small.
/// </remarks>
internal sealed unsafe class NativeBlockPool
{
    private const nuint BlockAlignmentBytes = 64;

    private readonly Lock _lock = new();
    private readonly nint[] _blocks;
    private readonly nuint _blockBytes;
    private readonly bool _zeroed;
    private int _count;
    private bool _closed;

    /// <param name="blockBytes">The size of every block.</param>
    /// <param name="capacity">The most free blocks kept.</param>
    /// <param name="zeroed">Whether new blocks start zeroed (returned blocks must then be returned zeroed).</param>
    internal NativeBlockPool(int blockBytes, int capacity, bool zeroed)
    {
        _blockBytes = (nuint)blockBytes;
        _blocks = new nint[capacity];
        _zeroed = zeroed;
    }

    internal int Count => Volatile.Read(ref _count);

    internal int BlockBytes => (int)_blockBytes;

    internal byte* Rent()
    {
        lock (_lock)
        {
            if (_count > 0)
            {
                return (byte*)_blocks[--_count];
            }
        }

        void* block = NativeMemory.AlignedAlloc(_blockBytes, BlockAlignmentBytes);
        if (_zeroed)
        {
            NativeMemory.Clear(block, _blockBytes);
        }

        return (byte*)block;
    }

    internal void Return(byte* block)
    {
        lock (_lock)
        {
            if (!_closed && _count < _blocks.Length)
            {
                _blocks[_count++] = (nint)block;
                return;
            }
        }

        NativeMemory.AlignedFree(block);
    }

    /// <summary>Frees every pooled block; blocks returned later are freed at once.</summary>
    internal void Close()
    {
        lock (_lock)
        {
            _closed = true;
            for (int i = 0; i < _count; i++)
            {
                NativeMemory.AlignedFree((void*)_blocks[i]);
                _blocks[i] = 0;
            }

            _count = 0;
        }
    }
}
