using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using EdgeOS.Core.Memory;

namespace EdgeOS.Samples.Memcached.Storage;

/// <summary>Why an allocation failed.</summary>
internal enum AllocStatus
{
    Ok,
    TooLarge,
    NoMemory,
}

/// <summary>
/// One tenant's cache: a hash table, slab classes with their LRUs and the items themselves, all inside one fixed
/// area (see <see cref="StoreLayout"/>). The store owns no managed memory per item: a handle is an offset.
/// </summary>
/// <remarks>
/// Single-threaded, as a featherweight process is: the caller serializes access (today a lock per tenant). Time is
/// memcached's "relative time": seconds since <see cref="StoreHeader.ProcessStarted"/>, which, as in memcached, is
/// set 62 seconds before the store was created so that relative times 0 and 1 keep their special meanings.
/// This file has the primitives (lookup, allocation, link, LRU); <c>ItemStore.Commands.cs</c> has memcached's
/// command semantics built on them, shared by the text, meta and binary protocols.
/// </remarks>
internal sealed partial class ItemStore
{
    /// <summary>Largest relative expiration; larger values are absolute Unix times (30 days).</summary>
    public const long RealtimeMaxDelta = 60 * 60 * 24 * 30;

    /// <summary>memcached's ITEM_UPDATE_INTERVAL: how stale an item's access time may get before a hit refreshes it.</summary>
    public const uint ItemUpdateIntervalSeconds = 60;

    private const int LruTailSearch = 5;

    private readonly StoreClock _clock;
    private CowStoreMemory _mem;

    /// <summary>
    /// A store object over a formatted area (see <see cref="Format"/>); it holds no cache state of its own, only the
    /// clock and the view it is bound to (<see cref="Bind"/>), so the area can be an FWP's copy-on-write view.
    /// </summary>
    public ItemStore(StoreClock clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
    }

    /// <summary>
    /// Points the store at <paramref name="view"/>, a view of a formatted area. The FWP handler binds its instance's
    /// view on every message (a field write): the store never touches memory outside the view it was given.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Bind(CowView view) => _mem = new CowStoreMemory(view);

    /// <summary>Whether a view is bound.</summary>
    public bool IsBound => _mem.IsBound;

    /// <summary>
    /// Formats a fresh, zero-filled area (a template's state region): header, settings and slab classes. The hash
    /// table and the pages stay zero, which is what an empty store is, so a copy-on-write view of the area shares
    /// all of them until it writes.
    /// </summary>
    public static void Format(PointerStoreMemory memory, long unixSecondsNow, long maxBytes, long itemSizeMax)
    {
        long pageSize = PageSizeFor(itemSizeMax);
        int pages = PageCountFor(maxBytes, pageSize);
        int buckets = BucketsFor(maxBytes);
        long pagesOffset = PagesOffsetFor(buckets);
        long required = pagesOffset + (pages * pageSize);
        if (memory.LengthBytes < required)
        {
            throw new ArgumentException($"the area has {memory.LengthBytes} bytes; {required} are needed for -m {maxBytes} and -I {itemSizeMax}", nameof(memory));
        }

        ref StoreHeader h = ref memory.Write<StoreHeader>(StoreLayout.HeaderOffset);
        h = default;
        h.AreaBytes = memory.LengthBytes;
        h.MaxBytes = maxBytes;
        h.ItemSizeMax = itemSizeMax;
        h.PageSizeBytes = pageSize;
        h.PagesOffset = pagesOffset;
        h.PageCount = pages;
        h.HashBuckets = buckets;
        h.HashSeed = (uint)Random.Shared.Next();
        h.ProcessStarted = unixSecondsNow - ItemUpdateIntervalSeconds - 2;
        InitClasses(memory, ref h, pageSize);
        h.Magic = StoreLayout.Magic;
    }

    /// <summary>The area a store with these limits needs (header, classes, hash table, pages).</summary>
    public static long RequiredAreaBytes(long maxBytes, long itemSizeMax)
    {
        long pageSize = PageSizeFor(itemSizeMax);
        return PagesOffsetFor(BucketsFor(maxBytes)) + (PageCountFor(maxBytes, pageSize) * pageSize);
    }

    private static long PageSizeFor(long itemSizeMax) => Math.Max(64 * 1024, AlignUp(itemSizeMax, StoreLayout.ChunkBytes));

