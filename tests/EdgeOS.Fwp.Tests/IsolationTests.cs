using EdgeOS.Core.Capabilities;
using Xunit;

namespace EdgeOS.Fwp.Tests;

public sealed class IsolationTests
{
    internal static CounterState ReadCounter(FwpHandle handle) => handle.Instance!.View!.GetReadOnlyRef<CounterState>(0);

    [Fact]
    public void WritesOfOneInstanceAreInvisibleToTheTemplateAndToOtherInstances()
    {
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>();
        FwpTenant tenantA = runtime.CreateTenant("a");
        FwpTenant tenantB = runtime.CreateTenant("b");
        FwpHandle a = runtime.Spawn(template, tenantA);
        FwpHandle a2 = runtime.Spawn(template, tenantA);
        FwpHandle b = runtime.Spawn(template, tenantB);

        Messages.Post(a, Messages.Long(40));
        Messages.Post(a, Messages.Long(2));
        Messages.Post(b, Messages.Long(7));
        runtime.RunUntilIdle();

        Assert.Equal(2, ReadCounter(a).Messages);
        Assert.Equal(42, ReadCounter(a).Sum);
        Assert.Equal(1, ReadCounter(b).Messages);
        Assert.Equal(7, ReadCounter(b).Sum);

        // The sibling of the same tenant and the template itself still hold the start-up state.
        Assert.Equal(0, ReadCounter(a2).Messages);
        Assert.Equal(CounterProgram.TemplateMarker, ReadCounter(a2).Marker);
        using var fresh = template.Image.CreateView();
        Assert.Equal(0, fresh.GetReadOnlyRef<CounterState>(0).Sum);
        Assert.Equal(CounterProgram.TemplateMarker, fresh.GetReadOnlyRef<CounterState>(0).Marker);
    }

    [Fact]
    public void CapabilityHandleOfOneInstanceCannotReachAnythingThroughAnother()
    {
        var sink = new Sink();
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>(argument: sink);
        FwpTenant tenant = runtime.CreateTenant("t");
        FwpHandle a = runtime.Spawn(template, tenant);
        FwpHandle b = runtime.Spawn(template, tenant);
        Messages.Post(a, "sink"u8);
        Messages.Post(b, "sink"u8);
        runtime.RunUntilIdle();
        Assert.Equal(2, sink.Items.Count);

        // Each instance has its own table: a's concrete handle means nothing in b's table.
        CapabilityTable tableA = a.Instance!.Table;
        CapabilityTable tableB = b.Instance!.Table;
        Assert.NotSame(tableA, tableB);
        CapabilityHandle handleOfA = a.Instance.GetCapabilityHandle(ReadCounter(a).Sink);
        Assert.Equal(CapabilityStatus.Ok, tableA.TryResolve(handleOfA, CapabilityRights.Write, out Sink? viaA));
        Assert.Same(sink, viaA);
        Assert.NotEqual(CapabilityStatus.Ok, tableB.TryResolve(handleOfA, CapabilityRights.None, out Sink? viaB));
        Assert.Null(viaB);

        // The instance got exactly the granted rights: no amplification to Read or Grant.
        Assert.Equal(CapabilityRights.Write, tableA.GetRights(handleOfA));
        Assert.Equal(CapabilityStatus.InsufficientRights, tableA.TryResolve(handleOfA, CapabilityRights.Read, out Sink? _));
    }

    [Fact]
    public void RevokingATenantInvalidatesExactlyItsInstancesCapabilities()
    {
        var sink = new Sink();
        var ended = new List<FwpEnded>();
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, OnEnded = ended.Add });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>(argument: sink);
        FwpTenant victim = runtime.CreateTenant("victim");
        FwpTenant other = runtime.CreateTenant("other");
        FwpHandle[] victims = [runtime.Spawn(template, victim), runtime.Spawn(template, victim)];
        FwpHandle[] others = [runtime.Spawn(template, other), runtime.Spawn(template, other)];
        foreach (FwpHandle handle in victims.Concat(others))
        {
            Messages.Post(handle, "sink"u8);
        }

        runtime.RunUntilIdle();
        Assert.Equal(4, sink.Items.Count);
        CapabilityHandle[] victimHandles = [.. victims.Select(h => h.Instance!.GetCapabilityHandle(ReadCounter(h).Sink))];
        CapabilityHandle[] otherHandles = [.. others.Select(h => h.Instance!.GetCapabilityHandle(ReadCounter(h).Sink))];

        victim.Revoke();

        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(CapabilityStatus.Stale, victims[i].Instance!.Table.TryResolve(victimHandles[i], CapabilityRights.Write, out Sink? _));
            Assert.Equal(CapabilityStatus.Ok, others[i].Instance!.Table.TryResolve(otherHandles[i], CapabilityRights.Write, out Sink? _));
        }

        // Using the revoked capability faults the victim's instances only; the others keep reporting.
        while (sink.Items.TryDequeue(out _))
        {
        }

        foreach (FwpHandle handle in victims.Concat(others))
        {
            Messages.Post(handle, "sink"u8);
        }

        runtime.RunUntilIdle();
        Assert.Equal(2, sink.Items.Count);
        Assert.All(sink.Items, item => Assert.Equal("other", item.Tenant));
        Assert.Equal(2, ended.Count);
        Assert.All(ended, e => Assert.Equal(FwpEndReason.CapabilityFault, e.Reason));
        Assert.All(victims, h => Assert.False(h.IsAlive));
        Assert.All(others, h => Assert.True(h.IsAlive));
        Assert.Throws<InvalidOperationException>(() => runtime.Spawn(template, victim));
    }

    [Fact]
    public void RevokedTenantCannotDeriveCapabilitiesItNeverUsedBefore()
    {
        var sink = new Sink();
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>(argument: sink);
        FwpTenant tenant = runtime.CreateTenant("t");
        FwpHandle handle = runtime.Spawn(template, tenant);
        tenant.Revoke();
        Messages.Post(handle, "sink"u8);
        runtime.RunUntilIdle();
        Assert.Empty(sink.Items);
        Assert.False(handle.IsAlive);
        Assert.Equal(1, tenant.FaultCount);
    }
}
