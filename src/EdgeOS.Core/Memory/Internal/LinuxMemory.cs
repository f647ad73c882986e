using System.Runtime.InteropServices;

namespace EdgeOS.Core.Memory.Internal;

/// <summary>Small wrappers over mmap/munmap for the Linux paths, with the platform check in one place.</summary>
internal static unsafe class LinuxMemory
{
    internal const long HugePageSizeBytes = 2 * 1024 * 1024;

    /// <summary>
    /// Linux on the architectures whose mmap/memfd constants <see cref="Interop.Mman"/> and
    /// <see cref="Interop.Memfd"/> declare (asm-generic values). Elsewhere the portable paths are used.
    /// </summary>
    internal static bool IsSupported { get; } =
        OperatingSystem.IsLinux() && Environment.Is64BitProcess &&
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    internal static int PageSize { get; } = Environment.SystemPageSize;

    internal static void ThrowIfUnsupported(string feature)
    {
        if (!IsSupported)
        {
            MemoryThrowHelper.ThrowLinuxOnly(feature);
        }
    }

    internal static long RoundUp(long value, long multiple) => (value + multiple - 1) & ~(multiple - 1);

    /// <summary>
    /// Maps <paramref name="length"/> bytes of anonymous private memory aligned to <paramref name="alignment"/>
    /// (over-mapping and trimming when the alignment exceeds a page). Returns 0 and the errno on failure.
    /// </summary>
    internal static nint TryMapAnonymous(nuint length, nuint alignment, int extraFlags, out int errno)
    {
        const int Protection = Interop.Mman.ProtRead | Interop.Mman.ProtWrite;
        const int Flags = Interop.Mman.MapPrivate | Interop.Mman.MapAnonymous;
        if (alignment <= (nuint)PageSize)
        {
            nint address = Interop.Mman.Mmap(0, length, Protection, Flags | extraFlags, -1, 0);
            errno = address == Interop.Mman.MapFailed ? Marshal.GetLastPInvokeError() : 0;
            return address == Interop.Mman.MapFailed ? 0 : address;
        }

        nuint padded = length + alignment;
        nint raw = Interop.Mman.Mmap(0, padded, Protection, Flags | extraFlags, -1, 0);
        if (raw == Interop.Mman.MapFailed)
        {
            errno = Marshal.GetLastPInvokeError();
            return 0;
        }

        nint aligned = (nint)(((nuint)raw + alignment - 1) & ~(alignment - 1));
        nuint head = (nuint)(aligned - raw);
        nuint tail = padded - head - length;
        if (head != 0)
        {
            _ = Interop.Mman.Munmap(raw, head);
        }

        if (tail != 0)
        {
            _ = Interop.Mman.Munmap(aligned + (nint)length, tail);
        }

        errno = 0;
        return aligned;
    }

    /// <summary>Maps a file descriptor; throws with the errno on failure.</summary>
    internal static nint MapFile(SafeHandle file, nuint length, int protection, int flags, string operation)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            nint address = Interop.Mman.Mmap(0, length, protection, flags, (int)file.DangerousGetHandle(), 0);
            if (address == Interop.Mman.MapFailed)
            {
                MemoryThrowHelper.ThrowForErrno(operation, Marshal.GetLastPInvokeError());
            }

            return address;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    internal static void Unmap(nint address, nuint length)
    {
        // munmap only fails for invalid arguments, which would be our bug; there is nothing useful to do then.
        int result = Interop.Mman.Munmap(address, length);
        System.Diagnostics.Debug.Assert(result == 0, "munmap failed");
    }

    internal static int FileDescriptor(SafeHandle file) => (int)file.DangerousGetHandle();
}
