using EdgeOS.Fwp;
using EdgeOS.Samples.Memcached.Hosting;
using EdgeOS.Samples.Memcached.Storage;

namespace EdgeOS.Samples.Memcached.Tests;

/// <summary>The memcached tenant template as the host creates it, for tests that drive one tenant in process.</summary>
internal static class TenantTemplates
{
    /// <summary>Unix time the tests' store clocks start at.</summary>
    public const long Now = 1_700_000_000;

    /// <summary>A template for 8 MiB tenants with 1 MiB items and 4 KiB inboxes, its stores started at <see cref="Now"/>.</summary>
    public static FwpTemplate Create(ChannelTable channels)
    {
        const long maxBytes = 8L << 20;
        const long itemSizeMax = 1 << 20;
        return FwpTemplate.Create<MemcachedProgram>(
            new FwpTemplateOptions { StateSizeBytes = ItemStore.RequiredAreaBytes(maxBytes, itemSizeMax), InboxSizeBytes = 4096 },
            new TemplateArgument(maxBytes, itemSizeMax, Now, channels));
    }
}
