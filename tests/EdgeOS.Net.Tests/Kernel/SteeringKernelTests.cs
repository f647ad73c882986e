using System.Globalization;
using EdgeOS.Net.PacketSocket;
using EdgeOS.Net.Steering;
using EdgeOS.Net.Xdp;
using Xunit;

namespace EdgeOS.Net.Tests.Kernel;

/// <summary>
/// Steering over real ports on a veth pair: a kernel UDP client in the namespace sends to two ports; one consumer
/// gets port 9000 as shared frames, the other port 9001 as copies, each on its own thread, returning what it got.
/// </summary>
public sealed class SteeringKernelTests
{
    private const int CountEach = 40;

    [Fact]
    public async Task SteeringOverPacketSocketPortDeliversEachPortToItsConsumerInBothModes()
    {
        using VethNamespace veth = VethNamespace.Create();
        using var port = new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = veth.HostInterface, BlockSizeBytes = 1 << 14, BlockCount = 64, BlockTimeoutMilliseconds = 10 });
        await RunAsync(veth, port, port.WaitForReceive, () => port.ReadKernelStatistics().ToString());
    }

    [Fact]
    public async Task SteeringOverXdpPortDeliversEachPortToItsConsumerInBothModes()
    {
        using VethNamespace veth = VethNamespace.Create();
        XdpPortOptions options = XdpPortTests.SmallOptions(veth.HostInterface);
        using var port = new XdpPort(new XdpPortOptions
        {
            InterfaceName = options.InterfaceName,
            FrameCount = options.FrameCount,
            FillRingSize = options.FillRingSize,
            CompletionRingSize = options.CompletionRingSize,
            RxRingSize = options.RxRingSize,
            TxRingSize = options.TxRingSize,
            UdpPortLow = UdpEcho.EchoPort,
            UdpPortHigh = UdpEcho.EchoPort + 1,
        });
        await RunAsync(veth, port, port.WaitForReceive, () => port.GetXdpStatistics().RxDropped.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(0, port.KernelAddressErrors);
    }

    private static async Task RunAsync(VethNamespace veth, PacketPort port, Func<int, bool> waitForReceive, Func<string> kernelStatistics)
    {
        using var steering = new PacketSteering(port, new PacketSteeringOptions { BatchSize = 16 });
        SteeringConsumer shared = steering.AddConsumer("shared", new SteeringConsumerOptions { SlotCount = 256 });
        SteeringConsumer copy = steering.AddConsumer("copy", new SteeringConsumerOptions { Delivery = SteeringDelivery.Copy, SlotCount = 256 });
        steering.MapDestinationPorts(shared, UdpEcho.EchoPort, UdpEcho.EchoPort, SteeringProtocols.Udp);
        steering.MapDestinationPorts(copy, UdpEcho.EchoPort + 1, UdpEcho.EchoPort + 1, SteeringProtocols.Udp);

        using var stop = new CancellationTokenSource();
        CancellationToken token = TestContext.Current.CancellationToken;
        Task<(int Good, int Bad)>[] consumers = [
            Task.Run(() => Consume(shared, UdpEcho.EchoPort, stop.Token), token),
            Task.Run(() => Consume(copy, UdpEcho.EchoPort + 1, stop.Token), token),
        ];
        Task steer = Task.Run(
            () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    if (waitForReceive(10))
                    {
                        _ = steering.Poll();
                    }
                    else
                    {
                        _ = port.RecycleReturnedFrames();
                    }
                }
            },
            token);

        (int exitCode, _, string error) = veth.PythonInNamespace(SendScript(veth.HostAddress));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((shared.DeliveredFrames < CountEach || copy.DeliveredFrames < CountEach) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, token);
        }

        stop.Cancel();
        await steer;
        (int sharedGood, int sharedBad) = await consumers[0];
        (int copyGood, int copyBad) = await consumers[1];

        Assert.True(exitCode == 0, error);
        PacketPortStatistics statistics = port.GetStatistics();
        Assert.True(
            sharedGood == CountEach && copyGood == CountEach,
            $"shared {sharedGood}/{shared.DeliveredFrames}, copy {copyGood}/{copy.DeliveredFrames}, unmatched {steering.NoRuleFrames}/{steering.NotSteerableFrames}/{steering.MalformedFrames}, port received {statistics.ReceivedFrames}, outstanding {statistics.OutstandingFrames}, kernel {kernelStatistics()}");
        Assert.Equal(CountEach, sharedGood);
        Assert.Equal(CountEach, copyGood);
        Assert.Equal(0, sharedBad + copyBad);
        Assert.Equal(0, shared.DroppedFrames + copy.DroppedFrames);

        // Every shared frame came back from the consumer's thread; copies never held port frames.
        _ = port.RecycleReturnedFrames();
        port.ThrowIfFramesOutstanding();
    }

    private static (int Good, int Bad) Consume(SteeringConsumer consumer, int expectedPort, CancellationToken stop)
    {
        var packets = new SteeredPacket[16];
        int good = 0;
        int bad = 0;
        while (true)
        {
            int count = consumer.TryReceive(packets);
            if (count == 0)
            {
                if (stop.IsCancellationRequested)
                {
                    return (good, bad);
                }

                _ = consumer.WaitToReceive(TimeSpan.FromMilliseconds(20), CancellationToken.None);
                continue;
            }

            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> data = consumer.GetSpan(packets[i]);
                if (UdpEcho.IsUdpTo(data, expectedPort) && data.Length >= 52 && data[42..48].SequenceEqual("steer-"u8))
                {
                    good++;
                }
                else
                {
                    bad++;
                }
            }

            consumer.Return(packets.AsSpan(0, count));
        }
    }

    private static string SendScript(string server) => string.Create(CultureInfo.InvariantCulture, $$"""
        import socket, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # Resolve the neighbour first (to a port no rule maps): the datagrams below then leave at once.
        s.sendto(b'warm-up', ('{{server}}', 9))
        time.sleep(0.3)
        for i in range({{CountEach}}):
            s.sendto(b'steer-%04d' % i, ('{{server}}', {{UdpEcho.EchoPort}}))
            s.sendto(b'steer-%04d' % i, ('{{server}}', {{UdpEcho.EchoPort + 1}}))
            time.sleep(0.002)
        """);
}
