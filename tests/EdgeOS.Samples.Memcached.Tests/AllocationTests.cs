using System.Buffers;
using System.Text;
using EdgeOS.Samples.Memcached.Protocol;
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
}
