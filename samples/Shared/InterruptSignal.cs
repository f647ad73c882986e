using System.Runtime.InteropServices;

namespace EdgeOS.Samples.Shared;

/// <summary>
/// Makes SIGINT reach the program even when it was started with SIGINT ignored. A non-interactive shell starts
/// background jobs that way (so that the terminal's Ctrl+C does not reach them), and .NET keeps an inherited "ignore"
/// for SIGINT: a <see cref="PosixSignalRegistration"/> for it then never fires. memcached and Click install their own
/// SIGINT handlers whatever they inherited (checked for memcached 1.6: started under <c>trap '' INT</c> it still stops
/// on SIGINT), so the samples do the same by putting back the default disposition before registering theirs. Linux
/// only; elsewhere nothing to do.
/// </summary>
internal static unsafe partial class InterruptSignal
{
    private const int SigInt = 2;
    private const nint SigIgn = 1;

    /// <summary>If SIGINT is ignored, restores its default disposition; call before <see cref="PosixSignalRegistration.Create"/>.</summary>
    /// <returns>True if SIGINT was ignored and is not anymore.</returns>
    public static bool StopIgnoring()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        // struct sigaction starts with the handler on every Linux ABI .NET runs on; 256 bytes covers the whole struct.
        byte* current = stackalloc byte[256];
        new Span<byte>(current, 256).Clear();
        if (sigaction(SigInt, null, current) != 0 || *(nint*)current != SigIgn)
        {
            return false;
        }

        return signal(SigInt, 0) == SigIgn;
    }

    [LibraryImport("libc")]
    private static partial int sigaction(int signal, byte* action, byte* previous);

    [LibraryImport("libc")]
    private static partial nint signal(int signal, nint handler);
}
