using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EdgeOS.Net;
using EdgeOS.Net.PacketSocket;
using EdgeOS.Net.Xdp;

// send <iface> <dst-mac> <src-ip> <dst-ip> <port> <seconds>   flood 64-byte UDP frames (sendmmsg, AF_PACKET)
// send-port <iface> <dst-mac> <src-ip> <dst-ip> <port> <seconds>  the same with a PacketSocketPort (one send(2) per frame)
// recv-xdp <iface> <port> <seconds> [spin|sleep|spin50] | recv-packet <iface> <seconds> [spin|sleep]
// send-ring ...  the same with a TPACKET_V2 TX_RING (one send(2) per pass over the ring)
// send-live ...  the same as xdp_frames: BPF_PROG_TEST_RUN in live-frames mode on an XDP program that redirects to
//   <iface> (LiveFrameSender.cs); run it in the namespace of <iface>
// recv-socket <ip> <port> <seconds> [sleep|spin|busy]   recvmmsg(2), 64 per call; busy: SO_BUSY_POLL
//   count frames for the given time after the first one; prints "<name> <packets> <seconds> <packets/s>"
// echo-xdp <iface> <port> <seconds> | echo-packet <iface> <port> <seconds> | echo-socket <ip> <port> <seconds>
//   UDP echo server for the given time
// ping <name> <server-ip> <port> <count>   kernel UDP client: one datagram at a time, prints median and p99 round trip
string command = args.Length > 0 ? args[0] : string.Empty;
switch (command)
{
    case "send":
        return EdgeOS.Net.Scenario.FastSender.Run(args[1], BuildFrame(args[2], IPAddress.Parse(args[3]), IPAddress.Parse(args[4]), int.Parse(args[5], CultureInfo.InvariantCulture)), double.Parse(args[6], CultureInfo.InvariantCulture));
    case "send-live":
        return EdgeOS.Net.Scenario.LiveFrameSender.Run(args[1], BuildFrame(args[2], IPAddress.Parse(args[3]), IPAddress.Parse(args[4]), int.Parse(args[5], CultureInfo.InvariantCulture)), double.Parse(args[6], CultureInfo.InvariantCulture));
    case "send-ring":
        return EdgeOS.Net.Scenario.FastSender.RunRing(args[1], BuildFrame(args[2], IPAddress.Parse(args[3]), IPAddress.Parse(args[4]), int.Parse(args[5], CultureInfo.InvariantCulture)), double.Parse(args[6], CultureInfo.InvariantCulture));
    case "send-port":
        return Send(args[1], args[2], IPAddress.Parse(args[3]), IPAddress.Parse(args[4]), int.Parse(args[5], CultureInfo.InvariantCulture), double.Parse(args[6], CultureInfo.InvariantCulture));
    case "echo-xdp":
        {
            int echoPort = int.Parse(args[2], CultureInfo.InvariantCulture);
            using var port = new XdpPort(new XdpPortOptions { InterfaceName = args[1], UdpPortLow = echoPort, UdpPortHigh = echoPort });
            return EchoPort(port, port.WaitForReceive, echoPort, double.Parse(args[3], CultureInfo.InvariantCulture));
        }

    case "echo-packet":
        {
            using var port = new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = args[1], BlockSizeBytes = 1 << 16, BlockCount = 16, BlockTimeoutMilliseconds = 1 });
            return EchoPort(port, port.WaitForReceive, int.Parse(args[2], CultureInfo.InvariantCulture), double.Parse(args[3], CultureInfo.InvariantCulture));
        }

    case "echo-socket":
        return EchoSocket(IPAddress.Parse(args[1]), int.Parse(args[2], CultureInfo.InvariantCulture), double.Parse(args[3], CultureInfo.InvariantCulture));
    case "ping":
        return Ping(args[1], IPAddress.Parse(args[2]), int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture));
    case "recv-xdp":
        {
            // 16384 frames, 8192 of them in the fill ring: about as many packets as the kernel socket's 16 MiB receive
            // buffer and the packet socket's 16 MiB ring hold, so a receiver that is off the core for a few
            // milliseconds (it shares the core with veth's NAPI thread) drops no more here than there.
            using var port = new XdpPort(new XdpPortOptions
            {
                InterfaceName = args[1],
                UdpPortLow = int.Parse(args[2], CultureInfo.InvariantCulture),
                UdpPortHigh = int.Parse(args[2], CultureInfo.InvariantCulture),
                FrameCount = 16384,
                FillRingSize = 8192,
                RxRingSize = 8192,
            });
            Console.Error.WriteLine($"xdp: zero-copy {port.IsZeroCopy}, native {port.IsNativeXdp}");
            if (args.Length > 4 && args[4] == "spin50")
            {
                // Sleep on empty, but through WaitForReceive(timeout, 50 us): the port watches its ring 50 us first.
                return ReceivePort("XdpPort (50 us spin)", port, timeout => port.WaitForReceive(timeout, 50), double.Parse(args[3], CultureInfo.InvariantCulture), false, () => XdpStatisticsLine(port), suffix: false);
            }

            return ReceivePort("XdpPort", port, port.WaitForReceive, double.Parse(args[3], CultureInfo.InvariantCulture), Spin(args, 4), () => XdpStatisticsLine(port));
        }

    case "recv-packet":
        {
            using var port = new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = args[1], BlockSizeBytes = 1 << 18, BlockCount = 64 });
            return ReceivePort("PacketSocketPort", port, port.WaitForReceive, double.Parse(args[2], CultureInfo.InvariantCulture), Spin(args, 3), () => $"packet socket kernel stats (packets, drops): {port.ReadKernelStatistics()}");
        }

    case "recv-socket":
        return EdgeOS.Net.Scenario.BatchSocketReceiver.Run(IPAddress.Parse(args[1]), int.Parse(args[2], CultureInfo.InvariantCulture), double.Parse(args[3], CultureInfo.InvariantCulture), args.Length > 4 ? args[4] : "sleep");
    default:
        Console.Error.WriteLine("usage: see the comment at the top of Program.cs");
        return 2;
}

