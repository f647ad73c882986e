using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>
/// The TCP connections' pipe buffers: fixed 4 KiB blocks carved from pinned 256 KiB slabs, handed out and taken back
/// through a free list, so that the steady state allocates nothing. The shared <see cref="ArrayPool{T}"/> keeps only a
/// few arrays per size, and with a thousand connections each holding a read buffer (rented on one thread, returned on
/// another) it ran dry and allocated a 16 KiB array every few requests (measured: about 2.4 KB per request, a gen0
/// collection every second and gen1/gen2 collections of tens of milliseconds). Blocks are never freed: the pool
/// holds the peak number of blocks in use (a connection holds one while it waits for a read; more only while a large
/// value or a pipelined burst is in flight).
/// </summary>
internal sealed class BlockPool : MemoryPool<byte>
{
    /// <summary>The size of every block.</summary>
    public const int BlockSize = 4096;

    private const int BlocksPerSlab = 64;

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

    private sealed class Block(BlockPool pool, byte[] slab, int offset) : MemoryManager<byte>
    {
        public bool Rented;

        public override Span<byte> GetSpan() => slab.AsSpan(offset, BlockSize);

        public override Memory<byte> Memory => CreateMemory(BlockSize);

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            // The slab is on the pinned object heap: its address never changes.
            return new MemoryHandle(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(slab), offset + elementIndex)));
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing) => pool.Return(this);
    }
}
