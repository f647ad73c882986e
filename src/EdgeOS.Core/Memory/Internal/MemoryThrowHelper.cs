using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;

namespace EdgeOS.Core.Memory.Internal;

/// <summary>Throw helpers for the memory area, so that hot methods stay small and inlinable.</summary>
internal static class MemoryThrowHelper
{
    private const int Enomem = 12;

    [DoesNotReturn]
    internal static void ThrowAccountTooDeep(string name, int depthMax) =>
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"Account '{name}' would nest deeper than {depthMax} levels."),
            "parent");

    [DoesNotReturn]
    internal static void ThrowQuotaExceeded(MemoryAccount charged, MemoryAccount refused, long requestedBytes)
    {
        long used = refused.UsedBytes;
        string through = ReferenceEquals(charged, refused)
            ? string.Empty
            : string.Create(CultureInfo.InvariantCulture, $" (charged through '{charged.Name}')");
        string message = string.Create(
            CultureInfo.InvariantCulture,
            $"Memory quota of account '{refused.Name}'{through} exceeded: quota {refused.QuotaBytes} bytes, used {used} bytes, requested {requestedBytes} bytes. Nothing was charged or allocated.");
        throw new MemoryQuotaExceededException(message, refused.Name, refused.QuotaBytes, used, requestedBytes);
    }

    [DoesNotReturn]
    internal static void ThrowOverRelease(MemoryAccount account, long bytes) =>
        throw new InvalidOperationException(string.Create(
            CultureInfo.InvariantCulture,
            $"Account '{account.Name}' was asked to release {bytes} bytes but only {account.UsedBytes} bytes are charged; this is a bookkeeping bug in the caller."));

    [DoesNotReturn]
    internal static void ThrowRangeOutOfBounds(string paramName, long offset, long length, long capacity) =>
        throw new ArgumentOutOfRangeException(paramName, string.Create(
            CultureInfo.InvariantCulture,
            $"The range at offset {offset} with length {length} does not fit in {capacity} bytes."));

    [DoesNotReturn]
    internal static void ThrowMisaligned(long offset, int alignment, string typeName) =>
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"Offset {offset} is not a multiple of {alignment}, the alignment required for {typeName}."),
            "offset");

    [DoesNotReturn]
    internal static void ThrowSpanCrossesChunk(long offset, long length, int chunkSizeBytes)
    {
        long boundary = (offset / chunkSizeBytes + 1) * chunkSizeBytes;
        throw new ArgumentException(
            string.Create(
                CultureInfo.InvariantCulture,
                $"The range [{offset}, {offset + length}) crosses the chunk boundary at offset {boundary} (chunk size {chunkSizeBytes} bytes); a managed copy-on-write view gives zero-copy access only within one chunk. Use Read/Write, split the access, or lay the structure out within chunks."),
            "length");
    }

    [DoesNotReturn]
    internal static void ThrowLengthTooLarge(long length) =>
        throw new InvalidOperationException(string.Create(
            CultureInfo.InvariantCulture,
            $"The region is {length} bytes, more than a span can cover ({int.MaxValue}); use GetSpan with an offset."));

    [DoesNotReturn]
    internal static void ThrowObjectDisposed(object instance) => throw new ObjectDisposedException(instance.GetType().FullName);

    [DoesNotReturn]
    internal static void ThrowAlignment(int alignment) =>
        throw new ArgumentOutOfRangeException(
            "options",
            string.Create(CultureInfo.InvariantCulture, $"AlignmentBytes must be a power of two between 8 and 1 GiB; it is {alignment}."));

    [DoesNotReturn]
    internal static void ThrowChunkSize(int chunkSizeBytes, int min, int max) =>
        throw new ArgumentOutOfRangeException(
            "options",
            string.Create(CultureInfo.InvariantCulture, $"ChunkSizeBytes must be a power of two between {min} and {max}; it is {chunkSizeBytes}."));

    [DoesNotReturn]
    internal static void ThrowHugePagesUnavailable(int hugeTlbErrno, int transparentErrno) =>
        throw new NotSupportedException(string.Create(
            CultureInfo.InvariantCulture,
            $"Huge pages were required but none are available: mmap(MAP_HUGETLB, 2 MiB) failed with {ErrnoText(hugeTlbErrno)} (reserve pages in /proc/sys/vm/nr_hugepages) and madvise(MADV_HUGEPAGE) failed with {ErrnoText(transparentErrno)} (transparent huge pages disabled?)."));

    [DoesNotReturn]
    internal static void ThrowForErrno(string operation, int errno)
    {
        string message = string.Create(CultureInfo.InvariantCulture, $"{operation} failed with {ErrnoText(errno)}.");
        if (errno == Enomem)
        {
            throw new InsufficientMemoryException(message);
        }

        throw new IOException(message, errno);
    }

    [DoesNotReturn]
    internal static void ThrowFormat(string path, string field, string expected, string actual) =>
        throw new SharedMemoryFormatException(
            string.Create(CultureInfo.InvariantCulture, $"Shared memory region '{path}' is not valid: field '{field}' expected {expected}, found {actual}. Nothing was mapped."),
            field);

    [DoesNotReturn]
    internal static void ThrowLinuxOnly(string feature) =>
        throw new PlatformNotSupportedException(
            $"{feature} needs Linux (x86-64 or arm64); this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription} on {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}.");

    internal static string ErrnoText(int errno) =>
        string.Create(CultureInfo.InvariantCulture, $"errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
}
