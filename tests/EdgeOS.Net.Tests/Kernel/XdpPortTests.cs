using System.Globalization;
using EdgeOS.Net.Xdp;
using Xunit;

namespace EdgeOS.Net.Tests.Kernel;

public sealed class XdpPortTests
{
    internal static XdpPortOptions SmallOptions(
        string interfaceName,
        XdpBindMode bindMode = XdpBindMode.Auto,
        XdpProgramMode programMode = XdpProgramMode.Auto,
        int queueId = 0,
        int frameCount = 256,
        XdpPort? shareUmemWith = null) => new()
    {
        InterfaceName = interfaceName,
        BindMode = bindMode,
        ProgramMode = programMode,
        QueueId = queueId,
        ShareUmemWith = shareUmemWith,
        FrameCount = frameCount,
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
    public async Task PortsSharingOneUmemOnTwoQueuesEachEchoTheirOwnQueue()
    {
        using VethNamespace veth = VethNamespace.Create(queues: 2);
        var owner = new XdpPort(SmallOptions(veth.HostInterface));
        XdpPort? sharer = null;
        try
        {
            // The kernel's rules, checked before any frame moves: not the owner's queue, not through a sharer, not
            // more frames than the owner has free (256 frames, 128 of them in its fill ring).
            Assert.Throws<ArgumentException>(() => new XdpPort(SmallOptions(veth.HostInterface, queueId: 0, frameCount: 32, shareUmemWith: owner)));
            Assert.Throws<InvalidOperationException>(() => new XdpPort(SmallOptions(veth.HostInterface, queueId: 1, frameCount: 200, shareUmemWith: owner)));
            sharer = new XdpPort(SmallOptions(veth.HostInterface, queueId: 1, frameCount: 64, shareUmemWith: owner));
            Assert.True(sharer.SharesUmem);
            Assert.False(owner.SharesUmem);
            Assert.Throws<ArgumentException>(() => new XdpPort(SmallOptions(veth.HostInterface, queueId: 1, frameCount: 32, shareUmemWith: sharer)));

            using var stop = new CancellationTokenSource();
            XdpPort second = sharer;
            Task<(long Echoed, bool Verified)> ownerLoop = Task.Run(() => EchoLoop(owner, owner.WaitForReceive, stop.Token), TestContext.Current.CancellationToken);
            Task<(long Echoed, bool Verified)> sharerLoop = Task.Run(() => EchoLoop(second, second.WaitForReceive, stop.Token), TestContext.Current.CancellationToken);

            // XPS in the namespace picks the peer's transmit queue, which on veth is the host end's receive queue: 7
            // datagrams to queue 1 (the sharing socket), then 5 to queue 0 (the owner).
            (int exit1, string output1, string error1) = veth.PythonInNamespace(OnQueue(veth.PeerInterface, 1) + UdpEcho.ClientScript(veth.HostAddress, UdpEcho.EchoPort, 7));
            (int exit0, string output0, string error0) = veth.PythonInNamespace(OnQueue(veth.PeerInterface, 0) + UdpEcho.ClientScript(veth.HostAddress, UdpEcho.EchoPort, 5));
            stop.Cancel();
            (long ownerEchoed, bool ownerVerified) = await ownerLoop;
            (long sharerEchoed, bool sharerVerified) = await sharerLoop;

            Assert.True(exit1 == 0, error1);
            Assert.True(exit0 == 0, error0);
            Assert.Equal("7", output1.Trim());
            Assert.Equal("5", output0.Trim());
            Assert.Equal(7, sharerEchoed);
            Assert.Equal(5, ownerEchoed);
            Assert.True(ownerVerified && sharerVerified);
            Assert.Equal(0, owner.KernelAddressErrors);
            Assert.Equal(0, sharer.KernelAddressErrors);
            Assert.Equal(0, owner.OutstandingFrames);
            Assert.Equal(0, sharer.OutstandingFrames);

            // The program stays while any port of the UMEM lives, and goes with the last one.
            owner.Dispose();
            Assert.Contains("xdp", veth.ShowHostLink(), StringComparison.Ordinal);
            Assert.Equal(0, sharer.Receive(new Frame[4]));
            sharer.Dispose();
            Assert.DoesNotContain("xdp", veth.ShowHostLink(), StringComparison.Ordinal);
            Assert.Equal(0, owner.GetStatistics().LeakedFrames);
            Assert.Equal(0, sharer.GetStatistics().LeakedFrames);
        }
        finally
        {
            sharer?.Dispose();
            owner.Dispose();
        }
    }

    /// <summary>Python prologue: pins the client to one CPU and points that CPU's XPS at the peer's transmit queue <paramref name="queue"/> only.</summary>
    private static string OnQueue(string peerInterface, int queue) => string.Create(CultureInfo.InvariantCulture, $$"""
        import os
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        bits = 1 << cpu
        groups = []
        while True:
            groups.insert(0, '%08x' % (bits & 0xffffffff))
            bits >>= 32
            if bits == 0:
                break
        for q in range(2):
            with open('/sys/class/net/{{peerInterface}}/queues/tx-%d/xps_cpus' % q, 'w') as f:
                f.write(','.join(groups) if q == {{queue}} else '0')

        """);

    [Fact]
    public void SpinningWaitSeesFramesAndTimesOutWithout()
    {
        using VethNamespace veth = VethNamespace.Create();
        using var port = new XdpPort(SmallOptions(veth.HostInterface));
        Assert.Throws<ArgumentOutOfRangeException>(() => port.WaitForReceive(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => port.WaitForReceive(0, 1_000_001));
        Assert.False(port.WaitForReceive(0, 200));

        // One datagram from the namespace (no reply expected: the client only sends).
        (int exitCode, _, string error) = veth.PythonInNamespace(string.Create(CultureInfo.InvariantCulture, $$"""
            import socket
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'edgeos-spin', ('{{veth.HostAddress}}', {{UdpEcho.EchoPort}}))
            """));
        Assert.True(exitCode == 0, error);
        Assert.True(port.WaitForReceive(5000, 100));
        Frame[] frames = new Frame[4];
        int count = port.Receive(frames);
        Assert.Equal(1, count);
        Assert.True(UdpEcho.IsUdpTo(port.GetSpan(frames[0]), UdpEcho.EchoPort));
        port.Release(frames.AsSpan(0, count));
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
