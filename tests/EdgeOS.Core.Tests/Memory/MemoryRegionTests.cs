using System.Runtime.InteropServices;
using EdgeOS.Core.Memory;
using Xunit;

namespace EdgeOS.Core.Tests.Memory;

public sealed unsafe class MemoryRegionTests
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Pair
    {
        public long Key;
        public long Value;
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(100, 64)]
    [InlineData(4096, 4096)]
    [InlineData(70_000, 65_536)]
    [InlineData(3 * 1024 * 1024, 2 * 1024 * 1024)]
    public void AllocatedRegionIsAlignedZeroedAndCharged(long size, int alignment)
    {
        var account = new MemoryAccount("t");
        using MemoryRegion region = MemoryRegion.Allocate(size, new MemoryRegionOptions { AlignmentBytes = alignment, Account = account });

        Assert.Equal(size, region.Length);
        Assert.Equal(0, region.Address % alignment);
        Assert.True(region.AlignmentBytes >= alignment);
        Assert.Equal(size, account.UsedBytes);
        Assert.Same(account, region.Account);
        Span<byte> last = region.GetSpan(size - 1, 1);
        Assert.Equal(0, last[0]);
        Assert.DoesNotContain(region.AsSpan().ToArray(), b => b != 0);
    }

    [Fact]
    public void DisposeReleasesTheAccountAndIsIdempotent()
    {
        var account = new MemoryAccount("t");
        MemoryRegion region = MemoryRegion.Allocate(10_000, new MemoryRegionOptions { Account = account });

        region.Dispose();
        region.Dispose();

        Assert.True(region.IsDisposed);
        Assert.Equal(0, account.UsedBytes);
    }

    [Fact]
    public void ConcurrentDisposeFreesExactlyOnce()
    {
        var account = new MemoryAccount("t");
        for (int round = 0; round < 200; round++)
        {
            MemoryRegion region = MemoryRegion.Allocate(4096, new MemoryRegionOptions { Account = account });
            Parallel.For(0, 4, _ => region.Dispose());
            Assert.Equal(0, account.UsedBytes);
        }
    }

    [Fact]
    public void UseAfterDisposeThrowsObjectDisposed()
    {
        MemoryRegion region = MemoryRegion.Allocate(64);
        region.Dispose();

        Assert.Throws<ObjectDisposedException>(() => region.GetSpan(0, 1));
        Assert.Throws<ObjectDisposedException>(() => region.AsSpan());
        Assert.Throws<ObjectDisposedException>(() => region.Address);
        Assert.Throws<ObjectDisposedException>(() => region.GetRef<long>(0));
    }

    [Fact]
    public void SpansAreBoundsChecked()
    {
        using MemoryRegion region = MemoryRegion.Allocate(100);

        Assert.Equal(100, region.GetSpan(0, 100).Length);
        Assert.Equal(0, region.GetSpan(100, 0).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => region.GetSpan(1, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => region.GetSpan(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => region.GetSpan(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => region.GetSpan(101, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => region.GetSpan(long.MaxValue, 1));
    }

    [Fact]
    public void GetRefChecksBoundsAndAlignmentAndWritesThrough()
    {
        using MemoryRegion region = MemoryRegion.Allocate(64);

        region.GetRef<Pair>(16) = new Pair { Key = 7, Value = 9 };
        Assert.Equal(7, BitConverter.ToInt64(region.GetSpan(16, 8)));
        Assert.Equal(9, region.GetRef<long>(24));
        Assert.Throws<ArgumentException>(() => region.GetRef<long>(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => region.GetRef<Pair>(56));
        region.GetRef<int>(4) = 1;
        region.GetRef<byte>(63) = 2;
    }

    [Fact]
    public void QuotaExceededAllocatesNothing()
    {
        var host = new MemoryAccount("host", quotaBytes: 1 << 20);
        var tenant = new MemoryAccount("tenant", parent: host);
        using MemoryRegion first = MemoryRegion.Allocate(600_000, new MemoryRegionOptions { Account = tenant });

        Assert.Throws<MemoryQuotaExceededException>(() => MemoryRegion.Allocate(600_000, new MemoryRegionOptions { Account = tenant }));

        Assert.Equal(600_000, tenant.UsedBytes);
        Assert.Equal(600_000, host.UsedBytes);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void NonPositiveSizeIsRejected(long size) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryRegion.Allocate(size));

    [Theory]
    [InlineData(4)]
    [InlineData(24)]
    [InlineData(0)]
    public void BadAlignmentIsRejectedWithoutCharging(int alignment)
    {
        var account = new MemoryAccount("t");
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryRegion.Allocate(64, new MemoryRegionOptions { AlignmentBytes = alignment, Account = account }));
        Assert.Equal(0, account.UsedBytes);
    }

    [Fact]
    public void HugePagesIfAvailableAlwaysGivesAUsableRegion()
    {
        using MemoryRegion region = MemoryRegion.Allocate(3 * 1024 * 1024, new MemoryRegionOptions { HugePages = HugePagePolicy.IfAvailable });

        Span<byte> span = region.GetSpan(region.Length - 4096, 4096);
        span.Fill(0xAB);
        Assert.Equal(0xAB, region.GetSpan(region.Length - 1, 1)[0]);
        Assert.Equal(region.IsHugePages, region.HugePageBacking == HugePageBacking.HugeTlb);
        if (region.HugePageBacking != HugePageBacking.None)
        {
            Assert.Equal(0, region.Address % (2 * 1024 * 1024));
        }
    }

    [Fact]
    public void HugePagesFallBackToTransparentWhenTheHugeTlbPoolIsEmpty()
    {
        if (!OperatingSystem.IsLinux() || HugeTlbPagesFree() != 0 || !File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled").Contains("[madvise]", StringComparison.Ordinal))
        {
            Assert.Skip("Needs Linux with no free hugetlb pages and transparent huge pages in madvise mode.");
        }

        using MemoryRegion region = MemoryRegion.Allocate(4 * 1024 * 1024, new MemoryRegionOptions { HugePages = HugePagePolicy.Required });

        Assert.False(region.IsHugePages);
        Assert.Equal(HugePageBacking.TransparentAdvised, region.HugePageBacking);
    }

    [Fact]
    public void FinalizerFreesALeakedRegion()
    {
        var account = new MemoryAccount("leak");
        LeakRegion(account);

        for (int i = 0; i < 10 && account.UsedBytes != 0; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.Equal(0, account.UsedBytes);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void LeakRegion(MemoryAccount account) =>
        _ = MemoryRegion.Allocate(8192, new MemoryRegionOptions { Account = account });

    private static long HugeTlbPagesFree()
    {
        foreach (string line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("HugePages_Free:", StringComparison.Ordinal))
            {
                return long.Parse(line["HugePages_Free:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
