// A multi-tenant memcached: tenant i answers on TCP and UDP port --port-base + i with its own memory, LRU and stats.
// Every tenant is a featherweight process spawned from one template; -t workers run all of them.
// Usage: dotnet run -c Release --project samples/EdgeOS.Samples.Memcached -- --tenants 100 -m 8
using System.Runtime.InteropServices;
using EdgeOS.Core.Memory;
using EdgeOS.Fwp;
using EdgeOS.Samples.Memcached.Hosting;
using EdgeOS.Samples.Memcached.Storage;

HostOptions? options = HostOptions.Parse(args, out string? error);
if (options is null)
{
    Console.Error.WriteLine($"error: {error}");
    Console.Error.WriteLine(HostOptions.Usage);
    return 2;
}

// Ctrl+C (SIGINT) and SIGTERM both end the wait below, so the listeners close and the FWPs end in order.
using CancellationTokenSource stop = new();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

// Like memcached, answer SIGINT even when started with it ignored (a background job of a non-interactive shell).
EdgeOS.Samples.Shared.InterruptSignal.StopIgnoring();
using PosixSignalRegistration onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using PosixSignalRegistration onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

MemoryAccount host = new("memcached-host");
ChannelTable channels = new();
long areaBytes = ItemStore.RequiredAreaBytes(options.MemoryBytes, options.ItemSizeMax);

// One template for every tenant: its start-up formats an empty store; the image is shared, each tenant copies the
// 4 KiB chunks it writes. The inbox holds the 12-byte channel messages (one outstanding per connection).
using FwpTemplate template = FwpTemplate.Create<MemcachedProgram>(
    new FwpTemplateOptions
    {
        Name = "memcached",
        StateSizeBytes = areaBytes,
        InboxSizeBytes = 4096,
        RestartsMax = int.MaxValue,
        Account = host,
    },
    new TemplateArgument(options.MemoryBytes, options.ItemSizeMax, StoreClock.System.UnixSeconds, channels, options.Verbosity));
FwpRuntime runtime = new(new FwpRuntimeOptions { WorkerCount = options.Threads, Name = "memcached", ShutdownMode = FwpShutdownMode.Drain });
runtime.Start();

var tenants = new List<Tenant>(options.Tenants);
var tcp = new List<TcpServer>(options.Tenants);
IUdpFrontEnd udp;
try
{
    udp = XdpUdpServer.CreateFrontEnd(options, channels);
}
catch (XdpSetupException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    await runtime.StopAsync();
    return 1;
}

int exitCode = 0;
try
{
    for (int i = 0; i < options.Tenants; i++)
    {
        var tenant = new Tenant(i, options, runtime, template, StoreClock.System);
        tenants.Add(tenant);

        // UDP first: a client that sees the TCP port open may send datagrams at once.
        if (tenant.UdpPort != 0)
        {
            udp.Add(tenant);
        }

        var t = new TcpServer(tenant, options.Listen, channels);
        tcp.Add(t);
        t.Start();
    }

    udp.Start();

    // Start-up leaves tens of MiB of garbage (1000 tenants' listeners, sessions, FWP bookkeeping): collect it now, so
    // that the first gen1/gen2 collections (tens of milliseconds, the process stopped) do not land in the first
    // seconds of load. Steady-state serving allocates next to nothing (the pipes' buffers come from BlockPool).
    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    if (options.Verbosity > 0)
    {
        RuntimeLine("ready");
    }

    string udpText = options.UdpPortBase == 0 ? "off" : $"{options.UdpPortBase}..{options.UdpPortBase + options.Tenants - 1}";
    Console.WriteLine($"ready: {options.Tenants} tenant(s) on {options.Listen} tcp {options.PortBase}..{options.PortBase + options.Tenants - 1} udp {udpText}, -m {options.MemoryBytes >> 20} MiB, -I {options.ItemSizeMax} bytes, -c {options.MaxConnections}, -t {options.Threads}");
    Console.Out.Flush();
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }

    Console.WriteLine("shutting down");
    if (options.Verbosity > 0)
    {
        RuntimeLine("at shutdown");
    }
}
catch (System.Net.Sockets.SocketException e)
{
    Console.Error.WriteLine($"error: cannot listen: {e.Message}");
    exitCode = 1;
}
finally
{
    // Listeners and connections first (a closing connection still asks its FWP to give back a partial value), then
    // the runtime, which ends every tenant's FWP and gives its private chunks back.
    await Task.WhenAll(tcp.Select(t => t.DisposeAsync().AsTask()).Append(udp.DisposeAsync().AsTask()));
    await runtime.StopAsync();
}

return exitCode;

// -v: the collections so far, their total pause, the bytes allocated and the thread pool's use, for latency work
// (the difference between the "ready" and "at shutdown" lines is what serving cost).
static void RuntimeLine(string when) =>
    Console.WriteLine(
        $"runtime {when}: gc gen0 {GC.CollectionCount(0)} gen1 {GC.CollectionCount(1)} gen2 {GC.CollectionCount(2)}, " +
        $"pause {GC.GetTotalPauseDuration().TotalMilliseconds:F1} ms, allocated {GC.GetTotalAllocatedBytes()} bytes, " +
        $"server gc {System.Runtime.GCSettings.IsServerGC}, thread pool {ThreadPool.ThreadCount} threads, " +
        $"{ThreadPool.CompletedWorkItemCount} work items");
