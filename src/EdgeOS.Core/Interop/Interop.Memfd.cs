using System.Runtime.InteropServices;

namespace EdgeOS.Core;

internal static partial class Interop
{
    /// <summary>memfd_create(2), ftruncate(2) and the file-sealing fcntl(2) commands.</summary>
    internal static unsafe partial class Memfd
    {
        internal const uint MfdCloexec = 0x0001;
        internal const uint MfdAllowSealing = 0x0002;

        internal const int FAddSeals = 1024 + 9;
        internal const int FGetSeals = 1024 + 10;

        internal const int FSealSeal = 0x0001;
        internal const int FSealShrink = 0x0002;
        internal const int FSealGrow = 0x0004;
        internal const int FSealWrite = 0x0008;

        /// <summary>The kernel limit on a memfd name (249 bytes, excluding the terminating NUL).</summary>
        internal const int NameBytesMax = 249;

        [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int MemfdCreate(string name, uint flags);

        [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
        internal static partial int Ftruncate(int fd, long length);

        // fcntl is variadic in C; for the integer-argument commands used here the x86-64 and arm64 Linux calling
        // conventions pass the third argument in the same register as a fixed int parameter would.
        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        internal static partial int Fcntl(int fd, int command, int argument);
    }
}
