using System.Runtime.InteropServices;

namespace EdgeOS.Core;

internal static partial class Interop
{
    /// <summary>
    /// membarrier(2): one thread issues a memory barrier on every CPU running a thread of a registered process,
    /// which lets the other threads skip their own fences on hot paths (an asymmetric fence).
    /// </summary>
    internal static partial class Membarrier
    {
        internal const int CmdQuery = 0;
        internal const int CmdGlobalExpedited = 1 << 1;
        internal const int CmdRegisterGlobalExpedited = 1 << 2;

        /// <summary>The membarrier system call number: 324 on x86-64, 283 on arm64 (asm-generic).</summary>
        internal static nint SyscallNumber { get; } = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 324 : 283;

        internal static int Call(int command) => (int)Futex.Syscall(SyscallNumber, command, 0, 0, 0, 0, 0);
    }
}
