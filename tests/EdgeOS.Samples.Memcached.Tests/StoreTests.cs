using System.Runtime.CompilerServices;
using System.Text;
using EdgeOS.Samples.Memcached.Storage;
using Xunit;

namespace EdgeOS.Samples.Memcached.Tests;

public sealed class StoreTests
{
    [Fact]
    public void LayoutStructuresFitTheirSlotsAndNoChunkStraddlesFourKilobytes()
    {
        Assert.True(Unsafe.SizeOf<StoreHeader>() <= StoreLayout.ChunkBytes);
        Assert.True(Unsafe.SizeOf<SlabClass>() <= StoreLayout.ClassEntryBytes);
        Assert.Equal(StoreLayout.ItemHeaderBytes, Unsafe.SizeOf<ItemHeader>());
        Assert.Equal(0, StoreLayout.HashOffset % StoreLayout.ChunkBytes);

        using StoreFixture f = new(maxBytes: 64L << 20, itemSizeMax: 1 << 20);
        for (int id = 1; id <= f.Store.ClassCount; id++)
        {
            SlabClass c = f.Store.Class(id);
            if (c.ChunkBytes <= StoreLayout.SmallChunkBytesMax)
            {
                Assert.True(c.PerUnit * c.ChunkBytes <= StoreLayout.ChunkBytes);
            }
            else
            {
                Assert.Equal(0u, c.ChunkBytes % StoreLayout.ChunkBytes);
            }
        }
    }

    private static uint Set(ItemStore store, string key, string value, uint flags = 0, uint exptime = 0, StoreMode mode = StoreMode.Set)
    {
        byte[] k = Encoding.Latin1.GetBytes(key);
        Assert.Equal(AllocStatus.Ok, store.Allocate(k, flags, exptime, value.Length, out uint item));
        store.WriteValue(item, 0, Encoding.Latin1.GetBytes(value));
        store.Store(item, mode, false, out ulong cas);
        return (uint)cas;
    }

    private static string? Get(ItemStore store, string key)
    {
        byte[] k = Encoding.Latin1.GetBytes(key);
        uint it = store.Get(k, store.Hash(k), update: true);
        if (it == 0)
        {
            return null;
        }

        byte[] value = new byte[store.Item(it).ValueBytes];
        store.ReadValue(it, 0, value);
        return Encoding.Latin1.GetString(value);
    }

    [Fact]
    public void RelativeAbsoluteAndNegativeExpiryFollowMemcachedWithTheInjectedClock()
    {
        using StoreFixture f = new();
        ItemStore s = f.Store;
        Set(s, "rel", "1", exptime: s.RealTime(10));
        Set(s, "abs", "2", exptime: s.RealTime(f.Clock.UnixSeconds + 20));
        Set(s, "past", "3", exptime: s.RealTime(f.Clock.UnixSeconds - 5));
        Set(s, "neg", "4", exptime: s.RealTime(-1));
        Set(s, "never", "5", exptime: s.RealTime(0));
        Assert.Null(Get(s, "past"));
        Assert.Null(Get(s, "neg"));
        Assert.Equal("1", Get(s, "rel"));
        f.Clock.Advance(10);
        Assert.Null(Get(s, "rel"));
        Assert.Equal("2", Get(s, "abs"));
        f.Clock.Advance(10);
        Assert.Null(Get(s, "abs"));
        f.Clock.Advance(100 * 24 * 3600);
        Assert.Equal("5", Get(s, "never"));
        Assert.Equal(1UL, s.Stats.CurrItems);
        s.CheckInvariants();
    }

    [Fact]
    public void DelayedFlushHidesOnlyItemsStoredBeforeItsTime()
    {
        using StoreFixture f = new();
        ItemStore s = f.Store;
        Set(s, "old", "1");
        s.FlushAll(5);
        Assert.Equal("1", Get(s, "old"));
        f.Clock.Advance(6);
        Set(s, "new", "2");
        Assert.Null(Get(s, "old"));
        Assert.Equal("2", Get(s, "new"));
        s.FlushAll(0);
        Assert.Null(Get(s, "new"));
        Set(s, "after", "3");
        Assert.Equal("3", Get(s, "after"));
    }

    [Fact]
    public void IncrWrapsDecrStopsAtZeroAndShorterResultsArePaddedInPlace()
    {
        using StoreFixture f = new();
        ItemStore s = f.Store;
        Set(s, "n", "18446744073709551615");
        ulong cas = 0;
        Assert.Equal(DeltaResult.Ok, s.AddDelta("n"u8, true, 2, ref cas, out ulong v, out _));
        Assert.Equal(1UL, v);
        Assert.Equal("1                   ", Get(s, "n"));
        cas = 0;
        Assert.Equal(DeltaResult.Ok, s.AddDelta("n"u8, false, 5, ref cas, out v, out _));
        Assert.Equal(0UL, v);
        Set(s, "m", "9");
        cas = 0;
        Assert.Equal(DeltaResult.Ok, s.AddDelta("m"u8, true, 1, ref cas, out v, out _));
        Assert.Equal("10", Get(s, "m"));
        Set(s, "text", "12a");
        cas = 0;
        Assert.Equal(DeltaResult.NonNumeric, s.AddDelta("text"u8, true, 1, ref cas, out _, out _));
        Assert.Equal("12a", Get(s, "text"));
        cas = 12345;
        Assert.Equal(DeltaResult.CasMismatch, s.AddDelta("m"u8, true, 1, ref cas, out _, out _));
        cas = 0;
        Assert.Equal(DeltaResult.NotFound, s.AddDelta("nope"u8, true, 1, ref cas, out _, out _));
        s.CheckInvariants();
    }

