using EdgeOS.Core.Capabilities;
using EdgeOS.Core.Memory;
using EdgeOS.Fwp.Internal;

namespace EdgeOS.Fwp;

/// <summary>
/// A checkpointed featherweight-process template: a program's start-up state frozen into an immutable copy-on-write
/// image, plus the capabilities every instance receives, plus a pool of ready instances. Spawn instances from it
/// with <see cref="FwpRuntime.Spawn"/>.
/// </summary>
/// <remarks>
/// <para>
/// Creating a template runs <see cref="IFwpProgram.Start"/> once against a fresh zero-filled region, then copies the
/// region into a <see cref="CowImage"/> (managed, chunked). Instances read the image until they write; their writes
/// are private (see <see cref="FwpContext"/>).
/// </para>
/// <para>
/// Capabilities: each grant is a root capability in the template's own table. A tenant's first use derives it into
/// the tenant's table (with <see cref="CapabilityRights.Grant"/>), and each instance's first use derives it from the
/// tenant's into the instance's own table with exactly the granted rights. Revoking a tenant therefore kills exactly
/// the capabilities of its instances; revoking nothing else.
/// </para>
/// <para>
/// A template is bound to the first <see cref="FwpRuntime"/> that spawns from it. Thread-safety: every member may be
/// called concurrently. Dispose it after the runtime stopped; live instances keep its image alive until they end.
/// </para>
/// </remarks>
public sealed class FwpTemplate : IDisposable
{
    private readonly CowImage _image;
    private readonly CapabilityTable _table;
    private readonly CapabilityHandle[] _grantRoots;
    private readonly CapabilityRights[] _grantRights;
    private readonly Lock _poolLock = new();
    private FwpInstance?[] _pool = [];
    private int _pooledCount;
    private readonly List<FwpInstance> _all = [];
    private readonly Lock _allLock = new();
    private int _createdCount;
    private int _disposed;
    private FwpRuntime? _runtime;

    private FwpTemplate(string name, FwpTemplateOptions options, FwpDispatcher dispatcher, CowImage image, CapabilityTable table, CapabilityHandle[] grantRoots, CapabilityRights[] grantRights)
    {
        Name = name;
        Dispatcher = dispatcher;
        _image = image;
        _table = table;
        _grantRoots = grantRoots;
        _grantRights = grantRights;
        InboxSizeBytes = options.InboxSizeBytes;
        CapabilitiesMax = options.CapabilitiesMax;
        InstanceMemoryQuotaBytes = options.InstanceMemoryQuotaBytes;
        PoolSizeMax = options.PoolSizeMax;
        RestartsMax = options.RestartsMax;
        InstanceCpuBudgetPerPeriod = options.InstanceCpuBudgetPerPeriod;
        Account = options.Account ?? MemoryAccount.Unlimited;
    }

    /// <summary>The template's name (for logs and metrics).</summary>
    public string Name { get; }

    /// <summary>The size of every instance's state in bytes.</summary>
    public long StateSizeBytes => _image.Length;

    /// <summary>The number of capabilities every instance receives.</summary>
    public int CapabilityCount => _grantRoots.Length;

    /// <summary>The size of each instance's inbox ring in bytes.</summary>
    public int InboxSizeBytes { get; }

    /// <summary>The largest message an instance's inbox accepts, in bytes.</summary>
    public int MessageSizeBytesMax => FwpInbox.MessageBytesMaxFor(InboxSizeBytes);

    /// <summary>Ready (pooled) instances now.</summary>
    public int PooledCount => Volatile.Read(ref _pooledCount);

    /// <summary>Instance objects created so far and not freed (pooled plus live).</summary>
    public int CreatedCount => Volatile.Read(ref _createdCount);

    /// <summary>Whether <see cref="Dispose"/> was called.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal CowImage Image => _image;

    internal FwpDispatcher Dispatcher { get; }

    internal CapabilityTable Table => _table;

    internal int CapabilitiesMax { get; }

