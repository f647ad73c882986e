using Xunit;

namespace EdgeOS.Fwp.Tests;

public sealed class ChurnTests
{
    [Fact]
    public void HundredsOfThousandsOfSpawnExitCyclesLeaveNothingBehind()
    {
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>();
        FwpTenant tenant = runtime.CreateTenant("t", new FwpTenantOptions { MemoryQuotaBytes = 64L << 20 });
        long runtimeBytesAtStart = runtime.Account.UsedBytes;
        var handles = new FwpHandle[1000];
        byte[] value = Messages.Long(3);
        for (int round = 0; round < 200; round++)
        {
            for (int i = 0; i < handles.Length; i++)
            {
                handles[i] = runtime.Spawn(template, tenant);
                Messages.Post(handles[i], value);
                Messages.Post(handles[i], "exit"u8);
            }

            Assert.Equal(handles.Length, runtime.LiveCount);
            Assert.True(tenant.Account.UsedBytes == 0, "nothing is written before the instances run");
            runtime.RunUntilIdle();
            Assert.Equal(0, runtime.LiveCount);
        }

        Assert.Equal(200_000, runtime.SpawnCount);
        Assert.Equal(400_000, runtime.HandledCount);
        Assert.Equal(0, runtime.LiveCount);
        Assert.Equal(0, tenant.LiveCount);
        Assert.Equal(0, tenant.Account.UsedBytes);
        Assert.Equal(runtimeBytesAtStart, runtime.Account.UsedBytes);
        Assert.Equal(0, runtime.FaultCount);

        // Recycling reuses instance objects: never more than one round's worth was created.
        Assert.True(template.CreatedCount <= handles.Length, $"{template.CreatedCount} instances created");
        Assert.Equal(template.CreatedCount, template.PooledCount);
    }

    [Fact]
    public void ConcurrentSpawnersOnRealWorkersReturnToTheStart()
    {
        var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 2 });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>();
        runtime.Start();
        FwpTenant[] tenants = [runtime.CreateTenant("a"), runtime.CreateTenant("b")];
        const int PerThread = 50_000;
        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, t =>
        {
            byte[] value = Messages.Long(t + 1);
            for (int i = 0; i < PerThread; i++)
            {
                FwpHandle handle = runtime.Spawn(template, tenants[t]);
                Messages.Post(handle, value);
                Messages.Post(handle, "exit"u8);
            }
        });

        Assert.True(SpinWait.SpinUntil(() => runtime.LiveCount == 0, TimeSpan.FromSeconds(60)), $"{runtime.LiveCount} still live");
        Assert.Equal(2 * PerThread, runtime.SpawnCount);
        Assert.Equal(4 * PerThread, runtime.HandledCount);
        Assert.All(tenants, t => Assert.Equal(0, t.Account.UsedBytes));
        Assert.All(tenants, t => Assert.Equal(0, t.LiveCount));
        Assert.Equal(0, runtime.FaultCount);
        runtime.Dispose();
    }
}
