using System.Runtime.InteropServices;

namespace EdgeOS.Core.Channels.Internal;

/// <summary>
/// Parks a thread on a 32-bit word in (possibly shared) memory and wakes it: futex on Linux, so that waiter and
/// waker may be in different processes; elsewhere short sleeps with the same contract (a wake may be noticed up
/// to a millisecond late).
/// </summary>
internal static unsafe class ChannelParking
{
    private static readonly bool s_futex = OperatingSystem.IsLinux() &&
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>
    /// Sleeps while <c>*word == expected</c>, at most <paramref name="timeoutNanoseconds"/>. Returns early on a wake,
    /// a signal, or when the word already differs; callers always re-check their condition.
    /// </summary>
    internal static void Park(int* word, int expected, long timeoutNanoseconds)
    {
        if (timeoutNanoseconds <= 0)
        {
            return;
        }

        if (s_futex)
        {
            Interop.Futex.Timespec timeout;
            timeout.Seconds = timeoutNanoseconds / 1_000_000_000;
            timeout.Nanoseconds = timeoutNanoseconds % 1_000_000_000;

            // Errors (EAGAIN: the word changed; EINTR; ETIMEDOUT) all mean "go and re-check", so the result is unused.
            _ = Interop.Futex.Wait(word, expected, &timeout);
            return;
        }

        if (Volatile.Read(ref *word) == expected)
        {
            Thread.Sleep(1);
        }
    }

    /// <summary>Wakes every thread parked on <paramref name="word"/> (in any process). Costs one system call on Linux.</summary>
    internal static void WakeAll(int* word)
    {
        if (s_futex)
        {
            _ = Interop.Futex.Wake(word, int.MaxValue);
        }
    }
}
