using EdgeOS.Core.Memory;
using Xunit;

namespace EdgeOS.Core.Tests.Memory;

public sealed class MemoryAccountTests
{
    [Fact]
    public void ChargeWithinQuotaIsCountedAndPeakFollows()
    {
        var account = new MemoryAccount("tenant", quotaBytes: 1000);

        account.Charge(600);
        account.Release(200);
        account.Charge(100);

        Assert.Equal(500, account.UsedBytes);
        Assert.Equal(600, account.PeakBytes);
        Assert.Equal(500, account.AvailableBytes);
        Assert.False(account.IsUnlimited);
    }

    [Fact]
    public void ChargeOverQuotaThrowsNamingAccountQuotaUsedAndRequestAndChargesNothing()
    {
        var account = new MemoryAccount("tenant-7", quotaBytes: 1000);
        account.Charge(900);

        MemoryQuotaExceededException error = Assert.Throws<MemoryQuotaExceededException>(() => account.Charge(101));

        Assert.Equal(900, account.UsedBytes);
        Assert.Equal("tenant-7", error.AccountName);
        Assert.Equal(1000, error.QuotaBytes);
        Assert.Equal(900, error.UsedBytes);
        Assert.Equal(101, error.RequestedBytes);
        Assert.Contains("'tenant-7'", error.Message, StringComparison.Ordinal);
        Assert.Contains("quota 1000", error.Message, StringComparison.Ordinal);
        Assert.Contains("used 900", error.Message, StringComparison.Ordinal);
        Assert.Contains("requested 101", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryChargeReportsRefusalWithoutChargingAndExactFitSucceeds()
    {
        var account = new MemoryAccount("a", quotaBytes: 100);

        Assert.False(account.TryCharge(101));
        Assert.Equal(0, account.UsedBytes);
        Assert.True(account.TryCharge(100));
        Assert.Equal(100, account.UsedBytes);
        Assert.False(account.TryCharge(1));
        Assert.True(account.TryCharge(0));
    }

    [Fact]
    public void ChargingAChildChargesEveryAncestor()
    {
        var host = new MemoryAccount("host", quotaBytes: 10_000);
        var tenant = new MemoryAccount("tenant", quotaBytes: 5_000, parent: host);
        var process = new MemoryAccount("fwp", parent: tenant);

        process.Charge(1_000);

        Assert.Equal(1_000, process.UsedBytes);
        Assert.Equal(1_000, tenant.UsedBytes);
        Assert.Equal(1_000, host.UsedBytes);

        process.Release(400);
        Assert.Equal(600, process.UsedBytes);
        Assert.Equal(600, tenant.UsedBytes);
        Assert.Equal(600, host.UsedBytes);
    }

    [Fact]
    public void ChargeRefusedByAnAncestorChargesNoAccountOnThePath()
    {
        var host = new MemoryAccount("host", quotaBytes: 1_000);
        var tenantA = new MemoryAccount("tenant-a", parent: host);
        var tenantB = new MemoryAccount("tenant-b", quotaBytes: 5_000, parent: host);
        tenantA.Charge(800);

        MemoryQuotaExceededException error = Assert.Throws<MemoryQuotaExceededException>(() => tenantB.Charge(300));

        Assert.Equal("host", error.AccountName);
        Assert.Contains("charged through 'tenant-b'", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, tenantB.UsedBytes);
        Assert.Equal(0, tenantB.PeakBytes);
        Assert.Equal(800, host.UsedBytes);
        Assert.Equal(800, tenantA.UsedBytes);
    }

    [Fact]
    public void OverReleaseThrowsAndReleasesNothing()
    {
        var host = new MemoryAccount("host");
        var tenant = new MemoryAccount("tenant", parent: host);
        tenant.Charge(100);

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => tenant.Release(101));

        Assert.Contains("'tenant'", error.Message, StringComparison.Ordinal);
        Assert.Equal(100, tenant.UsedBytes);
        Assert.Equal(100, host.UsedBytes);
    }

    [Fact]
    public void NegativeAmountsAreRejected()
    {
        var account = new MemoryAccount("a");
        Assert.Throws<ArgumentOutOfRangeException>(() => account.Charge(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => account.TryCharge(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => account.Release(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MemoryAccount("b", quotaBytes: -1));
        Assert.Equal(0, account.UsedBytes);
    }

    [Fact]
    public void UnlimitedAccountHasNoQuota()
    {
        Assert.True(MemoryAccount.Unlimited.IsUnlimited);
        Assert.Equal(MemoryAccount.UnlimitedQuotaBytes, MemoryAccount.Unlimited.QuotaBytes);
        Assert.Null(MemoryAccount.Unlimited.Parent);
    }

    [Fact]
    public void AccountsNestAtMostDepthMaxLevels()
    {
        MemoryAccount account = new("level-0");
        for (int i = 1; i < MemoryAccount.DepthMax; i++)
        {
            account = new MemoryAccount($"level-{i}", parent: account);
        }

        Assert.Throws<ArgumentException>(() => new MemoryAccount("too-deep", parent: account));
    }

    [Fact]
    public void ConcurrentChargesNeverExceedTheQuotaAndAllReleasesReturnToZero()
    {
        const int Threads = 4;
        const int Rounds = 20_000;
        var host = new MemoryAccount("host", quotaBytes: 1_000);
        var tenants = new MemoryAccount[Threads];
        for (int i = 0; i < Threads; i++)
        {
            tenants[i] = new MemoryAccount($"tenant-{i}", quotaBytes: 400, parent: host);
        }

        long violations = 0;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            var random = new Random(t);
            for (int round = 0; round < Rounds; round++)
            {
                long bytes = random.Next(1, 200);
                if (tenants[t].TryCharge(bytes))
                {
                    if (host.UsedBytes > host.QuotaBytes || tenants[t].UsedBytes > tenants[t].QuotaBytes)
                    {
                        Interlocked.Increment(ref violations);
                    }

                    tenants[t].Release(bytes);
                }
            }
        });

        Assert.Equal(0, violations);
        Assert.Equal(0, host.UsedBytes);
        Assert.All(tenants, tenant => Assert.Equal(0, tenant.UsedBytes));
        Assert.InRange(host.PeakBytes, 1, 1_000);
    }
}
