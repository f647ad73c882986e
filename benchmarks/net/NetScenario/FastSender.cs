using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace EdgeOS.Net.Scenario;

/// <summary>
/// The flood sender: prebuilt 64-byte frames written by sendmmsg(2) on an AF_PACKET socket with PACKET_QDISC_BYPASS,
/// 256 frames per call (one syscall per batch instead of one per frame). Source ports rotate over 256 values so
/// hash-based receivers see many flows.
/// </summary>
internal static unsafe partial class FastSender
{
    private const int AfPacket = 17;
    private const int SockRaw = 3;
    private const int SolPacket = 263;
    private const int PacketQdiscBypass = 20;
    private const int Batch = 256;

    [StructLayout(LayoutKind.Sequential)]
    private struct SockAddrLl
    {
        public ushort Family;
        public ushort Protocol;
        public int IfIndex;
        public ushort HaType;
        public byte PktType;
        public byte HaLength;
        public fixed byte Address[8];
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    internal static int Run(string interfaceName, byte[] template, double seconds)
    {
        int ifindex = (int)IfNameToIndex(interfaceName);
        int fd = Socket(AfPacket, SockRaw, 0);
        if (fd < 0 || ifindex == 0)
        {
            Console.Error.WriteLine($"sender: socket/ifindex failed (errno {Marshal.GetLastPInvokeError()})");
            return 1;
        }

        int one = 1;
        _ = SetSockOpt(fd, SolPacket, PacketQdiscBypass, &one, sizeof(int));
        var address = new SockAddrLl { Family = AfPacket, IfIndex = ifindex };
        if (Bind(fd, &address, sizeof(SockAddrLl)) != 0)
        {
            Console.Error.WriteLine($"sender: bind failed (errno {Marshal.GetLastPInvokeError()})");
            return 1;
        }

        byte* frames = (byte*)NativeMemory.AllocZeroed((nuint)(Batch * template.Length));
        var iov = (IoVec*)NativeMemory.AllocZeroed((nuint)(Batch * sizeof(IoVec)));
        var messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Batch * sizeof(MMsgHdr)));
        for (int i = 0; i < Batch; i++)
        {
            byte* frame = frames + (i * template.Length);
            template.CopyTo(new Span<byte>(frame, template.Length));
            int sourcePort = 40000 + i;   // the UDP checksum is 0 ("not computed"), so nothing else changes
            frame[34] = (byte)(sourcePort >> 8);
            frame[35] = (byte)sourcePort;
            iov[i] = new IoVec { Base = frame, Length = (nuint)template.Length };
            messages[i].Header.Name = &address;
            messages[i].Header.NameLength = (uint)sizeof(SockAddrLl);
            messages[i].Header.Iov = &iov[i];
            messages[i].Header.IovLength = 1;
        }

        long sent = 0;
        long calls = 0;
        var clock = Stopwatch.StartNew();
        long limit = (long)(seconds * Stopwatch.Frequency);
        while (clock.ElapsedTicks < limit)
        {
            int count = SendMMsg(fd, messages, Batch, 0);
            calls++;
            if (count > 0)
            {
                sent += count;
            }
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sender (sendmmsg x{Batch}): {sent} frames in {clock.Elapsed.TotalSeconds:F2} s = {sent / clock.Elapsed.TotalSeconds:F0} frames/s, {calls} calls"));
        _ = Close(fd);
        NativeMemory.Free(messages);
        NativeMemory.Free(iov);
        NativeMemory.Free(frames);
        return 0;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, void* address, int addressLength);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, int valueLength);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint IfNameToIndex(string name);
}
