using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using EdgeOS.Core.Memory.Internal;
using Microsoft.Win32.SafeHandles;

namespace EdgeOS.Core.Memory;

/// <summary>What backs a <see cref="SharedMemoryRegion"/>.</summary>
public enum SharedMemoryKind
{
    /// <summary>An anonymous memory file (Linux <c>memfd_create</c>), sealed against resizing; opened by others through <c>/proc/&lt;pid&gt;/fd/&lt;fd&gt;</c>.</summary>
    Memfd = 0,

    /// <summary>A file on a file system (any OS); on Linux put it on tmpfs (<c>/dev/shm</c>) to keep it in memory.</summary>
    File = 1,
}

/// <summary>
/// Memory that several processes map: a header (magic, version, sizes, creator pid; see the remarks) followed by a
/// page-aligned data area exposed as a <see cref="MemoryRegion"/> (<see cref="Data"/>), in which channels lay out
/// their rings and futex words.
/// </summary>
/// <remarks>
/// <para>
/// Create with <see cref="CreateMemfd"/> (Linux; nothing on disk, gone when the last process unmaps it) or
/// <see cref="CreateFile"/> (any OS), then pass <see cref="Path"/> to the other process, which calls
/// <see cref="Open"/>. <see cref="Open"/> reads and validates the header with ordinary reads before it maps
/// anything: a wrong magic or version, or a size that does not match the file, is refused with
/// <see cref="SharedMemoryFormatException"/> and leaves nothing mapped or open.
/// </para>
/// <para>
/// A memfd is sealed against shrinking and growing, so no process can truncate it under another's mapping. A plain
/// file has no such protection: truncating it while mapped makes accesses beyond the new end fault (SIGBUS).
/// </para>
/// <para>
/// Each process that maps the region charges the whole mapping (header and data) to its own account. Disposing
/// unmaps it in this process only; a memfd lives until every process has unmapped it; a file stays on disk until
/// someone deletes it. Thread-safety: as <see cref="MemoryRegion"/>.
/// </para>
/// </remarks>
public sealed class SharedMemoryRegion : IDisposable
{
    private readonly MemoryRegion _data;

    private SharedMemoryRegion(MemoryRegion data, string path, SharedMemoryKind kind, int creatorPid, int version, bool isCreator)
    {
        _data = data;
        Path = path;
        Kind = kind;
        CreatorProcessId = creatorPid;
        Version = version;
        IsCreator = isCreator;
    }

    /// <summary>The data area (after the header), page-aligned: where the shared structures live.</summary>
    /// <remarks>Disposing it unmaps the whole region, as <see cref="Dispose"/> does.</remarks>
    public MemoryRegion Data => _data;

    /// <summary>The size of the data area in bytes.</summary>
    public long DataSizeBytes => _data.Length;

    /// <summary>The path another process passes to <see cref="Open"/> (for a memfd: <c>/proc/&lt;pid&gt;/fd/&lt;fd&gt;</c>, valid while the creator keeps the region open).</summary>
    public string Path { get; }

    /// <summary>What backs the region.</summary>
    public SharedMemoryKind Kind { get; }

    /// <summary>The process id that created the region (from the header).</summary>
    public int CreatorProcessId { get; }

    /// <summary>The header version.</summary>
    public int Version { get; }

    /// <summary>Whether this process created the region (as opposed to opening it).</summary>
    public bool IsCreator { get; }

    /// <summary>Whether the region was disposed (in this process).</summary>
    public bool IsDisposed => _data.IsDisposed;

    /// <summary>The size of the header that precedes the data area.</summary>
    public static int HeaderSizeBytes => SharedRegionDescriptor.HeaderSizeBytes;

