using EdgeOS.Core.Capabilities;
using Xunit;

namespace EdgeOS.Fwp.Tests;

public sealed class ShutdownTests
{
    [Theory]
    [InlineData(FwpShutdownMode.Drain)]
    [InlineData(FwpShutdownMode.Drop)]
    public async Task ManualRuntimeStopDrainsOrDropsAcceptedMessages(FwpShutdownMode mode)
    {
        var ended = new List<FwpEnded>();
        var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, ShutdownMode = mode, OnEnded = ended.Add });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>();
        FwpTenant tenant = runtime.CreateTenant("t");
        FwpHandle[] handles = [.. Enumerable.Range(0, 4).Select(_ => runtime.Spawn(template, tenant))];
        foreach (FwpHandle handle in handles)
        {
            for (int i = 0; i < 3; i++)
            {
                Messages.Post(handle, Messages.Long(1));
            }
        }

        await runtime.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(mode == FwpShutdownMode.Drain ? 12 : 0, runtime.HandledCount);
        Assert.Equal(mode == FwpShutdownMode.Drain ? 0 : 12, runtime.DroppedCount);
        Assert.Equal(0, runtime.LiveCount);
        Assert.Equal(0, tenant.LiveCount);
        Assert.Equal(4, ended.Count);
        Assert.All(ended, e => Assert.Equal(FwpEndReason.Shutdown, e.Reason));
        Assert.All(handles, h => Assert.Equal(FwpPostStatus.Ended, h.TryPost(Messages.Long(1))));
        Assert.Throws<InvalidOperationException>(() => runtime.Spawn(template, tenant));
        Assert.Equal(4, template.PooledCount);
    }

    [Fact]
    public async Task ThreadedRuntimeDrainHandlesEveryAcceptedMessage()
    {
        var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 2, ShutdownMode = FwpShutdownMode.Drain });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>();
        runtime.Start();
        FwpTenant tenant = runtime.CreateTenant("t");
        FwpHandle[] handles = [.. Enumerable.Range(0, 50).Select(_ => runtime.Spawn(template, tenant))];
        long accepted = 0;
        for (int i = 0; i < 100; i++)
        {
            foreach (FwpHandle handle in handles)
            {
                if (handle.TryPost(Messages.Long(1)) == FwpPostStatus.Posted)
                {
                    accepted++;
                }
            }
        }

        await runtime.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(accepted, runtime.HandledCount);
        Assert.Equal(0, runtime.DroppedCount);
        Assert.Equal(0, runtime.LiveCount);
    }

    [Fact]
    public async Task ThreadedRuntimeDropFinishesTheRunningMessageAndDropsTheRest()
    {
        using var gate = new ManualResetEventSlim(false);
        using var entered = new ManualResetEventSlim(false);
        var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 2, ShutdownMode = FwpShutdownMode.Drop });
        using FwpTemplate template = FwpTemplate.Create<GateProgram>(argument: new Gate(gate, entered));
        runtime.Start();
        FwpHandle handle = runtime.Spawn(template, runtime.CreateTenant("t"));
        for (int i = 0; i < 11; i++)
        {
            Messages.Post(handle, "m"u8);
        }

        Assert.True(entered.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Task stop = runtime.StopAsync(TestContext.Current.CancellationToken);
        gate.Set();
        await stop;

        Assert.Equal(1, runtime.HandledCount);
        Assert.Equal(10, runtime.DroppedCount);
        Assert.Equal(0, runtime.LiveCount);
        Assert.False(handle.IsAlive);
    }
}

internal sealed record Gate(ManualResetEventSlim Open, ManualResetEventSlim Entered);

/// <summary>Signals that it entered the handler, then waits for the gate (tests only: handlers must not block).</summary>
internal sealed class GateProgram : IFwpProgram
{
    public static void Start(FwpStartContext context) =>
        context.State<FwpCapability>() = context.Grant(context.Argument!, CapabilityRights.Execute);

    public static void Handle(FwpContext context, ReadOnlySpan<byte> message)
    {
        Gate gate = context.Resolve<Gate>(context.ReadState<FwpCapability>(), CapabilityRights.Execute);
        gate.Entered.Set();
        gate.Open.Wait();
    }
}
