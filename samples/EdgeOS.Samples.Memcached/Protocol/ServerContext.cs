using EdgeOS.Samples.Memcached.Storage;

namespace EdgeOS.Samples.Memcached.Protocol;

/// <summary>What a tenant's protocol engine needs besides its store: settings and connection counters.</summary>
/// <remarks>Everything here is per tenant; the host fills it. Counters are updated with interlocked operations.</remarks>
internal sealed class ServerContext
{
    /// <summary>The version reported by "version" and "stats": memcached's, marked as ours.</summary>
    public const string Version = "1.6.18-edgeos";

    public ServerContext(ItemStore store)
    {
        Store = store;
    }

    public ItemStore Store { get; }

    /// <summary>memcached's verbosity (-v 1, -vv 2, -vvv 3; the "verbosity" command sets it for this tenant).</summary>
    public int Verbosity { get; set; }

    public int MaxConnections { get; init; } = 1024;

    public int TcpPort { get; init; }

    public int UdpPort { get; init; }

    public string Interface { get; init; } = "127.0.0.1";

    public int Threads { get; init; } = 1;

    public long CurrConnections;
    public long TotalConnections;
    public long RejectedConnections;
    public long BytesRead;
    public long BytesWritten;
}
