using Xunit;

namespace EdgeOS.Fwp.Tests;

public sealed class SchedulingTests
{
    private const long Millisecond = 1_000_000;

    [Fact]
    public void TenantOverBudgetIsDeferredWhileOthersProgress()
    {
        var clock = new ManualClock();
        var environment = new BurnEnvironment(clock);
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, TimeProvider = clock, BudgetPeriod = TimeSpan.FromMilliseconds(10) });
        using FwpTemplate template = FwpTemplate.Create<BurnProgram>(argument: environment);
        FwpTenant hog = runtime.CreateTenant("hog", new FwpTenantOptions { CpuBudgetPerPeriod = TimeSpan.FromMilliseconds(2) });
        FwpTenant quiet = runtime.CreateTenant("quiet", new FwpTenantOptions { CpuBudgetPerPeriod = TimeSpan.FromMilliseconds(2) });
        FwpHandle hogFwp = runtime.Spawn(template, hog);
        FwpHandle quietFwp = runtime.Spawn(template, quiet);
        for (int i = 0; i < 5; i++)
        {
            Messages.Post(hogFwp, Messages.Long(5 * Millisecond));
        }

        for (int i = 0; i < 5; i++)
        {
            Messages.Post(quietFwp, Messages.Long(Millisecond / 10));
        }

        runtime.RunUntilIdle();

        // The hog ran first (it was ready first), overran its budget with one message, and was deferred: every quiet
        // message was handled in the same period, none of the hog's others.
        Assert.Equal(["hog", "quiet", "quiet", "quiet", "quiet", "quiet"], environment.Order);
        Assert.Equal(5, quiet.HandledCount);
        Assert.Equal(1, hog.HandledCount);
        Assert.Equal(0, quiet.DeferralCount);
        Assert.Equal(1, hog.DeferralCount);
        Assert.Equal(FwpState.Ready, hogFwp.State);

        // Its 3 ms of debt carry over: the next period still defers it; the one after lets one more message through.
        clock.Advance(10 * Millisecond);
        runtime.RunUntilIdle();
        Assert.Equal(1, hog.HandledCount);
        clock.Advance(10 * Millisecond);
        runtime.RunUntilIdle();
        Assert.Equal(2, hog.HandledCount);
        Assert.True(hog.DeferralCount >= 3);
        Assert.Equal(runtime.DeferralCount, hog.DeferralCount);

        // Messages posted to the quiet tenant meanwhile are never held back by the hog.
        Messages.Post(quietFwp, Messages.Long(Millisecond / 10));
        runtime.RunUntilIdle();
        Assert.Equal(6, quiet.HandledCount);
        Assert.Equal(2, hog.HandledCount);
    }

    [Fact]
    public void HigherPriorityTenantRunsFirst()
    {
        var environment = new BurnEnvironment(new ManualClock());
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, MessagesPerSliceMax = 1 });
        using FwpTemplate template = FwpTemplate.Create<BurnProgram>(argument: environment);
        FwpHandle low = runtime.Spawn(template, runtime.CreateTenant("low", new FwpTenantOptions { Priority = FwpPriority.Low }));
        FwpHandle normal = runtime.Spawn(template, runtime.CreateTenant("normal"));
        FwpHandle high = runtime.Spawn(template, runtime.CreateTenant("high", new FwpTenantOptions { Priority = FwpPriority.High }));
        foreach (FwpHandle handle in new[] { low, normal, high })
        {
            Messages.Post(handle, Messages.Long(0));
            Messages.Post(handle, Messages.Long(0));
        }

        runtime.RunUntilIdle();
        Assert.Equal(["high", "high", "normal", "normal", "low", "low"], environment.Order);
    }

    [Fact]
    public void SlicesRotateBetweenInstancesOfEqualPriority()
    {
        var environment = new BurnEnvironment(new ManualClock());
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, MessagesPerSliceMax = 2 });
        using FwpTemplate template = FwpTemplate.Create<BurnProgram>(argument: environment);
        FwpHandle a = runtime.Spawn(template, runtime.CreateTenant("a"));
        FwpHandle b = runtime.Spawn(template, runtime.CreateTenant("b"));
        for (int i = 0; i < 4; i++)
        {
            Messages.Post(a, Messages.Long(0));
        }

        for (int i = 0; i < 4; i++)
        {
            Messages.Post(b, Messages.Long(0));
        }

        runtime.RunUntilIdle();
        Assert.Equal(["a", "a", "b", "b", "a", "a", "b", "b"], environment.Order);
    }

    [Fact]
    public void HogOnRealWorkersIsDeferredAndQuietTenantsFinish()
    {
        // Real threads and the real clock: asserts progress only, never durations.
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 2, BudgetPeriod = TimeSpan.FromMilliseconds(5) });
        using FwpTemplate template = FwpTemplate.Create<SpinProgram>();
        runtime.Start();
        FwpTenant hog = runtime.CreateTenant("hog", new FwpTenantOptions { CpuBudgetPerPeriod = TimeSpan.FromMilliseconds(1) });
        FwpHandle hogFwp = runtime.Spawn(template, hog);
        FwpTenant[] quiet = [.. Enumerable.Range(0, 8).Select(i => runtime.CreateTenant("quiet" + i))];
        FwpHandle[] quietFwps = [.. quiet.Select(t => runtime.Spawn(template, t))];
        for (int i = 0; i < 100; i++)
        {
            Messages.Post(hogFwp, Messages.Long(200_000));
        }

        for (int round = 0; round < 20; round++)
        {
            foreach (FwpHandle handle in quietFwps)
            {
                while (handle.TryPost(Messages.Long(0)) != FwpPostStatus.Posted)
                {
                    Thread.Yield();
                }
            }
        }

        SpinWait.SpinUntil(() => quiet.All(t => t.HandledCount == 20), TimeSpan.FromSeconds(60));
        Assert.All(quiet, t => Assert.Equal(20, t.HandledCount));
        Assert.True(hog.DeferralCount > 0);
    }
}

/// <summary>Spins for the message's number of iterations: a handler that really uses CPU.</summary>
internal sealed class SpinProgram : IFwpProgram
{
    public static void Handle(FwpContext context, ReadOnlySpan<byte> message)
    {
        long iterations = BitConverter.ToInt64(message);
        long x = 0;
        for (long i = 0; i < iterations; i++)
        {
            x += i ^ (x >> 3);
        }

        context.State<long>() = x;
    }
}
