using System.Runtime.InteropServices;

namespace EdgeOS.Core;

internal static partial class Interop
{
    /// <summary>
    /// futex(2) through the libc <c>syscall</c> wrapper (glibc exports no futex function). Only the shared
    /// (not <c>FUTEX_PRIVATE_FLAG</c>) wait and wake operations are used, so that waiters and wakers may live in
    /// different processes that map the same memory.
    /// </summary>
    internal static unsafe partial class Futex
    {
        internal const int FutexWait = 0;
        internal const int FutexWake = 1;

        internal const int Eagain = 11;
        internal const int Eintr = 4;
        internal const int Etimedout = 110;

        /// <summary>The futex system call number: 202 on x86-64, 98 on arm64 (asm-generic).</summary>
        internal static nint SyscallNumber { get; } = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 202 : 98;

        [StructLayout(LayoutKind.Sequential)]
        internal struct Timespec
        {
            internal long Seconds;
            internal long Nanoseconds;
        }

        // syscall is variadic in C; on x86-64 and arm64 Linux integer variadic arguments travel in the same registers
        // as fixed ones, and glibc's syscall() reads no floating-point registers, so fixed nint parameters are safe.
        [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
        internal static partial nint Syscall(nint number, nint address, nint operation, nint value, nint timeout, nint address2, nint value3);

        /// <summary>Sleeps while <c>*address == expected</c>, at most <paramref name="timeout"/> (null: no limit). Returns 0 or -1 (errno set).</summary>
        internal static int Wait(int* address, int expected, Timespec* timeout) =>
            (int)Syscall(SyscallNumber, (nint)address, FutexWait, expected, (nint)timeout, 0, 0);

        /// <summary>Wakes at most <paramref name="count"/> waiters on <paramref name="address"/>; returns how many woke, or -1.</summary>
        internal static int Wake(int* address, int count) =>
            (int)Syscall(SyscallNumber, (nint)address, FutexWake, count, 0, 0, 0);
    }
}
