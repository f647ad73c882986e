using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EdgeOS.Net;
using EdgeOS.Net.Packets;
using EdgeOS.Net.Pcap;
using EdgeOS.Net.Steering;

namespace EdgeOS.Benchmarks;

/// <summary>
/// Packet header parsing, checksums and an in-memory port batch. Each category has its baseline: the obvious
/// byte-by-byte code (16-bit words assembled from bytes, one addition each; fields read with shifts).
/// Run: <c>dotnet run -c Release --project benchmarks/EdgeOS.Benchmarks -- --filter '*NetBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MedianColumn]
public class NetBenchmarks
{
    private const int BatchSize = 32;

    private readonly byte[] _udpFrame = BuildUdp(payloadLength: 64);
    private readonly byte[] _mtu = new byte[1500];
    private readonly byte[] _header = new byte[20];
    private readonly Frame[] _batch = new Frame[BatchSize];
    private readonly SteeredPacket[] _steered = new SteeredPacket[BatchSize];
    private readonly byte[][] _flows = BuildFlows(16);
    private MemoryPort _sender = null!;
    private MemoryPort _receiver = null!;
    private PcapPort _replay = null!;
    private (MemoryPort Sender, MemoryPort Receiver, PacketSteering Steering)[] _steering = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_mtu);
        _udpFrame.AsSpan(14, 20).CopyTo(_header);
        (_sender, _receiver) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 256 });
        using (var file = new MemoryStream())
        {
            using (var writer = new PcapWriter(file, leaveOpen: true))
            {
                for (int i = 0; i < 1000; i++)
                {
                    writer.Write(_flows[i & 15], 1_700_000_000_000_000_000 + (i * 1000L));
                }
            }

            file.Position = 0;
            _replay = PcapPort.LoadReplay(file, new PcapPortOptions { FrameCount = 256, ReplayLoops = 0 }, "bench");
        }

        _steering = new (MemoryPort, MemoryPort, PacketSteering)[3];
        for (int i = 0; i < _steering.Length; i++)
        {
            (MemoryPort sender, MemoryPort receiver) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 256 });
            var steering = new PacketSteering(receiver, new PacketSteeringOptions
            {
                Mode = i == 0 ? SteeringMode.DestinationPort : SteeringMode.FlowHash,
                SymmetricHash = i != 0,
                BatchSize = BatchSize,
            });
            var delivery = new SteeringConsumerOptions { Delivery = i == 2 ? SteeringDelivery.Copy : SteeringDelivery.SharedFrame, SlotCount = 256 };
            for (int c = 0; c < 4; c++)
            {
                SteeringConsumer consumer = steering.AddConsumer("c" + c, delivery);
                if (i == 0)
                {
                    steering.MapDestinationPorts(consumer, 9000 + (c * 10), 9009 + (c * 10));
                }
            }

            _steering[i] = (sender, receiver, steering);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender.Dispose();
        _receiver.Dispose();
        _replay.Dispose();
        foreach ((MemoryPort sender, MemoryPort receiver, PacketSteering steering) in _steering)
        {
            steering.Dispose();
            sender.Dispose();
            receiver.Dispose();
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Checksum1500")]
    public ushort NaiveChecksum1500() => NaiveChecksum(_mtu);

    [Benchmark]
    [BenchmarkCategory("Checksum1500")]
    public ushort Checksum1500() => InternetChecksum.Compute(_mtu);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Checksum20")]
    public ushort NaiveChecksum20() => NaiveChecksum(_header);

    [Benchmark]
    [BenchmarkCategory("Checksum20")]
    public ushort Checksum20() => InternetChecksum.Compute(_header);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("ParseUdp")]
    public int NaiveParseUdp() => NaiveParse(_udpFrame);

    [Benchmark]
    [BenchmarkCategory("ParseUdp")]
    public int ParseUdp()
    {
        Span<byte> frame = _udpFrame;
        if (EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out _) && ethernet.EtherType == EtherType.Ipv4
            && Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet ip, out _)
            && UdpDatagram.TryParse(ip, out UdpDatagram udp, out _))
        {
            return udp.DestinationPort + udp.Payload.Length;
        }

        return -1;
    }

    [Benchmark]
    [BenchmarkCategory("ParseUdp")]
    public int ParseUdpNoChecksums()
    {
        Span<byte> frame = _udpFrame;
        if (EthernetFrame.TryParse(frame, out EthernetFrame ethernet, out _) && ethernet.EtherType == EtherType.Ipv4
            && Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet ip, out _, verifyChecksum: false)
            && UdpDatagram.TryParse(ip, out UdpDatagram udp, out _, verifyChecksum: false))
        {
            return udp.DestinationPort + udp.Payload.Length;
        }

        return -1;
    }

    [Benchmark]
    [BenchmarkCategory("ParseUdp")]
    public int UdpEchoInPlace()
    {
        PacketBuilder.TryMakeUdpEcho(_udpFrame, out int length, out _);
        return length;
    }

    /// <summary>One batch of 32 frames across a <see cref="MemoryPort"/> pair: allocate, fill 64 bytes, transmit,
    /// receive, release (a copy per frame, as the in-memory wire does).</summary>
    [Benchmark]
    [BenchmarkCategory("MemoryPort32")]
    public int MemoryPortBatch()
    {
        Frame[] batch = _batch;
        int n = _sender.AllocateTransmit(batch);
        for (int i = 0; i < n; i++)
        {
            _sender.GetBuffer(batch[i])[..64].Fill(0x42);
            batch[i] = batch[i].WithLength(64);
        }

        _sender.Transmit(batch.AsSpan(0, n));
        int received = _receiver.Receive(batch);
        _receiver.Release(batch.AsSpan(0, received));
        return received;
    }

    /// <summary>One batch of 32 frames from a loaded, endlessly looping pcap replay (1000 records of 64 bytes):
    /// receive (one copy per frame from the file image) and release. What a NIC-fed port costs the CPU, without the
    /// sender's copy of <see cref="MemoryPortBatch"/>.</summary>
    [Benchmark]
    [BenchmarkCategory("MemoryPort32")]
    public int PcapLoadedReplayBatch()
    {
        int received = _replay.Receive(_batch);
        _replay.Release(_batch.AsSpan(0, received));
        return received;
    }

    /// <summary>Baseline of the steering category: the same 32 frames (16 UDP flows) sent, received and released
    /// without steering.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Steering32")]
    public int NoSteering()
    {
        (MemoryPort sender, MemoryPort receiver, _) = _steering[0];
        SendFlows(sender);
        int received = receiver.Receive(_batch);
        receiver.Release(_batch.AsSpan(0, received));
        return received;
    }

    /// <summary>32 frames steered by destination port to 4 shared-frame consumers, each drained and returned on this thread.</summary>
    [Benchmark]
    [BenchmarkCategory("Steering32")]
    public int SteerByPortShared() => SteerRound(_steering[0]);

    /// <summary>32 frames steered by symmetric 5-tuple hash to 4 shared-frame consumers.</summary>
    [Benchmark]
    [BenchmarkCategory("Steering32")]
    public int SteerByHashShared() => SteerRound(_steering[1]);

    /// <summary>32 frames steered by symmetric 5-tuple hash to 4 copy consumers (one copy per frame into the consumer's buffers).</summary>
    [Benchmark]
    [BenchmarkCategory("Steering32")]
    public int SteerByHashCopy() => SteerRound(_steering[2]);

    private int SteerRound((MemoryPort Sender, MemoryPort Receiver, PacketSteering Steering) setup)
    {
        SendFlows(setup.Sender);
        int received = setup.Steering.Poll();
        IReadOnlyList<SteeringConsumer> consumers = setup.Steering.Consumers;
        for (int c = 0; c < consumers.Count; c++)
        {
            SteeringConsumer consumer = consumers[c];
            int n = consumer.TryReceive(_steered);
            consumer.Return(_steered.AsSpan(0, n));
        }

        return received;
    }

    private void SendFlows(MemoryPort sender)
    {
        Frame[] batch = _batch;
        int n = sender.AllocateTransmit(batch);
        for (int i = 0; i < n; i++)
        {
            byte[] flow = _flows[i & 15];
            flow.CopyTo(sender.GetBuffer(batch[i]));
            batch[i] = batch[i].WithLength(flow.Length);
        }

        sender.Transmit(batch.AsSpan(0, n));
    }

    private static byte[][] BuildFlows(int count)
    {
        byte[][] flows = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            flows[i] = new byte[64];
            PacketBuilder.WriteUdp(flows[i], [2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], 0x0A000001 + (uint)i, 0x0A000002, (ushort)(40000 + i), (ushort)(9000 + (i % 4 * 10)), new byte[22], 1);
        }

        return flows;
    }

    private static ushort NaiveChecksum(byte[] data) => NaiveChecksum(data, 0, data.Length, 0);

    private static ushort NaiveChecksum(byte[] data, int offset, int length, uint initial)
    {
        uint sum = initial;
        int end = offset + length;
        for (int i = offset; i + 1 < end; i += 2)
        {
            sum += (uint)((data[i] << 8) | data[i + 1]);
        }

        if ((length & 1) != 0)
        {
            sum += (uint)(data[end - 1] << 8);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private static int NaiveParse(byte[] f)
    {
        if (f.Length < 14 || ((f[12] << 8) | f[13]) != 0x0800 || f.Length < 34 || (f[14] >> 4) != 4)
        {
            return -1;
        }

        int ihl = (f[14] & 0xF) * 4;
        int total = (f[16] << 8) | f[17];
        if (ihl < 20 || total < ihl || 14 + total > f.Length || NaiveChecksum(f, 14, ihl, 0) != 0 || f[23] != 17)
        {
            return -1;
        }

        int u = 14 + ihl;
        int udpLength = (f[u + 4] << 8) | f[u + 5];
        if (udpLength < 8 || u + udpLength > f.Length)
        {
            return -1;
        }

        uint pseudo = (uint)(((f[26] << 8) | f[27]) + ((f[28] << 8) | f[29]) + ((f[30] << 8) | f[31]) + ((f[32] << 8) | f[33]) + 17 + udpLength);
        if (NaiveChecksum(f, u, udpLength, pseudo) != 0)
        {
            return -1;
        }

        return ((f[u + 2] << 8) | f[u + 3]) + (udpLength - 8);
    }

    private static byte[] BuildUdp(int payloadLength)
    {
        byte[] frame = new byte[42 + payloadLength];
        byte[] payload = new byte[payloadLength];
        PacketBuilder.WriteUdp(frame, [2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], 0x0A000001, 0x0A000002, 40000, 11211, payload, 1);
        return frame;
    }
}