    [Fact]
    public void CasAddReplaceAppendPrependFollowMemcached()
    {
        using StoreFixture f = new();
        ItemStore s = f.Store;
        uint cas = Set(s, "k", "v");
        Assert.True(cas > 0);
        byte[] key = "k"u8.ToArray();
        Assert.Equal(AllocStatus.Ok, s.Allocate(key, 0, 0, 1, out uint item));
        s.ItemW(item).Cas = cas + 100;
        Assert.Equal(StoreResult.Exists, s.Store(item, StoreMode.Cas, false, out _));
        Assert.Equal(AllocStatus.Ok, s.Allocate(key, 0, 0, 1, out item));
        s.ItemW(item).Cas = cas;
        s.WriteValue(item, 0, "w"u8);
        Assert.Equal(StoreResult.Stored, s.Store(item, StoreMode.Cas, false, out _));
        Assert.Equal("w", Get(s, "k"));
        Assert.Equal(AllocStatus.Ok, s.Allocate("none"u8, 0, 0, 1, out item));
        s.ItemW(item).Cas = 5;
        Assert.Equal(StoreResult.NotFound, s.Store(item, StoreMode.Cas, false, out _));
        Assert.Equal(AllocStatus.Ok, s.Allocate(key, 0, 0, 1, out item));
        Assert.Equal(StoreResult.NotStored, s.Store(item, StoreMode.Add, false, out _));
        Assert.Equal(AllocStatus.Ok, s.Allocate("none"u8, 0, 0, 1, out item));
        Assert.Equal(StoreResult.NotStored, s.Store(item, StoreMode.Replace, false, out _));
        Set(s, "k", ">", mode: StoreMode.Prepend);
        Set(s, "k", "<", mode: StoreMode.Append);
        Assert.Equal(">w<", Get(s, "k"));
        Assert.True(s.Delete("k"u8));
        Assert.False(s.Delete("k"u8));
        s.CheckInvariants();
    }

    [Fact]
    public void TooLargeItemsAreRefusedAtMemcachedsThreshold()
    {
        using StoreFixture f = new(maxBytes: 8L << 20, itemSizeMax: 1 << 20);
        // memcached: 48 + 8 + key + 1 + (flags ? 4 : 0) + value + 2 <= item size max
        Assert.Equal(AllocStatus.Ok, f.Store.Allocate("k"u8, 0, 0, 1_048_516, out uint ok));
        f.Store.FreeUnlinked(ok);
        Assert.Equal(AllocStatus.TooLarge, f.Store.Allocate("k"u8, 0, 0, 1_048_517, out _));
        Assert.Equal(AllocStatus.TooLarge, f.Store.Allocate("k"u8, 1, 0, 1_048_513, out _));
    }

    [Fact]
    public void FullStoreEvictsFromTheLruTailAndNeverGrows()
    {
        using StoreFixture f = new(maxBytes: 1L << 20, itemSizeMax: 64 * 1024);
        ItemStore s = f.Store;
        string value = new('x', 500);
        for (int i = 0; i < 10_000; i++)
        {
            Set(s, $"key{i}", value);
            if (i == 100)
            {
                Assert.Equal(value, Get(s, "key0")); // bumps key0 to the head
            }
        }

        Assert.True(s.Stats.Evictions > 0);
        Assert.Equal(value, Get(s, "key9999"));
        Assert.Null(Get(s, "key1"));
        Assert.True(s.Header.PagesUsed <= s.Header.PageCount);
        s.CheckInvariants();
    }

    [Fact]
    public void RandomOperationsKeepTheStructureConsistentWithAModel()
    {
        using StoreFixture f = new(maxBytes: 64L << 20, itemSizeMax: 1 << 20);
        ItemStore s = f.Store;
        Dictionary<string, string> model = [];
        Random random = new(42);
        for (int i = 0; i < 20_000; i++)
        {
            string key = "k" + random.Next(300);
            switch (random.Next(4))
            {
                case 0:
                case 1:
                    string v = new((char)('a' + random.Next(26)), random.Next(0, 5000));
                    Set(s, key, v);
                    model[key] = v;
                    break;
                case 2:
                    Assert.Equal(model.Remove(key), s.Delete(Encoding.Latin1.GetBytes(key)));
                    break;
                default:
                    Assert.Equal(model.GetValueOrDefault(key), Get(s, key));
                    break;
            }
        }

        Assert.Equal((ulong)model.Count, s.Stats.CurrItems);
        s.CheckInvariants();
    }
}