    /// <summary>
    /// Creates a shared region backed by a memfd (Linux): a file in memory with no name on any file system, sealed
    /// against resizing. Costs memfd_create, ftruncate, fcntl and mmap system calls.
    /// </summary>
    /// <param name="name">A name for diagnostics (shown in <c>/proc/&lt;pid&gt;/maps</c>), at most 249 UTF-8 bytes.</param>
    /// <param name="dataSizeBytes">The size of the data area (at least 1 byte; the mapping adds a 4 KiB header).</param>
    /// <param name="account">The account charged for the mapping; <see langword="null"/> for <see cref="MemoryAccount.Unlimited"/>.</param>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    /// <exception cref="ArgumentException">The name is empty, too long or contains a NUL.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The size is out of range.</exception>
    /// <exception cref="MemoryQuotaExceededException">The account cannot take the mapping; nothing is created.</exception>
    /// <exception cref="IOException">A system call failed (the message has the errno).</exception>
    public static SharedMemoryRegion CreateMemfd(string name, long dataSizeBytes, MemoryAccount? account = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (System.Text.Encoding.UTF8.GetByteCount(name) > Interop.Memfd.NameBytesMax || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A memfd name must be at most {Interop.Memfd.NameBytesMax} UTF-8 bytes without NUL characters.", nameof(name));
        }

        long totalBytes = TotalBytes(dataSizeBytes);
        LinuxMemory.ThrowIfUnsupported("A memfd-backed shared memory region");
        account ??= MemoryAccount.Unlimited;
        account.Charge(totalBytes);
        SafeFileHandle? memfd = null;
        try
        {
            int fd = Interop.Memfd.MemfdCreate(name, Interop.Memfd.MfdCloexec | Interop.Memfd.MfdAllowSealing);
            if (fd < 0)
            {
                MemoryThrowHelper.ThrowForErrno("memfd_create", Marshal.GetLastPInvokeError());
            }

            memfd = new SafeFileHandle(fd, ownsHandle: true);
            if (Interop.Memfd.Ftruncate(fd, totalBytes) != 0)
            {
                MemoryThrowHelper.ThrowForErrno("ftruncate of the memfd", Marshal.GetLastPInvokeError());
            }

            // Fix the size for good, so no process can shrink it under another's mapping (that would be SIGBUS).
            const int Seals = Interop.Memfd.FSealShrink | Interop.Memfd.FSealGrow | Interop.Memfd.FSealSeal;
            if (Interop.Memfd.Fcntl(fd, Interop.Memfd.FAddSeals, Seals) != 0)
            {
                MemoryThrowHelper.ThrowForErrno("fcntl(F_ADD_SEALS) on the memfd", Marshal.GetLastPInvokeError());
            }

            string path = string.Create(CultureInfo.InvariantCulture, $"/proc/{Environment.ProcessId}/fd/{fd}");
            SharedMemoryRegion region = MapAndInitialize(memfd, totalBytes, dataSizeBytes, path, SharedMemoryKind.Memfd, account, keepHandle: true);
            memfd = null;
            return region;
        }
        catch
        {
            memfd?.Dispose();
            account.Release(totalBytes);
            throw;
        }
    }

