using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using EdgeOS.Net.Internal;

namespace EdgeOS.Net.Bpf.Internal;

/// <summary>How an XDP program ended up attached.</summary>
internal enum XdpAttachMode
{
    /// <summary>In the driver (XDP_FLAGS_DRV_MODE): runs before an skb is allocated.</summary>
    Native,

    /// <summary>Generic (XDP_FLAGS_SKB_MODE): runs after skb allocation; works on every interface.</summary>
    Generic,
}

/// <summary>The bpf(2) commands this package uses, each returning file descriptors as SafeHandles.</summary>
internal static unsafe class BpfSyscalls
{
    /// <summary>Verifier log buffer for the second, logging load after a rejection (the kernel caps it at 16 MiB).</summary>
    internal const int VerifierLogBytes = 1 << 20;

    private static readonly byte[] s_license = "MIT\0"u8.ToArray();

    internal static FileDescriptorHandle CreateXskMap(uint entries)
    {
        var attr = new Interop.Bpf.MapCreateAttr
        {
            MapType = Interop.Bpf.MapTypeXskMap,
            KeySize = sizeof(uint),
            ValueSize = sizeof(uint),
            MaxEntries = entries,
        };
        CopyName(attr.MapName, "edgeos_xsks");
        long fd = Invoke(Interop.Bpf.MapCreate, &attr, sizeof(Interop.Bpf.MapCreateAttr));
        if (fd < 0)
        {
            KernelNetThrowHelper.ThrowLastErrno("bpf(BPF_MAP_CREATE, XSKMAP)", KernelNetThrowHelper.CapBpfAndNetAdmin);
        }

        return new FileDescriptorHandle((int)fd);
    }

