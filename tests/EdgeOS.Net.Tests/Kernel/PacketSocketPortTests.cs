using EdgeOS.Net.PacketSocket;
using Xunit;

namespace EdgeOS.Net.Tests.Kernel;

public sealed class PacketSocketPortTests
{
    [Fact]
    public async Task UdpEchoOverPacketSocketPortReachesTheKernelClientWhileArpAndPingStillWork()
    {
        using VethNamespace veth = VethNamespace.Create();
        var port = new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = veth.HostInterface, BlockSizeBytes = 1 << 14, BlockCount = 8, TransmitFrameCount = 16 });
        long echoed;
        bool allVerified;
        try
        {
            using var stop = new CancellationTokenSource();
            Task<(long Echoed, bool Verified)> loop = Task.Run(() => XdpPortTests.EchoLoop(port, port.WaitForReceive, stop.Token), TestContext.Current.CancellationToken);

            // The unconnected client ignores the ICMP port-unreachable the host kernel also sends (nothing listens on
            // the port there: AF_PACKET receives a copy, the stack still gets the frame).
            (int exitCode, string output, string error) = veth.PythonInNamespace(UdpEcho.ClientScript(veth.HostAddress, UdpEcho.EchoPort, 5));
            (int pingExit, string pingOutput, string pingError) = veth.PythonInNamespace(UdpEcho.PingScript(veth.HostAddress));
            stop.Cancel();
            (echoed, allVerified) = await loop;

            Assert.True(exitCode == 0, error);
            Assert.Equal("5", output.Trim());
            Assert.True(pingExit == 0, pingError);
            Assert.Equal("pong", pingOutput.Trim());
            Assert.Contains("lladdr", VethNamespace.Ip("-n", veth.Namespace, "neigh", "show", veth.HostAddress), StringComparison.Ordinal);
            Assert.Equal(0, port.OutstandingFrames);
            Assert.Equal(0, port.MalformedRecords);
            Assert.True(port.GetStatistics().ReceivedFrames >= 5);
        }
        finally
        {
            port.Dispose();
        }

        Assert.True(echoed >= 5, $"echoed {echoed}");
        Assert.True(allVerified);
    }

    [Fact]
    public void AllocatedFramesAreSentAndComeBackToThePool()
    {
        using VethNamespace veth = VethNamespace.Create();
        using var port = new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = veth.HostInterface, BlockSizeBytes = 1 << 14, BlockCount = 4, TransmitFrameCount = 4 });
        Span<Frame> frames = stackalloc Frame[8];
        for (int round = 0; round < 3; round++)
        {
            int count = port.AllocateTransmit(frames);
            Assert.Equal(4, count);
            for (int i = 0; i < count; i++)
            {
                Span<byte> buffer = port.GetBuffer(frames[i]);
                buffer[..60].Clear();
                buffer[..6].Fill(0xFF);     // broadcast destination
                buffer[12] = 0x88;          // local experimental EtherType 0x88B5: nobody handles it
                buffer[13] = 0xB5;
                frames[i] = frames[i].WithLength(60);
            }

            Assert.Equal(count, port.Transmit(frames[..count]));
            Assert.Equal(0, port.OutstandingFrames);
        }

        Assert.Equal(12, port.GetStatistics().TransmittedFrames);
    }

    [Fact]
    public void BadOptionsAreRefusedBeforeAnyKernelCall()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = "lo", BlockSizeBytes = 5000 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = "lo", BlockCount = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = "lo", TransmitFrameSizeBytes = 10 }));
    }
}
