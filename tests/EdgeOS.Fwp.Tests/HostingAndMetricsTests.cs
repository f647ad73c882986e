using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace EdgeOS.Fwp.Tests;

public sealed class HostingAndMetricsTests
{
    [Fact]
    public async Task HostedRuntimeStartsWithTheHostAndDrainsWhenItStops()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddFwpRuntime(options =>
        {
            options.WorkerCount = 2;
            options.ShutdownMode = FwpShutdownMode.Drain;
        });
        builder.Services.AddFwpRuntime();
        using IHost host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);

        FwpRuntime runtime = host.Services.GetRequiredService<FwpRuntime>();
        Assert.Same(runtime, host.Services.GetRequiredService<FwpRuntime>());
        Assert.Single(host.Services.GetServices<IHostedService>(), s => s.GetType().Name == "FwpHostedService");
        Assert.Equal(2, runtime.WorkerCount);
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>();
        FwpTenant tenant = runtime.CreateTenant("t");
        FwpHandle[] handles = [.. Enumerable.Range(0, 10).Select(_ => runtime.Spawn(template, tenant))];
        foreach (FwpHandle handle in handles)
        {
            for (int i = 0; i < 10; i++)
            {
                Messages.Post(handle, Messages.Long(1));
            }
        }

        await host.StopAsync(TestContext.Current.CancellationToken);
        Assert.True(runtime.IsStopping);
        Assert.Equal(100, runtime.HandledCount);
        Assert.Equal(0, runtime.LiveCount);
    }

    [Fact]
    public void MetricsReportLiveSpawnsFaultsDeferralsAndQueueDepth()
    {
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>();
        FwpTenant tenant = runtime.CreateTenant("t");
        FwpHandle a = runtime.Spawn(template, tenant);
        FwpHandle b = runtime.Spawn(template, tenant);
        Messages.Post(a, Messages.Long(1));
        Messages.Post(b, "throw"u8);

        var values = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, runtime.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.Start();

        listener.RecordObservableInstruments();
        Assert.Equal(2, values["edgeos.fwp.live"]);
        Assert.Equal(2, values["edgeos.fwp.spawns"]);
        Assert.Equal(2, values["edgeos.fwp.queue_depth"]);

        runtime.RunUntilIdle();
        listener.RecordObservableInstruments();
        Assert.Equal(1, values["edgeos.fwp.live"]);
        Assert.Equal(1, values["edgeos.fwp.faults"]);
        Assert.Equal(0, values["edgeos.fwp.queue_depth"]);
        Assert.Equal(0, values["edgeos.fwp.budget_deferrals"]);
        Assert.Equal(2, values["edgeos.fwp.messages"]);
    }
}