    private static int PageCountFor(long maxBytes, long pageSize) => (int)Math.Max(1, maxBytes / pageSize);

    private static int BucketsFor(long maxBytes)
    {
        long wanted = Math.Clamp(maxBytes / 256, 4096, 1 << 26);
        return (int)BitOperations.RoundUpToPowerOf2((ulong)wanted);
    }

    private static long PagesOffsetFor(int buckets) => AlignUp(StoreLayout.HashOffset + (buckets * 4L), StoreLayout.ChunkBytes);

    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;

    private static void InitClasses(PointerStoreMemory memory, ref StoreHeader h, long pageSize)
    {
        int count = 0;
        long size = StoreLayout.SmallestChunkBytes;
        while (true)
        {
            bool last = size >= pageSize || count == StoreLayout.ClassesMax - 2;
            if (last)
            {
                size = pageSize;
            }

            ref SlabClass c = ref memory.Write<SlabClass>(StoreLayout.ClassTableOffset + ((long)count * StoreLayout.ClassEntryBytes));
            c = default;
            c.ChunkBytes = (uint)size;
            if (size <= StoreLayout.SmallChunkBytesMax)
            {
                c.PerUnit = (uint)(StoreLayout.ChunkBytes / size);
                c.ChunksPerPage = (uint)(pageSize / StoreLayout.ChunkBytes) * c.PerUnit;
            }
            else
            {
                c.ChunksPerPage = (uint)(pageSize / size);
            }

            count++;
            if (last)
            {
                break;
            }

            long next = AlignUp((long)(size * 1.25), 8);
            if (next > StoreLayout.SmallChunkBytesMax)
            {
                next = AlignUp(next, StoreLayout.ChunkBytes);
            }

            size = next;
        }

        h.ClassCount = count;
    }

    // ---- accessors ------------------------------------------------------------------------------------------

    private ref StoreHeader HeaderW => ref _mem.Write<StoreHeader>(StoreLayout.HeaderOffset);

    internal ref readonly StoreHeader Header => ref _mem.Read<StoreHeader>(StoreLayout.HeaderOffset);

    internal ref StoreStats StatsW => ref HeaderW.Stats;

    internal ref readonly StoreStats Stats => ref Header.Stats;

    internal ref SlabClass ClassW(int id) => ref _mem.Write<SlabClass>(StoreLayout.ClassTableOffset + ((long)(id - 1) * StoreLayout.ClassEntryBytes));

