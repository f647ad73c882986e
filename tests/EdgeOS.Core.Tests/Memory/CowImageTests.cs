using System.Runtime.InteropServices;
using EdgeOS.Core.Memory;
using EdgeOS.TestHelper;
using Xunit;

namespace EdgeOS.Core.Tests.Memory;

public sealed class CowImageTests
{
    private const int Chunk = 4096;

    public static TheoryData<CowImageKind> Kinds => [CowImageKind.Managed, CowImageKind.Kernel];

    [StructLayout(LayoutKind.Sequential)]
    private struct Bucket
    {
        public long Key;
        public long Value;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ViewReadsEqualTheImage(CowImageKind kind)
    {
        byte[] contents = Contents(64 * 1024 + 123, seed: 1);
        using CowImage image = Create(contents, kind);
        using CowView view = image.CreateView();

        byte[] read = new byte[contents.Length];
        view.Read(0, read);
        Assert.Equal(contents, read);
        Assert.Equal(contents.AsSpan(8192, 100).ToArray(), view.GetReadOnlySpan(8192, 100).ToArray());
        Assert.Equal(BitConverter.ToInt64(contents, 4096 + 16), view.GetReadOnlyRef<long>(4096 + 16));
        Assert.Equal(contents.Length, view.Length);
        Assert.Equal(0, view.PrivateBytes);
        Assert.Equal(kind, image.Kind);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void WriteInOneViewIsInvisibleToTheImageAndToOtherViews(CowImageKind kind)
    {
        byte[] contents = Contents(32 * 1024, seed: 2);
        using CowImage image = Create(contents, kind);
        using CowView a = image.CreateView();
        using CowView b = image.CreateView();

        a.Write(5000, [1, 2, 3, 4]);
        a.GetRef<long>(16) = -1;
        a.GetWritableSpan(20_000, 10).Fill(9);

        using CowView c = image.CreateView();
        foreach (CowView other in new[] { b, c })
        {
            Assert.Equal(contents, ReadAll(other));
        }

        byte[] expected = (byte[])contents.Clone();
        new byte[] { 1, 2, 3, 4 }.CopyTo(expected, 5000);
        BitConverter.GetBytes(-1L).CopyTo(expected, 16);
        expected.AsSpan(20_000, 10).Fill(9);
        Assert.Equal(expected, ReadAll(a));
        Assert.Equal(3 * image.ChunkSizeBytes, a.PrivateBytes);
        Assert.Equal(0, b.PrivateBytes);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void WritesAcrossChunkBoundariesLandInEveryChunk(CowImageKind kind)
    {
        byte[] contents = Contents(64 * 1024, seed: 3);
        using CowImage image = Create(contents, kind);
        using CowView view = image.CreateView();
        byte[] payload = Contents(3 * Chunk, seed: 4);

        view.Write(Chunk - 100, payload);

        byte[] expected = (byte[])contents.Clone();
        payload.CopyTo(expected, Chunk - 100);
        Assert.Equal(expected, ReadAll(view));
        Assert.Equal(4 * Chunk, view.PrivateBytes);
        byte[] middle = new byte[5000];
        view.Read(Chunk - 2500, middle);
        Assert.Equal(expected.AsSpan(Chunk - 2500, 5000).ToArray(), middle);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ResetRestoresTheImageAndGivesEveryChargedByteBack(CowImageKind kind)
    {
        byte[] contents = Contents(3 * 1024 * 1024 + 1000, seed: 5);
        var host = new MemoryAccount("host");
        var tenant = new MemoryAccount("tenant", parent: host);
        using CowImage image = Create(contents, kind);
        using CowView view = image.CreateView(tenant);
        long before = tenant.UsedBytes;

        // More than 16 pages, in more than one 512-chunk leaf, including the last partial chunk.
        for (int i = 0; i < 40; i++)
        {
            view.Write((long)i * 77_777 % contents.Length, [0xEE, 0xEF]);
        }

        view.Write(contents.Length - 3, [1, 2, 3]);
        view.GetRef<Bucket>(2 * 1024 * 1024) = new Bucket { Key = 1, Value = 2 };
        Assert.NotEqual(contents, ReadAll(view));
        Assert.True(view.PrivateBytes > 0);
        Assert.True(view.ChargedBytes > view.PrivateBytes, "index leaves are charged too");
        Assert.Equal(before + view.ChargedBytes, tenant.UsedBytes);
        Assert.Equal(tenant.UsedBytes, host.UsedBytes);

        view.Reset();

        Assert.Equal(contents, ReadAll(view));
        Assert.Equal(0, view.PrivateBytes);
        Assert.Equal(0, view.ChargedBytes);
        Assert.Equal(before, tenant.UsedBytes);
        Assert.Equal(before, host.UsedBytes);

        // The view is fully usable after a reset.
        view.Write(10, [42]);
        Assert.Equal(42, view.GetReadOnlySpan(10, 1)[0]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ResetOfACleanViewChangesNothing(CowImageKind kind)
    {
        using CowImage image = Create(Contents(8192, seed: 6), kind);
        using CowView view = image.CreateView();

        view.Reset();
        view.Reset();

        Assert.Equal(0, view.PrivateBytes);
    }

    [Fact]
    public void ManagedSpansAcrossAChunkBoundaryAreRefusedPreciselyAndChangeNothing()
    {
        byte[] contents = Contents(16 * 1024, seed: 7);
        using CowImage image = Create(contents, CowImageKind.Managed);
        using CowView view = image.CreateView();

        ArgumentException writable = Assert.Throws<ArgumentException>(() => view.GetWritableSpan(Chunk - 8, 16));
        Assert.Contains("chunk boundary at offset 4096", writable.Message, StringComparison.Ordinal);
        Assert.Contains("[4088, 4104)", writable.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => view.GetReadOnlySpan(Chunk - 8, 16));
        Assert.Throws<ArgumentException>(() => view.GetRef<Bucket>(Chunk - 8));
        Assert.Equal(0, view.PrivateBytes);
        Assert.Equal(contents, ReadAll(view));

        // Up to the boundary is fine.
        Assert.Equal(8, view.GetWritableSpan(Chunk - 8, 8).Length);
    }

    [Fact]
    public void KernelSpansMayCrossPages()
    {
        SkipUnlessKernel();
        byte[] contents = Contents(64 * 1024, seed: 8);
        using CowImage image = Create(contents, CowImageKind.Kernel);
        using CowView view = image.CreateView();

        Span<byte> span = view.GetWritableSpan(100, 3 * Chunk);
        span.Fill(7);

        Assert.Equal(4 * Chunk, view.PrivateBytes);
        Assert.All(view.GetReadOnlySpan(100, 3 * Chunk).ToArray(), b => Assert.Equal(7, b));
        Assert.Equal(contents.AsSpan(0, 100).ToArray(), view.GetReadOnlySpan(0, 100).ToArray());
    }

    [Fact]
    public void KernelResetDropsPrivatePagesSoTheMappingReadsTheImageAgain()
    {
        SkipUnlessKernel();
        byte[] contents = Contents(64 * 1024, seed: 19);
        using CowImage image = Create(contents, CowImageKind.Kernel);
        using CowView view = image.CreateView();

        // Two pages written through a span (the kernel copies them), well under the batch threshold, so the reset
        // issues one madvise(MADV_DONTNEED) per page.
        view.GetWritableSpan(Chunk * 3, Chunk).Fill(0x5A);
        view.GetRef<long>(Chunk * 9) = 77;
        Assert.Equal(0x5A, view.GetReadOnlySpan(Chunk * 3 + 10, 1)[0]);

        view.Reset();

        Assert.Equal(contents, ReadAll(view));
        Assert.Equal(contents.AsSpan(Chunk * 3, Chunk).ToArray(), view.GetReadOnlySpan(Chunk * 3, Chunk).ToArray());
    }

    [Fact]
    public void KernelImageIsSealedAgainstWrites()
    {
        SkipUnlessKernel();
        using CowImage image = Create(Contents(4096, seed: 9), CowImageKind.Kernel);
        Assert.True(image.IsWriteSealed);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ManyViewsWritingConcurrentlyStayIsolated(CowImageKind kind)
    {
        const int Views = 16;
        byte[] contents = Contents(256 * 1024, seed: 10);
        using CowImage image = Create(contents, kind);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();

        Parallel.For(0, Views, new ParallelOptions { MaxDegreeOfParallelism = 4 }, v =>
        {
            var random = new Random(1000 + v);
            byte[] model = (byte[])contents.Clone();
            using CowView view = image.CreateView(new MemoryAccount($"view-{v}"));
            for (int round = 0; round < 3; round++)
            {
                for (int write = 0; write < 200; write++)
                {
                    int length = random.Next(1, 9000);
                    int offset = random.Next(0, contents.Length - length);
                    byte[] payload = new byte[length];
                    TestPattern.Fill(payload, seed: v, firstIndex: offset);
                    view.Write(offset, payload);
                    payload.CopyTo(model, offset);
                    view.GetRef<long>(offset & ~7L) = v;
                    BitConverter.GetBytes((long)v).CopyTo(model, offset & ~7);
                }

                if (!ReadAll(view).AsSpan().SequenceEqual(model))
                {
                    failures.Add($"view {v} round {round} differs from its model");
                }

                view.Reset();
                contents.CopyTo(model, 0);
                if (!ReadAll(view).AsSpan().SequenceEqual(contents) || view.Account.UsedBytes != 0)
                {
                    failures.Add($"view {v} round {round} did not reset");
                }
            }
        });

        Assert.Empty(failures);
        using CowView fresh = image.CreateView();
        Assert.Equal(contents, ReadAll(fresh));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void WriteOverQuotaThrowsAndLeavesTheViewUnchanged(CowImageKind kind)
    {
        byte[] contents = Contents(64 * 1024, seed: 11);
        using CowImage image = Create(contents, kind);
        using (CowView probe = image.CreateView())
        {
            probe.Write(0, [1]);
            long firstWriteCharge = probe.ChargedBytes;
            Assert.True(firstWriteCharge > Chunk);
        }

        // Room for exactly one chunk and its leaf.
        using CowView sizing = image.CreateView();
        sizing.Write(0, [1]);
        var account = new MemoryAccount("tenant", quotaBytes: sizing.ChargedBytes);
        using CowView view = image.CreateView(account);

        view.Write(100, [0xAA, 0xBB]);
        Assert.Equal(sizing.ChargedBytes, account.UsedBytes);
        byte[] expected = ReadAll(view);

        Assert.Throws<MemoryQuotaExceededException>(() => view.Write(Chunk - 1, [1, 2]));
        Assert.Throws<MemoryQuotaExceededException>(() => view.Write(10 * Chunk, [3]));
        Assert.Throws<MemoryQuotaExceededException>(() => view.GetRef<long>(5 * Chunk) = 5);
        Assert.Throws<MemoryQuotaExceededException>(() => view.GetWritableSpan(7 * Chunk, 8));

        Assert.Equal(expected, ReadAll(view));
        Assert.Equal(Chunk, view.PrivateBytes);
        Assert.Equal(sizing.ChargedBytes, account.UsedBytes);

        // The chunk already private can still be written without a charge.
        view.Write(200, [5]);
        Assert.Equal(sizing.ChargedBytes, account.UsedBytes);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ChurnOfCreateWriteDisposeReturnsTheAccountToZero(CowImageKind kind)
    {
        int cycles = kind == CowImageKind.Managed ? 100_000 : 20_000;
        var account = new MemoryAccount("churn");
        using CowImage image = Create(Contents(64 * 1024, seed: 12), kind);

        for (int i = 0; i < cycles; i++)
        {
            using CowView view = image.CreateView(account);
            view.GetRef<int>((i * 4096L + (i % 1000) * 4) % (64 * 1024)) = i;
            if ((i & 7) == 0)
            {
                view.Write(i % 60_000, [1, 2, 3]);
            }
        }

        Assert.Equal(0, account.UsedBytes);
        Assert.Equal(1, image.ReferenceCount);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void RentedViewsAreRecycledCleanAndAReturnedViewRefusesUse(CowImageKind kind)
    {
        byte[] contents = Contents(16 * 1024, seed: 13);
        var account = new MemoryAccount("tenant");
        using CowImage image = Create(contents, kind);

        CowView first = image.RentView(account);
        first.Write(0, [9, 9, 9]);
        first.Return();

        Assert.True(first.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => first.Read(0, new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => first.GetWritableSpan(0, 1));
        Assert.Throws<ObjectDisposedException>(() => first.Reset());
        Assert.Equal(0, account.UsedBytes);
        Assert.Equal(1, image.PooledViewCount);

        CowView second = image.RentView();
        Assert.Same(first, second);
        Assert.Equal(contents, ReadAll(second));
        Assert.Same(MemoryAccount.Unlimited, second.Account);
        second.Return();
        second.Return();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task RentAndReturnRacingWithImageDisposeNeverLeakOrFreeEarly(CowImageKind kind)
    {
        SkipUnlessSupported(kind);
        byte[] contents = Contents(16 * 1024, seed: 20);
        for (int round = 0; round < 100; round++)
        {
            var imageAccount = new MemoryAccount("image");
            var viewAccount = new MemoryAccount("views");
            CowImage image = CowImage.Create(contents, new CowImageOptions { Kind = kind, Account = imageAccount });
            using var started = new CountdownEvent(3);
            Task[] workers = Enumerable.Range(0, 3).Select(w => Task.Factory.StartNew(() =>
            {
                started.Signal();
                for (int i = 0; ; i++)
                {
                    CowView view;
                    try
                    {
                        view = image.RentView(viewAccount);
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }

                    view.Write(i % 1000, [(byte)w]);
                    if (view.GetReadOnlySpan(8000, 8).SequenceEqual(contents.AsSpan(8000, 8)) == false)
                    {
                        throw new InvalidOperationException("a view read something other than the image");
                    }

                    view.Return();
                }
            }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

            started.Wait(TestContext.Current.CancellationToken);
            image.Dispose();
            await Task.WhenAll(workers);

            Assert.Equal(0, image.ReferenceCount);
            Assert.Equal(0, imageAccount.UsedBytes);
            Assert.Equal(0, viewAccount.UsedBytes);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void DisposingTheImageWithLiveViewsDefersTheFreeUntilTheLastView(CowImageKind kind)
    {
        byte[] contents = Contents(16 * 1024, seed: 14);
        var imageAccount = new MemoryAccount("image");
        CowImage image = CowImage.Create(contents, new CowImageOptions { Kind = kind, Account = imageAccount });
        CowView view = image.CreateView();
        view.Write(0, [1]);
        image.RentView().Return();

        image.Dispose();
        image.Dispose();

        Assert.True(image.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => image.CreateView());
        Assert.Throws<ObjectDisposedException>(() => image.RentView());
        Assert.Equal(contents.Length, imageAccount.UsedBytes);
        Assert.Equal(contents.AsSpan(1).ToArray(), ReadAll(view).AsSpan(1).ToArray());
        view.Reset();
        Assert.Equal(contents, ReadAll(view));

        view.Dispose();

        Assert.Equal(0, imageAccount.UsedBytes);
        Assert.Equal(0, image.ReferenceCount);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void UseAfterDisposeThrowsObjectDisposed(CowImageKind kind)
    {
        using CowImage image = Create(Contents(8192, seed: 15), kind);
        var account = new MemoryAccount("tenant");
        CowView view = image.CreateView(account);
        view.Write(0, [1]);

        view.Dispose();
        view.Dispose();

        Assert.True(view.IsDisposed);
        Assert.Equal(0, account.UsedBytes);
        Assert.Throws<ObjectDisposedException>(() => view.Read(0, new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => view.Write(0, [1]));
        Assert.Throws<ObjectDisposedException>(() => view.GetReadOnlySpan(0, 1));
        Assert.Throws<ObjectDisposedException>(() => view.GetWritableSpan(0, 1));
        Assert.Throws<ObjectDisposedException>(() => view.GetRef<long>(0));
        Assert.Throws<ObjectDisposedException>(() => view.Reset());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void OutOfRangeAndMisalignedAccessIsRefused(CowImageKind kind)
    {
        using CowImage image = Create(Contents(10_000, seed: 16), kind);
        using CowView view = image.CreateView();

        Assert.Throws<ArgumentOutOfRangeException>(() => view.Read(9_999, new byte[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => view.Write(-1, [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => view.Write(10_000, [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => view.GetReadOnlySpan(10_000, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => view.GetWritableSpan(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => view.GetRef<Bucket>(9_992));
        Assert.Throws<ArgumentOutOfRangeException>(() => view.GetRef<long>(long.MinValue));
        Assert.Throws<ArgumentException>(() => view.GetRef<long>(12));
        Assert.Equal(0, view.PrivateBytes);

        view.Write(10_000, []);
        Assert.Equal(0, view.GetWritableSpan(10_000, 0).Length);
        view.Write(9_999, [1]);
        Assert.Equal(1, view.GetReadOnlySpan(9_999, 1)[0]);
    }

    [Fact]
    public void BadImageOptionsAreRefusedWithoutCharging()
    {
        var account = new MemoryAccount("image");
        Assert.Throws<ArgumentException>(() => CowImage.Create(ReadOnlySpan<byte>.Empty));
        Assert.Throws<ArgumentOutOfRangeException>(() => CowImage.Create(new byte[100], new CowImageOptions { ChunkSizeBytes = 3000, Account = account }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CowImage.Create(new byte[100], new CowImageOptions { ChunkSizeBytes = 32, Account = account }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CowImage.Create(new byte[100], new CowImageOptions { Kind = (CowImageKind)7, Account = account }));
        Assert.Throws<MemoryQuotaExceededException>(() => CowImage.Create(new byte[100], new CowImageOptions { Account = new MemoryAccount("tiny", 99) }));
        Assert.Equal(0, account.UsedBytes);
    }

    [Fact]
    public void KernelImagesAreRefusedOffLinux()
    {
        if (CowImage.IsKernelSupported)
        {
            Assert.Skip("Kernel copy-on-write is supported here.");
        }

        Assert.Throws<PlatformNotSupportedException>(() => CowImage.Create(new byte[100], new CowImageOptions { Kind = CowImageKind.Kernel }));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ImageFromARegionCopiesItAndChargesItsAccount(CowImageKind kind)
    {
        SkipUnlessSupported(kind);
        var account = new MemoryAccount("template");
        using MemoryRegion state = MemoryRegion.Allocate(20_000);
        TestPattern.Fill(state.AsSpan(), seed: 17);
        byte[] expected = state.AsSpan().ToArray();

        using CowImage image = CowImage.Create(state, new CowImageOptions { Kind = kind, Account = account });
        state.AsSpan().Clear();
        state.Dispose();

        using CowView view = image.CreateView();
        Assert.Equal(expected, ReadAll(view));
        Assert.Equal(20_000, account.UsedBytes);
    }

    [Fact]
    public void ManagedChunkSizeIsConfigurableAndBoundsZeroCopyAccess()
    {
        byte[] contents = Contents(256 * 1024, seed: 18);
        using CowImage image = CowImage.Create(contents, new CowImageOptions { ChunkSizeBytes = 64 * 1024 });
        using CowView view = image.CreateView();

        Span<byte> span = view.GetWritableSpan(1000, 60_000);
        span.Clear();

        Assert.Equal(64 * 1024, view.PrivateBytes);
        Assert.Throws<ArgumentException>(() => view.GetWritableSpan(60_000, 10_000));
    }

    [Fact]
    public void StructRefsInAViewBehaveLikeAHashTable()
    {
        using CowImage image = CowImage.Create(new byte[64 * 1024]);
        using CowView view = image.CreateView();
        int buckets = 64 * 1024 / 16;

        for (long key = 1; key <= 10_000; key++)
        {
            ref Bucket bucket = ref view.GetRef<Bucket>(key % buckets * 16);
            bucket.Key = key;
            bucket.Value += key;
        }

        long sum = 0;
        for (int i = 0; i < buckets; i++)
        {
            sum += view.GetReadOnlyRef<Bucket>(i * 16L).Value;
        }

        Assert.Equal(10_000L * 10_001 / 2, sum);
        Assert.Equal(64 * 1024, view.PrivateBytes);
    }

    [Fact]
    public void FinalizerGivesBackALeakedViewsCharge()
    {
        var account = new MemoryAccount("leak");
        using CowImage image = CowImage.Create(new byte[64 * 1024]);
        LeakView(image, account);

        for (int i = 0; i < 10 && account.UsedBytes != 0; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.Equal(0, account.UsedBytes);
        Assert.Equal(1, image.ReferenceCount);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void LeakedViewsThatNeverWroteDoNotKeepADisposedImagesMemory(CowImageKind kind)
    {
        SkipUnlessSupported(kind);
        var imageAccount = new MemoryAccount("image");
        CowImage image = CowImage.Create(Contents(64 * 1024, seed: 21), new CowImageOptions { Kind = kind, Account = imageAccount });
        LeakUnwrittenViews(image, count: 3);

        image.Dispose();
        CollectUntil(() => imageAccount.UsedBytes == 0);

        // The disposed image object is still referenced here: it must not pin the memory its leaked views held.
        Assert.Equal(0, imageAccount.UsedBytes);
        Assert.True(image.IsDisposed);
        GC.KeepAlive(image);
    }

    [Fact]
    public void LeakedViewThatNeverWroteStillLetsALiveImageWork()
    {
        using CowImage image = CowImage.Create(Contents(16 * 1024, seed: 22));
        LeakUnwrittenViews(image, count: 1);
        CollectUntil(() => false);

        using CowView view = image.CreateView();
        view.Write(0, [7]);
        Assert.Equal(7, view.GetReadOnlySpan(0, 1)[0]);
        Assert.Equal(1, image.CreateView().GetReadOnlySpan(1, 1).Length);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AnImageAndItsViewsLeakedTogetherGiveEveryByteBack(CowImageKind kind)
    {
        SkipUnlessSupported(kind);
        var imageAccount = new MemoryAccount("image");
        var viewAccount = new MemoryAccount("views");
        LeakImageWithViews(kind, imageAccount, viewAccount);

        CollectUntil(() => imageAccount.UsedBytes == 0 && viewAccount.UsedBytes == 0);

        Assert.Equal(0, imageAccount.UsedBytes);
        Assert.Equal(0, viewAccount.UsedBytes);
    }

    [Fact]
    public void ResetKeepsOneChunkForTheViewsNextFirstWriteWithoutCharging()
    {
        // 4 MiB: 1024 chunks, two 512-chunk leaves, so the kept leaf is reused for another part of the image.
        byte[] contents = Contents(4 * 1024 * 1024, seed: 23);
        var account = new MemoryAccount("tenant");
        using CowImage image = CowImage.Create(contents);
        using CowView view = image.CreateView(account);
        int pooledChunks = image.Store!.Chunks.Count;

        view.Write(10, [1, 2, 3]);
        view.Reset();

        Assert.Equal(0, account.UsedBytes);
        Assert.Equal(0, view.ChargedBytes);
        Assert.Equal(contents, ReadAll(view));
        Assert.Equal(pooledChunks, image.Store!.Chunks.Count);

        // The kept chunk and leaf serve a first write in the other leaf; nothing of the old write shows anywhere.
        long far = 3L * 1024 * 1024 + 5;
        view.Write(far, [9]);
        byte[] expected = (byte[])contents.Clone();
        expected[far] = 9;
        Assert.Equal(expected, ReadAll(view));
        Assert.Equal(view.ChargedBytes, account.UsedBytes);
        Assert.Equal(Chunk, view.PrivateBytes);
        using (CowView other = image.CreateView())
        {
            Assert.Equal(contents, ReadAll(other));
        }

        // Two chunks, then a reset: one is kept, the other goes back to the image's free list; dispose gives back the kept one.
        view.Write(0, [5]);
        view.Reset();
        Assert.Equal(0, account.UsedBytes);
        Assert.Equal(contents, ReadAll(view));
        Assert.Equal(pooledChunks + 1, image.Store!.Chunks.Count);
        view.Dispose();
        Assert.Equal(pooledChunks + 2, image.Store!.Chunks.Count);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void LeakView(CowImage image, MemoryAccount account) => image.CreateView(account).Write(0, [1]);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void LeakUnwrittenViews(CowImage image, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(image.Length, image.CreateView().Length);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void LeakImageWithViews(CowImageKind kind, MemoryAccount imageAccount, MemoryAccount viewAccount)
    {
        CowImage image = CowImage.Create(Contents(64 * 1024, seed: 24), new CowImageOptions { Kind = kind, Account = imageAccount });
        image.CreateView(viewAccount).Write(100, [1]);
        _ = image.CreateView(viewAccount).GetReadOnlySpan(0, 8).Length;
        CowView written = image.RentView(viewAccount);
        written.Write(5000, [2]);
        written.Reset();
        written.Write(9000, [3]);
        written.Return();
        Assert.True(viewAccount.UsedBytes > 0);
        Assert.True(imageAccount.UsedBytes > 0);
    }

    private static void CollectUntil(Func<bool> done)
    {
        for (int i = 0; i < 10 && !done(); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    private static CowImage Create(byte[] contents, CowImageKind kind)
    {
        SkipUnlessSupported(kind);
        return CowImage.Create(contents, new CowImageOptions { Kind = kind });
    }

    private static void SkipUnlessSupported(CowImageKind kind)
    {
        if (kind == CowImageKind.Kernel)
        {
            SkipUnlessKernel();
        }
    }

    private static void SkipUnlessKernel()
    {
        if (!CowImage.IsKernelSupported)
        {
            Assert.Skip("Kernel copy-on-write needs Linux.");
        }
    }

    private static byte[] Contents(int length, long seed)
    {
        byte[] contents = new byte[length];
        TestPattern.Fill(contents, seed);
        return contents;
    }

    private static byte[] ReadAll(CowView view)
    {
        byte[] all = new byte[view.Length];
        view.Read(0, all);
        return all;
    }
}
