using EdgeOS.Core.Memory;
using Xunit;

namespace EdgeOS.Fwp.Tests;

public sealed class FaultAndQuotaTests
{
    [Fact]
    public void ThrowingInstanceEndsAloneAndOthersResultsAreUntouched()
    {
        var ended = new List<FwpEnded>();
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, OnEnded = ended.Add });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>();
        FwpTenant tenant = runtime.CreateTenant("t");
        FwpHandle[] handles = [.. Enumerable.Range(0, 10).Select(_ => runtime.Spawn(template, tenant))];
        for (int round = 1; round <= 3; round++)
        {
            for (int i = 0; i < handles.Length; i++)
            {
                Messages.Post(handles[i], i == 4 && round == 2 ? "throw"u8 : Messages.Long(i * round));
            }
        }

        runtime.RunUntilIdle();

        FwpEnded fault = Assert.Single(ended);
        Assert.Equal(FwpEndReason.Faulted, fault.Reason);
        Assert.Equal(handles[4].Id, fault.Id);
        Assert.IsType<InvalidOperationException>(fault.Exception);
        Assert.Equal(1, runtime.FaultCount);
        Assert.Equal(1, tenant.FaultCount);
        Assert.False(handles[4].IsAlive);
        for (int i = 0; i < handles.Length; i++)
        {
            if (i != 4)
            {
                Assert.True(handles[i].IsAlive);
                Assert.Equal(6 * i, IsolationTests.ReadCounter(handles[i]).Sum);
                Assert.Equal(3, IsolationTests.ReadCounter(handles[i]).Messages);
            }
        }

        Assert.Equal(9, runtime.LiveCount);
        Assert.Equal(1, runtime.DroppedCount);
    }

    [Fact]
    public void RestartPolicyRestartsFromTheTemplateUntilItsLimit()
    {
        var ended = new List<FwpEnded>();
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, OnEnded = ended.Add });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>(new FwpTemplateOptions { RestartsMax = 1 });
        FwpHandle handle = runtime.Spawn(template, runtime.CreateTenant("t"));
        Messages.Post(handle, Messages.Long(5));
        Messages.Post(handle, "throw"u8);
        Messages.Post(handle, Messages.Long(7));
        runtime.RunUntilIdle();

        Assert.True(handle.IsAlive);
        Assert.Empty(ended);
        Assert.Equal(1, handle.Instance!.RestartCount);
        Assert.Equal(7, IsolationTests.ReadCounter(handle).Sum);
        Assert.Equal(CounterProgram.TemplateMarker, IsolationTests.ReadCounter(handle).Marker);

        Messages.Post(handle, "throw"u8);
        runtime.RunUntilIdle();
        Assert.False(handle.IsAlive);
        Assert.Equal(FwpEndReason.Faulted, Assert.Single(ended).Reason);
        Assert.Equal(2, runtime.FaultCount);
    }

    [Fact]
    public void QuotaOverrunFaultsOnlyThatTenantsInstanceAndGivesBackItsMemory()
    {
        var ended = new List<FwpEnded>();
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, OnEnded = ended.Add });
        using FwpTemplate template = FwpTemplate.Create<ChunkWriterProgram>();
        FwpTenant small = runtime.CreateTenant("small", new FwpTenantOptions { MemoryQuotaBytes = (3 * 4096) + 4096 });
        FwpTenant large = runtime.CreateTenant("large");
        FwpHandle inSmall = runtime.Spawn(template, small);
        FwpHandle inLarge = runtime.Spawn(template, large);

        Messages.Post(inSmall, [2]);
        runtime.RunUntilIdle();
        Assert.True(inSmall.IsAlive);
        Assert.True(small.Account.UsedBytes >= 2 * 4096);

        Messages.Post(inSmall, [8]);
        Messages.Post(inLarge, [8]);
        runtime.RunUntilIdle();

        FwpEnded fault = Assert.Single(ended);
        Assert.Equal(FwpEndReason.QuotaExceeded, fault.Reason);
        Assert.IsType<MemoryQuotaExceededException>(fault.Exception);
        Assert.Same(small, fault.Tenant);
        Assert.Equal(0, small.Account.UsedBytes);
        Assert.True(inLarge.IsAlive);
        Assert.Equal(8 * 4096, inLarge.Instance!.View!.PrivateBytes);
    }

    [Fact]
    public void InstanceQuotaLimitsOneInstanceBelowItsTenant()
    {
        var ended = new List<FwpEnded>();
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, OnEnded = ended.Add });
        using FwpTemplate template = FwpTemplate.Create<ChunkWriterProgram>(new FwpTemplateOptions { InstanceMemoryQuotaBytes = 4 * 4096 });
        FwpTenant tenant = runtime.CreateTenant("t");
        FwpHandle a = runtime.Spawn(template, tenant);
        FwpHandle b = runtime.Spawn(template, tenant);
        Messages.Post(a, [3]);
        Messages.Post(b, [5]);
        runtime.RunUntilIdle();
        Assert.True(a.IsAlive);
        Assert.False(b.IsAlive);
        Assert.Equal(FwpEndReason.QuotaExceeded, Assert.Single(ended).Reason);
        Assert.Equal(a.Instance!.View!.ChargedBytes, tenant.Account.UsedBytes);
    }
}
