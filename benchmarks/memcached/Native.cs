using System.Runtime.InteropServices;

namespace EdgeOS.Benchmarks.Memcached;

/// <summary>The few Linux calls the generator makes itself: epoll and non-blocking socket I/O without .NET's per-operation state.</summary>
internal static partial class Native
{
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const int EpollCtlMod = 3;
    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const int MsgDontWait = 0x40;
    public const int MsgNoSignal = 0x4000;
    public const int EAgain = 11;
    public const int EIntr = 4;

    /// <summary>x86-64 packs epoll_event to 12 bytes; the generator refuses other architectures at start.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockaddrIn
    {
        public ushort Family;
        public ushort PortBigEndian;
        public uint Address;
        public ulong Zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial int epoll_pwait2(int epfd, EpollEvent* events, int maxEvents, Timespec* timeout, void* sigmask);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint sendto(int fd, byte* buffer, nint length, int flags, SockaddrIn* address, int addressLength);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint recvfrom(int fd, byte* buffer, nint length, int flags, SockaddrIn* address, int* addressLength);

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct IoVec
    {
        public byte* Base;
        public nint Length;
    }

    /// <summary>struct mmsghdr (msghdr plus the byte count the kernel fills in), 64 bytes on x86-64.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct MMsgHdr
    {
        public SockaddrIn* Name;
        public int NameLength;
        public IoVec* Iov;
        public nint IovLength;
        public void* Control;
        public nint ControlLength;
        public int Flags;

        // msghdr ends padded to 56 bytes; msg_len follows it at offset 56.
        public int FlagsPadding;
        public uint Length;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial int sendmmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial int recvmmsg(int fd, MMsgHdr* messages, uint count, int flags, Timespec* timeout);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);
}
