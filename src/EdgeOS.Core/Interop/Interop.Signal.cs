using System.Runtime.InteropServices;

namespace EdgeOS.Core;

internal static partial class Interop
{
    /// <summary>kill(2), used with signal 0 only: it checks that a process exists without touching it.</summary>
    internal static partial class Signal
    {
        internal const int Eperm = 1;
        internal const int Esrch = 3;

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        internal static partial int Kill(int pid, int signal);
    }
}
