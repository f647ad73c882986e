using EdgeOS.Core.Capabilities;
using Xunit;

namespace EdgeOS.Fwp.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public void SpawnedInstanceBlocksThenRunsThenExits()
    {
        var ended = new List<FwpEnded>();
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, OnEnded = ended.Add });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>();
        FwpTenant tenant = runtime.CreateTenant("t");
        FwpHandle handle = runtime.Spawn(template, tenant);
        Assert.Equal(FwpState.Blocked, handle.State);
        Assert.True(handle.IsAlive);
        Assert.Same(tenant, handle.Tenant);
        Assert.Equal(1, runtime.LiveCount);
        Assert.Equal(1, tenant.LiveCount);

        Messages.Post(handle, Messages.Long(5));
        Assert.Equal(FwpState.Ready, handle.State);
        runtime.RunUntilIdle();
        Assert.Equal(FwpState.Blocked, handle.State);
        Assert.Equal(5, IsolationTests.ReadCounter(handle).Sum);

        Messages.Post(handle, "exit"u8);
        runtime.RunUntilIdle();
        Assert.Equal(FwpState.Exited, handle.State);
        Assert.False(handle.IsAlive);
        Assert.Null(handle.Tenant);
        Assert.Equal(0, runtime.LiveCount);
        Assert.Equal(0, tenant.LiveCount);
        Assert.Equal(FwpEndReason.Exited, Assert.Single(ended).Reason);
        Assert.Equal(FwpPostStatus.Ended, handle.TryPost("late"u8));
    }

    [Fact]
    public void RecycledInstanceStartsFromTheTemplateWithFreshCapabilities()
    {
        var sink = new Sink();
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>(new FwpTemplateOptions { PoolSizeInitial = 1 }, sink);
        FwpTenant tenant = runtime.CreateTenant("t");
        Assert.Equal(1, template.PooledCount);

        FwpHandle first = runtime.Spawn(template, tenant);
        Messages.Post(first, Messages.Long(99));
        Messages.Post(first, "sink"u8);
        runtime.RunUntilIdle();
        CapabilityHandle oldCapability = first.Instance!.GetCapabilityHandle(IsolationTests.ReadCounter(first).Sink);
        var table = first.Instance.Table;
        Assert.True(first.Exit());
        runtime.RunUntilIdle();
        Assert.Equal(1, template.PooledCount);

        FwpHandle second = runtime.Spawn(template, tenant);
        Assert.Same(first.Instance, second.Instance);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(0, IsolationTests.ReadCounter(second).Sum);
        Assert.Equal(CounterProgram.TemplateMarker, IsolationTests.ReadCounter(second).Marker);
        Assert.Equal(0, second.Instance!.View!.PrivateBytes);

        // The previous incarnation's capability is dead; the new one gets its own on first use.
        Assert.Equal(CapabilityStatus.Stale, table.TryResolve(oldCapability, CapabilityRights.None, out Sink? _));
        Messages.Post(second, "sink"u8);
        runtime.RunUntilIdle();
        Assert.Equal(2, sink.Items.Count);

        // A stale handle can neither post into nor end the new incarnation.
        Assert.Equal(FwpPostStatus.Ended, first.TryPost(Messages.Long(1)));
        Assert.False(first.Exit());
        Assert.True(second.IsAlive);
        Assert.Equal(FwpState.Exited, first.State);
    }

    [Fact]
    public void ExitFromTheHandlerDropsTheRestOfTheInbox()
    {
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>();
        FwpHandle handle = runtime.Spawn(template, runtime.CreateTenant("t"));
        Messages.Post(handle, Messages.Long(1));
        Messages.Post(handle, "exit"u8);
        Messages.Post(handle, Messages.Long(2));
        Messages.Post(handle, Messages.Long(3));
        runtime.RunUntilIdle();
        Assert.False(handle.IsAlive);
        Assert.Equal(2, runtime.HandledCount);
        Assert.Equal(2, runtime.DroppedCount);
    }

    [Fact]
    public void InboxDeliversMessagesInOrderAcrossWrapAround()
    {
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>(new FwpTemplateOptions { InboxSizeBytes = 512 });
        FwpHandle handle = runtime.Spawn(template, runtime.CreateTenant("t"));
        var random = new Random(1234);
        long expected = 0;
        int posted = 0;
        for (int round = 0; round < 2000; round++)
        {
            byte[] message = new byte[8 + random.Next(0, template.MessageSizeBytesMax - 8 + 1)];
            long value = random.Next(1, 1000);
            BitConverter.TryWriteBytes(message, value);
            if (handle.TryPost(message) == FwpPostStatus.Posted)
            {
                expected += value;
                posted++;
            }
            else
            {
                runtime.RunUntilIdle();
            }
        }

        runtime.RunUntilIdle();
        Assert.Equal(posted, IsolationTests.ReadCounter(handle).Messages);
        Assert.Equal(expected, IsolationTests.ReadCounter(handle).Sum);
        Assert.True(posted > 1000);
    }

    [Fact]
    public void FullInboxRefusesAndTooLargeMessageThrowsLeavingTheInboxUnchanged()
    {
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>(new FwpTemplateOptions { InboxSizeBytes = 256 });
        FwpHandle handle = runtime.Spawn(template, runtime.CreateTenant("t"));
        Assert.Equal(24, template.MessageSizeBytesMax);
        Assert.Throws<ArgumentException>(() => handle.TryPost(new byte[25]));
        int posted = 0;
        long sum = 0;
        while (handle.TryPost(Messages.Long(posted + 1)) == FwpPostStatus.Posted)
        {
            posted++;
            sum += posted;
        }

        Assert.Equal(16, posted);
        Assert.Equal(FwpPostStatus.InboxFull, handle.TryPost(Messages.Long(100)));
        runtime.RunUntilIdle();
        Assert.Equal(sum, IsolationTests.ReadCounter(handle).Sum);
    }

    [Fact]
    public void BadTemplateOptionsAreRefusedWithTheOptionNamed()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => FwpTemplate.Create<CounterProgram>(new FwpTemplateOptions { InboxSizeBytes = 1000 }));
        Assert.Contains("InboxSizeBytes", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => FwpTemplate.Create<CounterProgram>(new FwpTemplateOptions { StateSizeBytes = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => FwpTemplate.Create<CounterProgram>(new FwpTemplateOptions { PoolSizeInitial = 10, PoolSizeMax = 5 }));
    }

    [Fact]
    public void TemplateIsBoundToOneRuntime()
    {
        using var first = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using var second = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>();
        first.Spawn(template, first.CreateTenant("a"));
        Assert.Throws<InvalidOperationException>(() => second.Spawn(template, second.CreateTenant("b")));
        Assert.Throws<ArgumentException>(() => first.Spawn(template, second.CreateTenant("c")));
    }
}
