using System.Runtime.InteropServices;

namespace EdgeOS.Net.Internal;

/// <summary>A Linux file descriptor (socket, BPF map, program or link) that is closed when released.</summary>
internal sealed class FileDescriptorHandle : SafeHandle
{
    internal FileDescriptorHandle(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        SetHandle(fd);
    }

    public override bool IsInvalid => handle == -1;

    /// <summary>The descriptor number, valid while the handle is alive (callers keep it alive with GC.KeepAlive or DangerousAddRef).</summary>
    internal int Fd => (int)handle;

    protected override bool ReleaseHandle() => Interop.Sock.Close((int)handle) == 0;
}
