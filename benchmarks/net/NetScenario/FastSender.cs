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
    private const int SolSocket = 1;
    private const int SoSndBufForce = 32;

    // An skb sent through a veth pair keeps its sending socket's reference (and its place in that socket's send buffer)
    // in the other namespace until the receiver frees it; a kernel UDP socket holds it until recvmmsg(2) takes it. With
    // the default send buffer (about 200 KiB, some 250 frames) the sender would block, waiting for the receiver, so
    // the flood would not be "as fast as it can": 64 MiB (SO_SNDBUFFORCE, root) lifts that limit.
    private const int SendBufferBytes = 64 << 20;
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

    // An AF_PACKET raw socket and the interface's index; false (after saying why) if either fails.
    private static bool OpenPacketSocket(string interfaceName, out int fd, out int ifindex)
    {
        ifindex = (int)Interop.Sock.IfNameToIndex(interfaceName);
        fd = Interop.Sock.Socket(AfPacket, SockRaw, 0);
        if (fd < 0 || ifindex == 0)
        {
            Console.Error.WriteLine($"sender: socket/ifindex failed (errno {Marshal.GetLastPInvokeError()})");
            return false;
        }

        return true;
    }

    internal static int Run(string interfaceName, byte[] template, double seconds)
    {
        if (!OpenPacketSocket(interfaceName, out int fd, out int ifindex))
        {
            return 1;
        }

        int one = 1;
        int sendBuffer = SendBufferBytes;
        _ = Interop.Sock.SetSockOpt(fd, SolPacket, PacketQdiscBypass, &one, sizeof(int));
        _ = Interop.Sock.SetSockOpt(fd, SolSocket, SoSndBufForce, &sendBuffer, sizeof(int));
        var address = new SockAddrLl { Family = AfPacket, IfIndex = ifindex };
        if (Interop.Sock.Bind(fd, &address, sizeof(SockAddrLl)) != 0)
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
        _ = Interop.Sock.Close(fd);
        NativeMemory.Free(messages);
        NativeMemory.Free(iov);
        NativeMemory.Free(frames);
        return 0;
    }

    /// <summary>
    /// The TX_RING sender: TPACKET_V2 transmit ring of <see cref="RingFrames"/> 128-byte slots on an AF_PACKET socket
    /// with PACKET_QDISC_BYPASS, the frames written once; each round marks every slot the kernel has finished with
    /// (TP_STATUS_AVAILABLE) as TP_STATUS_SEND_REQUEST and calls send(2) once, which transmits all marked slots. So
    /// one syscall per up to 2048 frames and no per-frame copy from user space (the kernel still builds one skb per
    /// frame).
    /// </summary>
    internal static int RunRing(string interfaceName, byte[] template, double seconds)
    {
        const int PacketVersion = 10;
        const int PacketTxRing = 13;
        const int TpacketV2 = 1;
        const int FrameSize = 128;
        const int BlockSize = 4096;
        const int DataOffset = 32;   // TPACKET2_HDRLEN - sizeof(sockaddr_ll): the aligned tpacket2_hdr
        const uint StatusAvailable = 0;
        const uint StatusSendRequest = 1;
        const uint StatusSending = 2;
        if (!OpenPacketSocket(interfaceName, out int fd, out int ifindex))
        {
            return 1;
        }

        int one = 1;
        int version = TpacketV2;
        int sendBuffer = SendBufferBytes;
        var request = new TPacketRequest { BlockSize = BlockSize, BlockCount = RingFrames * FrameSize / BlockSize, FrameSize = FrameSize, FrameCount = RingFrames };
        var address = new SockAddrLl { Family = AfPacket, IfIndex = ifindex };
        if (Interop.Sock.SetSockOpt(fd, SolPacket, PacketQdiscBypass, &one, sizeof(int)) != 0
            || Interop.Sock.SetSockOpt(fd, SolSocket, SoSndBufForce, &sendBuffer, sizeof(int)) != 0
            || Interop.Sock.SetSockOpt(fd, SolPacket, PacketVersion, &version, sizeof(int)) != 0
            || Interop.Sock.SetSockOpt(fd, SolPacket, PacketTxRing, &request, sizeof(TPacketRequest)) != 0
            || Interop.Sock.Bind(fd, &address, sizeof(SockAddrLl)) != 0)
        {
            Console.Error.WriteLine($"sender: TX_RING set-up failed (errno {Marshal.GetLastPInvokeError()})");
            return 1;
        }

        nuint length = (nuint)(RingFrames * FrameSize);
        byte* ring = (byte*)Mmap(null, length, 3 /* PROT_READ | PROT_WRITE */, 1 /* MAP_SHARED */, fd, 0);
        if (ring == (byte*)-1)
        {
            Console.Error.WriteLine($"sender: mmap failed (errno {Marshal.GetLastPInvokeError()})");
            return 1;
        }

        for (int i = 0; i < RingFrames; i++)
        {
            byte* slot = ring + (i * FrameSize);
            Span<byte> data = new(slot + DataOffset, template.Length);
            template.CopyTo(data);
            int sourcePort = 40000 + (i & 255);
            data[34] = (byte)(sourcePort >> 8);
            data[35] = (byte)sourcePort;
            ((uint*)slot)[1] = (uint)template.Length;   // tp_len
            ((uint*)slot)[2] = (uint)template.Length;   // tp_snaplen
        }

        long sent = 0;
        long calls = 0;
        long errors = 0;
        int next = 0;
        var clock = Stopwatch.StartNew();
        long limit = (long)(seconds * Stopwatch.Frequency);
        while (clock.ElapsedTicks < limit)
        {
            // Mark the slots the kernel has released, in ring order (the kernel walks the ring from where it stopped).
            int marked = 0;
            while (marked < RingFrames)
            {
                uint* status = (uint*)(ring + (next * FrameSize));
                uint value = Volatile.Read(ref *status);
                if (value is StatusSendRequest or StatusSending)
                {
                    break;
                }

                if (value != StatusAvailable)
                {
                    errors++;   // TP_STATUS_WRONG_FORMAT: cannot happen with these frames; counted, resent
                }

                Volatile.Write(ref *status, StatusSendRequest);
                next = (next + 1) & (RingFrames - 1);
                marked++;
            }

            sent += marked;
            calls++;
            _ = Send(fd, null, 0, 0x40 /* MSG_DONTWAIT */);
        }

        // Frames still marked when the clock ran out were counted but may not have gone: subtract them.
        for (int i = 0; i < RingFrames; i++)
        {
            if (Volatile.Read(ref *(uint*)(ring + (i * FrameSize))) is StatusSendRequest or StatusSending)
            {
                sent--;
            }
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sender (TX_RING x{RingFrames}): {sent} frames in {clock.Elapsed.TotalSeconds:F2} s = {sent / clock.Elapsed.TotalSeconds:F0} frames/s, {calls} calls, {errors} wrong-format"));
        _ = Munmap(ring, length);
        _ = Interop.Sock.Close(fd);
        return 0;
    }

    private const int RingFrames = 8192;

    [StructLayout(LayoutKind.Sequential)]
    private struct TPacketRequest
    {
        public uint BlockSize;
        public uint BlockCount;
        public uint FrameSize;
        public uint FrameCount;
    }

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int fd, void* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);
}
