using Xunit;

namespace EdgeOS.Fwp.Tests;

/// <summary>Per-instance CPU budgets (<see cref="FwpTemplateOptions.InstanceCpuBudgetPerPeriod"/>).</summary>
public sealed class InstanceBudgetTests
{
    private const long Millisecond = 1_000_000;

    [Fact]
    public void InstanceOverItsOwnBudgetIsDeferredWhileSiblingsAndOtherTenantsProgress()
    {
        var clock = new ManualClock();
        var environment = new BurnEnvironment(clock);
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, TimeProvider = clock, BudgetPeriod = TimeSpan.FromMilliseconds(10) });
        using FwpTemplate template = FwpTemplate.Create<BurnProgram>(new FwpTemplateOptions { InstanceCpuBudgetPerPeriod = TimeSpan.FromMilliseconds(2) }, environment);

        // No tenant budget: only the instances' own budgets apply.
        FwpTenant shared = runtime.CreateTenant("shared");
        FwpTenant other = runtime.CreateTenant("other");
        FwpHandle hog = runtime.Spawn(template, shared);
        FwpHandle[] siblings = [runtime.Spawn(template, shared), runtime.Spawn(template, shared)];
        FwpHandle neighbour = runtime.Spawn(template, other);
        for (int i = 0; i < 4; i++)
        {
            Messages.Post(hog, Messages.Long(5 * Millisecond));
        }

        foreach (FwpHandle handle in siblings.Append(neighbour))
        {
            for (int i = 0; i < 4; i++)
            {
                Messages.Post(handle, Messages.Long(Millisecond / 10));
            }
        }

        runtime.RunUntilIdle();

        // The hog overran its own 2 ms with its first message and was deferred; its siblings (same tenant) and the
        // other tenant's instance each used 0.4 ms, within their own budgets, and handled everything.
        Assert.Equal(1 + (2 * 4), shared.HandledCount);
        Assert.Equal(4, other.HandledCount);
        Assert.Equal(FwpState.Ready, hog.State);
        Assert.All(siblings, s => Assert.Equal(FwpState.Blocked, s.State));
        Assert.Equal(1, shared.DeferralCount);
        Assert.Equal(0, other.DeferralCount);
        Assert.Equal(1, runtime.DeferralCount);

        // 3 ms of debt carry over: the next period still defers the hog, the one after lets one more message through.
        clock.Advance(10 * Millisecond);
        runtime.RunUntilIdle();
        Assert.Equal(9, shared.HandledCount);
        clock.Advance(10 * Millisecond);
        runtime.RunUntilIdle();
        Assert.Equal(10, shared.HandledCount);
        Assert.Equal(3, runtime.DeferralCount);
        Assert.Equal(runtime.DeferralCount, shared.DeferralCount);

        // Siblings posted to meanwhile are not held back by the deferred hog.
        Messages.Post(siblings[0], Messages.Long(Millisecond / 10));
        runtime.RunUntilIdle();
        Assert.Equal(11, shared.HandledCount);
        Assert.Equal(FwpState.Ready, hog.State);
    }

    [Fact]
    public void BudgetStartsAfreshForEachIncarnation()
    {
        var clock = new ManualClock();
        var environment = new BurnEnvironment(clock);
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, TimeProvider = clock, BudgetPeriod = TimeSpan.FromMilliseconds(10) });
        using FwpTemplate template = FwpTemplate.Create<BurnProgram>(new FwpTemplateOptions { InstanceCpuBudgetPerPeriod = TimeSpan.FromMilliseconds(2), PoolSizeMax = 1 }, environment);
        FwpTenant tenant = runtime.CreateTenant("t");
        FwpHandle first = runtime.Spawn(template, tenant);
        Messages.Post(first, Messages.Long(50 * Millisecond));
        Messages.Post(first, Messages.Long(0));
        runtime.RunUntilIdle();
        Assert.Equal(1, tenant.HandledCount);
        Assert.Equal(1, tenant.DeferralCount);

        // A deferred instance sees its exit request when its next period comes (the exit is checked before the budget).
        Assert.True(first.Exit());
        clock.Advance(10 * Millisecond);
        runtime.RunUntilIdle();
        Assert.False(first.IsAlive);

        // The recycled instance object carries no debt into the next incarnation: its message runs at once.
        FwpHandle second = runtime.Spawn(template, tenant);
        Messages.Post(second, Messages.Long(0));
        runtime.RunUntilIdle();
        Assert.Equal(2, tenant.HandledCount);
        Assert.Equal(FwpState.Blocked, second.State);
        Assert.Equal(1, tenant.DeferralCount);
    }

    [Fact]
    public void NegativeInstanceBudgetIsRejected()
    {
        ArgumentOutOfRangeException exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => FwpTemplate.Create<SpinProgram>(new FwpTemplateOptions { InstanceCpuBudgetPerPeriod = TimeSpan.FromTicks(-1) }));
        Assert.Equal("options.InstanceCpuBudgetPerPeriod", exception.ParamName);
    }

    [Fact]
    public void HoggingInstanceOnRealWorkersIsDeferredAndSiblingsFinish()
    {
        // Real threads and the real clock: asserts progress only, never durations.
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 2, BudgetPeriod = TimeSpan.FromMilliseconds(5) });
        using FwpTemplate template = FwpTemplate.Create<SpinProgram>(new FwpTemplateOptions { InstanceCpuBudgetPerPeriod = TimeSpan.FromMilliseconds(1) });
        runtime.Start();
        FwpTenant tenant = runtime.CreateTenant("shared");
        FwpHandle hog = runtime.Spawn(template, tenant);
        FwpHandle[] siblings = [.. Enumerable.Range(0, 6).Select(_ => runtime.Spawn(template, tenant))];
        for (int i = 0; i < 30; i++)
        {
            Messages.Post(hog, Messages.Long(200_000));
        }

        for (int round = 0; round < 10; round++)
        {
            foreach (FwpHandle handle in siblings)
            {
                while (handle.TryPost(Messages.Long(0)) != FwpPostStatus.Posted)
                {
                    Thread.Yield();
                }
            }
        }

        Assert.True(SpinWait.SpinUntil(() => siblings.All(s => s.State == FwpState.Blocked) && tenant.HandledCount >= 60, TimeSpan.FromSeconds(60)));
        Assert.True(runtime.DeferralCount > 0);
        Assert.Equal(runtime.DeferralCount, tenant.DeferralCount);
    }
}
