using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace EdgeOS.Net.Scenario;

/// <summary>
/// The kernel UDP socket baseline at its best: recvmmsg(2) with <see cref="Batch"/> datagrams per call into buffers
/// allocated once, a 16 MiB receive buffer, and optionally SO_BUSY_POLL (the receiving thread runs veth's NAPI poll
/// itself while it waits, instead of being woken by it).
/// </summary>
internal static unsafe partial class BatchSocketReceiver
{
    private const int Batch = 64;
    private const int BufferSize = 2048;
    private const int SolSocket = 1;
    private const int SoRcvBufForce = 33;
    private const int SoBusyPoll = 46;
    private const int SoPreferBusyPoll = 69;
    private const int SoBusyPollBudget = 70;
    private const int MsgDontWait = 0x40;
    private const int MsgWaitForOne = 0x10000;

    /// <summary>
    /// Counts datagrams for <paramref name="seconds"/> after the first. Modes: "sleep" (recvmmsg with MSG_WAITFORONE
    /// blocks until at least one datagram, then takes what is queued), "spin" (MSG_DONTWAIT in a loop), "busy"
    /// (sleep, with SO_BUSY_POLL 200 us and SO_PREFER_BUSY_POLL: the blocking call polls the device first).
    /// </summary>
    internal static int Run(IPAddress address, int port, double seconds, string mode)
    {
        if (mode is not ("sleep" or "spin" or "busy"))
        {
            throw new ArgumentException($"socket receive mode must be sleep, spin or busy, not {mode}");
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        int fd = (int)socket.Handle;
        int bufferBytes = 16 << 20;
        _ = Interop.Sock.SetSockOpt(fd, SolSocket, SoRcvBufForce, &bufferBytes, sizeof(int));
        if (mode == "busy")
        {
            int usec = 200;
            int one = 1;
            int budget = Batch;
            if (Interop.Sock.SetSockOpt(fd, SolSocket, SoBusyPoll, &usec, sizeof(int)) != 0
                || Interop.Sock.SetSockOpt(fd, SolSocket, SoPreferBusyPoll, &one, sizeof(int)) != 0
                || Interop.Sock.SetSockOpt(fd, SolSocket, SoBusyPollBudget, &budget, sizeof(int)) != 0)
            {
                Console.Error.WriteLine($"socket: busy-poll options refused (errno {Marshal.GetLastPInvokeError()})");
                return 1;
            }
        }

        socket.Bind(new IPEndPoint(address, port));
        byte* buffers = (byte*)NativeMemory.Alloc((nuint)(Batch * BufferSize));
        var iov = (IoVec*)NativeMemory.AllocZeroed((nuint)(Batch * sizeof(IoVec)));
        var messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Batch * sizeof(MMsgHdr)));
        for (int i = 0; i < Batch; i++)
        {
            iov[i] = new IoVec { Base = buffers + (i * BufferSize), Length = BufferSize };
            messages[i].Header.Iov = &iov[i];
            messages[i].Header.IovLength = 1;
        }

        // The first datagram starts the clock (blocking, whatever the mode).
        while (ReceiveMMsg(fd, messages, 1, 0, null) <= 0)
        {
        }

        int flags = mode == "spin" ? MsgDontWait : MsgWaitForOne;
        socket.ReceiveTimeout = 100;   // SO_RCVTIMEO: a blocking call returns by the end of the run
        long packets = 0;
        long calls = 0;
        long cpuBefore = ReceiveCpu.Nanoseconds();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        long limit = (long)(seconds * Stopwatch.Frequency);
        while (clock.ElapsedTicks < limit)
        {
            int count = ReceiveMMsg(fd, messages, Batch, flags, null);
            calls++;
            if (count > 0)
            {
                packets += count;
            }
        }

        double elapsed = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        long cpu = ReceiveCpu.Nanoseconds() - cpuBefore;
        string name = $"Socket ({mode})";
        Row.Report(name, packets, elapsed, allocated, cpu);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: recvmmsg x{Batch}, {calls} calls, {(double)packets / Math.Max(calls, 1):F1} datagrams per call; socket drops (receive buffer full) {SocketDrops(port)}"));
        NativeMemory.Free(messages);
        NativeMemory.Free(iov);
        NativeMemory.Free(buffers);
        return 0;
    }

    /// <summary>The drops column of /proc/net/udp for the socket bound to <paramref name="port"/> (-1 if not found).</summary>
    private static long SocketDrops(int port)
    {
        string local = string.Create(CultureInfo.InvariantCulture, $":{port:X4} ");
        foreach (string line in File.ReadLines("/proc/net/udp"))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 12 && (fields[1] + " ").EndsWith(local, StringComparison.Ordinal))
            {
                return long.Parse(fields[^1], CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int ReceiveMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);
}
