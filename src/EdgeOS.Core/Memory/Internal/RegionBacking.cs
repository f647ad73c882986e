using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EdgeOS.Core.Memory.Internal;

/// <summary>
/// Knows how to give back the memory under a <see cref="MemoryRegion"/>. Called exactly once, by the region's
/// dispose or finalizer (the region guarantees that with an interlocked exchange of its address).
/// </summary>
internal abstract class RegionBacking
{
    /// <summary>Whether the memory is an mmap mapping whose protection can be changed.</summary>
    internal virtual bool CanProtect => false;

    internal abstract void Free(nint address);

    internal virtual bool TryProtectReadOnly() => false;
}

/// <summary>Memory from <see cref="NativeMemory.AlignedAlloc(nuint, nuint)"/> (the portable path).</summary>
internal sealed unsafe class AlignedAllocBacking : RegionBacking
{
    internal static readonly AlignedAllocBacking Instance = new();

    private AlignedAllocBacking()
    {
    }

    internal override void Free(nint address) => NativeMemory.AlignedFree((void*)address);
}

/// <summary>An mmap mapping (anonymous, or of a file), optionally keeping the file descriptor open.</summary>
internal sealed class MappingBacking : RegionBacking
{
    private readonly nint _mappingAddress;
    private readonly nuint _mappingLength;
    private readonly SafeFileHandle? _file;

    internal MappingBacking(nint mappingAddress, nuint mappingLength, SafeFileHandle? file)
    {
        _mappingAddress = mappingAddress;
        _mappingLength = mappingLength;
        _file = file;
    }

    internal override bool CanProtect => true;

    internal override void Free(nint address)
    {
        // Unmap first, close after: the mapping holds its own reference to the file, and closing the descriptor
        // last keeps /proc/<pid>/fd/<fd> valid for as long as the data is mapped here.
        LinuxMemory.Unmap(_mappingAddress, _mappingLength);
        _file?.Dispose();
    }

    internal override bool TryProtectReadOnly() =>
        Interop.Mman.Mprotect(_mappingAddress, _mappingLength, Interop.Mman.ProtRead) == 0;
}

/// <summary>A <see cref="MemoryMappedFile"/> view (the portable path for file-backed shared regions).</summary>
internal sealed class MemoryMappedFileBacking : RegionBacking
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly SafeFileHandle _handle;

    internal MemoryMappedFileBacking(MemoryMappedFile file, MemoryMappedViewAccessor view, SafeFileHandle handle)
    {
        _file = file;
        _view = view;
        _handle = handle;
    }

    internal override void Free(nint address)
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        _handle.Dispose();
    }
}
