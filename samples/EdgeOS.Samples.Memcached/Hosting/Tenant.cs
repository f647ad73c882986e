using EdgeOS.Core.Memory;
using EdgeOS.Fwp;
using EdgeOS.Samples.Memcached.Protocol;
using EdgeOS.Samples.Memcached.Storage;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>
/// One tenant: an FWP spawned from the host's template (its cache is the FWP's copy-on-write state), the FWP
/// tenant whose quota is the memory limit, and the host-side objects its channels use: the store accessor (bound to
/// the FWP's view by the handler, for the length of one message) and the protocol context (settings, connection
/// counters).
/// </summary>
internal sealed class Tenant
{
    public Tenant(int index, HostOptions options, FwpRuntime runtime, FwpTemplate template, StoreClock clock)
    {
        Index = index;
        FwpTenant = runtime.CreateTenant($"tenant-{index}", new FwpTenantOptions { MemoryQuotaBytes = QuotaBytesFor(template.StateSizeBytes) });
        Fwp = runtime.Spawn(template, FwpTenant);
        Store = new ItemStore(clock);
        TcpPort = options.PortBase + index;
        UdpPort = options.UdpPortBase == 0 ? 0 : options.UdpPortBase + index;
        Context = new ServerContext(Store)
        {
            MaxConnections = options.MaxConnections,
            TcpPort = TcpPort,
            UdpPort = UdpPort,
            Interface = options.Listen.ToString(),
            Verbosity = options.Verbosity,
            Threads = options.Threads,
        };
    }

    public int Index { get; }

    public int TcpPort { get; }

    public int UdpPort { get; }

    public FwpTenant FwpTenant { get; }

    public FwpHandle Fwp { get; }

    /// <summary>What the tenant's private copies are charged to (its quota is <see cref="QuotaBytesFor"/>).</summary>
    public MemoryAccount Account => FwpTenant.Account;

    public ItemStore Store { get; }

    public ServerContext Context { get; }

    /// <summary>
    /// The tenant's quota: the whole store area (-m of slab pages, plus the header, slab class table and hash table,
    /// about -m/64) and the copy-on-write index leaves that locate the copies (4 KiB per 2 MiB written). A tenant that
    /// wrote every chunk of its area fits exactly; the store's own LRU keeps it from needing more.
    /// </summary>
    public static long QuotaBytesFor(long areaBytes) => areaBytes + ((areaBytes / (512 * 4096)) + 1) * 4096;
}
