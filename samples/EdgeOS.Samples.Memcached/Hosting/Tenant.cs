using EdgeOS.Core.Memory;
using EdgeOS.Samples.Memcached.Protocol;
using EdgeOS.Samples.Memcached.Storage;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>
/// One tenant: its memory account, the region its whole cache lives in, the store over that region and its
/// protocol context. This small class is the tenant boundary the featherweight-process integration will replace
/// (the region becomes the FWP's copy-on-write view, the gate becomes the FWP's single thread).
/// </summary>
internal sealed class Tenant : IDisposable
{
    private readonly MemoryRegion _region;

    public unsafe Tenant(int index, HostOptions options, MemoryAccount parent, StoreClock clock)
    {
        Index = index;
        long areaBytes = ItemStore.RequiredAreaBytes(options.MemoryBytes, options.ItemSizeMax);
        Account = new MemoryAccount($"tenant-{index}", areaBytes, parent);
        _region = MemoryRegion.Allocate(areaBytes, new MemoryRegionOptions { Account = Account, AlignmentBytes = 4096 });
        Store = new ItemStore(new PointerStoreMemory(_region.DangerousPointer, _region.Length), clock, options.MemoryBytes, options.ItemSizeMax);
        TcpPort = options.PortBase + index;
        UdpPort = options.UdpPortBase == 0 ? 0 : options.UdpPortBase + index;
        Context = new ServerContext(Store)
        {
            MaxConnections = options.MaxConnections,
            TcpPort = TcpPort,
            UdpPort = UdpPort,
            Interface = options.Listen.ToString(),
            Verbosity = options.Verbosity,
        };
    }

    public int Index { get; }

    public int TcpPort { get; }

    public int UdpPort { get; }

    public MemoryAccount Account { get; }

    public ItemStore Store { get; }

    public ServerContext Context { get; }

    public void Dispose() => _region.Dispose();
}