    internal long InstanceMemoryQuotaBytes { get; }

    internal int PoolSizeMax { get; }

    internal int RestartsMax { get; }

    internal TimeSpan InstanceCpuBudgetPerPeriod { get; }

    internal MemoryAccount Account { get; }

    internal FwpRuntime? Runtime => Volatile.Read(ref _runtime);

    /// <summary>
    /// Creates a template for <typeparamref name="TProgram"/>: allocates a zero-filled state region, runs
    /// <see cref="IFwpProgram.Start"/> on it (on this thread), freezes it into a copy-on-write image and makes
    /// <see cref="FwpTemplateOptions.PoolSizeInitial"/> instances ready. Cost: the start-up work plus one copy of the
    /// state, plus about a microsecond and the inbox per pooled instance.
    /// </summary>
    /// <typeparam name="TProgram">The program.</typeparam>
    /// <param name="options">Sizes and policies; <see langword="null"/> for the defaults.</param>
    /// <param name="argument">Passed to start-up as <see cref="FwpStartContext.Argument"/>.</param>
    /// <returns>The frozen template.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it).</exception>
    /// <exception cref="MemoryQuotaExceededException">The options' account cannot take the state.</exception>
    /// <exception cref="Exception">Whatever start-up throws: nothing is kept.</exception>
    public static FwpTemplate Create<TProgram>(FwpTemplateOptions? options = null, object? argument = null)
        where TProgram : IFwpProgram
    {
        options ??= new FwpTemplateOptions();
        Validate(options);
        string name = options.Name ?? typeof(TProgram).Name;
        MemoryAccount account = options.Account ?? MemoryAccount.Unlimited;
        var table = new CapabilityTable(options.CapabilitiesMax, "template " + name);
        var builder = new TemplateBuilder(argument, table);
        using (MemoryRegion region = MemoryRegion.Allocate(options.StateSizeBytes, new MemoryRegionOptions { Account = account, ZeroFill = true }))
        {
            builder.Region = region;
            try
            {
                TProgram.Start(new FwpStartContext(builder));
            }
            finally
            {
                builder.Frozen = true;
            }

            CowImage image = CowImage.Create(region, new CowImageOptions { Account = account, ChunkSizeBytes = options.ChunkSizeBytes });
            var template = new FwpTemplate(name, options, new FwpDispatcher<TProgram>(), image, table, [.. builder.Roots], [.. builder.Rights]);
            try
            {
                for (int i = 0; i < options.PoolSizeInitial; i++)
                {
                    template.ReturnToPool(template.CreateInstance());
                }
            }
            catch
            {
                template.Dispose();
                throw;
            }

            return template;
        }
    }

    /// <summary>Makes up to <paramref name="count"/> more instances ready (pooled), for example before a burst of spawns.</summary>
    /// <param name="count">How many to add (the pool stops at <see cref="FwpTemplateOptions.PoolSizeMax"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The template was disposed.</exception>
    public void Prewarm(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        for (int i = 0; i < count && PooledCount < PoolSizeMax; i++)
        {
            ReturnToPool(CreateInstance());
        }
    }

    /// <summary>
    /// Frees the pooled instances and the image (once the last live instance ended). Idempotent. Call it after the
    /// runtime using it stopped.
    /// </summary>
    public void Dispose()
    {
        FwpInstance?[] pooled;
        int count;
        lock (_poolLock)
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            pooled = _pool;
            count = _pooledCount;
            _pool = [];
            Volatile.Write(ref _pooledCount, 0);
        }

        for (int i = 0; i < count; i++)
        {
            FreeInstance(pooled[i]!);
        }

        _image.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"FwpTemplate '{Name}' ({StateSizeBytes} bytes of state, {CapabilityCount} capabilities)";

    internal CapabilityHandle GrantRoot(int index) => _grantRoots[index];

    internal CapabilityRights GrantRights(int index) => _grantRights[index];

