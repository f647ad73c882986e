using System.Runtime.InteropServices;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>The Linux calls of the batched UDP front end: epoll, eventfd, recvmmsg and sendmmsg (x86-64 and arm64 layouts).</summary>
internal static unsafe partial class UdpNative
{
    public const int EpollCtlAdd = 1;
    public const int EpollCtlMod = 3;
    public const uint EpollIn = 0x001;
    public const uint EpollOneShot = 1u << 30;
    public const int MsgDontWait = 0x40;
    public const int EAgain = 11;
    public const int EIntr = 4;
    public const short PollOut = 0x004;

    /// <summary>Room for any socket address (sockaddr_in6 is 28 bytes).</summary>
    public const int NameBytes = 32;

    /// <summary>epoll_event: packed to 12 bytes on x86-64, 16 elsewhere; <see cref="EpollEventBytes"/> holds the size.</summary>
    public static readonly int EpollEventBytes = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nint Length;
    }

    /// <summary>struct mmsghdr: msghdr (56 bytes on 64-bit Linux) and the byte count the kernel fills in.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public byte* Name;
        public int NameLength;
        public IoVec* Iov;
        public nint IovLength;
        public void* Control;
        public nint ControlLength;
        public int Flags;
        public int FlagsPadding;
        public uint Length;
        public int LengthPadding;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Returned;
    }

    public static void WriteEvent(byte* at, uint events, ulong data)
    {
        *(uint*)at = events;
        *(ulong*)(at + (EpollEventBytes == 12 ? 4 : 8)) = data;
    }

    public static ulong ReadEventData(byte* at) => *(ulong*)(at + (EpollEventBytes == 12 ? 4 : 8));

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int eventfd(uint initial, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int recvmmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sendmmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);
}
