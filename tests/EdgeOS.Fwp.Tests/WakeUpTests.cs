using System.Diagnostics;
using Xunit;

namespace EdgeOS.Fwp.Tests;

public sealed class WakeUpTests
{
    [Fact]
    public void IdleSpinTimeOutOfRangeIsRejected()
    {
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, IdleSpinTime = TimeSpan.FromTicks(-1) }));
        Assert.Equal("options.IdleSpinTime", negative.ParamName);
        var tooLong = Assert.Throws<ArgumentOutOfRangeException>(() => new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, IdleSpinTime = TimeSpan.FromSeconds(1.5) }));
        Assert.Equal("options.IdleSpinTime", tooLong.ParamName);

        using var zero = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, IdleSpinTime = TimeSpan.Zero });
        using var max = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0, IdleSpinTime = TimeSpan.FromSeconds(1) });
        Assert.True(zero.IsManual);
        Assert.True(max.IsManual);
    }

    /// <summary>
    /// Lock-step posts (each waits until the previous message was handled) let the worker go idle between messages:
    /// with no spin it parks every time, so every post races a worker going to sleep. None may be lost (a lost
    /// wake-up would hang the round; the deadline turns that into a failure).
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(50)]
    public void EveryPostIsHandledWhetherTheWorkerSpinsOrParks(int idleSpinMicroseconds)
    {
        const int Rounds = 5_000;
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 2, IdleSpinTime = TimeSpan.FromMicroseconds(idleSpinMicroseconds) });
        runtime.Start();
        using FwpTemplate template = FwpTemplate.Create<CounterProgram>();
        FwpTenant tenant = runtime.CreateTenant("wake");
        FwpHandle first = runtime.Spawn(template, tenant);
        FwpHandle second = runtime.Spawn(template, tenant);
        var deadline = Stopwatch.StartNew();
        for (int i = 0; i < Rounds; i++)
        {
            // Alternate instances, so both workers park and get woken.
            Messages.Post((i & 1) == 0 ? first : second, Messages.Long(1));
            var spinner = default(SpinWait);
            while (runtime.HandledCount != i + 1)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"message {i} was never handled (a lost wake-up)");
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }

        Assert.Equal(Rounds, runtime.HandledCount);
        Assert.Equal(0, runtime.FaultCount);
        Assert.Equal(2, runtime.LiveCount);
    }
}
