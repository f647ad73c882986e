namespace EdgeOS.Fwp;

/// <summary>
/// A featherweight-process program: a start-up step run once, on the template, and a message handler run to
/// completion for each message an instance receives. Implement it on a type with no fields and pass the type to
/// <see cref="FwpTemplate.Create{TProgram}(FwpTemplateOptions?, object?)"/>.
/// </summary>
/// <remarks>
/// <para><b>The rules</b> (what a program must do so that the runtime's guarantees hold):</para>
/// <list type="number">
/// <item>All mutable state lives in the instance's state region, reached through
/// <see cref="FwpContext.State{T}(long)"/>, <see cref="FwpContext.GetWritableSpan"/> and friends: unmanaged structs
/// and arenas laid out at fixed offsets. The region is the unit of copy-on-write, memory quota and isolation. A
/// static field or a shared managed object is outside all three: it is shared by every instance of every tenant.</item>
/// <item>Everything else an instance may touch is reached through capabilities the template granted
/// (<see cref="FwpStartContext.Grant"/>, then <see cref="FwpContext.Resolve{T}"/>): no ambient authority.</item>
/// <item>A handler runs to completion and must not block (no locks held across waits, no synchronous I/O, no
/// <c>Task.Wait</c>): it occupies a worker thread (one per core) while it runs, and its CPU time is charged to its
/// tenant's budget.</item>
/// <item>The message span and every span or ref obtained from the context are valid only during the call.</item>
/// <item>A zero-copy span or ref of the state must not cross a chunk boundary (4 KiB by default, see
/// <see cref="FwpTemplateOptions.ChunkSizeBytes"/>); <see cref="FwpContext.Read"/> and <see cref="FwpContext.Write"/>
/// cross chunks.</item>
/// </list>
/// <para><b>What the runtime guarantees:</b></para>
/// <list type="bullet">
/// <item>An instance starts with the template's state exactly as <see cref="Start"/> left it; its writes are never
/// visible to the template or to any other instance, and a recycled instance never sees a previous incarnation's
/// writes.</item>
/// <item>One instance handles one message at a time, in the order its inbox received them, on one worker thread at a
/// time (no locks are needed for the state).</item>
/// <item>An exception escaping the handler, a memory quota overrun or a capability failure ends that instance only
/// (faulted, counted and logged) or restarts it from the template when its template says so; other instances keep
/// running and their results are untouched.</item>
/// <item>A tenant over its CPU budget for the current period is deferred to the next period, so it cannot hold a
/// worker away from other tenants for more than one message at a time.</item>
/// </list>
/// </remarks>
/// <example>
/// <code>
/// struct Counter { public long Messages; public long Bytes; }
///
/// sealed class CountingProgram : IFwpProgram
/// {
///     public static void Handle(FwpContext context, ReadOnlySpan&lt;byte&gt; message)
///     {
///         ref Counter state = ref context.State&lt;Counter&gt;();
///         state.Messages++;
///         state.Bytes += message.Length;
///     }
/// }
/// </code>
/// </example>
public interface IFwpProgram
{
    /// <summary>
    /// Builds the template's state (tables, configuration, pre-computed data) in a fresh, zero-filled region and
    /// grants the capabilities every instance receives. Runs once, on the thread that creates the template, before
    /// the state is frozen into a copy-on-write image. The default does nothing (the state stays zero).
    /// </summary>
    /// <param name="context">The fresh state region, the argument given to the template and the capability grants.</param>
    static virtual void Start(FwpStartContext context)
    {
    }

    /// <summary>
    /// Handles one message, to completion, for one instance. Runs on a runtime worker thread; an exception ends (or
    /// restarts) this instance only.
    /// </summary>
    /// <param name="context">The instance: its state, its capabilities, its identity.</param>
    /// <param name="message">The message bytes; valid only during this call.</param>
    static abstract void Handle(FwpContext context, ReadOnlySpan<byte> message);
}
