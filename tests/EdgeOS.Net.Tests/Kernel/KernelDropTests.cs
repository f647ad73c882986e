using System.Globalization;
using EdgeOS.Net.PacketSocket;
using EdgeOS.Net.Pcap;
using EdgeOS.Net.Xdp;
using Xunit;

namespace EdgeOS.Net.Tests.Kernel;

/// <summary>
/// <see cref="PacketPort.TryReadKernelDroppedFrames"/> against real kernel drops: a port with the smallest receive
/// ring on the host end of a veth pair receives nothing while a kernel UDP client in the namespace sends a burst, so
/// the ring fills and the kernel drops the rest; the count must then be positive and must not go back (the AF_PACKET
/// counter resets at every read, the port accumulates it).
/// </summary>
public sealed class KernelDropTests
{
    private const int Burst = 400;

    [Fact]
    public void PacketSocketPortCountsWhatTheKernelDropsWhenTheRingIsFull()
    {
        using VethNamespace veth = VethNamespace.Create();

        // Two 4 KiB blocks hold a few dozen small frames; a block is handed over when full or after 1 ms.
        using var port = new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = veth.HostInterface, BlockSizeBytes = 4096, BlockCount = 2, BlockTimeoutMilliseconds = 1, TransmitFrameCount = 1 });
        Assert.True(port.TryReadKernelDroppedFrames(out long before));
        Assert.InRange(before, 0, long.MaxValue);

        Send(veth, UdpEcho.EchoPort);
        long first = WaitForDrops(port);
        Assert.True(first > 0, "the kernel dropped nothing although the ring was never read");

        // The kernel's counter was reset by the read; the port's total stays.
        Assert.True(port.TryReadKernelDroppedFrames(out long second));
        Assert.True(second >= first, $"{second} < {first}");

        // ReadKernelStatistics takes its share of the kernel's counter but the total still counts it.
        (long packets, long drops) = port.ReadKernelStatistics();
        Assert.InRange(drops, 0, packets);
        Assert.True(port.TryReadKernelDroppedFrames(out long third));
        Assert.True(third >= second + drops, $"{third} < {second} + {drops}");
        Assert.Equal(third, port.GetStatistics().ReceiveDroppedFrames);

        // What the ring did keep is still there to receive (the first frames to arrive: the neighbour resolution and
        // the warm-up may be among them, and IPv6 link-local chatter too, so not necessarily the burst's).
        Frame[] frames = new Frame[64];
        int received = 0;
        int n;
        while ((n = port.Receive(frames)) > 0)
        {
            received += n;
            port.Release(frames.AsSpan(0, n));
        }

        Assert.InRange(received, 1, Burst - 1);
        Assert.Equal(0, port.OutstandingFrames);
    }

    [Fact]
    public void XdpPortCountsWhatTheKernelDropsWhenTheRxRingIsFull()
    {
        using VethNamespace veth = VethNamespace.Create();
        using var port = new XdpPort(new XdpPortOptions
        {
            InterfaceName = veth.HostInterface,
            FrameCount = 64,
            FillRingSize = 32,
            CompletionRingSize = 32,
            RxRingSize = 16,
            TxRingSize = 16,
            UdpPortLow = UdpEcho.EchoPort,
            UdpPortHigh = UdpEcho.EchoPort,
        });
        Assert.True(port.TryReadKernelDroppedFrames(out long before));
        Assert.Equal(0, before);

        Send(veth, UdpEcho.EchoPort);
        long drops = WaitForDrops(port);
        Assert.True(drops > 0, "the kernel dropped nothing although the rx ring was never read");

        XdpStatistics statistics = port.GetXdpStatistics();
        long kernel = (long)(statistics.RxDropped + statistics.RxInvalidDescriptors + statistics.RxRingFull);
        Assert.True(kernel >= drops, $"{kernel} < {drops}");
        Assert.True(port.TryReadKernelDroppedFrames(out long again));
        Assert.True(again >= kernel, $"{again} < {kernel}");
        Assert.Equal(again, port.GetStatistics().ReceiveDroppedFrames);

        // The rx ring still holds what it had room for.
        Frame[] frames = new Frame[64];
        int n = port.Receive(frames);
        Assert.InRange(n, 1, 16);
        port.Release(frames.AsSpan(0, n));
    }

    [Fact]
    public void PortsWithoutAKernelSocketHaveNoKernelDrops()
    {
        using var file = new MemoryStream();
        using (var writer = new PcapWriter(file, new PcapWriterOptions(), leaveOpen: true))
        {
            writer.Write(new byte[60], 0);
        }

        file.Position = 0;
        using var pcap = new PcapPort(new PcapReader(file), null, new PcapPortOptions());
        Assert.False(pcap.TryReadKernelDroppedFrames(out long frames));
        Assert.Equal(0, frames);

        pcap.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pcap.TryReadKernelDroppedFrames(out _));
    }

    /// <summary>Sends <see cref="Burst"/> small datagrams to the host end from a kernel UDP socket in the namespace.</summary>
    private static void Send(VethNamespace veth, int port)
    {
        (int exitCode, _, string error) = veth.PythonInNamespace(string.Create(CultureInfo.InvariantCulture, $$"""
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            # Resolve the neighbour first (to a port the XDP program passes): the burst then leaves at once.
            s.sendto(b'warm-up', ('{{veth.HostAddress}}', 9))
            time.sleep(0.3)
            for i in range({{Burst}}):
                s.sendto(b'drop-%04d' % i, ('{{veth.HostAddress}}', {{port}}))
            """));
        Assert.True(exitCode == 0, error);
    }

    /// <summary>Reads the kernel's drop count until it is positive or 10 s have passed (frames may still be in flight
    /// when the sender exits); returns the last count.</summary>
    private static long WaitForDrops(PacketPort port)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        long drops;
        while (true)
        {
            Assert.True(port.TryReadKernelDroppedFrames(out drops));
            if (drops > 0 || DateTime.UtcNow > deadline)
            {
                return drops;
            }

            Thread.Sleep(20);
        }
    }
}
