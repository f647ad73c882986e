using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using EdgeOS.Core.Channels;
using EdgeOS.Core.Memory;

namespace EdgeOS.Benchmarks.Channels;

/// <summary>
/// Two-thread SPSC throughput: a producer thread sends <see cref="Messages"/> messages, the benchmark thread receives
/// them (checking every sequence number). Baseline: a bounded <see cref="Channel"/> with SingleReader and
/// SingleWriter carrying the same messages by value. The reported time is per message.
/// Run: <c>dotnet run -c Release --project benchmarks/EdgeOS.Benchmarks -- --filter '*ChannelThroughput*'</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ChannelThroughputBenchmarks
{
    private const int Messages = 1 << 20;
    private const int RingCapacityBytes = 256 * 1024;

    private PeerThread _peer = null!;
    private MemoryRegion _region = null!;
    private SpscByteRing _producer = null!;
    private SpscByteRing _consumer = null!;
    private Channel<Message32> _bcl32 = null!;
    private Channel<Message256> _bcl256 = null!;
    private byte[] _message = null!;
    private Action _produceClaimed = null!;
    private Action _produceCopied = null!;
    private Action _produceBcl = null!;

    /// <summary>The message payload size.</summary>
    [Params(32, 256)]
    public int MessageBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _peer = new PeerThread("producer");
        _region = MemoryRegion.Allocate(ByteRing.RequiredBytes(RingCapacityBytes));
        _producer = SpscByteRing.Create(_region, RingCapacityBytes, ChannelEndpoints.Producer);
        _consumer = SpscByteRing.Attach(_region, ChannelEndpoints.Consumer);
        _message = new byte[MessageBytes];

        // The BCL channel holds as many messages as the ring does.
        int capacity = RingCapacityBytes / (MessageBytes + 8);
        _bcl32 = BclChannelTransfer.CreateBounded<Message32>(capacity, singleWriter: true);
        _bcl256 = BclChannelTransfer.CreateBounded<Message256>(capacity, singleWriter: true);
        _produceClaimed = () => RingTransfer.ProduceClaimed(_producer, 0, Messages, MessageBytes);
        _produceCopied = () => RingTransfer.ProduceCopied(_producer, 0, Messages, _message);
        _produceBcl = MessageBytes == 32 ? () => ProduceBcl(_bcl32.Writer) : () => ProduceBcl(_bcl256.Writer);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _peer.Dispose();
        _consumer.Dispose();
        _producer.Dispose();
        _region.Dispose();
    }

    /// <summary>Baseline: System.Threading.Channels bounded channel, single reader and writer.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public void BclBoundedChannel()
    {
        _peer.Start(_produceBcl);
        if (MessageBytes == 32)
        {
            ConsumeBcl(_bcl32.Reader);
        }
        else
        {
            ConsumeBcl(_bcl256.Reader);
        }

        _peer.Join();
    }

    /// <summary>SPSC ring, zero-copy claim/commit, shared delivery (handler reads the ring in place).</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void SpscRing_Claim()
    {
        _peer.Start(_produceClaimed);
        RingTransfer.Consume(_consumer, Messages);
        _peer.Join();
    }

    /// <summary>SPSC ring, copying write (<see cref="ByteRing.TryWrite"/>), shared delivery.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void SpscRing_Write()
    {
        _peer.Start(_produceCopied);
        RingTransfer.Consume(_consumer, Messages);
        _peer.Join();
    }

    /// <summary>SPSC ring, zero-copy claim, copy delivery (each batch copied into the consumer's own region).</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void SpscRing_Claim_CopyDelivery()
    {
        _peer.Start(_produceClaimed);
        RingTransfer.Consume(_consumer, Messages, ChannelDeliveryMode.Copy);
        _peer.Join();
    }

    private static void ProduceBcl<T>(ChannelWriter<T> writer)
        where T : struct
    {
        T message = default;
        for (long i = 0; i < Messages; i++)
        {
            System.Runtime.InteropServices.MemoryMarshal.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new Span<T>(ref message)), in i);
            BclChannelTransfer.Write(writer, message);
        }
    }

    private static void ConsumeBcl<T>(ChannelReader<T> reader)
        where T : struct
    {
        for (long i = 0; i < Messages; i++)
        {
            T message = BclChannelTransfer.Read(reader);
            long sequence = System.Runtime.InteropServices.MemoryMarshal.Read<long>(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in message)));
            if (sequence != i)
            {
                throw new InvalidOperationException($"Expected message {i}, received {sequence}.");
            }
        }
    }
}