    /// <summary>xskmap[key] = socket.</summary>
    internal static void UpdateXskMap(FileDescriptorHandle map, uint key, FileDescriptorHandle socket)
    {
        bool mapRef = false;
        bool socketRef = false;
        try
        {
            map.DangerousAddRef(ref mapRef);
            socket.DangerousAddRef(ref socketRef);
            uint value = (uint)socket.Fd;
            var attr = new Interop.Bpf.MapElemAttr
            {
                MapFd = (uint)map.Fd,
                Key = (ulong)&key,
                Value = (ulong)&value,
                Flags = Interop.Bpf.Any,
            };
            if (Invoke(Interop.Bpf.MapUpdateElem, &attr, sizeof(Interop.Bpf.MapElemAttr)) < 0)
            {
                KernelNetThrowHelper.ThrowLastErrno(
                    string.Create(CultureInfo.InvariantCulture, $"bpf(BPF_MAP_UPDATE_ELEM) of XSKMAP slot {key}"),
                    KernelNetThrowHelper.CapBpfAndNetAdmin);
            }
        }
        finally
        {
            if (socketRef)
            {
                socket.DangerousRelease();
            }

            if (mapRef)
            {
                map.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Loads an XDP program. The first attempt runs without a log (cheap); if the verifier rejects the program,
    /// it is loaded again with a level-1 log so that the exception can carry the verifier's explanation.
    /// </summary>
    /// <exception cref="BpfVerifierException">The verifier rejected the program.</exception>
    /// <exception cref="NetPrivilegeException">EPERM: the process lacks CAP_BPF / CAP_SYS_ADMIN.</exception>
    internal static FileDescriptorHandle LoadXdpProgram(ReadOnlySpan<Interop.Bpf.Instruction> program, string name)
    {
        long fd = Load(program, name, logBuffer: null, out int errno);
        if (fd >= 0)
        {
            return new FileDescriptorHandle((int)fd);
        }

        if (errno == Interop.Sock.Eperm)
        {
            KernelNetThrowHelper.ThrowErrno(errno, "bpf(BPF_PROG_LOAD, XDP)", KernelNetThrowHelper.CapBpfAndNetAdmin);
        }

        if (errno is not (Interop.Sock.Eacces or Interop.Sock.Einval))
        {
            KernelNetThrowHelper.ThrowErrno(errno, "bpf(BPF_PROG_LOAD, XDP)", KernelNetThrowHelper.CapBpfAndNetAdmin);
        }

        byte[] log = GC.AllocateUninitializedArray<byte>(VerifierLogBytes);
        log[0] = 0;
        fd = Load(program, name, log, out int logErrno);
        if (fd >= 0)
        {
            // Accepted the second time (should not happen for a deterministic verifier); use it.
            return new FileDescriptorHandle((int)fd);
        }

        int length = log.AsSpan().IndexOf((byte)0);
        string text = Encoding.UTF8.GetString(log, 0, length < 0 ? log.Length : length).TrimEnd();
        string truncated = logErrno == Interop.Sock.Enospc ? " (log truncated)" : string.Empty;
        throw new BpfVerifierException(
            string.Create(
                CultureInfo.InvariantCulture,
                $"The BPF verifier rejected XDP program '{name}' ({program.Length} instructions): {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}). Verifier log{truncated}:\n{text}"),
            text,
            errno);
    }

    /// <summary>Attaches <paramref name="program"/> to the interface with BPF_LINK_CREATE: native first, then generic (unless <paramref name="genericOnly"/>).</summary>
    internal static FileDescriptorHandle AttachXdp(FileDescriptorHandle program, int interfaceIndex, bool genericOnly, out XdpAttachMode mode)
    {
        int nativeErrno = 0;
        if (!genericOnly)
        {
            long link = CreateLink(program, interfaceIndex, Interop.Bpf.XdpFlagsDrvMode, out nativeErrno);
            if (link >= 0)
            {
                mode = XdpAttachMode.Native;
                return new FileDescriptorHandle((int)link);
            }

            if (nativeErrno is Interop.Sock.Eperm or Interop.Sock.Ebusy or Interop.Sock.Enodev)
            {
                throw CreateAttachException(nativeErrno, interfaceIndex, "native");
            }
        }

        long generic = CreateLink(program, interfaceIndex, Interop.Bpf.XdpFlagsSkbMode, out int genericErrno);
        if (generic >= 0)
        {
            mode = XdpAttachMode.Generic;
            return new FileDescriptorHandle((int)generic);
        }

        throw CreateAttachException(genericErrno, interfaceIndex, genericOnly ? "generic" : string.Create(CultureInfo.InvariantCulture, $"native (errno {nativeErrno}) and generic"));
    }

    /// <summary>The interface index an XDP link is attached to, or 0 once it is detached (BPF_OBJ_GET_INFO_BY_FD).</summary>
    /// <summary>
    /// Detaches a link's program now (BPF_LINK_DETACH, Linux 5.9+), then closes the descriptor. Closing alone detaches
    /// only when the last reference to the link's file goes, and a process forked by any thread of this one (e.g. to
    /// run a tool) holds a copy of every descriptor until its exec closes the close-on-exec ones: the program would
    /// stay attached for that moment. Errors of the detach (an older kernel's EINVAL, a link already detached) leave
    /// the close to do the detaching.
    /// </summary>
    internal static void DetachAndClose(FileDescriptorHandle link)
    {
        bool added = false;
        try
        {
            link.DangerousAddRef(ref added);
            ulong attr = (uint)link.Fd;
            _ = Invoke(Interop.Bpf.LinkDetach, &attr, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // Already closed: nothing to detach.
        }
        finally
        {
            if (added)
            {
                link.DangerousRelease();
            }
        }

        link.Dispose();
    }

    internal static uint GetLinkInterfaceIndex(FileDescriptorHandle link)
    {
        bool added = false;
        try
        {
            link.DangerousAddRef(ref added);
            Interop.Bpf.LinkInfo info = default;
            var attr = new Interop.Bpf.ObjGetInfoAttr
            {
                BpfFd = (uint)link.Fd,
                InfoLength = (uint)sizeof(Interop.Bpf.LinkInfo),
                Info = (ulong)&info,
            };
            if (Invoke(Interop.Bpf.ObjGetInfoByFd, &attr, sizeof(Interop.Bpf.ObjGetInfoAttr)) < 0)
            {
                KernelNetThrowHelper.ThrowLastErrno("bpf(BPF_OBJ_GET_INFO_BY_FD, link)", KernelNetThrowHelper.CapBpfAndNetAdmin);
            }

            return info.XdpIfIndex;
        }
        finally
        {
            if (added)
            {
                link.DangerousRelease();
            }
        }
    }

    private static long Load(ReadOnlySpan<Interop.Bpf.Instruction> program, string name, byte[]? logBuffer, out int errno)
    {
        fixed (Interop.Bpf.Instruction* instructions = program)
        fixed (byte* license = s_license)
        fixed (byte* log = logBuffer)
        {
            var attr = new Interop.Bpf.ProgLoadAttr
            {
                ProgType = Interop.Bpf.ProgTypeXdp,
                InsnCount = (uint)program.Length,
                Insns = (ulong)instructions,
                License = (ulong)license,
                LogLevel = logBuffer is null ? 0 : Interop.Bpf.LogLevelVerbose,
                LogSize = logBuffer is null ? 0 : (uint)logBuffer.Length,
                LogBuf = (ulong)log,
                ExpectedAttachType = Interop.Bpf.AttachTypeXdp,
            };
            CopyName(attr.ProgName, name);
            long fd = Invoke(Interop.Bpf.ProgLoad, &attr, sizeof(Interop.Bpf.ProgLoadAttr));
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            return fd;
        }
    }

    private static long CreateLink(FileDescriptorHandle program, int interfaceIndex, uint flags, out int errno)
    {
        bool added = false;
        try
        {
            program.DangerousAddRef(ref added);
            var attr = new Interop.Bpf.LinkCreateAttr
            {
                ProgFd = (uint)program.Fd,
                TargetIfIndex = (uint)interfaceIndex,
                AttachType = Interop.Bpf.AttachTypeXdp,
                Flags = flags,
            };
            long fd = Invoke(Interop.Bpf.LinkCreate, &attr, sizeof(Interop.Bpf.LinkCreateAttr));
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            return fd;
        }
        finally
        {
            if (added)
            {
                program.DangerousRelease();
            }
        }
    }

    private static Exception CreateAttachException(int errno, int interfaceIndex, string modes)
    {
        string hint = errno == Interop.Sock.Ebusy
            ? " Another XDP program is already attached to this interface (ip link show; detach it or use a different interface)."
            : string.Empty;
        return KernelNetThrowHelper.CreateErrnoException(
            errno,
            string.Create(CultureInfo.InvariantCulture, $"bpf(BPF_LINK_CREATE, BPF_XDP) on interface index {interfaceIndex} in {modes} mode.{hint}"),
            KernelNetThrowHelper.CapBpfAndNetAdmin);
    }

    private static long Invoke(int command, void* attr, int size)
    {
        long result;
        do
        {
            result = Interop.Bpf.Syscall(Interop.Bpf.SyscallNumber, command, attr, size);
        }
        while (result < 0 && Marshal.GetLastPInvokeError() == Interop.Sock.Eintr);

        return result;
    }

    private static void CopyName(byte* destination, string name)
    {
        // Object names are at most 15 characters of [A-Za-z0-9_.] plus the terminating NUL.
        int count = Math.Min(name.Length, Interop.Bpf.ObjNameLength - 1);
        for (int i = 0; i < count; i++)
        {
            char c = name[i];
            destination[i] = char.IsAsciiLetterOrDigit(c) || c is '_' or '.' ? (byte)c : (byte)'_';
        }
    }
}
