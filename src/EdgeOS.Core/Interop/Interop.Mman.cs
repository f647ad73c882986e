using System.Runtime.InteropServices;

namespace EdgeOS.Core;

internal static partial class Interop
{
    /// <summary>
    /// mmap(2), munmap(2), madvise(2), mprotect(2) from libc. Constants are the Linux asm-generic values,
    /// identical on x86-64 and arm64 (the only architectures the memory code maps with them).
    /// </summary>
    internal static unsafe partial class Mman
    {
        internal const int ProtNone = 0x0;
        internal const int ProtRead = 0x1;
        internal const int ProtWrite = 0x2;

        internal const int MapShared = 0x01;
        internal const int MapPrivate = 0x02;
        internal const int MapAnonymous = 0x20;
        internal const int MapNoReserve = 0x4000;
        internal const int MapHugeTlb = 0x40000;

        // MAP_HUGE_SHIFT = 26; log2(2 MiB) = 21.
        internal const int MapHuge2Mb = 21 << 26;

        internal const int MadvDontNeed = 4;
        internal const int MadvHugePage = 14;

        internal static readonly nint MapFailed = -1;

        [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
        internal static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

        [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
        internal static partial int Munmap(nint address, nuint length);

        [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
        internal static partial int Madvise(nint address, nuint length, int advice);

        [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
        internal static partial int Mprotect(nint address, nuint length, int protection);
    }
}
