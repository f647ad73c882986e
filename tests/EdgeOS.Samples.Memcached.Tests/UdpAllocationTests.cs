using System.Text;
using EdgeOS.Fwp;
using EdgeOS.Samples.Memcached.Hosting;
using EdgeOS.Samples.Memcached.Storage;
using Xunit;

namespace EdgeOS.Samples.Memcached.Tests;

/// <summary>Runs alone: the allocation count below is the whole process's (the receive thread is not the test's).</summary>
[CollectionDefinition("whole-process allocation", DisableParallelization = true)]
public sealed class WholeProcessAllocationCollection
{
}

[Collection("whole-process allocation")]
public sealed class UdpAllocationTests
{
    [Fact]
    public async Task UdpBatchesThroughTheFrontEndAndTheTenantsFwpAllocateNothingPerRequest()
    {
        ChannelTable channels = new();
        using FwpRuntime runtime = new(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = TenantTemplates.Create(channels);
        int port = Processes.FreePorts(1);
        HostOptions options = HostOptions.Parse(["-m", "8", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], out string? error)
            ?? throw new InvalidOperationException(error);
        Tenant tenant = new(0, options, runtime, template, new ManualStoreClock(TenantTemplates.Now));
        UdpServer udp = new(System.Net.IPAddress.Loopback, channels, receivers: 1);
        udp.Add(tenant);
        udp.Start();
        try
        {
            using System.Net.Sockets.Socket client = new(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp)
            {
                ReceiveBufferSize = 1 << 20,
            };
            client.Connect(System.Net.IPAddress.Loopback, port);
            byte[] set = Encoding.Latin1.GetBytes("\0\u0001\0\0\0\u0001\0\0set key:1 0 0 135\r\n" + new string('v', 135) + "\r\n");
            byte[] get = Encoding.Latin1.GetBytes("\0\u0002\0\0\0\u0001\0\0get key:1\r\n");
            byte[] reply = new byte[2048];
            int wrong = 0;

            // A burst of 16 datagrams (one recvmmsg batch, or a few), run by the tenant's FWP on this thread.
            void Round()
            {
                client.Send(set);
                for (int i = 0; i < 15; i++)
                {
                    client.Send(get);
                }

                int received = 0;
                long spins = 0;
                while (received < 16 && spins++ < 50_000_000)
                {
                    runtime.RunUntilIdle();
                    while (client.Available > 0)
                    {
                        int n = client.Receive(reply);
                        wrong += n == 8 + 19 + 135 + 7 || n == 8 + 8 ? 0 : 1;
                        received++;
                    }
                }

                wrong += received == 16 ? 0 : 1000;
            }

            for (int i = 0; i < 100; i++)
            {
                Round(); // warm up (JIT, tiering, pooled batches' first use)
            }

            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < 500; i++)
            {
                Round();
            }

            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            Assert.Equal(0, wrong);

            // Whole-process count (the receive thread is not this one): allow test-host noise, far below a byte per request.
            Assert.True(allocated < 4000, $"{allocated} bytes allocated in the process for 8000 UDP requests");
        }
        finally
        {
            await udp.DisposeAsync();
        }
    }
}
