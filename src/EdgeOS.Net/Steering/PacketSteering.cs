using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeOS.Net.Packets;

namespace EdgeOS.Net.Steering;

/// <summary>
/// Classifies received frames to per-consumer descriptor rings (<see cref="SteeringConsumer"/>), by IPv4 UDP/TCP
/// destination port (single ports and ranges) or by a 5-tuple hash, so each consumer (a tenant, a worker) receives
/// only its own traffic. Frames no consumer takes are counted as unmatched and given back to the port.
/// </summary>
/// <remarks>
/// <para>
/// Use: create it over a port, add consumers (<see cref="AddConsumer"/>) and, in port mode, rules
/// (<see cref="MapDestinationPorts"/>); then call <see cref="Poll"/> (receive a batch and steer it) or
/// <see cref="Steer"/> (steer frames you received) on the port's thread. Each consumer drains its ring on its own
/// thread. Consumers and rules are fixed once steering has started (a flow must not move between consumers mid-way).
/// </para>
/// <para>
/// Classification reads the Ethernet header (up to two VLAN tags), the IPv4 header (version, IHL, total length within
/// the frame) and the first bytes of UDP (8) or TCP (20). Checksums are not verified (the consumer's job). Frames that
/// are truncated or inconsistent count as <see cref="MalformedFrames"/>; frames that are not IPv4 UDP/TCP (ARP, ICMP,
/// IPv6, ...) or are IP fragments (only the first carries the ports) count as <see cref="NotSteerableFrames"/>; in port
/// mode, a UDP/TCP frame whose port has no rule counts as <see cref="NoRuleFrames"/>. Nothing is thrown for any frame
/// content.
/// </para>
/// <para>
/// Delivery per consumer: <see cref="SteeringDelivery.SharedFrame"/> puts the port's frame handle into the ring (the
/// consumer gives it back to the port from its thread); <see cref="SteeringDelivery.Copy"/> copies the bytes into the
/// consumer's own buffer and gives the port's frame back at once. When a consumer's ring (or its free buffers) is
/// full, its frames are dropped and counted in its <see cref="SteeringConsumer.DroppedFrames"/>; other consumers are
/// not affected.
/// </para>
/// <para>
/// Cost: per frame a header parse, one table load (port mode) or a 64-bit hash (hash mode), and in copy mode one copy;
/// per batch one enqueue per consumer that got frames and one port release. No allocation per packet. Counters are
/// also published on the <c>EdgeOS.Net.Steering</c> meter (<c>edgeos.steering.unmatched</c> with a
/// <c>steering.reason</c> tag, <c>edgeos.steering.delivered</c>, <c>edgeos.steering.dropped</c> with a
/// <c>steering.consumer</c> tag).
/// </para>
/// </remarks>
public sealed class PacketSteering : IDisposable
{
    /// <summary>The name of the meter the steering counters are published on.</summary>
    public const string MeterName = SteeringMetrics.MeterName;

    private const ushort EtherTypeIpv4 = 0x0800;
    private const ushort EtherTypeVlan = 0x8100;
    private const ushort EtherTypeQinQ = 0x88A8;

    private readonly PacketPort _port;
    private readonly SteeringMode _mode;
    private readonly bool _symmetric;
    private readonly ulong _seed;
    private readonly string _name;

    // Port mode: consumer index + 1 per destination port, 0 = no rule.
    private readonly ushort[]? _udpRules;
    private readonly ushort[]? _tcpRules;

    // Per-chunk scratch (steering thread only), sized once.
    private readonly Frame[] _receive;
    private readonly SteeredPacket[] _packets;
    private readonly SteeredPacket[] _sorted;
    private readonly short[] _group;
    private readonly Frame[] _giveBack;
    private int[] _groupOfConsumer = [];
    private int[] _groupConsumer = [];
    private int[] _groupCount = [];
    private int[] _sinkCount = [];
    private int[] _sinkTouched = [];

    private SteeringConsumer[] _consumers = [];
    private bool _started;
    private bool _disposed;
    private long _malformed;
    private long _notSteerable;
    private long _noRule;

