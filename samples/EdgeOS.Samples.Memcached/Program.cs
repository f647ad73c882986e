// A multi-tenant memcached: tenant i answers on TCP and UDP port --port-base + i with its own memory, LRU and stats.
// Usage: dotnet run -c Release --project samples/EdgeOS.Samples.Memcached -- --tenants 100 -m 8
using System.Runtime.InteropServices;
using EdgeOS.Core.Memory;
using EdgeOS.Samples.Memcached.Hosting;
using EdgeOS.Samples.Memcached.Storage;

HostOptions? options = HostOptions.Parse(args, out string? error);
if (options is null)
{
    Console.Error.WriteLine($"error: {error}");
    Console.Error.WriteLine(HostOptions.Usage);
    return 2;
}

// Ctrl+C (SIGINT) and SIGTERM both end the wait below, so the listeners close and the regions are freed in order.
using CancellationTokenSource stop = new();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using PosixSignalRegistration onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using PosixSignalRegistration onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

MemoryAccount host = new("memcached-host");
var tenants = new List<Tenant>(options.Tenants);
var tcp = new List<TcpServer>(options.Tenants);
var udp = new List<UdpServer>(options.Tenants);
try
{
    for (int i = 0; i < options.Tenants; i++)
    {
        var tenant = new Tenant(i, options, host, StoreClock.System);
        tenants.Add(tenant);
        // UDP first: a client that sees the TCP port open may send datagrams at once.
        if (tenant.UdpPort != 0)
        {
            var u = new UdpServer(tenant, options.Listen);
            udp.Add(u);
            u.Start();
        }

        var t = new TcpServer(tenant, options.Listen);
        tcp.Add(t);
        t.Start();
    }

    string udpText = options.UdpPortBase == 0 ? "off" : $"{options.UdpPortBase}..{options.UdpPortBase + options.Tenants - 1}";
    Console.WriteLine($"ready: {options.Tenants} tenant(s) on {options.Listen} tcp {options.PortBase}..{options.PortBase + options.Tenants - 1} udp {udpText}, -m {options.MemoryBytes >> 20} MiB, -I {options.ItemSizeMax} bytes, -c {options.MaxConnections}");
    Console.Out.Flush();
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }

    Console.WriteLine("shutting down");
}
catch (System.Net.Sockets.SocketException e)
{
    Console.Error.WriteLine($"error: cannot listen: {e.Message}");
    return 1;
}
finally
{
    await Task.WhenAll(tcp.Select(t => t.DisposeAsync().AsTask()).Concat(udp.Select(u => u.DisposeAsync().AsTask())));

    foreach (Tenant t in tenants)
    {
        t.Dispose();
    }
}

return 0;
