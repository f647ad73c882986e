using System.Buffers;
using System.Runtime.InteropServices;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>
/// The TCP connections' pipe buffers: fixed 16 KiB blocks carved from pinned 256 KiB slabs, handed out and taken back
/// through a free list, so that the steady state allocates nothing. The shared <see cref="ArrayPool{T}"/> keeps only a
/// few arrays per size; with a thousand connections each holding a read buffer (rented on one thread, returned on
/// another) it ran dry and allocated a 16 KiB array every few requests (measured: about 2.4 KB per request, a gen0
/// collection every second and gen1/gen2 collections of tens of milliseconds). A block is one socket read: 16 KiB
/// keeps bulk input (thousands of pipelined sets) at few round trips to the tenant's FWP. Blocks are never freed: the
/// pool holds the peak number of blocks in use (a connection holds one while it waits for a read; more only while a
/// large value or a pipelined burst is in flight).
/// </summary>
internal sealed class BlockPool : MemoryPool<byte>
{
    /// <summary>The size of every block.</summary>
    public const int BlockSize = 16384;

    private const int BlocksPerSlab = 16;

    private readonly Lock _gate = new();
    private Block[] _free = new Block[256];
    private int _count;

    /// <summary>The pool every connection of the host shares.</summary>
    public static BlockPool Host { get; } = new();

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"a block holds at most {BlockSize} bytes");
        }

        lock (_gate)
        {
            if (_count == 0)
            {
                AddSlab();
            }

            Block block = _free[--_count];
            _free[_count] = null!;
            block.Rented = true;
            return block;
        }
    }

    private void Return(Block block)
    {
        lock (_gate)
        {
            if (!block.Rented)
            {
                return; // A second Dispose of the same owner: the block is already free.
            }

            block.Rented = false;
            if (_count == _free.Length)
            {
                Array.Resize(ref _free, _free.Length * 2);
            }

            _free[_count++] = block;
        }
    }

    private void AddSlab()
    {
        // Pinned (the pinned object heap): the socket reads and writes straight into the blocks, and the collector
        // neither moves nor compacts them.
        byte[] slab = GC.AllocateUninitializedArray<byte>(BlockSize * BlocksPerSlab, pinned: true);
        if (_free.Length < _count + BlocksPerSlab)
        {
            Array.Resize(ref _free, Math.Max(_free.Length * 2, _count + BlocksPerSlab));
        }

        for (int i = 0; i < BlocksPerSlab; i++)
        {
            _free[_count++] = new Block(this, slab, i * BlockSize);
        }
    }

    protected override void Dispose(bool disposing)
    {
        // Shared for the process's life: the slabs go with it.
    }

    // An array-backed Memory over the pinned slab (not a MemoryManager): the parser and the response writer take
    // .Span of it all the time, and an array-backed Memory gives that without a virtual call.
    private sealed class Block(BlockPool pool, byte[] slab, int offset) : IMemoryOwner<byte>
    {
        public bool Rented;

        public Memory<byte> Memory { get; } = MemoryMarshal.CreateFromPinnedArray(slab, offset, BlockSize);

        public void Dispose() => pool.Return(this);
    }
}