    /// <summary>Binds the template to <paramref name="runtime"/> on first use; false if another runtime has it.</summary>
    internal bool TryBind(FwpRuntime runtime)
    {
        FwpRuntime? current = Interlocked.CompareExchange(ref _runtime, runtime, null);
        return current is null || ReferenceEquals(current, runtime);
    }

    /// <summary>
    /// A ready instance from the pool, or a new one. The pool is a stack (last returned, first reused): the instance
    /// most recently ended is the one whose state view, inbox ring and capability table are still in the caches.
    /// </summary>
    internal FwpInstance RentInstance()
    {
        lock (_poolLock)
        {
            int count = _pooledCount;
            if (count != 0)
            {
                FwpInstance?[] pool = _pool;
                FwpInstance instance = pool[--count]!;
                pool[count] = null;
                Volatile.Write(ref _pooledCount, count);
                return instance;
            }
        }

        return CreateInstance();
    }

    /// <summary>
    /// Takes back a recycled instance, or frees it when the pool is full or the template is disposed. Allocates only
    /// when the pool grows past its largest size so far (its array doubles, up to <see cref="PoolSizeMax"/>).
    /// </summary>
    internal void ReturnToPool(FwpInstance instance)
    {
        lock (_poolLock)
        {
            int count = _pooledCount;
            if (!IsDisposed && count < PoolSizeMax)
            {
                FwpInstance?[] pool = _pool;
                if (count == pool.Length)
                {
                    pool = GrowPool(pool);
                }

                pool[count] = instance;
                Volatile.Write(ref _pooledCount, count + 1);
                return;
            }
        }

        FreeInstance(instance);
    }

    /// <summary>A snapshot of every instance object of this template (pooled and live), for shutdown.</summary>
    internal FwpInstance[] SnapshotInstances()
    {
        lock (_allLock)
        {
            return [.. _all];
        }
    }

    private FwpInstance?[] GrowPool(FwpInstance?[] pool)
    {
        var grown = new FwpInstance?[Math.Min(PoolSizeMax, Math.Max(16, pool.Length * 2))];
        Array.Copy(pool, grown, pool.Length);
        _pool = grown;
        return grown;
    }

    private FwpInstance CreateInstance()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var instance = new FwpInstance(this);
        lock (_allLock)
        {
            _all.Add(instance);
        }

        Interlocked.Increment(ref _createdCount);
        return instance;
    }

    private void FreeInstance(FwpInstance instance)
    {
        lock (_allLock)
        {
            _all.Remove(instance);
        }

        instance.Free();
        Interlocked.Decrement(ref _createdCount);
    }

    private static void Validate(FwpTemplateOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.StateSizeBytes, "options.StateSizeBytes");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.StateSizeBytes, MemoryRegion.SizeBytesMax, "options.StateSizeBytes");
        if (options.InboxSizeBytes < FwpTemplateOptions.InboxSizeBytesMin || options.InboxSizeBytes > FwpTemplateOptions.InboxSizeBytesMax || !int.IsPow2(options.InboxSizeBytes))
        {
            FwpThrowHelper.ThrowInboxSize(options.InboxSizeBytes);
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.CapabilitiesMax, "options.CapabilitiesMax");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.CapabilitiesMax, CapabilityTable.SlotsMaxLimit, "options.CapabilitiesMax");
        ArgumentOutOfRangeException.ThrowIfNegative(options.InstanceMemoryQuotaBytes, "options.InstanceMemoryQuotaBytes");
        ArgumentOutOfRangeException.ThrowIfNegative(options.PoolSizeInitial, "options.PoolSizeInitial");
        ArgumentOutOfRangeException.ThrowIfNegative(options.PoolSizeMax, "options.PoolSizeMax");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.PoolSizeInitial, options.PoolSizeMax, "options.PoolSizeInitial");
        ArgumentOutOfRangeException.ThrowIfNegative(options.RestartsMax, "options.RestartsMax");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.InstanceCpuBudgetPerPeriod, TimeSpan.Zero, "options.InstanceCpuBudgetPerPeriod");
    }
}
