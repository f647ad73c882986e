using System.Runtime.InteropServices;
using EdgeOS.Core.Channels;
using EdgeOS.Core.Memory;
using Xunit;
using static EdgeOS.Core.Tests.Channels.ChannelTestSupport;

namespace EdgeOS.Core.Tests.Channels;

public sealed class DescriptorRingTests
{
    [Fact]
    public void BatchesWrapAroundAndKeepOrder()
    {
        using MemoryRegion region = MemoryRegion.Allocate(DescriptorRing<PacketDescriptor>.RequiredBytes(8));
        using DescriptorRing<PacketDescriptor> ring = DescriptorRing<PacketDescriptor>.Create(region, 8, ChannelEndpoints.Both, FastOptions);
        var batch = new PacketDescriptor[5];
        var received = new PacketDescriptor[8];
        long next = 0;
        long expected = 0;
        for (int round = 0; round < 100; round++)
        {
            for (int i = 0; i < batch.Length; i++)
            {
                batch[i] = new PacketDescriptor(next + i, (int)(next + i) * 3, 7);
            }

            int enqueued = ring.TryEnqueue(batch);
            Assert.Equal(5, enqueued);
            next += enqueued;
            int dequeued = ring.TryDequeue(received);
            Assert.Equal(5, dequeued);
            for (int i = 0; i < dequeued; i++)
            {
                Assert.Equal(new PacketDescriptor(expected, (int)expected * 3, 7), received[i]);
                expected++;
            }
        }

        Assert.Equal(500, ring.MessagesRead);
        Assert.Equal(0, ring.Count);
    }

    [Fact]
    public void FullRingTakesOnlyWhatFitsAndEmptyRingGivesNothing()
    {
        using MemoryRegion region = MemoryRegion.Allocate(DescriptorRing<long>.RequiredBytes(4));
        using DescriptorRing<long> ring = DescriptorRing<long>.Create(region, 4, ChannelEndpoints.Both, FastOptions);
        Assert.False(ring.TryDequeue(out _));
        Assert.Equal(4, ring.TryEnqueue([1L, 2, 3, 4, 5, 6]));
        Assert.False(ring.TryEnqueue(7L));
        Assert.Equal(4, ring.Count);
        Assert.True(ring.FullEvents >= 1);
        Assert.True(ring.TryDequeue(out long first));
        Assert.Equal(1, first);
        Assert.True(ring.TryEnqueue(5L));
        var rest = new long[8];
        Assert.Equal(4, ring.TryDequeue(rest));
        Assert.Equal([2L, 3, 4, 5], rest[..4]);
    }

    [Fact]
    public async Task TwoThreadsMoveAMillionDescriptorsWithoutLossOrReordering()
    {
        const long Count = 1_000_000;
        using MemoryRegion region = MemoryRegion.Allocate(DescriptorRing<PacketDescriptor>.RequiredBytes(256));
        using DescriptorRing<PacketDescriptor> consumer = DescriptorRing<PacketDescriptor>.Create(region, 256, ChannelEndpoints.Consumer, FastOptions);
        using DescriptorRing<PacketDescriptor> producer = DescriptorRing<PacketDescriptor>.Attach(region, ChannelEndpoints.Producer, FastOptions);

        Task producing = Task.Factory.StartNew(
            () =>
            {
                var batch = new PacketDescriptor[16];
                var random = new Random(7);
                long sent = 0;
                while (sent < Count)
                {
                    int size = (int)Math.Min(random.Next(1, 17), Count - sent);
                    for (int i = 0; i < size; i++)
                    {
                        batch[i] = new PacketDescriptor(sent + i, (int)((sent + i) & 0xFFFF), (short)((sent + i) % 1500));
                    }

                    int done = 0;
                    while (done < size)
                    {
                        int n = producer.TryEnqueue(batch.AsSpan(done, size - done));
                        done += n;
                        if (n == 0 && !producer.WaitToEnqueue(1, TimeSpan.FromSeconds(20)))
                        {
                            throw new TimeoutException("no free slot");
                        }
                    }

                    sent += size;
                }
            },
            TaskCreationOptions.LongRunning);

        var buffer = new PacketDescriptor[32];
        long expected = 0;
        while (expected < Count)
        {
            int n = consumer.TryDequeue(buffer);
            if (n == 0)
            {
                Assert.False(producing.IsFaulted);
                Assert.True(consumer.WaitToDequeue(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken) || producing.IsCompleted);
                continue;
            }

            for (int i = 0; i < n; i++)
            {
                Assert.Equal(new PacketDescriptor(expected, (int)(expected & 0xFFFF), (short)(expected % 1500)), buffer[i]);
                expected++;
            }
        }

        await producing.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.Equal(Count, consumer.MessagesWritten);
    }

    [Fact]
    public void AttachRefusesADifferentSlotSize()
    {
        using MemoryRegion region = MemoryRegion.Allocate(DescriptorRing<long>.RequiredBytes(16));
        using (DescriptorRing<long>.Create(region, 16, ChannelEndpoints.None, FastOptions))
        {
        }

        Assert.Equal("slotSize", Assert.Throws<ChannelFormatException>(() => DescriptorRing<int>.Attach(region, ChannelEndpoints.Consumer, FastOptions)).Field);
        Assert.Equal("kind", Assert.Throws<ChannelFormatException>(() => SpscByteRing.Attach(region, ChannelEndpoints.Consumer, FastOptions)).Field);
        using DescriptorRing<long> ok = DescriptorRing<long>.Attach(region, ChannelEndpoints.Consumer, FastOptions);
        Assert.Equal(16, ok.SlotCount);
    }

    [Fact]
    public void ConsumerWaitingOnADeadProducerIsTold()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("Process liveness by pid needs Linux.");
        }

        using MemoryRegion region = MemoryRegion.Allocate(DescriptorRing<long>.RequiredBytes(16));
        using DescriptorRing<long> consumer = DescriptorRing<long>.Create(region, 16, ChannelEndpoints.Consumer, FastOptions);
        using DescriptorRing<long> producer = DescriptorRing<long>.Attach(region, ChannelEndpoints.Producer, FastOptions);
        Assert.True(producer.TryEnqueue(42L));
        KillProducerIdentity(region, 0);

        Assert.True(consumer.WaitToDequeue(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.True(consumer.TryDequeue(out long value));
        Assert.Equal(42, value);
        Assert.Throws<ChannelPeerDeadException>(() => consumer.WaitToDequeue(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct PacketDescriptor(long Address, int Length, short Port);
}
