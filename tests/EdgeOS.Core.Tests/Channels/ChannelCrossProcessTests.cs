using System.Diagnostics;
using System.Globalization;
using EdgeOS.Core.Channels;
using EdgeOS.Core.Memory;
using EdgeOS.Core.Tests.Memory;
using EdgeOS.TestHelper;
using Xunit;
using static EdgeOS.Core.Tests.Channels.ChannelTestSupport;

namespace EdgeOS.Core.Tests.Channels;

/// <summary>
/// Rings shared with a second process (tests/EdgeOS.TestHelper) through a memfd, including the child being killed
/// with SIGKILL in the middle of a record or while it is the consumer.
/// </summary>
public sealed class ChannelCrossProcessTests
{
    private const int Capacity = 1 << 16;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ChildProducerStreamsEveryMessageInOrder(bool mpsc)
    {
        SkipUnlessLinux();
        using SharedMemoryRegion region = SharedMemoryRegion.CreateMemfd("edgeos-chan-test", ByteRing.RequiredBytes(Capacity));
        using ByteRing consumer = CreateRing(region, ChannelEndpoints.Consumer, mpsc);
        const int Count = 200_000;

        using Process child = StartHelper("channel-produce", region.Path, Count.ToString(CultureInfo.InvariantCulture), "48", mpsc ? "--mpsc" : "--spsc");
        var checker = new SequenceChecker();
        while (checker.Count < Count && checker.Failure is null)
        {
            if (consumer.Read(ref checker, int.MaxValue, ChannelDeliveryMode.Shared) == 0)
            {
                Assert.True(consumer.WaitToRead(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken), $"stalled after {checker.Count}");
            }
        }

        Assert.Null(checker.Failure);
        Assert.Equal(Count, checker.Count);
        Assert.StartsWith($"produced {Count} ", ReadLine(child), StringComparison.Ordinal);
        Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, child.ExitCode);
    }

    [Fact]
    public void ChildConsumerReceivesEveryMessageInOrder()
    {
        SkipUnlessLinux();
        using SharedMemoryRegion region = SharedMemoryRegion.CreateMemfd("edgeos-chan-test", ByteRing.RequiredBytes(Capacity));
        using ByteRing producer = CreateRing(region, ChannelEndpoints.Producer, mpsc: false);
        const int Count = 200_000;

        using Process child = StartHelper("channel-consume", region.Path, Count.ToString(CultureInfo.InvariantCulture));
        for (long sequence = 0; sequence < Count; sequence++)
        {
            Assert.True(producer.Write(ChannelPayload.TypeFor(sequence), ChannelPayload.For(sequence, 40), TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        }

        Assert.StartsWith($"consumed {Count} {Count * 40L} ", ReadLine(child), StringComparison.Ordinal);
        Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, child.ExitCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ProducerKilledInTheMiddleOfARecordIsReportedAndTheHalfRecordIsSkipped(bool mpsc)
    {
        SkipUnlessLinux();
        using SharedMemoryRegion region = SharedMemoryRegion.CreateMemfd("edgeos-chan-test", ByteRing.RequiredBytes(Capacity));
        using ByteRing consumer = CreateRing(region, ChannelEndpoints.Consumer, mpsc);
        const int Count = 5_000;

        using Process child = StartHelper("channel-produce", region.Path, Count.ToString(CultureInfo.InvariantCulture), "64", "--hang-in-claim", mpsc ? "--mpsc" : "--spsc");
        var checker = new SequenceChecker();

        // Consume while the child produces (the stream wraps the ring several times) until it reports its claim.
        Task<string?> line = child.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask();
        var watch = Stopwatch.StartNew();
        while (!line.IsCompleted)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"the helper did not claim within 60 s ({checker.Count} messages read)");
            if (consumer.Read(ref checker, int.MaxValue, ChannelDeliveryMode.Shared) == 0)
            {
                _ = consumer.WaitToRead(TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken);
            }
        }

        Assert.Equal($"claimed {Count}", await line);

        // The child has committed Count records and holds a claim with half its payload written: kill it there.
        int childPid = child.Id;
        child.Kill();
        Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)));

        var error = Assert.Throws<ChannelPeerDeadException>(() =>
        {
            while (checker.Count <= Count)
            {
                if (consumer.Read(ref checker, int.MaxValue, ChannelDeliveryMode.Shared) == 0)
                {
                    Assert.True(consumer.WaitToRead(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken), $"stalled after {checker.Count}");
                }
            }
        });

        Assert.Equal(ChannelPeerRole.Producer, error.Role);
        Assert.Equal(childPid, error.Peer.ProcessId);
        Assert.Equal(ChannelPeerStatus.Dead, error.Peer.Status);
        Assert.Null(checker.Failure);
        Assert.Equal(Count, checker.Count);
        Assert.Equal(1, consumer.SkippedRecords);
        Assert.Equal(0, consumer.DepthBytes);
    }

    [Fact]
    public void ProducerWhoseConsumerIsKilledGetsAClearErrorInsteadOfHanging()
    {
        SkipUnlessLinux();
        using SharedMemoryRegion region = SharedMemoryRegion.CreateMemfd("edgeos-chan-test", ByteRing.RequiredBytes(1024));
        using SpscByteRing producer = SpscByteRing.Create(region, 1024, ChannelEndpoints.Producer, FastOptions);

        using Process child = StartHelper("channel-consume", region.Path, "0", "--hang-after-attach");
        Assert.Equal("attached", ReadLine(child));
        Assert.Equal(ChannelPeerStatus.Alive, producer.GetConsumerInfo().Status);
        while (producer.TryWrite(1, new byte[100]))
        {
        }

        int childPid = child.Id;
        child.Kill();
        Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)));

        var error = Assert.Throws<ChannelPeerDeadException>(() => producer.Write(2, new byte[100], TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(ChannelPeerRole.Consumer, error.Role);
        Assert.Equal(childPid, error.Peer.ProcessId);
        Assert.Contains("consumer is dead", error.Message, StringComparison.Ordinal);
    }

    private static ByteRing CreateRing(SharedMemoryRegion region, ChannelEndpoints endpoints, bool mpsc) => mpsc
        ? MpscByteRing.Create(region, Capacity, endpoints, FastOptions)
        : SpscByteRing.Create(region, Capacity, endpoints, FastOptions);

    private static Process StartHelper(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(TestHelperProcess.HelperPath);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the test helper.");
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginErrorReadLine();
        return process;
    }

    private static string ReadLine(Process process)
    {
        Task<string?> line = process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask();
        if (!line.Wait(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken))
        {
            process.Kill();
            throw new TimeoutException("The helper printed nothing within 60 s.");
        }

        return line.Result ?? throw new InvalidOperationException($"The helper exited with {(process.HasExited ? process.ExitCode : -1)} without printing.");
    }

    private static void SkipUnlessLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("memfd shared regions and pid liveness need Linux.");
        }
    }

    private struct SequenceChecker : IChannelMessageHandler
    {
        public long Count;
        public string? Failure;

        public void OnMessage(int type, ReadOnlySpan<byte> message)
        {
            if (Failure is null && (type != ChannelPayload.TypeFor(Count) || !message.SequenceEqual(ChannelPayload.For(Count, message.Length))))
            {
                Failure = $"message {Count}: type {type}, {message.Length} bytes do not match";
            }

            Count++;
        }
    }
}
