using System.IO.MemoryMappedFiles;
using BenchmarkDotNet.Attributes;
using EdgeOS.Core.Memory;

namespace EdgeOS.Benchmarks;

/// <summary>
/// Copy-on-write images: creating a private view, the first write to a chunk, and reset, for the managed (chunked)
/// and the kernel (memfd + MAP_PRIVATE) implementations, against the baseline of copying the whole image into a new
/// array and against <see cref="MemoryMappedFile"/> copy-on-write views.
/// </summary>
/// <remarks>
/// The <c>*_Batch</c> benchmarks isolate one step that cannot be repeated without undoing it (a first write, a reset
/// of a dirty view): an iteration setup prepares <see cref="BatchViews"/> views, the benchmark performs the step once
/// on each, and the result is per view. Resets of views with one private chunk come in three cache states: the
/// plain batch (512 views just written by the setup, whose 2 MiB of chunk copies push part of the views' bookkeeping
/// out of L1/L2), a warm batch (64 views, whose 256 KiB of copies stay in L2) and a cold batch (512 views, then the
/// setup streams through a buffer larger than the last-level cache). The kernel variants need Linux.
/// </remarks>
[MemoryDiagnoser]
public class CowImageBenchmarks
{
    private const int BatchViews = 512;
    private const int WarmBatchViews = 64;
    private const int EvictBytes = 64 * 1024 * 1024;

    private byte[] _contents = [];
    private CowImage _managed = null!;
    private CowImage? _kernel;
    private CowView _managedView = null!;
    private CowView _managedCleanView = null!;
    private CowView _managedDirtyView = null!;
    private CowView? _kernelView;
    private CowView? _kernelCleanView;
    private CowView[] _managedBatch = [];
    private CowView[] _managedWarmBatch = [];
    private byte[] _evict = [];
    private CowView[] _kernelBatch = [];
    private MemoryMappedFile _mappedFile = null!;
    private long _offset;

    /// <summary>The image size: 64 KiB and 64 MiB (view costs must not depend on it).</summary>
    [Params(64 * 1024, 64 * 1024 * 1024)]
    public int ImageSizeBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _contents = new byte[ImageSizeBytes];
        new Random(42).NextBytes(_contents);
        _offset = ImageSizeBytes / 2;

        _managed = CowImage.Create(_contents);
        _managedView = _managed.CreateView();
        _managedCleanView = _managed.CreateView();
        _managedDirtyView = _managed.CreateView();
        _managedDirtyView.GetRef<long>(_offset) = 1;
        _managedBatch = new CowView[BatchViews];
        for (int i = 0; i < BatchViews; i++)
        {
            _managedBatch[i] = _managed.CreateView();
        }

        _managedWarmBatch = new CowView[WarmBatchViews];
        for (int i = 0; i < WarmBatchViews; i++)
        {
            _managedWarmBatch[i] = _managed.CreateView();
        }

        _evict = new byte[EvictBytes];

        if (CowImage.IsKernelSupported)
        {
            _kernel = CowImage.Create(_contents, new CowImageOptions { Kind = CowImageKind.Kernel });
            _kernelView = _kernel.CreateView();
            _kernelCleanView = _kernel.CreateView();
            _kernelBatch = new CowView[BatchViews];
            for (int i = 0; i < BatchViews; i++)
            {
                _kernelBatch[i] = _kernel.CreateView();
            }
        }

        _mappedFile = MemoryMappedFile.CreateNew(mapName: null, ImageSizeBytes);
        using MemoryMappedViewAccessor writer = _mappedFile.CreateViewAccessor(0, ImageSizeBytes, MemoryMappedFileAccess.ReadWrite);
        writer.WriteArray(0, _contents, 0, _contents.Length);

