using System.Runtime.InteropServices;

namespace EdgeOS.Net;

internal static partial class Interop
{
    /// <summary>
    /// socket(2), bind(2), setsockopt(2), getsockopt(2), sendto(2), recvfrom(2), poll(2), close(2) and
    /// if_nametoindex(3) from libc. Constants are the Linux values (identical on x86-64 and arm64).
    /// </summary>
    internal static unsafe partial class Sock
    {
        internal const int SockRaw = 3;
        internal const int SockCloexec = 0x80000;

        internal const int SolSocket = 1;
        internal const int SoRcvBuf = 8;

        internal const int MsgDontWait = 0x40;

        internal const short PollIn = 0x001;
        internal const short PollOut = 0x004;

        internal const int Eintr = 4;
        internal const int Eagain = 11;
        internal const int Enobufs = 105;
        internal const int Ebusy = 16;
        internal const int Enetdown = 100;
        internal const int Eperm = 1;
        internal const int Eacces = 13;
        internal const int Einval = 22;
        internal const int Enospc = 28;
        internal const int Eopnotsupp = 95;
        internal const int Eafnosupport = 97;
        internal const int Enodev = 19;
        internal const int Enxio = 6;

        [StructLayout(LayoutKind.Sequential)]
        internal struct PollFd
        {
            internal int Fd;
            internal short Events;
            internal short Revents;
        }

        [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
        internal static partial int Socket(int domain, int type, int protocol);

        [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
        internal static partial int Bind(int fd, void* address, int addressLength);

        [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
        internal static partial int SetSockOpt(int fd, int level, int name, void* value, int valueLength);

        [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
        internal static partial int GetSockOpt(int fd, int level, int name, void* value, int* valueLength);

        [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
        internal static partial nint SendTo(int fd, void* buffer, nuint length, int flags, void* address, int addressLength);

        [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
        internal static partial nint RecvFrom(int fd, void* buffer, nuint length, int flags, void* address, int* addressLength);

        [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
        internal static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        internal static partial int Close(int fd);

        [LibraryImport("libc", EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint IfNameToIndex(string name);
    }

    /// <summary>eventfd(2) and the read(2)/write(2) of its 8-byte counter (<see cref="ReceiveWakeup"/>).</summary>
    internal static unsafe partial class EventFd
    {
        internal const int NonBlock = 0x800;
        internal const int CloseOnExec = 0x80000;

        [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
        internal static partial int Create(uint initialValue, int flags);

        [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
        internal static partial nint Read(int fd, void* buffer, nuint count);

        [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
        internal static partial nint Write(int fd, void* buffer, nuint count);
    }

    /// <summary>mmap(2) and munmap(2) for the kernel-shared rings (this package's own copy: Core's interop is internal to Core).</summary>
    internal static unsafe partial class Mman
    {
        internal const int ProtRead = 0x1;
        internal const int ProtWrite = 0x2;
        internal const int MapShared = 0x01;
        internal const int MapPrivate = 0x02;
        internal const int MapAnonymous = 0x20;
        internal const int MapPopulate = 0x8000;

        internal static readonly nint MapFailed = -1;

        [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
        internal static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

        [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
        internal static partial int Munmap(nint address, nuint length);
    }
}
