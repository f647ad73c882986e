namespace EdgeOS.Core.Channels.Internal;

/// <summary>
/// The fence pair behind the no-lost-wake-up protocol, made asymmetric where the kernel allows: wakers (the hot
/// side: every commit and every consumed batch) use no fence, and a thread about to park pays for both sides with
/// <c>membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)</c>, which runs a full barrier on every CPU currently running a
/// thread of any process that registered (every process using EdgeOS channels registers once, on its first ring).
/// </summary>
/// <remarks>
/// Argument: the waker stores its publication, then loads the waiter count; the waiter stores its count
/// (an interlocked increment), then issues the global barrier, then re-checks the publication. The barrier
/// orders the waker's store before its load as seen from the waiter, if the waker is running; if it is not
/// running, its stores have already drained. So either the re-check sees the publication, or the waker's load
/// sees the count. A process that could not register keeps the full fence on its waker side (classic Dekker with
/// the waiter's interlocked increment). Parks are also bounded by <see cref="ChannelOptions.LivenessCheckInterval"/>,
/// so even a waiter refused membarrier while its waker skips the fence (an unusual mix of seccomp filters) is
/// late by at most that interval, never hung.
/// </remarks>
internal static class AsymmetricFence
{
    /// <summary>Whether this process registered for global expedited membarrier, so its wakers may skip the fence.</summary>
    internal static bool IsRegistered { get; } = Register();

    private static readonly bool s_canIssue = IsRegistered || Query();

    /// <summary>The waker side: a full fence only when the waiter side cannot issue the global barrier.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void WakerFence()
    {
        if (!IsRegistered)
        {
            Interlocked.MemoryBarrier();
        }
    }

    /// <summary>The waiter side, after registering as a waiter and before re-checking: a barrier on every registered CPU.</summary>
    internal static void WaiterFence()
    {
        if (!s_canIssue || Interop.Membarrier.Call(Interop.Membarrier.CmdGlobalExpedited) != 0)
        {
            Interlocked.MemoryBarrier();
        }
    }

    private static bool Query()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is not (System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.Arm64))
        {
            return false;
        }

        int supported = Interop.Membarrier.Call(Interop.Membarrier.CmdQuery);
        return supported >= 0 && (supported & Interop.Membarrier.CmdGlobalExpedited) != 0 && (supported & Interop.Membarrier.CmdRegisterGlobalExpedited) != 0;
    }

    private static bool Register() => Query() && Interop.Membarrier.Call(Interop.Membarrier.CmdRegisterGlobalExpedited) == 0;
}