// The optional last receiver argument: "spin" (busy-poll, sleep only after 1 ms of nothing) or "sleep" (block in
// poll(2) / recv(2) whenever nothing is ready, the default).
static bool Spin(string[] args, int index) => args.Length > index && args[index] switch
{
    "spin" => true,
    "sleep" => false,
    _ => throw new ArgumentException($"receive mode must be spin or sleep, not {args[index]}"),
};

static string XdpStatisticsLine(XdpPort port)
{
    XdpStatistics s = port.GetXdpStatistics();
    return $"xdp stats: rx dropped {s.RxDropped}, rx ring full {s.RxRingFull}, fill ring empty {s.FillRingEmpty}, kernel address errors {port.KernelAddressErrors}";
}

static int ReceivePort(string name, PacketPort port, Func<int, bool> wait, double seconds, bool spin, Func<string> kernelStatistics, bool suffix = true)
{
    Span<Frame> batch = stackalloc Frame[64];
    long spinTicks = spin ? Stopwatch.Frequency / 1000 : 0;
    name += !suffix ? string.Empty : spin ? " (spin)" : " (sleep)";
    // Start the clock at the first flood frame (IPv4 UDP), not at the first frame of any kind: a packet port also sees
    // the IPv6 router and neighbour solicitations a fresh link sends, seconds before the sender starts.
    bool started = false;
    while (!started)
    {
        _ = wait(100);
        int count = port.Receive(batch);
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> data = port.GetSpan(batch[i]);
            started |= data.Length >= 34 && data[12] == 0x08 && data[13] == 0x00 && data[23] == 17;
        }

        port.Release(batch[..count]);
    }

    long packets = 0;
    long cpuBefore = EdgeOS.Net.Scenario.ReceiveCpu.Nanoseconds();
    long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    var clock = Stopwatch.StartNew();
    long limit = (long)(seconds * Stopwatch.Frequency);
    long idleSince = 0;
    long waits = 0;
    while (clock.ElapsedTicks < limit)
    {
        int count = port.Receive(batch);
        if (count == 0)
        {
            // Busy-poll, as a kernel-bypass receiver does: sleeping in poll(2) whenever the ring is momentarily empty
            // makes the kernel wake this thread (an IPI to this core) for every few frames, on the sender's core.
            // Sleep only after SpinTicks of nothing.
            long now = clock.ElapsedTicks;
            if (idleSince == 0)
            {
                idleSince = now;
            }
            else if (now - idleSince >= spinTicks)
            {
                wait(10);
                waits++;
                idleSince = 0;
            }

            continue;
        }

        idleSince = 0;
        packets += count;
        port.Release(batch[..count]);
    }

    double elapsed = clock.Elapsed.TotalSeconds;
    long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    long cpu = EdgeOS.Net.Scenario.ReceiveCpu.Nanoseconds() - cpuBefore;
    EdgeOS.Net.Scenario.Row.Report(name, packets, elapsed, allocated, cpu);
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {waits} sleeps in poll(2), {(double)packets / Math.Max(waits, 1):F1} packets per sleep; {kernelStatistics()}"));
    return 0;
}

static int EchoPort(PacketPort port, Func<int, bool> wait, int echoPort, double seconds)
{
    Span<Frame> batch = stackalloc Frame[32];
    var clock = Stopwatch.StartNew();
    long limit = (long)(seconds * Stopwatch.Frequency);
    while (clock.ElapsedTicks < limit)
    {
        // Busy-poll (a short wait only when idle): the latency of the port, not of a wake-up.
        int count = port.Receive(batch);
        if (count == 0)
        {
            _ = wait(0);
            continue;
        }

        int keep = 0;
        for (int i = 0; i < count; i++)
        {
            Span<byte> data = port.GetSpan(batch[i]);
            // veth offloads the sender's UDP checksum (left partial on the wire), so it cannot verify here: clear it
            // (0 = "not computed", valid in IPv4) before the echo builder checks the request.
            if (data.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(data[36..]) == echoPort
                && ClearUdpChecksum(data) && EdgeOS.Net.Packets.PacketBuilder.TryMakeUdpEcho(data, out int length, out _))
            {
                batch[keep++] = batch[i].WithLength(length);
            }
            else
            {
                port.Release(batch[i]);
            }
        }

        int sent = port.Transmit(batch[..keep]);
        port.Release(batch[sent..keep]);
    }

    return 0;
}