        // Warm the pools the way a running host would have them, and run every slow path long enough that tiered
        // compilation has optimized it: the *_Batch benchmarks invoke their method only once per iteration, so the
        // measured iterations alone would run tier-0 code. Call counting starts only after 100 ms without new tier-0
        // methods, so the warm-up runs for a time, not a number of rounds, then leaves the background compiler time to
        // install the tier-1 code, then runs a few more rounds on it.
        _managed.RentView().Return();
        _kernel?.RentView().Return();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int round = 0; round < 10_000 && (round < 200 || clock.ElapsedMilliseconds < 1000); round++)
        {
            WarmRound(kernel: round < 20);
        }

        Thread.Sleep(300);
        for (int round = 0; round < 20; round++)
        {
            WarmRound(kernel: false);
        }
    }

    private void WarmRound(bool kernel)
    {
        DirtyManagedBatch();
        Managed_ResetDirty_Batch();
        DirtyManagedWarmBatch();
        Managed_ResetDirty_WarmBatch();
        if (kernel)
        {
            DirtyKernelBatch();
            Kernel_ResetDirty_Batch();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (CowView view in _managedBatch.Concat(_managedWarmBatch).Concat(_kernelBatch))
        {
            view.Dispose();
        }

        _managedView.Dispose();
        _managedCleanView.Dispose();
        _managedDirtyView.Dispose();
        _kernelView?.Dispose();
        _kernelCleanView?.Dispose();
        _managed.Dispose();
        _kernel?.Dispose();
        _mappedFile.Dispose();
    }

    /// <summary>The naive private copy: the whole image into a fresh array.</summary>
    [Benchmark(Baseline = true)]
    public byte[] CopyImageToNewArray() => _contents.AsSpan().ToArray();

    [Benchmark]
    public void Managed_CreateView_Dispose() => _managed.CreateView().Dispose();

    [Benchmark]
    public void Managed_RentView_Return() => _managed.RentView().Return();

    [Benchmark]
    public void Managed_FirstWrite_Reset()
    {
        _managedView.GetRef<long>(_offset) = 1;
        _managedView.Reset();
    }

    [Benchmark]
    public void Managed_ResetClean() => _managedCleanView.Reset();

    /// <summary>A write to a chunk the view already owns: the hot path of an FWP touching its state.</summary>
    [Benchmark]
    public long Managed_WritePrivateChunk() => ++_managedDirtyView.GetRef<long>(_offset);

    [IterationSetup(Target = nameof(Managed_FirstWrite_Batch))]
    public void ResetManagedBatch()
        => ResetAll(_managedBatch);

    [Benchmark(OperationsPerInvoke = BatchViews)]
    public void Managed_FirstWrite_Batch()
        => WriteFirstWordAll(_managedBatch, _offset);

    [IterationSetup(Target = nameof(Managed_ResetDirty_Batch))]
    public void DirtyManagedBatch()
        => WriteFirstWordAll(_managedBatch, _offset);

    /// <summary>Reset of a view with one private chunk (the "reset"), 512 views freshly written.</summary>
    [Benchmark(OperationsPerInvoke = BatchViews)]
    public void Managed_ResetDirty_Batch()
        => ResetAll(_managedBatch);

    [IterationSetup(Target = nameof(Managed_ResetDirty_WarmBatch))]
    public void DirtyManagedWarmBatch()
        => WriteFirstWordAll(_managedWarmBatch, _offset);

    /// <summary>The same reset with everything it touches in L1/L2.</summary>
    [Benchmark(OperationsPerInvoke = WarmBatchViews)]
    public void Managed_ResetDirty_WarmBatch()
        => ResetAll(_managedWarmBatch);

    [IterationSetup(Target = nameof(Managed_ResetDirty_ColdBatch))]
    public void DirtyManagedBatchThenEvictCaches()
    {
        WriteFirstWordAll(_managedBatch, _offset);

        // One write per cache line through a buffer larger than the last-level cache.
        byte[] evict = _evict;
        for (int i = 0; i < evict.Length; i += 64)
        {
            evict[i]++;
        }
    }

    /// <summary>The same reset with the views and their bookkeeping evicted from every cache level.</summary>
    [Benchmark(OperationsPerInvoke = BatchViews)]
    public void Managed_ResetDirty_ColdBatch()
        => ResetAll(_managedBatch);

    [Benchmark]
    public void Kernel_CreateView_Dispose() => _kernel?.CreateView().Dispose();

    [Benchmark]
    public void Kernel_RentView_Return() => _kernel?.RentView().Return();

    [Benchmark]
    public void Kernel_FirstWrite_Reset()
    {
        if (_kernelView is { } view)
        {
            view.GetRef<long>(_offset) = 1;
            view.Reset();
        }
    }

    [Benchmark]
    public void Kernel_ResetClean() => _kernelCleanView?.Reset();

    [IterationSetup(Target = nameof(Kernel_FirstWrite_Batch))]
    public void ResetKernelBatch()
        => ResetAll(_kernelBatch);

    [Benchmark(OperationsPerInvoke = BatchViews)]
    public void Kernel_FirstWrite_Batch()
        => WriteFirstWordAll(_kernelBatch, _offset);

    [IterationSetup(Target = nameof(Kernel_ResetDirty_Batch))]
    public void DirtyKernelBatch()
        => WriteFirstWordAll(_kernelBatch, _offset);

    [Benchmark(OperationsPerInvoke = BatchViews)]
    public void Kernel_ResetDirty_Batch()
        => ResetAll(_kernelBatch);

    private static void ResetAll(CowView[] views)
    {
        foreach (CowView view in views)
        {
            view.Reset();
        }
    }

    private static void WriteFirstWordAll(CowView[] views, long offset)
    {
        foreach (CowView view in views)
        {
            view.GetRef<long>(offset) = 1;
        }
    }

    /// <summary>The BCL's copy-on-write view: <c>CreateViewAccessor(..., CopyOnWrite)</c> maps MAP_PRIVATE.</summary>
    [Benchmark]
    public void MemoryMappedFile_CreateCowView_Dispose()
    {
        using MemoryMappedViewAccessor view = _mappedFile.CreateViewAccessor(0, ImageSizeBytes, MemoryMappedFileAccess.CopyOnWrite);
    }

    /// <summary>MemoryMappedFile has no reset: a fresh copy-on-write view per instance, written once.</summary>
    [Benchmark]
    public void MemoryMappedFile_CreateCowView_FirstWrite_Dispose()
    {
        using MemoryMappedViewAccessor view = _mappedFile.CreateViewAccessor(0, ImageSizeBytes, MemoryMappedFileAccess.CopyOnWrite);
        view.Write(_offset, 1L);
    }
}
