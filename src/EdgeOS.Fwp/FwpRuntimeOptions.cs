using EdgeOS.Core.Memory;

namespace EdgeOS.Fwp;

/// <summary>Options of a <see cref="FwpRuntime"/> (bind them with <c>services.AddFwpRuntime(options =&gt; ...)</c>). Read once, at construction.</summary>
public sealed class FwpRuntimeOptions
{
    /// <summary>
    /// Worker threads, one per core by default (<see cref="Environment.ProcessorCount"/>). 0 makes a manual runtime:
    /// no threads; the owner calls <see cref="FwpRuntime.RunUntilIdle"/> to run instances on its own thread (an event
    /// loop that owns the machine's I/O, or a deterministic test).
    /// </summary>
    public int WorkerCount { get; set; } = Environment.ProcessorCount;

    /// <summary>The budget period: each tenant's <see cref="FwpTenantOptions.CpuBudgetPerPeriod"/> is per this long. Default 10 ms.</summary>
    public TimeSpan BudgetPeriod { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>The most messages one instance handles before its worker moves on to the next runnable instance. Default 16.</summary>
    public int MessagesPerSliceMax { get; set; } = 16;

    /// <summary>
    /// How long an idle worker busy-waits (<see cref="Thread.SpinWait(int)"/>, checking its run queues) before it
    /// parks on a kernel wait. While it spins, handing it work costs a queue insert and no system call; once it is
    /// parked, the first post pays one wake-up (a semaphore release, a futex wake on Linux) and the worker's
    /// scheduling latency. Spinning burns the worker's core, so keep it short on machines where other threads need
    /// that core. Default 50 microseconds; <see cref="TimeSpan.Zero"/> parks at once; at most 1 second.
    /// </summary>
    public TimeSpan IdleSpinTime { get; set; } = TimeSpan.FromMicroseconds(50);

    /// <summary>What stopping does with messages still in inboxes. Default <see cref="FwpShutdownMode.Drain"/>.</summary>
    public FwpShutdownMode ShutdownMode { get; set; } = FwpShutdownMode.Drain;

    /// <summary>The quota over all tenants' accounts together; unlimited by default.</summary>
    public long MemoryQuotaBytes { get; set; } = MemoryAccount.UnlimitedQuotaBytes;

    /// <summary>The clock CPU budgets are measured with; <see cref="TimeProvider.System"/> by default.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Called on the worker (or stopping) thread whenever an instance ends, with why. Keep it short; an exception
    /// it throws is logged and ignored.
    /// </summary>
    public Action<FwpEnded>? OnEnded { get; set; }

    /// <summary>A name for the root memory account and the logs. Default "fwp".</summary>
    public string Name { get; set; } = "fwp";
}
