using EdgeOS.Net.Xdp;
using Xunit;

namespace EdgeOS.Net.Tests.Kernel;

public sealed class XdpPortTests
{
    internal static XdpPortOptions SmallOptions(string interfaceName, XdpBindMode bindMode = XdpBindMode.Auto, XdpProgramMode programMode = XdpProgramMode.Auto) => new()
    {
        InterfaceName = interfaceName,
        BindMode = bindMode,
        ProgramMode = programMode,
        FrameCount = 256,
        FillRingSize = 128,
        CompletionRingSize = 128,
        RxRingSize = 128,
        TxRingSize = 128,
        UdpPortLow = UdpEcho.EchoPort,
        UdpPortHigh = UdpEcho.EchoPort,
    };

    [Fact]
    public async Task UdpEchoOverXdpPortReachesTheKernelClientWhileArpAndPingStillWork()
    {
        using VethNamespace veth = VethNamespace.Create();
        var port = new XdpPort(SmallOptions(veth.HostInterface));
        long echoed;
        bool allVerified;
        try
        {
            Assert.Contains("xdp", veth.ShowHostLink(), StringComparison.Ordinal);
            using var stop = new CancellationTokenSource();
            Task<(long Echoed, bool Verified)> loop = Task.Run(() => EchoLoop(port, port.WaitForReceive, stop.Token), TestContext.Current.CancellationToken);

            (int exitCode, string output, string error) = veth.PythonInNamespace(UdpEcho.ClientScript(veth.HostAddress, UdpEcho.EchoPort, 5));
            (int pingExit, string pingOutput, string pingError) = veth.PythonInNamespace(UdpEcho.PingScript(veth.HostAddress));
            stop.Cancel();
            (echoed, allVerified) = await loop;

            Assert.True(exitCode == 0, error);
            Assert.Equal("5", output.Trim());
            Assert.True(pingExit == 0, pingError);
            Assert.Equal("pong", pingOutput.Trim());

            // ARP went through the kernel: the client's neighbour entry for the server has the server's MAC.
            string neighbours = VethNamespace.Ip("-n", veth.Namespace, "neigh", "show", veth.HostAddress);
            Assert.Contains("lladdr", neighbours, StringComparison.Ordinal);
            Assert.Equal(0, port.OutstandingFrames);
            Assert.Equal(0, port.KernelAddressErrors);
        }
        finally
        {
            port.Dispose();
        }

        Assert.True(echoed >= 5, $"echoed {echoed}");
        Assert.True(allVerified);
        Assert.Equal(0, port.GetStatistics().LeakedFrames);
        Assert.DoesNotContain("xdp", veth.ShowHostLink(), StringComparison.Ordinal);
    }

    [Fact]
    public void AutoBindFallsBackToCopyModeWhereZeroCopyIsRefused()
    {
        using VethNamespace veth = VethNamespace.Create();

        // veth has no zero-copy AF_XDP support: the forced mode fails, Auto falls back to copy mode.
        Assert.ThrowsAny<IOException>(() => new XdpPort(SmallOptions(veth.HostInterface, bindMode: XdpBindMode.ZeroCopy)));
        Assert.DoesNotContain("xdp", veth.ShowHostLink(), StringComparison.Ordinal);

        using var port = new XdpPort(SmallOptions(veth.HostInterface));
        Assert.False(port.IsZeroCopy);
        XdpStatistics statistics = port.GetXdpStatistics();
        Assert.Equal(0UL, statistics.RxInvalidDescriptors);
        Assert.Equal(0UL, statistics.TxInvalidDescriptors);
    }

    [Fact]
    public void GenericProgramModeAttachesInSkbMode()
    {
        using VethNamespace veth = VethNamespace.Create();
        using var port = new XdpPort(SmallOptions(veth.HostInterface, programMode: XdpProgramMode.Generic));
        Assert.False(port.IsNativeXdp);
        Assert.Contains("xdpgeneric", veth.ShowHostLink(), StringComparison.Ordinal);
    }

    [Fact]
    public void SecondPortOnTheSameInterfaceIsRefusedAndTheFirstKeepsWorking()
    {
        using VethNamespace veth = VethNamespace.Create();
        using var first = new XdpPort(SmallOptions(veth.HostInterface));
        Assert.ThrowsAny<IOException>(() => new XdpPort(SmallOptions(veth.HostInterface)));
        Assert.Contains("xdp", veth.ShowHostLink(), StringComparison.Ordinal);
        Assert.Equal(0, first.Receive(new Frame[4]));
    }

    [Fact]
    public void BadOptionsAreRefusedBeforeAnyKernelCall()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new XdpPort(new XdpPortOptions { InterfaceName = "lo", FrameSizeBytes = 3000 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new XdpPort(new XdpPortOptions { InterfaceName = "lo", RxRingSize = 100 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new XdpPort(new XdpPortOptions { InterfaceName = "lo", UdpPortLow = 10, UdpPortHigh = 9 }));
    }

    [Fact]
    public void UnknownInterfaceIsReportedByName()
    {
        KernelTestEnvironment.RequireRootNetworking();
        ArgumentException error = Assert.Throws<ArgumentException>(() => new XdpPort(new XdpPortOptions { InterfaceName = "eosnone0" }));
        Assert.Contains("eosnone0", error.Message, StringComparison.Ordinal);
    }

    internal static (long Echoed, bool Verified) EchoLoop(PacketPort port, Func<int, bool> waitForReceive, CancellationToken stop)
    {
        Span<Frame> batch = stackalloc Frame[16];
        long echoed = 0;
        bool verified = true;
        while (!stop.IsCancellationRequested)
        {
            if (!waitForReceive(20))
            {
                continue;
            }

            int count = port.Receive(batch);
            for (int i = 0; i < count; i++)
            {
                Frame frame = batch[i];
                Span<byte> data = port.GetSpan(frame);
                if (!UdpEcho.IsUdpTo(data, UdpEcho.EchoPort))
                {
                    port.Release(frame);
                    continue;
                }

                int length = UdpEcho.ReplyInPlace(data);
                verified &= UdpEcho.ChecksumsVerify(port.GetBuffer(frame)[..length]);
                Frame reply = frame.WithLength(length);
                if (port.Transmit(new ReadOnlySpan<Frame>(in reply)) == 1)
                {
                    echoed++;
                }
                else
                {
                    port.Release(reply);
                }
            }
        }

        return (echoed, verified);
    }
}