/// <summary>
/// Ping-pong round trip between two threads: the benchmark thread sends a 32-byte message, an echo thread sends it
/// back. Both sides busy-poll (no parking), for the ring and for the baseline alike. Time per round trip.
/// Run: <c>dotnet run -c Release --project benchmarks/EdgeOS.Benchmarks -- --filter '*ChannelPingPong*'</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ChannelPingPongBenchmarks
{
    private const int RoundTrips = 1000;
    private const int RingCapacityBytes = 64 * 1024;
    private const int MessageBytes = 32;

    private PeerThread _peer = null!;
    private MemoryRegion _pingRegion = null!;
    private MemoryRegion _pongRegion = null!;
    private SpscByteRing _ping = null!;
    private SpscByteRing _pong = null!;
    private Channel<Message32> _bclPing = null!;
    private Channel<Message32> _bclPong = null!;
    private volatile bool _stop;
    private long _counter;
    private readonly byte[] _message = new byte[MessageBytes];
    private readonly byte[] _reply = new byte[MessageBytes];
    private Action _echoRing = null!;
    private Action _echoBcl = null!;

    [GlobalSetup(Target = nameof(BclBoundedChannel))]
    public void SetupBcl()
    {
        Setup();
        _peer.Start(_echoBcl);
    }

    [GlobalSetup(Target = nameof(SpscRing))]
    public void SetupRing()
    {
        Setup();
        _peer.Start(_echoRing);
    }

    [GlobalSetup(Target = nameof(SharedCounterFloor))]
    public void SetupFloor()
    {
        Setup();
        _peer.Start(EchoCounter);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _peer.Join();
        _peer.Dispose();
        _ping.Dispose();
        _pong.Dispose();
        _pingRegion.Dispose();
        _pongRegion.Dispose();
    }

    private void Setup()
    {
        _peer = new PeerThread("echo");
        _pingRegion = MemoryRegion.Allocate(ByteRing.RequiredBytes(RingCapacityBytes));
        _pongRegion = MemoryRegion.Allocate(ByteRing.RequiredBytes(RingCapacityBytes));
        _ping = SpscByteRing.Create(_pingRegion, RingCapacityBytes);
        _pong = SpscByteRing.Create(_pongRegion, RingCapacityBytes);
        _bclPing = BclChannelTransfer.CreateBounded<Message32>(1024, singleWriter: true);
        _bclPong = BclChannelTransfer.CreateBounded<Message32>(1024, singleWriter: true);
        _echoRing = EchoRing;
        _echoBcl = EchoBcl;
    }

    /// <summary>Baseline: two bounded BCL channels.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips)]
    public void BclBoundedChannel()
    {
        ChannelWriter<Message32> ping = _bclPing.Writer;
        ChannelReader<Message32> pong = _bclPong.Reader;
        Message32 message = default;
        for (int i = 0; i < RoundTrips; i++)
        {
            message[0] = (byte)i;
            ping.TryWrite(message);
            Message32 reply;
            while (!pong.TryRead(out reply))
            {
                Thread.SpinWait(1);
            }

            if (reply[0] != (byte)i)
            {
                throw new InvalidOperationException("The echo returned another message.");
            }
        }
    }

    /// <summary>Two SPSC rings, copying write and copying read.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public void SpscRing()
    {
        for (int i = 0; i < RoundTrips; i++)
        {
            _message[0] = (byte)i;
            _ping.TryWrite(1, _message);
            while (!_pong.TryRead(_reply, out _, out _))
            {
                Thread.SpinWait(1);
            }

            if (_reply[0] != (byte)i)
            {
                throw new InvalidOperationException("The echo returned another message.");
            }
        }
    }

    /// <summary>
    /// The floor of any two-thread round trip on this machine: one shared counter that the two threads increment in
    /// turn (two cache-line transfers per round trip, no ring protocol at all).
    /// </summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public void SharedCounterFloor()
    {
        for (int i = 0; i < RoundTrips; i++)
        {
            long ping = Interlocked.Increment(ref _counter);
            while (Volatile.Read(ref _counter) == ping)
            {
                Thread.SpinWait(1);
            }
        }
    }

    private void EchoCounter()
    {
        long seen = Volatile.Read(ref _counter);
        while (!_stop)
        {
            long now = Volatile.Read(ref _counter);
            if (now != seen && (now & 1) == 1)
            {
                seen = Interlocked.Increment(ref _counter);
            }
            else
            {
                Thread.SpinWait(1);
            }
        }
    }

    private void EchoRing()
    {
        byte[] buffer = new byte[MessageBytes];
        while (!_stop)
        {
            if (_ping.TryRead(buffer, out int length, out int type))
            {
                _pong.TryWrite(type, buffer.AsSpan(0, length));
            }
            else
            {
                Thread.SpinWait(1);
            }
        }
    }

    private void EchoBcl()
    {
        ChannelReader<Message32> ping = _bclPing.Reader;
        ChannelWriter<Message32> pong = _bclPong.Writer;
        while (!_stop)
        {
            if (ping.TryRead(out Message32 message))
            {
                pong.TryWrite(message);
            }
            else
            {
                Thread.SpinWait(1);
            }
        }
    }
}

