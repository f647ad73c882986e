using System.Runtime.InteropServices;

namespace EdgeOS.Samples.Memcached.Storage;

/// <summary>
/// The layout of a tenant's store area, described once. Everything a tenant stores lives here (no managed object
/// per item), so the whole state of a tenant is one region that can later be a featherweight process's
/// copy-on-write view.
/// <code>
///  offset 0              4096                 20480                 20480 + hash bytes (4 KiB aligned)
///  +--------------------+--------------------+---------------------+--------------------------------------+
///  | StoreHeader        | SlabClass[64]      | hash buckets        | slab pages (PageSizeBytes each)      |
///  | settings, clock,   | 256 B each,        | uint32 item handle  | a page belongs to one class and is   |
///  | CAS, flush, stats  | 16 per 4 KiB       | per bucket,         | cut into chunks; one item per chunk  |
///  +--------------------+--------------------+---------------------+--------------------------------------+
/// </code>
/// Chunk rule (for 4 KiB copy-on-write chunks): the header, every class entry and every bucket lie inside one
/// 4 KiB chunk. Slab chunks of at most 2048 bytes are packed per 4 KiB unit (none straddles); larger chunks are
/// whole multiples of 4 KiB and start on a 4 KiB boundary, so an item's header and key (at most 48 + 250 bytes)
/// always share its first chunk. Only values may span chunks, and values are copied in chunk-confined pieces.
/// An item is addressed by a handle: its offset divided by 8 (items are 8-byte aligned), 0 meaning none.
/// </summary>
internal static class StoreLayout
{
    public const int ChunkBytes = 4096;
    public const long HeaderOffset = 0;
    public const long ClassTableOffset = 4096;
    public const int ClassEntryBytes = 256;
    public const int ClassesMax = 64;
    public const long HashOffset = ClassTableOffset + (ClassesMax * ClassEntryBytes);
    public const int ItemHeaderBytes = 48;
    public const int KeyBytesMax = 250;
    public const int SmallChunkBytesMax = 2048;
    public const int SmallestChunkBytes = 96;
    public const ulong Magic = 0x4D43_5354_4F52_4531; // "MCSTORE1"
}

/// <summary>Item bits in <see cref="ItemHeader.Flags"/>.</summary>
[Flags]
internal enum ItemFlags : ushort
{
    None = 0,
    Linked = 1,
    Fetched = 2,
    Stale = 4,
    TokenSent = 8,
    KeyBinary = 16,
    Free = 32,
}

/// <summary>The 48-byte header at the start of every item, followed by the key and the value.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
internal struct ItemHeader
{
    public uint HashNext;     // next item in the bucket chain; next free chunk when Free
    public uint LruPrev;
    public uint LruNext;
    public uint ExpTime;      // memcached relative time; 0 = never
    public uint Time;         // last update/access, relative time
    public uint ValueBytes;   // without the \r\n
    public ulong Cas;
    public uint ClientFlags;
    public byte KeyBytes;
    public byte ClassId;
    public ItemFlags Flags;
    public uint Hash;
    public uint Reserved;
}

/// <summary>One slab class: its chunk geometry, free list, LRU and per-class counters (at most 256 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
internal struct SlabClass
{
    public uint ChunkBytes;
    public uint PerUnit;        // chunks per 4 KiB unit, 0 for chunks larger than a unit
    public uint ChunksPerPage;
    public uint TotalPages;
    public uint FreeHead;
    public uint FreeCount;
    public uint LruHead;
    public uint LruTail;
    public long CurrentPageOffset;
    public uint CurrentPageNext; // next never-used chunk index in the current page
    public uint Items;
    public ulong RequestedBytes;
    public ulong Evicted;
    public ulong EvictedNonzero;
    public ulong OutOfMemory;
    public ulong Reclaimed;
    public ulong GetHits;
    public ulong CmdSet;
    public ulong DeleteHits;
    public ulong IncrHits;
    public ulong DecrHits;
    public ulong CasHits;
    public ulong CasBadval;
    public ulong TouchHits;
}

/// <summary>The store header at offset 0: settings fixed at creation, the clock origin, CAS and flush state, stats.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
internal struct StoreHeader
{
    public ulong Magic;
    public long AreaBytes;
    public long MaxBytes;
    public long ItemSizeMax;
    public long PageSizeBytes;
    public long PagesOffset;
    public int PageCount;
    public int PagesUsed;
    public int HashBuckets;
    public int ClassCount;
    public uint HashSeed;
    public uint Reserved;
    public long ProcessStarted;   // Unix seconds; relative time 0
    public ulong CasCounter;
    public uint OldestLive;       // relative time; 0 = no flush pending
    public uint Reserved2;
    public ulong OldestCas;
    public StoreStats Stats;
}

/// <summary>The tenant-wide counters memcached reports in "stats".</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
internal struct StoreStats
{
    public ulong CurrItems;
    public ulong TotalItems;
    public ulong CurrBytes;
    public ulong Evictions;
    public ulong Reclaimed;
    public ulong ExpiredUnfetched;
    public ulong EvictedUnfetched;
    public ulong GetHits;
    public ulong GetMisses;
    public ulong GetExpired;
    public ulong GetFlushed;
    public ulong CmdGet;
    public ulong CmdSet;
    public ulong CmdFlush;
    public ulong CmdTouch;
    public ulong TouchHits;
    public ulong TouchMisses;
    public ulong DeleteHits;
    public ulong DeleteMisses;
    public ulong IncrHits;
    public ulong IncrMisses;
    public ulong DecrHits;
    public ulong DecrMisses;
    public ulong CasHits;
    public ulong CasMisses;
    public ulong CasBadval;
    public ulong StoreTooLarge;
    public ulong StoreNoMemory;
    public ulong MetaCmds;
}