    /// <summary>Creates a steering over <paramref name="port"/>. No consumer yet. The port stays the caller's (not disposed with the steering).</summary>
    /// <param name="port">The port frames are received from and given back to.</param>
    /// <param name="options">Mode and sizes; <see langword="null"/> for the defaults (port mode).</param>
    /// <exception cref="ArgumentNullException">The port is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is out of range.</exception>
    /// <exception cref="ArgumentException">A symmetric hash was asked for in port mode.</exception>
    public PacketSteering(PacketPort port, PacketSteeringOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(port);
        options ??= new PacketSteeringOptions();
        ArgumentNullException.ThrowIfNull(options.Name, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BatchSize, PacketSteeringOptions.BatchSizeMax, nameof(options));
        if (options.Mode is not (SteeringMode.DestinationPort or SteeringMode.FlowHash))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Mode, "Mode must be DestinationPort or FlowHash.");
        }

        if (options.Mode == SteeringMode.DestinationPort && (options.SymmetricHash || options.HashSeed != 0))
        {
            throw new ArgumentException("SymmetricHash and HashSeed apply to SteeringMode.FlowHash only; the port mode does not hash.", nameof(options));
        }

        _port = port;
        _mode = options.Mode;
        _symmetric = options.SymmetricHash;
        _seed = Mix(0x9E3779B97F4A7C15UL ^ options.HashSeed);
        _name = options.Name;
        if (_mode == SteeringMode.DestinationPort)
        {
            _udpRules = new ushort[65536];
            _tcpRules = new ushort[65536];
        }

        int chunk = PacketSteeringOptions.BatchSizeMax;
        _receive = new Frame[options.BatchSize];
        _packets = new SteeredPacket[chunk];
        _sorted = new SteeredPacket[chunk];
        _group = new short[chunk];
        _giveBack = new Frame[chunk];
        SteeringMetrics.Register(this);
    }

    /// <summary>The name (metrics tag <c>steering.name</c>).</summary>
    public string Name => _name;

    /// <summary>The port frames come from.</summary>
    public PacketPort Port => _port;

    /// <summary>The mode.</summary>
    public SteeringMode Mode => _mode;

    /// <summary>The consumers, in the order they were added (index = <see cref="SteeringConsumer.Index"/>).</summary>
    public IReadOnlyList<SteeringConsumer> Consumers => Volatile.Read(ref _consumers);

    /// <summary>Whether <see cref="Dispose"/> was called.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed);

    /// <summary>All frames no consumer took: <see cref="MalformedFrames"/> + <see cref="NotSteerableFrames"/> + <see cref="NoRuleFrames"/>.</summary>
    public long UnmatchedFrames => MalformedFrames + NotSteerableFrames + NoRuleFrames;

    /// <summary>Frames too short for the headers they announce, or with an inconsistent IPv4 header (version, IHL, total length).</summary>
    public long MalformedFrames => Volatile.Read(ref _malformed);

    /// <summary>Well-formed frames that are not IPv4 UDP/TCP (ARP, ICMP, IPv6, ...) or are IPv4 fragments.</summary>
    public long NotSteerableFrames => Volatile.Read(ref _notSteerable);

    /// <summary>Port mode: UDP/TCP frames whose destination port no rule maps.</summary>
    public long NoRuleFrames => Volatile.Read(ref _noRule);

    /// <summary>
    /// Adds a consumer with its own descriptor ring (and, in copy mode, its own buffers). Allowed until steering starts.
    /// Cost: allocates the ring's region (<c>SlotCount * 32</c> bytes plus a header) and the buffers.
    /// </summary>
    /// <param name="name">A name for diagnostics and metrics.</param>
    /// <param name="options">Delivery and sizes; <see langword="null"/> for the defaults (shared frame, 1024 slots).</param>
    /// <returns>The consumer; hand it to the consumer's thread.</returns>
    /// <exception cref="ArgumentNullException">The name is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range, or <see cref="PacketSteeringOptions.ConsumersMax"/> consumers exist.</exception>
    /// <exception cref="ArgumentException">A copy-mode size was given for a shared-frame consumer.</exception>
    /// <exception cref="InvalidOperationException">Steering has started.</exception>
    /// <exception cref="ObjectDisposedException">The steering was disposed.</exception>
    public SteeringConsumer AddConsumer(string name, SteeringConsumerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfStarted("add a consumer");
        options ??= new SteeringConsumerOptions();
        if (options.Delivery is not (SteeringDelivery.SharedFrame or SteeringDelivery.Copy))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Delivery, "Delivery must be SharedFrame or Copy.");
        }

        if (options.SlotCount < 2 || options.SlotCount > SteeringConsumerOptions.SlotCountMax || !int.IsPow2(options.SlotCount))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SlotCount, string.Create(CultureInfo.InvariantCulture, $"SlotCount must be a power of two from 2 to {SteeringConsumerOptions.SlotCountMax}."));
        }

        if (options.Delivery == SteeringDelivery.SharedFrame && (options.BufferCount != 0 || options.BufferSizeBytes != 0))
        {
            throw new ArgumentException("BufferCount and BufferSizeBytes apply to SteeringDelivery.Copy only; a shared-frame consumer reads the port's frames.", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.BufferCount, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BufferCount, SteeringConsumerOptions.SlotCountMax, nameof(options));
        if (options.BufferSizeBytes != 0 && (options.BufferSizeBytes < 64 || options.BufferSizeBytes > SteeringConsumerOptions.BufferSizeBytesMax))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BufferSizeBytes, string.Create(CultureInfo.InvariantCulture, $"BufferSizeBytes must be 0 (2048) or from 64 to {SteeringConsumerOptions.BufferSizeBytesMax}."));
        }

        SteeringConsumer[] current = _consumers;
        if (current.Length >= PacketSteeringOptions.ConsumersMax)
        {
            throw new ArgumentOutOfRangeException(nameof(name), string.Create(CultureInfo.InvariantCulture, $"A steering has at most {PacketSteeringOptions.ConsumersMax} consumers."));
        }

        var consumer = new SteeringConsumer(this, _port, current.Length, name, options);
        Volatile.Write(ref _consumers, [.. current, consumer]);
        _groupOfConsumer = new int[current.Length + 1];
        Array.Fill(_groupOfConsumer, -1);
        _groupConsumer = new int[current.Length + 1];
        _groupCount = new int[current.Length + 1];
        _sinkCount = new int[current.Length + 1];
        _sinkTouched = new int[current.Length + 1];
        return consumer;
    }

    /// <summary>
    /// Port mode: steers frames to destination ports <paramref name="low"/>..<paramref name="high"/> (inclusive; equal
    /// for one port) of the given protocols to <paramref name="consumer"/>. Allowed until steering starts. Cost: O(range).
    /// </summary>
    /// <param name="consumer">A consumer of this steering.</param>
    /// <param name="low">The first port (0 to 65535).</param>
    /// <param name="high">The last port (<paramref name="low"/> to 65535).</param>
    /// <param name="protocols">UDP, TCP or both.</param>
    /// <exception cref="ArgumentNullException">The consumer is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range or protocols are out of range.</exception>
    /// <exception cref="ArgumentException">The consumer belongs to another steering, or a port of the range is
    /// already mapped (the message names it and its consumer); nothing was mapped.</exception>
    /// <exception cref="InvalidOperationException">Not in port mode, or steering has started.</exception>
    /// <exception cref="ObjectDisposedException">The steering was disposed.</exception>
    public void MapDestinationPorts(SteeringConsumer consumer, int low, int high, SteeringProtocols protocols = SteeringProtocols.UdpAndTcp)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_mode != SteeringMode.DestinationPort)
        {
            throw new InvalidOperationException($"Steering '{_name}' is in {_mode} mode; port rules apply to SteeringMode.DestinationPort only.");
        }

        ThrowIfStarted("map ports");
        if (!ReferenceEquals(consumer.Owner, this))
        {
            throw new ArgumentException($"Consumer '{consumer.Name}' belongs to another steering.", nameof(consumer));
        }

        if (low is < 0 or > 65535 || high is < 0 or > 65535 || low > high)
        {
            throw new ArgumentOutOfRangeException(nameof(low), string.Create(CultureInfo.InvariantCulture, $"The port range must lie within 0..65535 with low <= high; it is {low}..{high}."));
        }

        if (protocols is not (SteeringProtocols.Udp or SteeringProtocols.Tcp or SteeringProtocols.UdpAndTcp))
        {
            throw new ArgumentOutOfRangeException(nameof(protocols), protocols, "Protocols must be Udp, Tcp or UdpAndTcp.");
        }

        // Check the whole range first, so a refused rule changes nothing.
        for (int p = low; p <= high; p++)
        {
            CheckFree(_udpRules!, p, protocols & SteeringProtocols.Udp, "UDP");
            CheckFree(_tcpRules!, p, protocols & SteeringProtocols.Tcp, "TCP");
        }

        ushort value = (ushort)(consumer.Index + 1);
        for (int p = low; p <= high; p++)
        {
            if ((protocols & SteeringProtocols.Udp) != 0)
            {
                _udpRules![p] = value;
            }

            if ((protocols & SteeringProtocols.Tcp) != 0)
            {
                _tcpRules![p] = value;
            }
        }
    }

    /// <summary>
    /// Receives up to <see cref="PacketSteeringOptions.BatchSize"/> frames from the port and steers them (port's thread).
    /// </summary>
    /// <returns>How many frames were received (0 when none was waiting).</returns>
    /// <exception cref="InvalidOperationException">No consumer was added.</exception>
    /// <exception cref="ObjectDisposedException">The steering or the port was disposed.</exception>
    public int Poll()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_started)
        {
            Start();
        }

        int count = _port.Receive(_receive);
        if (count > 0)
        {
            Steer(_receive.AsSpan(0, count));
        }

        return count;
    }

    /// <summary>
    /// Receives up to <see cref="PacketSteeringOptions.BatchSize"/> frames from the port and hands each steered frame to
    /// <paramref name="sink"/> at once, in arrival order, on this thread (the port's); then gives every frame of the
    /// batch back to the port in one release. The consumers' rings are not used: for consumers that run on the port's
    /// thread. Frames no consumer takes are counted as by <see cref="Poll()"/>; every frame handed to the sink counts
    /// in its consumer's <see cref="SteeringConsumer.DeliveredFrames"/> (none is dropped: the sink decides).
    /// </summary>
    /// <typeparam name="TSink">A struct implementing <see cref="ISteeringSink"/> (a direct call per frame, no dispatch).</typeparam>
    /// <param name="sink">Takes the frames; passed by reference, so its own fields may count or batch.</param>
    /// <returns>How many frames were received (0 when none was waiting).</returns>
    /// <remarks>
    /// Cost per frame: a header parse, a table load (port mode) or a 64-bit hash (hash mode), and the sink's call; per
    /// batch one receive and one release of the port (a lock each on a <see cref="MemoryPort"/>). No allocation. When
    /// the sink throws, the batch's frames are still given back to the port and the counters of the frames handled so
    /// far kept; the exception propagates. When the sink disposes the port, the rest of the batch is not read and
    /// <see cref="ObjectDisposedException"/> is thrown (the port reclaimed the frames).
    /// </remarks>
    /// <exception cref="InvalidOperationException">No consumer was added.</exception>
    /// <exception cref="ObjectDisposedException">The steering or the port was disposed.</exception>
    public int Poll<TSink>(ref TSink sink)
        where TSink : struct, ISteeringSink
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_started)
        {
            Start();
        }

        int count = _port.Receive(_receive);
        if (count > 0)
        {
            SteerToSink(ref sink, _receive.AsSpan(0, count));
        }

        return count;
    }

    /// <summary>
    /// Steers frames received from the port (port's thread). Every frame is taken over: put into a consumer's ring
    /// (shared mode), or copied and given back, or given back as unmatched or dropped.
    /// </summary>
    /// <param name="frames">Frames the caller received from <see cref="Port"/> and owns.</param>
    /// <exception cref="InvalidOperationException">No consumer was added.</exception>
    /// <exception cref="FrameOwnershipException">A frame is not owned by the caller (checked before anything is steered).</exception>
    /// <exception cref="ObjectDisposedException">The steering or the port was disposed.</exception>
    public void Steer(ReadOnlySpan<Frame> frames)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_started)
        {
            Start();
        }

        while (!frames.IsEmpty)
        {
            int chunk = Math.Min(frames.Length, _packets.Length);
            SteerChunk(frames[..chunk]);
            frames = frames[chunk..];
        }
    }

    /// <summary>
    /// Computes the 5-tuple hash the <see cref="SteeringMode.FlowHash"/> mode uses, for a frame holding IPv4 UDP or TCP.
    /// Stable: the same inputs give the same hash in every run and process.
    /// </summary>
    /// <param name="frame">An Ethernet frame.</param>
    /// <param name="symmetric">Hash both directions of a flow alike.</param>
    /// <param name="seed">The seed (<see cref="PacketSteeringOptions.HashSeed"/>).</param>
    /// <param name="hash">The hash, or 0 when the frame is not steerable.</param>
    /// <returns><see langword="false"/> when the frame is malformed or not IPv4 UDP/TCP (never throws).</returns>
    public static bool TryGetFlowHash(ReadOnlySpan<byte> frame, bool symmetric, uint seed, out uint hash)
    {
        hash = 0;
        if (Parse(frame, out uint source, out uint destination, out byte protocol, out ushort sourcePort, out ushort destinationPort) != ParseResult.Steerable)
        {
            return false;
        }

        hash = Hash(Mix(0x9E3779B97F4A7C15UL ^ seed), symmetric, source, destination, protocol, sourcePort, destinationPort);
        return true;
    }

    /// <summary>
    /// Stops steering and frees the consumers' rings and buffers; shared frames still waiting in a ring are given back
    /// to the port. Call it after the consumers' threads have stopped; frames they hold stay theirs to give back to the
    /// port (or are reclaimed as leaks when the port is disposed). The port is not disposed. Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Volatile.Write(ref _disposed, true);
        SteeringMetrics.Unregister(this);
        foreach (SteeringConsumer consumer in _consumers)
        {
            consumer.Release();
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"PacketSteering('{_name}', {_mode}, {_consumers.Length} consumers, {UnmatchedFrames} unmatched)");

    private enum ParseResult
    {
        Steerable,
        Malformed,
        NotSteerable,
    }

    private void SteerToSink<TSink>(ref TSink sink, ReadOnlySpan<Frame> frames)
        where TSink : struct, ISteeringSink
    {
        PacketPort port = _port;
        int consumerCount = _consumers.Length;
        int[] counts = _sinkCount;
        int[] touched = _sinkTouched;
        int touchedCount = 0;
        var unmatched = default(UnmatchedCounts);
        try
        {
            for (int i = 0; i < frames.Length; i++)
            {
                if (port.IsDisposed)
                {
                    // The sink disposed the port: its memory is gone, nothing more may be read (or given back).
                    ObjectDisposedException.ThrowIf(true, port);
                }

                ReadOnlySpan<byte> data = port.ReceivedSpan(frames[i]);
                int target = Classify(data, consumerCount, out uint hash);
                if (target < 0)
                {
                    unmatched.Count(target);
                    continue;
                }

                if (counts[target]++ == 0)
                {
                    touched[touchedCount++] = target;
                }

                sink.Deliver(target, data, hash);
            }
        }
        finally
        {
            SteeringConsumer[] consumers = _consumers;
            for (int t = 0; t < touchedCount; t++)
            {
                int c = touched[t];
                consumers[c].CountDelivered(counts[c]);
                counts[c] = 0;
            }

            AddUnmatched(unmatched);
            if (!port.IsDisposed)
            {
                // The handles never left this method (the sink saw spans only): no compare-and-swap needed.
                port.ReleasePrivate(frames);
            }
        }
    }

    private const int TargetMalformed = -1;
    private const int TargetNotSteerable = -2;
    private const int TargetNoRule = -3;

    /// <summary>The frame's consumer index, or a negative <c>Target*</c> code; the hash in hash mode (0 otherwise).</summary>
    /// <remarks>
    /// Not inlined on purpose: inlined into the generic steering loops it exhausted the JIT's inlining budget, which
    /// left the parse's byte reads and the hash as calls; as a call of its own, one per frame, they all inline.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int Classify(ReadOnlySpan<byte> data, int consumerCount, out uint hash)
    {
        hash = 0;
        ParseResult result = Parse(data, out uint source, out uint destination, out byte protocol, out ushort sourcePort, out ushort destinationPort);
        if (result != ParseResult.Steerable)
        {
            return result == ParseResult.Malformed ? TargetMalformed : TargetNotSteerable;
        }

        if (_mode == SteeringMode.DestinationPort)
        {
            int target = (protocol == IpProtocol.Udp ? _udpRules! : _tcpRules!)[destinationPort] - 1;
            return target < 0 ? TargetNoRule : target;
        }

        hash = Hash(_seed, _symmetric, source, destination, protocol, sourcePort, destinationPort);
        return (int)(((ulong)hash * (uint)consumerCount) >> 32);
    }

    private void AddUnmatched(in UnmatchedCounts unmatched)
    {
        if (unmatched.Malformed != 0)
        {
            Volatile.Write(ref _malformed, _malformed + unmatched.Malformed);
        }

        if (unmatched.NotSteerable != 0)
        {
            Volatile.Write(ref _notSteerable, _notSteerable + unmatched.NotSteerable);
        }

        if (unmatched.NoRule != 0)
        {
            Volatile.Write(ref _noRule, _noRule + unmatched.NoRule);
        }
    }

    /// <summary>A batch's frames no consumer got, by reason (added to the steering's counters once per batch).</summary>
    private struct UnmatchedCounts
    {
        public long Malformed;
        public long NotSteerable;
        public long NoRule;

        /// <summary>Counts one frame whose <see cref="Classify"/> target is the negative <paramref name="target"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Count(int target)
        {
            Malformed += target == TargetMalformed ? 1 : 0;
            NotSteerable += target == TargetNotSteerable ? 1 : 0;
            NoRule += target == TargetNoRule ? 1 : 0;
        }
    }

    private void SteerChunk(ReadOnlySpan<Frame> frames)
    {
        PacketPort port = _port;
        SteeringConsumer[] consumers = _consumers;
        int[] groupOf = _groupOfConsumer;
        int groups = 0;
        int giveBack = 0;
        var unmatched = default(UnmatchedCounts);

        // 1. Classify; copy-mode frames are copied now and their port frames given back with the unmatched ones.
        for (int i = 0; i < frames.Length; i++)
        {
            Frame frame = frames[i];
            ReadOnlySpan<byte> data = port.GetSpan(frame);
            int target = Classify(data, consumers.Length, out uint hash);
            if (target < 0)
            {
                unmatched.Count(target);
                _group[i] = -1;
                _giveBack[giveBack++] = frame;
                continue;
            }

            SteeringConsumer consumer = consumers[target];
            SteeredPacket packet;
            if (consumer.Delivery == SteeringDelivery.SharedFrame)
            {
                packet = new SteeredPacket(frame, -1, frame.Length, hash);
            }
            else
            {
                _giveBack[giveBack++] = frame;
                if (!consumer.TryCopy(data, hash, out packet))
                {
                    consumer.CountDropped(1);
                    _group[i] = -1;
                    continue;
                }
            }

            int group = groupOf[target];
            if (group < 0)
            {
                group = groups++;
                groupOf[target] = group;
                _groupConsumer[group] = target;
                _groupCount[group] = 0;
            }

            _groupCount[group]++;
            _group[i] = (short)group;
            _packets[i] = packet;
        }

        // 2. Order the packets by consumer (a counting sort over the consumers this chunk touched, stable).
        int start = 0;
        for (int g = 0; g < groups; g++)
        {
            int count = _groupCount[g];
            _groupCount[g] = start;
            start += count;
        }

        for (int i = 0; i < frames.Length; i++)
        {
            int group = _group[i];
            if (group >= 0)
            {
                _sorted[_groupCount[group]++] = _packets[i];
            }
        }

        // 3. One enqueue per consumer; what does not fit is dropped and counted for that consumer only.
        int begin = 0;
        for (int g = 0; g < groups; g++)
        {
            int end = _groupCount[g];
            SteeringConsumer consumer = consumers[_groupConsumer[g]];
            groupOf[_groupConsumer[g]] = -1;
            ReadOnlySpan<SteeredPacket> batch = _sorted.AsSpan(begin, end - begin);
            int accepted = consumer.Enqueue(batch);
            consumer.CountDelivered(accepted);
            if (accepted < batch.Length)
            {
                consumer.CountDropped(batch.Length - accepted);
                for (int i = accepted; i < batch.Length; i++)
                {
                    if (consumer.Delivery == SteeringDelivery.SharedFrame)
                    {
                        _giveBack[giveBack++] = batch[i].Frame;
                    }
                    else
                    {
                        consumer.UntakeBuffer(batch[i].BufferIndex);
                    }
                }
            }

            begin = end;
        }

        AddUnmatched(unmatched);
        if (giveBack > 0)
        {
            port.Release(_giveBack.AsSpan(0, giveBack));
        }
    }

    /// <summary>
    /// Reads the steering fields. Never reads outside <paramref name="frame"/>: every read below is covered by a length
    /// check before it (the checks are explicit, so the reads need no bounds checks of their own).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ParseResult Parse(ReadOnlySpan<byte> frame, out uint source, out uint destination, out byte protocol, out ushort sourcePort, out ushort destinationPort)
    {
        source = destination = 0;
        protocol = 0;
        sourcePort = destinationPort = 0;
        int length = frame.Length;
        if (length < 14)
        {
            return ParseResult.Malformed;
        }

        ref byte b = ref MemoryMarshal.GetReference(frame);
        int offset = 12;
        ushort type = ReadBigEndian16(ref b, offset);
        for (int tags = 0; tags < 2 && type is EtherTypeVlan or EtherTypeQinQ; tags++)
        {
            offset += 4;
            if (length < offset + 2)
            {
                return ParseResult.Malformed;
            }

            type = ReadBigEndian16(ref b, offset);
        }

        if (type != EtherTypeIpv4)
        {
            return ParseResult.NotSteerable;
        }

        int ip = offset + 2;
        int ipBytes = length - ip;
        if (ipBytes < 20)
        {
            return ParseResult.Malformed;
        }

        byte versionAndLength = Unsafe.Add(ref b, ip);
        int headerLength = (versionAndLength & 0xF) * 4;
        int totalLength = ReadBigEndian16(ref b, ip + 2);
        if (versionAndLength >> 4 != 4 || headerLength < 20 || totalLength < headerLength || totalLength > ipBytes)
        {
            return ParseResult.Malformed;
        }

        protocol = Unsafe.Add(ref b, ip + 9);
        if ((protocol != IpProtocol.Udp && protocol != IpProtocol.Tcp) || (ReadBigEndian16(ref b, ip + 6) & 0x3FFF) != 0)
        {
            // Not UDP/TCP, or a fragment (more-fragments flag or an offset): only the first fragment has ports.
            return ParseResult.NotSteerable;
        }

        if (totalLength - headerLength < (protocol == IpProtocol.Udp ? 8 : 20))
        {
            return ParseResult.Malformed;
        }

        // ip + headerLength + 4 <= ip + totalLength <= length: the ports lie within the frame.
        source = ReadBigEndian32(ref b, ip + 12);
        destination = ReadBigEndian32(ref b, ip + 16);
        sourcePort = ReadBigEndian16(ref b, ip + headerLength);
        destinationPort = ReadBigEndian16(ref b, ip + headerLength + 2);
        return ParseResult.Steerable;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort ReadBigEndian16(ref byte frame, int offset)
    {
        ushort value = Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref frame, offset));
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ReadBigEndian32(ref byte frame, int offset)
    {
        uint value = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref frame, offset));
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(ulong seed, bool symmetric, uint source, uint destination, byte protocol, ushort sourcePort, ushort destinationPort)
    {
        // Symmetric: order the two endpoints, so both directions hash the same (address first, then port).
        if (symmetric && (source > destination || (source == destination && sourcePort > destinationPort)))
        {
            (source, destination) = (destination, source);
            (sourcePort, destinationPort) = (destinationPort, sourcePort);
        }

        ulong addresses = ((ulong)source << 32) | destination;
        ulong ports = ((ulong)sourcePort << 24) | ((ulong)destinationPort << 8) | protocol;
        ulong h = Mix(seed ^ addresses);
        h = Mix(h ^ ports);
        return (uint)(h ^ (h >> 32));
    }

    /// <summary>A 64-bit finalizer (murmur3 fmix64 constants): every input bit affects every output bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong value)
    {
        value ^= value >> 33;
        value *= 0xFF51AFD7ED558CCDUL;
        value ^= value >> 33;
        value *= 0xC4CEB9FE1A85EC53UL;
        value ^= value >> 33;
        return value;
    }

    private static void CheckFree(ushort[] rules, int port, SteeringProtocols wanted, string protocol)
    {
        if (wanted != 0 && rules[port] != 0)
        {
            ThrowMapped(port, protocol, rules[port] - 1);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowMapped(int port, string protocol, int consumer) =>
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{protocol} port {port} is already mapped to consumer #{consumer}; nothing was mapped."));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Start()
    {
        if (_consumers.Length == 0)
        {
            throw new InvalidOperationException($"Steering '{_name}' has no consumer: add one before steering.");
        }

        _started = true;
    }

    private void ThrowIfStarted(string what)
    {
        if (_started)
        {
            throw new InvalidOperationException($"Steering '{_name}' has started: cannot {what} any more (flows would move between consumers).");
        }
    }
}