    internal ref readonly SlabClass Class(int id) => ref _mem.Read<SlabClass>(StoreLayout.ClassTableOffset + ((long)(id - 1) * StoreLayout.ClassEntryBytes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref ItemHeader ItemW(uint handle) => ref _mem.Write<ItemHeader>((long)handle << 3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref readonly ItemHeader Item(uint handle) => ref _mem.Read<ItemHeader>((long)handle << 3);

    private long BucketOffset(uint hash) => StoreLayout.HashOffset + ((hash & (uint)(Header.HashBuckets - 1)) * 4L);

    /// <summary>memcached's current_time: seconds since the store's process start.</summary>
    public uint CurrentTime => (uint)Math.Clamp(_clock.UnixSeconds - Header.ProcessStarted, 2, uint.MaxValue);

    /// <summary>Unix seconds of relative time 0.</summary>
    public long ProcessStarted => Header.ProcessStarted;

    public long MaxBytes => Header.MaxBytes;

    public long ItemSizeMax => Header.ItemSizeMax;

    public int ClassCount => Header.ClassCount;

    /// <summary>
    /// memcached's realtime(): 0 stays 0 (never), up to 30 days is relative to now, larger is an absolute Unix time
    /// (at or before the process start becomes 1, already expired). Negative values are first turned into
    /// 30 days + 1 (absolute, long past), so they expire immediately.
    /// </summary>
    public uint RealTime(long exptime)
    {
        if (exptime < 0)
        {
            exptime = RealtimeMaxDelta + 1;
        }

        if (exptime == 0)
        {
            return 0;
        }

        if (exptime > RealtimeMaxDelta)
        {
            long started = Header.ProcessStarted;
            return exptime <= started ? 1u : (uint)Math.Min(exptime - started, uint.MaxValue);
        }

        return (uint)Math.Min(exptime + CurrentTime, uint.MaxValue);
    }

    // ---- keys and values ------------------------------------------------------------------------------------

    /// <summary>A 32-bit hash of a key, seeded per store (murmur3 finalizer over 8-byte words).</summary>
    public uint Hash(ReadOnlySpan<byte> key)
    {
        ulong h = Header.HashSeed ^ ((ulong)key.Length * 0x9E3779B97F4A7C15UL);
        int i = 0;
        for (; i + 8 <= key.Length; i += 8)
        {
            h = (h ^ Mix(Unsafe.ReadUnaligned<ulong>(ref Unsafe.AsRef(in key[i])))) * 0x9E3779B97F4A7C15UL;
        }

        ulong tail = 0;
        for (int shift = 0; i < key.Length; i++, shift += 8)
        {
            tail |= (ulong)key[i] << shift;
        }

        h = Mix(h ^ Mix(tail ^ 0x5851F42D4C957F2DUL));
        return (uint)(h ^ (h >> 32));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        x ^= x >> 33;
        return x;
    }

    public ReadOnlySpan<byte> Key(uint handle) => _mem.ReadSpan(((long)handle << 3) + StoreLayout.ItemHeaderBytes, Item(handle).KeyBytes);

    private long ValueOffset(uint handle) => ((long)handle << 3) + StoreLayout.ItemHeaderBytes + Item(handle).KeyBytes;

    /// <summary>Writes <paramref name="source"/> into the value at <paramref name="at"/>, in chunk-confined pieces.</summary>
    public void WriteValue(uint handle, int at, ReadOnlySpan<byte> source)
    {
        long offset = ValueOffset(handle) + at;
        while (!source.IsEmpty)
        {
            int piece = (int)Math.Min(source.Length, StoreLayout.ChunkBytes - (offset % StoreLayout.ChunkBytes));
            source[..piece].CopyTo(_mem.WriteSpan(offset, piece));
            source = source[piece..];
            offset += piece;
        }
    }

    /// <summary>Copies value bytes starting at <paramref name="at"/> into <paramref name="destination"/>.</summary>
    public void ReadValue(uint handle, int at, Span<byte> destination)
    {
        long offset = ValueOffset(handle) + at;
        while (!destination.IsEmpty)
        {
            int piece = (int)Math.Min(destination.Length, StoreLayout.ChunkBytes - (offset % StoreLayout.ChunkBytes));
            _mem.ReadSpan(offset, piece).CopyTo(destination);
            destination = destination[piece..];
            offset += piece;
        }
    }

    /// <summary>Appends the whole value to <paramref name="output"/>.</summary>
    public void CopyValueTo(uint handle, IBufferWriter<byte> output)
    {
        long offset = ValueOffset(handle);
        int remaining = (int)Item(handle).ValueBytes;
        while (remaining > 0)
        {
            int piece = (int)Math.Min(remaining, StoreLayout.ChunkBytes - (offset % StoreLayout.ChunkBytes));
            Span<byte> dest = output.GetSpan(piece);
            _mem.ReadSpan(offset, piece).CopyTo(dest);
            output.Advance(piece);
            remaining -= piece;
            offset += piece;
        }
    }

    /// <summary>The value as one span when it lies in one chunk (small values), else empty with false.</summary>
    public bool TryGetValueSpan(uint handle, out ReadOnlySpan<byte> value)
    {
        long offset = ValueOffset(handle);
        int length = (int)Item(handle).ValueBytes;
        if (length == 0 || offset / StoreLayout.ChunkBytes == (offset + length - 1) / StoreLayout.ChunkBytes)
        {
            value = _mem.ReadSpan(offset, length);
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>memcached's ITEM_ntotal for this item (what "bytes", "size" and "mem_requested" report).</summary>
    public static long MemcachedTotalBytes(int keyBytes, uint clientFlags, long valueBytes) =>
        48 + 8 + keyBytes + 1 + (clientFlags == 0 ? 0 : 4) + valueBytes + 2;

    public long MemcachedTotalBytes(uint handle)
    {
        ref readonly ItemHeader it = ref Item(handle);
        return MemcachedTotalBytes(it.KeyBytes, it.ClientFlags, it.ValueBytes);
    }

    /// <summary>Whether an item that size could ever be stored (memcached's item_size_ok).</summary>
    public bool ItemSizeOk(int keyBytes, uint clientFlags, long valueBytes) =>
        MemcachedTotalBytes(keyBytes, clientFlags, valueBytes) <= Header.ItemSizeMax;

    // ---- lookup -----------------------------------------------------------------------------------------------

    /// <summary>The linked item with this key, dead or alive, or 0.</summary>
    public uint Find(ReadOnlySpan<byte> key, uint hash)
    {
        uint h = _mem.Read<uint>(BucketOffset(hash));
        while (h != 0)
        {
            ref readonly ItemHeader it = ref Item(h);
            if (it.Hash == hash && it.KeyBytes == key.Length && Key(h).SequenceEqual(key))
            {
                return h;
            }

            h = it.HashNext;
        }

        return 0;
    }

    /// <summary>Whether flush_all has invalidated the item (memcached's item_is_flushed).</summary>
    public bool IsFlushed(in ItemHeader it)
    {
        uint oldestLive = Header.OldestLive;
        if (oldestLive == 0 || oldestLive > CurrentTime)
        {
            return false;
        }

        ulong oldestCas = Header.OldestCas;
        return it.Time <= oldestLive || (oldestCas != 0 && it.Cas != 0 && it.Cas < oldestCas);
    }

    public bool IsExpired(in ItemHeader it) => it.ExpTime != 0 && it.ExpTime <= CurrentTime;

    /// <summary>
    /// memcached's do_item_get: the live item or 0. A flushed or expired item found on the way is unlinked and
    /// counted. With <paramref name="update"/> a hit is marked fetched and moved to the head of its LRU.
    /// </summary>
    public uint Get(ReadOnlySpan<byte> key, uint hash, bool update)
    {
        uint h = Find(key, hash);
        if (h == 0)
        {
            return 0;
        }

        ref readonly ItemHeader it = ref Item(h);
        if (IsFlushed(it))
        {
            StatsW.GetFlushed++;
            Unlink(h);
            return 0;
        }

        if (IsExpired(it))
        {
            StatsW.GetExpired++;
            Unlink(h);
            return 0;
        }

        if (update)
        {
            Bump(h);
        }

        return h;
    }

    /// <summary>Marks the item fetched, refreshes its access time when stale and moves it to the LRU head.</summary>
    public void Bump(uint handle)
    {
        ref ItemHeader it = ref ItemW(handle);
        it.Flags |= ItemFlags.Fetched;
        uint now = CurrentTime;
        if (it.Time < now - ItemUpdateIntervalSeconds)
        {
            it.Time = now;
        }

        LruRemove(handle);
        LruPushHead(handle);
    }

    // ---- allocation -----------------------------------------------------------------------------------------

    /// <summary>
    /// Allocates an unlinked item (memcached's do_item_alloc), evicting or reclaiming from the tail of its class's
    /// LRU when the class has no free chunk and no page is left. The value is uninitialized.
    /// </summary>
    public AllocStatus Allocate(ReadOnlySpan<byte> key, uint clientFlags, uint exptime, int valueBytes, out uint handle)
    {
        handle = 0;
        if (!ItemSizeOk(key.Length, clientFlags, valueBytes))
        {
            return AllocStatus.TooLarge;
        }

        long need = StoreLayout.ItemHeaderBytes + key.Length + (long)valueBytes;
        int id = ClassFor(need);
        if (id == 0)
        {
            return AllocStatus.TooLarge;
        }

        handle = AllocateChunk(id);
        if (handle == 0)
        {
            ClassW(id).OutOfMemory++;
            return AllocStatus.NoMemory;
        }

        ref ItemHeader it = ref ItemW(handle);
        it = default;
        it.ExpTime = exptime;
        it.Time = CurrentTime;
        it.ValueBytes = (uint)valueBytes;
        it.ClientFlags = clientFlags;
        it.KeyBytes = (byte)key.Length;
        it.ClassId = (byte)id;
        key.CopyTo(_mem.WriteSpan(((long)handle << 3) + StoreLayout.ItemHeaderBytes, key.Length));
        return AllocStatus.Ok;
    }

    private int ClassFor(long bytes)
    {
        int count = Header.ClassCount;
        for (int id = 1; id <= count; id++)
        {
            if (Class(id).ChunkBytes >= bytes)
            {
                return id;
            }
        }

        return 0;
    }

    private uint AllocateChunk(int id)
    {
        ref SlabClass c = ref ClassW(id);
        if (c.FreeHead != 0)
        {
            uint h = c.FreeHead;
            c.FreeHead = Item(h).HashNext;
            c.FreeCount--;
            return h;
        }

        if (c.CurrentPageOffset != 0 && c.CurrentPageNext < c.ChunksPerPage)
        {
            return ChunkInPage(ref c, c.CurrentPageNext++);
        }

        ref StoreHeader hd = ref HeaderW;
        if (hd.PagesUsed < hd.PageCount)
        {
            c.CurrentPageOffset = hd.PagesOffset + (hd.PagesUsed * hd.PageSizeBytes);
            hd.PagesUsed++;
            c.TotalPages++;
            c.CurrentPageNext = 0;
            return ChunkInPage(ref c, c.CurrentPageNext++);
        }

        return ReclaimFromTail(id);
    }

    private static uint ChunkInPage(ref SlabClass c, uint index)
    {
        long offset = c.PerUnit != 0
            ? c.CurrentPageOffset + ((index / c.PerUnit) * (long)StoreLayout.ChunkBytes) + ((index % c.PerUnit) * (long)c.ChunkBytes)
            : c.CurrentPageOffset + (index * (long)c.ChunkBytes);
        return (uint)(offset >> 3);
    }

    // Looks at a few items from the LRU tail: a dead one is reclaimed; otherwise the tail is evicted.
    private uint ReclaimFromTail(int id)
    {
        uint tail = Class(id).LruTail;
        if (tail == 0)
        {
            return 0;
        }

        uint h = tail;
        for (int i = 0; i < LruTailSearch && h != 0; i++)
        {
            ref readonly ItemHeader it = ref Item(h);
            if (IsFlushed(it) || IsExpired(it))
            {
                ref StoreStats s = ref StatsW;
                s.Reclaimed++;
                ClassW(id).Reclaimed++;
                if ((it.Flags & ItemFlags.Fetched) == 0)
                {
                    s.ExpiredUnfetched++;
                }

                Unlink(h);
                return TakeFree(id);
            }

            h = it.LruPrev;
        }

        ref readonly ItemHeader victim = ref Item(tail);
        ref StoreStats st = ref StatsW;
        st.Evictions++;
        if ((victim.Flags & ItemFlags.Fetched) == 0)
        {
            st.EvictedUnfetched++;
        }

        ref SlabClass cls = ref ClassW(id);
        cls.Evicted++;
        if (victim.ExpTime != 0)
        {
            cls.EvictedNonzero++;
        }

        Unlink(tail);
        return TakeFree(id);
    }

    private uint TakeFree(int id)
    {
        ref SlabClass c = ref ClassW(id);
        uint h = c.FreeHead;
        c.FreeHead = Item(h).HashNext;
        c.FreeCount--;
        return h;
    }

    /// <summary>Returns an item that was allocated but never linked (a failed or abandoned store).</summary>
    public void FreeUnlinked(uint handle)
    {
        ref ItemHeader it = ref ItemW(handle);
        System.Diagnostics.Debug.Assert((it.Flags & (ItemFlags.Linked | ItemFlags.Free)) == 0, "freeing a linked or free item");
        ref SlabClass c = ref ClassW(it.ClassId);
        it.Flags = ItemFlags.Free;
        it.HashNext = c.FreeHead;
        c.FreeHead = handle;
        c.FreeCount++;
    }

    // ---- linking ----------------------------------------------------------------------------------------------

    /// <summary>memcached's do_item_link: gives the item a new CAS and puts it in the hash table and its LRU.</summary>
    public void Link(uint handle, uint hash)
    {
        ref ItemHeader it = ref ItemW(handle);
        it.Flags |= ItemFlags.Linked;
        it.Time = CurrentTime;
        it.Hash = hash;
        it.Cas = NextCas();
        long bucket = BucketOffset(hash);
        it.HashNext = _mem.Read<uint>(bucket);
        _mem.Write<uint>(bucket) = handle;
        LruPushHead(handle);

        long total = MemcachedTotalBytes(handle);
        ref StoreStats s = ref StatsW;
        s.CurrItems++;
        s.TotalItems++;
        s.CurrBytes += (ulong)total;
        ref SlabClass c = ref ClassW(it.ClassId);
        c.Items++;
        c.RequestedBytes += (ulong)total;
    }

    /// <summary>memcached's get_cas_id.</summary>
    public ulong NextCas() => ++HeaderW.CasCounter;

    /// <summary>Removes a linked item from the hash table and its LRU and frees its chunk.</summary>
    public void Unlink(uint handle)
    {
        ref ItemHeader it = ref ItemW(handle);
        System.Diagnostics.Debug.Assert((it.Flags & ItemFlags.Linked) != 0, "unlinking an unlinked item");
        long bucket = BucketOffset(it.Hash);
        uint h = _mem.Read<uint>(bucket);
        if (h == handle)
        {
            _mem.Write<uint>(bucket) = it.HashNext;
        }
        else
        {
            while (h != 0)
            {
                uint next = Item(h).HashNext;
                if (next == handle)
                {
                    ItemW(h).HashNext = it.HashNext;
                    break;
                }

                h = next;
            }
        }

        LruRemove(handle);
        long total = MemcachedTotalBytes(handle);
        ref StoreStats s = ref StatsW;
        s.CurrItems--;
        s.CurrBytes -= (ulong)total;
        ref SlabClass c = ref ClassW(it.ClassId);
        c.Items--;
        c.RequestedBytes -= (ulong)total;
        it.Flags &= ~ItemFlags.Linked;
        FreeUnlinked(handle);
    }

    /// <summary>memcached's item_replace: the old item goes, the new one is linked in its place.</summary>
    public void Replace(uint oldHandle, uint newHandle, uint hash)
    {
        Unlink(oldHandle);
        Link(newHandle, hash);
    }

    private void LruPushHead(uint handle)
    {
        ref ItemHeader it = ref ItemW(handle);
        ref SlabClass c = ref ClassW(it.ClassId);
        it.LruPrev = 0;
        it.LruNext = c.LruHead;
        if (c.LruHead != 0)
        {
            ItemW(c.LruHead).LruPrev = handle;
        }

        c.LruHead = handle;
        if (c.LruTail == 0)
        {
            c.LruTail = handle;
        }
    }

    private void LruRemove(uint handle)
    {
        ref ItemHeader it = ref ItemW(handle);
        ref SlabClass c = ref ClassW(it.ClassId);
        if (it.LruPrev != 0)
        {
            ItemW(it.LruPrev).LruNext = it.LruNext;
        }
        else
        {
            c.LruHead = it.LruNext;
        }

        if (it.LruNext != 0)
        {
            ItemW(it.LruNext).LruPrev = it.LruPrev;
        }
        else
        {
            c.LruTail = it.LruPrev;
        }

        it.LruPrev = 0;
        it.LruNext = 0;
    }

    /// <summary>Checks the structure (tests): chains, LRUs and counters agree.</summary>
    internal void CheckInvariants()
    {
        ulong linked = 0;
        for (int b = 0; b < Header.HashBuckets; b++)
        {
            for (uint h = _mem.Read<uint>(StoreLayout.HashOffset + (b * 4L)); h != 0; h = Item(h).HashNext)
            {
                if ((Item(h).Flags & ItemFlags.Linked) == 0)
                {
                    throw new InvalidOperationException($"item {h} in a hash chain is not linked");
                }

                linked++;
            }
        }

        ulong inLru = 0;
        for (int id = 1; id <= Header.ClassCount; id++)
        {
            uint prev = 0;
            for (uint h = Class(id).LruHead; h != 0; h = Item(h).LruNext)
            {
                if (Item(h).LruPrev != prev)
                {
                    throw new InvalidOperationException($"LRU of class {id} is broken at {h}");
                }

                prev = h;
                inLru++;
            }

            if (Class(id).LruTail != prev)
            {
                throw new InvalidOperationException($"LRU tail of class {id} is wrong");
            }
        }

        if (linked != Stats.CurrItems || inLru != linked)
        {
            throw new InvalidOperationException($"curr_items {Stats.CurrItems}, hashed {linked}, in LRUs {inLru}");
        }
    }
}
