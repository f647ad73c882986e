using EdgeOS.Net.PacketSocket;
using EdgeOS.Net.Xdp;
using Xunit;

namespace EdgeOS.Net.Tests.Kernel;

/// <summary>
/// <see cref="ReceiveWakeup"/>: a receive wait with no time limit ends when another thread signals, a signal sent before
/// the wait is kept until a wait consumes it, and one wait consumes several signals. (A lost signal would hang the
/// unlimited waits; the test runner's timeout is the hang detector, nothing here measures time.)
/// </summary>
public sealed class ReceiveWakeupTests
{
    [Fact]
    public void PacketSocketWaitEndsOnASignal()
    {
        using VethNamespace veth = VethNamespace.Create();

        // Every frame reaches an AF_PACKET port, and a fresh link's IPv6 chatter (router solicitations, MLD) would end a
        // wait with a frame instead of the signal: with the peer end down no frame arrives.
        Assert.Equal(0, veth.ExecInNamespace("ip", "link", "set", veth.PeerInterface, "down").ExitCode);
        using var port = new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = veth.HostInterface, BlockSizeBytes = 1 << 14, BlockCount = 4, TransmitFrameCount = 4 });
        using var wakeup = new ReceiveWakeup();
        Check(timeout => port.WaitForReceive(timeout, wakeup), wakeup);
    }

    [Fact]
    public void XdpWaitEndsOnASignal()
    {
        using VethNamespace veth = VethNamespace.Create();
        using XdpPort port = KernelTestEnvironment.RequireFeature("AF_XDP", () => new XdpPort(XdpPortTests.SmallOptions(veth.HostInterface)));
        using var wakeup = new ReceiveWakeup();
        Check(timeout => port.WaitForReceive(timeout, wakeup), wakeup);
    }

    private static void Check(Func<int, bool> wait, ReceiveWakeup wakeup)
    {
        // Signalled before the wait: the unlimited wait returns at once (no frames, so false) and consumes the signal.
        wakeup.Signal();
        wakeup.Signal();
        Assert.False(wait(-1));
        Assert.False(wait(0)); // both signals were consumed by the one wait

        // Signalled from another thread while the wait sleeps.
        using var started = new ManualResetEventSlim();
        var signaller = new Thread(() =>
        {
            started.Wait();
            Thread.Sleep(20);
            wakeup.Signal();
        });
        signaller.Start();
        started.Set();
        try
        {
            Assert.False(wait(-1));
        }
        finally
        {
            signaller.Join(); // before the wakeup is disposed, whatever the wait returned
        }
    }

    [Fact]
    public void ASignalAfterDisposeIsRefused()
    {
        var wakeup = new ReceiveWakeup();
        wakeup.Dispose();
        Assert.Throws<ObjectDisposedException>(wakeup.Signal);
    }
}