static bool ClearUdpChecksum(Span<byte> frame)
{
    int udp = 14 + ((frame[14] & 0xF) * 4);
    if (frame.Length < udp + 8)
    {
        return false;
    }

    frame[udp + 6] = 0;
    frame[udp + 7] = 0;
    return true;
}

static int EchoSocket(IPAddress address, int port, double seconds)
{
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    socket.Bind(new IPEndPoint(address, port));
    socket.ReceiveTimeout = 100;
    byte[] buffer = new byte[2048];
    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        try
        {
            int n = socket.ReceiveFrom(buffer, ref from);
            _ = socket.SendTo(buffer.AsSpan(0, n), from);
        }
        catch (SocketException)
        {
        }
    }

    return 0;
}

static int Ping(string name, IPAddress server, int port, int count)
{
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    // Unconnected: a connected UDP socket would report the ICMP port-unreachable the host kernel sends when a packet
    // socket (which only copies frames) is the echo server, and count the sample lost.
    var target = new IPEndPoint(server, port);
    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
    socket.ReceiveTimeout = 100;
    byte[] request = new byte[22];
    byte[] reply = new byte[2048];
    var samples = new List<double>(count);
    int lost = 0;
    for (int i = -100; i < count && lost < 50; i++)
    {
        BinaryPrimitives.WriteInt32BigEndian(request, i);
        long start = Stopwatch.GetTimestamp();
        _ = socket.SendTo(request, target);
        try
        {
            while (true)
            {
                int n = socket.ReceiveFrom(reply, ref from);
                if (n == request.Length && BinaryPrimitives.ReadInt32BigEndian(reply) == i)
                {
                    break;
                }
            }
        }
        catch (SocketException)
        {
            lost++;
            continue;
        }

        if (i >= 0)
        {
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
    }

    samples.Sort();
    double median = samples.Count > 0 ? samples[samples.Count / 2] : double.NaN;
    double p99 = samples.Count > 0 ? samples[Math.Min(samples.Count - 1, (int)(samples.Count * 0.99))] : double.NaN;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name,-20} | {samples.Count,8} | {lost,6} | {median,10:F1} | {p99,10:F1} |"));
    return 0;
}

static int Send(string interfaceName, string destinationMac, IPAddress source, IPAddress destination, int port, double seconds)
{
    using var sender = new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = interfaceName, BlockCount = 2, BlockSizeBytes = 4096, TransmitFrameCount = 256, BypassQdisc = true });
    byte[] template = BuildFrame(destinationMac, source, destination, port);
    Span<Frame> frames = stackalloc Frame[64];
    long sent = 0;
    var clock = Stopwatch.StartNew();
    long limit = (long)(seconds * Stopwatch.Frequency);
    while (clock.ElapsedTicks < limit)
    {
        int count = sender.AllocateTransmit(frames);
        for (int i = 0; i < count; i++)
        {
            template.CopyTo(sender.GetBuffer(frames[i]));
            frames[i] = frames[i].WithLength(template.Length);
        }

        int accepted = sender.Transmit(frames[..count]);
        sender.Release(frames[accepted..count]);
        sent += accepted;
    }

    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sender: {sent} frames in {clock.Elapsed.TotalSeconds:F2} s"));
    return 0;
}

static byte[] BuildFrame(string destinationMac, IPAddress source, IPAddress destination, int port)
{
    // 64-byte Ethernet frame (without FCS): 14 Ethernet + 20 IPv4 + 8 UDP + 22 payload.
    byte[] frame = new byte[64];
    Convert.FromHexString(destinationMac.Replace(":", string.Empty, StringComparison.Ordinal)).CopyTo(frame, 0);
    frame[6] = 0x02; // locally administered source MAC
    BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
    Span<byte> ip = frame.AsSpan(14, 20);
    ip[0] = 0x45;
    BinaryPrimitives.WriteUInt16BigEndian(ip[2..], 50);
    ip[8] = 64;
    ip[9] = 17;
    source.TryWriteBytes(ip[12..], out _);
    destination.TryWriteBytes(ip[16..], out _);
    uint sum = 0;
    for (int i = 0; i < 20; i += 2)
    {
        sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
    }

    sum = (sum & 0xFFFF) + (sum >> 16);
    sum += sum >> 16;
    BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~sum);
    Span<byte> udp = frame.AsSpan(34, 30);
    BinaryPrimitives.WriteUInt16BigEndian(udp, 40000);
    BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)port);
    BinaryPrimitives.WriteUInt16BigEndian(udp[4..], 30);
    return frame; // UDP checksum 0: "not computed", valid for IPv4
}