    /// <summary>
    /// Creates a shared region backed by a new file at <paramref name="path"/> (any OS). The file must not exist;
    /// it is sized to the header plus the data and stays on disk after dispose (delete it when done).
    /// </summary>
    /// <param name="path">Where to create the file (on Linux, <c>/dev/shm/...</c> keeps it in memory).</param>
    /// <param name="dataSizeBytes">The size of the data area (at least 1 byte).</param>
    /// <param name="account">The account charged for the mapping; <see langword="null"/> for <see cref="MemoryAccount.Unlimited"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is out of range.</exception>
    /// <exception cref="IOException">The file exists or cannot be created or mapped.</exception>
    /// <exception cref="MemoryQuotaExceededException">The account cannot take the mapping; no file is created.</exception>
    public static SharedMemoryRegion CreateFile(string path, long dataSizeBytes, MemoryAccount? account = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long totalBytes = TotalBytes(dataSizeBytes);
        account ??= MemoryAccount.Unlimited;
        account.Charge(totalBytes);
        SafeFileHandle? handle = null;
        try
        {
            handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite);
            try
            {
                RandomAccess.SetLength(handle, totalBytes);
                string fullPath = System.IO.Path.GetFullPath(path);
                SharedMemoryRegion region = MapAndInitialize(handle, totalBytes, dataSizeBytes, fullPath, SharedMemoryKind.File, account, keepHandle: false);
                handle = null;
                return region;
            }
            catch
            {
                // We created the file (CreateNew), so a failed creation removes it again.
                handle?.Dispose();
                handle = null;
                File.Delete(path);
                throw;
            }
        }
        catch
        {
            handle?.Dispose();
            account.Release(totalBytes);
            throw;
        }
    }

    /// <summary>
    /// Opens a shared region another process created, by the path it published (a memfd's
    /// <c>/proc/&lt;pid&gt;/fd/&lt;fd&gt;</c> or a file). The header is read and validated before anything is mapped.
    /// </summary>
    /// <param name="path">The region's <see cref="Path"/>.</param>
    /// <param name="account">The account charged for the mapping; <see langword="null"/> for <see cref="MemoryAccount.Unlimited"/>.</param>
    /// <exception cref="SharedMemoryFormatException">
    /// The file is shorter than the header, or its magic, version, header size or data size is wrong; the message
    /// names the field with the expected and actual values. Nothing is mapped, no handle is kept, nothing is charged.
    /// </exception>
    /// <exception cref="FileNotFoundException">There is no such file (for a memfd: the creator closed it or exited).</exception>
    /// <exception cref="IOException">The file cannot be opened or mapped.</exception>
    /// <exception cref="MemoryQuotaExceededException">The account cannot take the mapping; nothing is mapped.</exception>
    public static SharedMemoryRegion Open(string path, MemoryAccount? account = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        account ??= MemoryAccount.Unlimited;
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        long totalBytes = 0;
        try
        {
            long fileLength = RandomAccess.GetLength(handle);
            Span<byte> fields = stackalloc byte[SharedRegionDescriptor.FieldsBytes];
            int read = fileLength >= SharedRegionDescriptor.FieldsBytes ? ReadFully(handle, fields) : 0;
            (long dataSize, int creatorPid, uint version) = SharedRegionDescriptor.Validate(fields[..read], fileLength, path);
            totalBytes = fileLength;
            account.Charge(totalBytes);
            MemoryRegion data = Map(handle, totalBytes, dataSize, account, keepHandle: false);
            SharedMemoryKind kind = path.StartsWith("/proc/", StringComparison.Ordinal) ? SharedMemoryKind.Memfd : SharedMemoryKind.File;
            return new SharedMemoryRegion(data, path, kind, creatorPid, (int)version, isCreator: false);
        }
        catch
        {
            handle.Dispose();
            if (totalBytes != 0)
            {
                account.Release(totalBytes);
            }

            throw;
        }
    }

    /// <summary>Unmaps the region in this process and releases the account. Idempotent and thread-safe.</summary>
    public void Dispose() => _data.Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"SharedMemoryRegion({Kind}, {Path}, {DataSizeBytes} data bytes)";

    private static long TotalBytes(long dataSizeBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dataSizeBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dataSizeBytes, MemoryRegion.SizeBytesMax);
        return SharedRegionDescriptor.HeaderSizeBytes + dataSizeBytes;
    }

    private static int ReadFully(SafeFileHandle handle, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = RandomAccess.Read(handle, buffer[total..], total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private static SharedMemoryRegion MapAndInitialize(SafeFileHandle handle, long totalBytes, long dataSizeBytes, string path, SharedMemoryKind kind, MemoryAccount account, bool keepHandle)
    {
        MemoryRegion data = Map(handle, totalBytes, dataSizeBytes, account, keepHandle);
        unsafe
        {
            // The header sits right before the data area, in the same mapping.
            var header = new Span<byte>((byte*)data.Address - SharedRegionDescriptor.HeaderSizeBytes, SharedRegionDescriptor.HeaderSizeBytes);
            SharedRegionDescriptor.Initialize(header, dataSizeBytes, Environment.ProcessId);
        }

        return new SharedMemoryRegion(data, path, kind, Environment.ProcessId, (int)SharedRegionDescriptor.CurrentVersion, isCreator: true);
    }

    // Maps the whole file shared and returns the data area as a region whose disposal unmaps everything. The account
    // has been charged by the caller; the region releases it on dispose.
    private static unsafe MemoryRegion Map(SafeFileHandle handle, long totalBytes, long dataSizeBytes, MemoryAccount account, bool keepHandle)
    {
        int headerBytes = SharedRegionDescriptor.HeaderSizeBytes;
        if (LinuxMemory.IsSupported)
        {
            nint mapping = LinuxMemory.MapFile(
                handle,
                (nuint)totalBytes,
                Interop.Mman.ProtRead | Interop.Mman.ProtWrite,
                Interop.Mman.MapShared,
                "mmap of the shared region");

            // The mapping keeps its own reference to the file; an opener does not need its descriptor any more.
            var backing = new MappingBacking(mapping, (nuint)totalBytes, keepHandle ? handle : null);
            if (!keepHandle)
            {
                handle.Dispose();
            }

            return new MemoryRegion(mapping + headerBytes, dataSizeBytes, headerBytes, backing, account, totalBytes, HugePageBacking.None);
        }

        MemoryMappedFile file = MemoryMappedFile.CreateFromFile(handle, mapName: null, totalBytes, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = file.CreateViewAccessor(0, totalBytes, MemoryMappedFileAccess.ReadWrite);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            pointer += view.PointerOffset;
            return new MemoryRegion((nint)(pointer + headerBytes), dataSizeBytes, headerBytes, new MemoryMappedFileBacking(file, view, handle), account, totalBytes, HugePageBacking.None);
        }
        catch
        {
            view?.Dispose();
            file.Dispose();
            throw;
        }
    }
}
