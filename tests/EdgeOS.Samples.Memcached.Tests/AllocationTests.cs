using System.Buffers;
using System.Text;
using EdgeOS.Fwp;
using EdgeOS.Samples.Memcached.Hosting;
using EdgeOS.Samples.Memcached.Protocol;
using EdgeOS.Samples.Memcached.Storage;
using Xunit;

namespace EdgeOS.Samples.Memcached.Tests;

public sealed class AllocationTests
{
    [Fact]
    public void GetAndSetAllocateNothingPerRequest()
    {
        using StoreFixture f = new();
        byte[] set = Encoding.Latin1.GetBytes("set key:1 0 0 135\r\n" + new string('v', 135) + "\r\n");
        byte[] get = "get key:1\r\n"u8.ToArray();
        byte[] mg = "mg key:1 v f c\r\n"u8.ToArray();
        ArrayBufferWriter<byte> output = new(1 << 20);

        void RunOnce()
        {
            output.ResetWrittenCount();
            Run(set);
            Run(get);
            Run(mg);
        }

        void Run(byte[] request)
        {
            ReadOnlySequence<byte> input = new(request);
            f.Session.Process(ref input, output);
        }

        for (int i = 0; i < 100; i++)
        {
            RunOnce(); // warm up (JIT, tiering)
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            RunOnce();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1000, $"{allocated} bytes allocated for 3000 requests");
        Assert.Contains("VALUE key:1 0 135\r\n", Encoding.Latin1.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void GetAndSetThroughTheTenantsFwpAllocateNothingPerRequest()
    {
        ChannelTable channels = new();
        using FwpRuntime runtime = new(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = TenantTemplates.Create(channels);
        HostOptions options = HostOptions.Parse(["-m", "8"], out string? error) ?? throw new InvalidOperationException(error);
        Tenant tenant = new(0, options, runtime, template, new ManualStoreClock(TenantTemplates.Now));
        ArrayBufferWriter<byte> output = new(1 << 20);
        TenantChannel channel = new(tenant, new ProtocolSession(tenant.Context), output, descriptor: 0, resetAfterEach: false);
        channels.Add(channel);
        byte[] set = Encoding.Latin1.GetBytes("set key:1 0 0 135\r\n" + new string('v', 135) + "\r\n");
        byte[] get = "get key:1\r\n"u8.ToArray();
        int failures = 0;

        // Post to the tenant's inbox, run it on this thread (a manual runtime), collect the pooled completion.
        void Run(byte[] request)
        {
            channel.Input = new ReadOnlySequence<byte>(request);
            ValueTask<SessionStatus> done = channel.RunAsync(ChannelOp.Process);
            runtime.RunUntilIdle();
            if (!done.IsCompletedSuccessfully || done.Result != SessionStatus.NeedMore || !channel.Input.IsEmpty)
            {
                failures++;
            }
        }

        void RunOnce()
        {
            output.ResetWrittenCount();
            Run(set);
            Run(get);
        }

        for (int i = 0; i < 100; i++)
        {
            RunOnce(); // warm up (JIT, tiering, the tenant's first chunk copies)
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            RunOnce();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, failures);
        Assert.True(allocated < 1000, $"{allocated} bytes allocated for 2000 requests through the FWP");
        Assert.Equal("STORED\r\nVALUE key:1 0 135\r\n" + new string('v', 135) + "\r\nEND\r\n", Encoding.Latin1.GetString(output.WrittenSpan));
        Assert.True(tenant.Account.UsedBytes > 0, "the tenant's private copies are charged to its own account");
    }
}
