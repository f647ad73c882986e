using System.Diagnostics;
using EdgeOS.Net;
using EdgeOS.Samples.Click.Tenants;
using EdgeOS.Samples.Click.Tests.Elements;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Tenants;

/// <summary>
/// The host device thread's wake-up by tenants on FWP workers (<see cref="EgressDoorbell"/>): a signal only when the host
/// announced it is going to sleep, one per sleep, none while it is busy, and no lost wake-up.
/// </summary>
public sealed class EgressDoorbellTests
{
    private static readonly byte[] Bytes60 = new byte[60];

    [Fact]
    public void ABusyHostIsNeverSignalled()
    {
        int signals = 0;
        var egress = new TenantEgress("wire0", 2048, () => signals++);
        TenantTransmitQueue q = egress.AddQueue();
        for (int i = 0; i < 100; i++)
        {
            Assert.True(q.TryEnqueue(Bytes60));
        }

        Assert.Equal(0, signals);
        Assert.Equal(0, egress.Doorbell.Signals);
    }

    [Fact]
    public void AnAnnouncedSleepIsSignalledOnceByTheFirstFrame()
    {
        int signals = 0;
        var egress = new TenantEgress("wire0", 2048, () => signals++);
        TenantTransmitQueue a = egress.AddQueue();
        TenantTransmitQueue b = egress.AddQueue();

        egress.Doorbell.AnnounceSleep();
        Assert.Equal(0, egress.PendingFrames); // the host's re-check: empty, so it sleeps
        Assert.True(a.TryEnqueue(Bytes60));
        Assert.True(b.TryEnqueue(Bytes60));
        Assert.True(a.TryEnqueue(Bytes60));
        Assert.Equal(1, signals); // the first producer took the announcement down
        egress.Doorbell.EndSleep();

        egress.Doorbell.AnnounceSleep();
        egress.Doorbell.EndSleep(); // woke for another reason (a received frame) before anything was queued
        Assert.True(b.TryEnqueue(Bytes60));
        Assert.Equal(1, signals);

        egress.Doorbell.Wake(); // a stop request signals whatever the state (not counted as a tenant's wake-up)
        Assert.Equal(2, signals);
        Assert.Equal(1, egress.Doorbell.Signals);
    }

    // A producer thread queues frames at arbitrary moments while this thread runs the host's loop with a wait that has no
    // timeout at all: the only ways out of a sleep are the re-check after the announcement and the doorbell. A lost
    // wake-up leaves frames queued with the host asleep, so the deadline (a hang detector, not a timing) fails the test.
    [Fact]
    public void NoWakeUpIsLostBetweenAWorkerAndTheSleepingHost()
    {
        const int FrameCount = 20_000;
        using var sleep = new SemaphoreSlim(0);
        var egress = new TenantEgress("wire0", 2048, () => sleep.Release());
        TenantTransmitQueue q = egress.AddQueue();
        (MemoryPort device, MemoryPort far) = MemoryPort.CreatePair(new MemoryPortOptions { FrameCount = 512 }, "doorbell-test");
        using (device)
        using (far)
        {
            var producer = new Thread(() =>
            {
                var random = new Random(7);
                for (int i = 0; i < FrameCount; i++)
                {
                    while (!q.TryEnqueue(Bytes60))
                    {
                        Thread.Yield(); // full: the host is draining
                    }

                    if (random.Next(8) == 0)
                    {
                        Thread.Sleep(0);
                    }
                }
            });
            producer.Start();

            var deadline = Stopwatch.StartNew();
            Frame[] received = new Frame[64];
            long transmitted = 0;
            int announcements = 0;
            while (transmitted < FrameCount)
            {
                int sent = egress.Transmit(device);
                transmitted += sent;
                for (int n; (n = far.Receive(received)) > 0;)
                {
                    far.Release(received.AsSpan(0, n));
                }

                if (sent == 0)
                {
                    egress.Doorbell.AnnounceSleep();
                    announcements++;
                    if (egress.PendingFrames == 0)
                    {
                        Assert.True(sleep.Wait(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken), $"lost wake-up after {transmitted} frames");
                    }

                    egress.Doorbell.EndSleep();
                }

                Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(2), "the host loop did not finish");
            }

            producer.Join();
            Assert.Equal(FrameCount, egress.TransmittedFrames);
            Assert.True(egress.Doorbell.Signals <= announcements); // at most one signal per announcement
        }
    }

    // TenantHost.RunDevice with the tenants on FWP workers, given a wait that ignores its timeout: it returns only when
    // the test signals a received frame (as the device's interrupt would) or when a tenant's ToDevice rings the doorbell.
    // Every request is answered, so frames a worker queues while the host sleeps go out without any timed polling.
    [Fact]
    public async Task RunDeviceTransmitsWhatWorkersQueueWhileItSleeps()
    {
        using var wake = new SemaphoreSlim(0);
        using var t = TestTenants.Create(
            $"FromSteering -> c :: Counter -> EtherMirror -> td :: ToDevice({TestTenants.DeviceName})",
            tenants: 2, workers: 2, device: true, wake: () => wake.Release());
        using var cts = new CancellationTokenSource();
        Task run = Task.Factory.StartNew(
            () => t.Host.RunDevice(t.HostEnd, _ => { wake.Wait(); return false; }, cts.Token),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        const int Requests = 50;
        var deadline = Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < Requests; i++)
            {
                t.SendOnly(Frames.Udp(Frames.IP("10.0.0.1"), Frames.IP("10.0.0.2"), 1234, (ushort)(10000 + (i % 2)), 18));
                wake.Release(); // the frame's arrival wakes the host's wait
                while (t.ReceiveOnWire() == 0)
                {
                    Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(2), $"reply {i} never left: a lost wake-up");
                    Thread.Yield();
                }
            }
        }
        finally
        {
            cts.Cancel();
            t.Host.Egress!.Doorbell.Wake(); // as the driver does on SIGINT/SIGTERM
            await run;
        }

        Assert.Equal(Requests, t.Host.Egress!.TransmittedFrames);
        Assert.Equal("25\n", t.Read(0, "c.count"));
        Assert.Equal("25\n", t.Read(1, "c.count"));
    }
}