/// <summary>
/// MPSC throughput: two producer threads send <see cref="Messages"/> 32-byte messages in total to the benchmark
/// thread, which checks each producer's sequence. Baseline: a bounded BCL channel with several writers.
/// Run: <c>dotnet run -c Release --project benchmarks/EdgeOS.Benchmarks -- --filter '*ChannelMpsc*'</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ChannelMpscBenchmarks
{
    private const int Messages = 1 << 20;
    private const int Producers = 2;
    private const int MessageBytes = 32;
    private const int RingCapacityBytes = 256 * 1024;

    private readonly PeerThread[] _peers = new PeerThread[Producers];
    private readonly MpscByteRing[] _producers = new MpscByteRing[Producers];
    private readonly Action[] _produceRing = new Action[Producers];
    private readonly Action[] _produceBcl = new Action[Producers];
    private readonly long[] _next = new long[Producers];
    private MemoryRegion _region = null!;
    private MpscByteRing _consumer = null!;
    private Channel<Message32> _bcl = null!;

    [GlobalSetup]
    public void Setup()
    {
        _region = MemoryRegion.Allocate(ByteRing.RequiredBytes(RingCapacityBytes));
        _consumer = MpscByteRing.Create(_region, RingCapacityBytes, ChannelEndpoints.Consumer);
        _bcl = BclChannelTransfer.CreateBounded<Message32>(RingCapacityBytes / (MessageBytes + 8), singleWriter: false);
        for (int p = 0; p < Producers; p++)
        {
            int producer = p;
            _peers[p] = new PeerThread($"producer {p}");
            _producers[p] = MpscByteRing.Attach(_region, ChannelEndpoints.Producer);
            _produceRing[p] = () => RingTransfer.ProduceTagged(_producers[producer], producer, Messages / Producers, MessageBytes);
            _produceBcl[p] = () => ProduceBcl(producer);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        for (int p = 0; p < Producers; p++)
        {
            _peers[p].Dispose();
            _producers[p].Dispose();
        }

        _consumer.Dispose();
        _region.Dispose();
    }

    /// <summary>Baseline: bounded BCL channel, single reader, several writers.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public void BclBoundedChannel()
    {
        for (int p = 0; p < Producers; p++)
        {
            _peers[p].Start(_produceBcl[p]);
        }

        Array.Clear(_next);
        ChannelReader<Message32> reader = _bcl.Reader;
        for (int i = 0; i < Messages; i++)
        {
            Message32 message = BclChannelTransfer.Read(reader);
            int producer = message[0];
            long sequence = System.Runtime.InteropServices.MemoryMarshal.Read<long>(((ReadOnlySpan<byte>)message)[8..]);
            if (sequence != _next[producer]++)
            {
                throw new InvalidOperationException("A producer's messages arrived out of order.");
            }
        }

        JoinAll();
    }

    /// <summary>MPSC ring: claim by atomic add, zero-copy commit.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void MpscRing()
    {
        for (int p = 0; p < Producers; p++)
        {
            _peers[p].Start(_produceRing[p]);
        }

        RingTransfer.ConsumeMany(_consumer, Messages, _next);
        JoinAll();
    }

    private void JoinAll()
    {
        for (int p = 0; p < Producers; p++)
        {
            _peers[p].Join();
        }
    }

    private void ProduceBcl(int producer)
    {
        ChannelWriter<Message32> writer = _bcl.Writer;
        Message32 message = default;
        message[0] = (byte)producer;
        for (long i = 0; i < Messages / Producers; i++)
        {
            System.Runtime.InteropServices.MemoryMarshal.Write(((Span<byte>)message)[8..], in i);
            BclChannelTransfer.Write(writer, message);
        }
    }
}

/// <summary>
/// Descriptor ring throughput: a producer thread sends <see cref="Messages"/> 16-byte packet descriptors in batches of
/// 32 (as a NIC driver posts them) to the benchmark thread. Baseline: a bounded BCL channel of the same struct
/// written and read one by one (it has no batch API). Time per descriptor.
/// Run: <c>dotnet run -c Release --project benchmarks/EdgeOS.Benchmarks -- --filter '*ChannelDescriptor*'</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ChannelDescriptorBenchmarks
{
    private const int Messages = 1 << 20;
    private const int Batch = 32;
    private const int SlotCount = 4096;

    private readonly Descriptor16[] _produceBatch = new Descriptor16[Batch];
    private readonly Descriptor16[] _consumeBatch = new Descriptor16[Batch];
    private PeerThread _peer = null!;
    private MemoryRegion _region = null!;
    private DescriptorRing<Descriptor16> _producer = null!;
    private DescriptorRing<Descriptor16> _consumer = null!;
    private Channel<Descriptor16> _bcl = null!;
    private Action _produceRing = null!;
    private Action _produceBcl = null!;

    [GlobalSetup]
    public void Setup()
    {
        _peer = new PeerThread("producer");
        _region = MemoryRegion.Allocate(DescriptorRing<Descriptor16>.RequiredBytes(SlotCount));
        _producer = DescriptorRing<Descriptor16>.Create(_region, SlotCount, ChannelEndpoints.Producer);
        _consumer = DescriptorRing<Descriptor16>.Attach(_region, ChannelEndpoints.Consumer);
        _bcl = BclChannelTransfer.CreateBounded<Descriptor16>(SlotCount, singleWriter: true);
        _produceRing = ProduceRing;
        _produceBcl = ProduceBcl;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _peer.Dispose();
        _consumer.Dispose();
        _producer.Dispose();
        _region.Dispose();
    }

    /// <summary>Baseline: bounded BCL channel of 16-byte structs, single reader and writer.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public void BclBoundedChannel()
    {
        _peer.Start(_produceBcl);
        ChannelReader<Descriptor16> reader = _bcl.Reader;
        for (long i = 0; i < Messages; i++)
        {
            if (BclChannelTransfer.Read(reader).Address != i)
            {
                throw new InvalidOperationException("A descriptor arrived out of order.");
            }
        }

        _peer.Join();
    }

    /// <summary>Descriptor ring, batches of 32 in and out.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void DescriptorRing()
    {
        _peer.Start(_produceRing);
        long next = 0;
        while (next < Messages)
        {
            int n = _consumer.TryDequeue(_consumeBatch);
            if (n == 0)
            {
                _consumer.WaitToDequeue(Timeout.InfiniteTimeSpan);
                continue;
            }

            for (int i = 0; i < n; i++)
            {
                if (_consumeBatch[i].Address != next++)
                {
                    throw new InvalidOperationException("A descriptor arrived out of order.");
                }
            }
        }

        _peer.Join();
    }

    private void ProduceRing()
    {
        long sent = 0;
        while (sent < Messages)
        {
            for (int i = 0; i < Batch; i++)
            {
                _produceBatch[i] = new Descriptor16(sent + i, 64, 0);
            }

            ReadOnlySpan<Descriptor16> pending = _produceBatch;
            while (!pending.IsEmpty)
            {
                int n = _producer.TryEnqueue(pending);
                if (n == 0)
                {
                    _producer.WaitToEnqueue(1, Timeout.InfiniteTimeSpan);
                }

                pending = pending[n..];
            }

            sent += Batch;
        }
    }

    private void ProduceBcl()
    {
        ChannelWriter<Descriptor16> writer = _bcl.Writer;
        for (long i = 0; i < Messages; i++)
        {
            BclChannelTransfer.Write(writer, new Descriptor16(i, 64, 0));
        }
    }
}
