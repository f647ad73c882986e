using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using EdgeOS.Net.Bpf;
using EdgeOS.Net.Bpf.Internal;
using EdgeOS.Net.Internal;

namespace EdgeOS.Net.Scenario;

/// <summary>
/// The flood sender that hands veth xdp_frames instead of skbs: bpf(2) BPF_PROG_TEST_RUN with
/// BPF_F_TEST_XDP_LIVE_FRAMES (Linux 5.18 and later) on a four-instruction XDP program that returns
/// bpf_redirect(ifindex of the sending veth end, 0). In that mode the kernel runs the program <c>repeat</c> times on
/// copies of the frame held in a page pool and carries out its verdict for real: each redirect goes through the
/// target device's ndo_xdp_xmit, which for veth puts the xdp_frame straight on the peer's receive ring.
/// </summary>
/// <remarks>
/// Why: an skb from any socket-based sender (AF_PACKET, a UDP socket, AF_XDP in copy mode) has less than
/// XDP_PACKET_HEADROOM (256 bytes) in front of its data, so when the receiving end has an XDP program, veth copies every
/// such skb into a new page before running the program (veth_convert_skb_to_xdp_buff) and frees the skb: a cost a
/// real NIC's receive path does not have, and about a third of the XDP receive time measured here. An xdp_frame from
/// the page pool already has the headroom, so veth runs the program on it in place; without an XDP program, veth
/// builds the skb for the stack from the frame (in bulk), so the socket and packet-socket rows get the frames the same
/// way. The process must run in the sender's network namespace: the ifindex is looked up there.
/// Rules kept (net/bpf/test_run.c): data_out and ctx_out zero, batch_size at most 256 (0 means 64), the frame at least
/// an Ethernet header long; no context is passed, so the frame "arrives" on the namespace's loopback device and the
/// program sends it on.
/// </remarks>
internal static unsafe partial class LiveFrameSender
{
    private const int BpfProgTestRun = 10;
    private const uint BpfFTestXdpLiveFrames = 1u << 1;
    private const int FunctionRedirect = 23;   // BPF_FUNC_redirect
    private const uint XdpRedirect = 4;

    // Repetitions per BPF_PROG_TEST_RUN call: a few tens of milliseconds of sending, so the clock is checked often
    // enough and the source port changes between calls.
    private const uint Repeat = 1 << 18;
    private const uint BatchSize = 64;

    /// <summary>bpf_attr's "test" member (BPF_PROG_TEST_RUN), all of it up to batch_size.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 80)]
    private struct TestRunAttribute
    {
        [FieldOffset(0)] public uint ProgramFd;
        [FieldOffset(4)] public uint ReturnValue;
        [FieldOffset(8)] public uint DataSizeIn;
        [FieldOffset(12)] public uint DataSizeOut;
        [FieldOffset(16)] public ulong DataIn;
        [FieldOffset(24)] public ulong DataOut;
        [FieldOffset(32)] public uint Repeat;
        [FieldOffset(36)] public uint Duration;
        [FieldOffset(40)] public uint ContextSizeIn;
        [FieldOffset(44)] public uint ContextSizeOut;
        [FieldOffset(48)] public ulong ContextIn;
        [FieldOffset(56)] public ulong ContextOut;
        [FieldOffset(64)] public uint Flags;
        [FieldOffset(68)] public uint Cpu;
        [FieldOffset(72)] public uint BatchSize;
    }

    internal static int Run(string interfaceName, byte[] template, double seconds)
    {
        uint ifindex = Interop.Sock.IfNameToIndex(interfaceName);
        if (ifindex == 0)
        {
            Console.Error.WriteLine($"sender: no interface {interfaceName} in this namespace (errno {Marshal.GetLastPInvokeError()})");
            return 1;
        }

        FileDescriptorHandle program;
        try
        {
            program = LoadRedirectProgram(ifindex);
        }
        catch (Exception e) when (e is BpfVerifierException or NetPrivilegeException or IOException)
        {
            Console.Error.WriteLine($"sender: BPF_PROG_LOAD failed: {e.Message}");
            return 1;
        }

        using (program)
        {
            return Send(interfaceName, program.Fd, template, seconds);
        }
    }

    private static int Send(string interfaceName, int programFd, byte[] template, double seconds)
    {
        byte* frame = (byte*)NativeMemory.Alloc((nuint)template.Length);
        template.CopyTo(new Span<byte>(frame, template.Length));
        long sent = 0;
        long calls = 0;
        long failures = 0;
        int lastErrno = 0;
        var clock = Stopwatch.StartNew();
        long limit = (long)(seconds * Stopwatch.Frequency);
        while (clock.ElapsedTicks < limit)
        {
            // 64 source ports, one per call (the UDP checksum is 0, "not computed", so nothing else changes).
            int sourcePort = 40000 + (int)(calls & 63);
            frame[34] = (byte)(sourcePort >> 8);
            frame[35] = (byte)sourcePort;
            var attribute = new TestRunAttribute
            {
                ProgramFd = (uint)programFd,
                DataSizeIn = (uint)template.Length,
                DataIn = (ulong)frame,
                Repeat = Repeat,
                Flags = BpfFTestXdpLiveFrames,
                BatchSize = BatchSize,
            };
            long result = Interop.Bpf.Syscall(Interop.Bpf.SyscallNumber, BpfProgTestRun, &attribute, sizeof(TestRunAttribute));
            calls++;
            if (result != 0)
            {
                // EINTR (a signal) ends a call early without saying how far it got: not counted, retried. Anything
                // else is fatal: EINVAL here means a kernel without live frames (before 5.18).
                lastErrno = Marshal.GetLastPInvokeError();
                failures++;
                if (lastErrno != 4 /* EINTR */)
                {
                    Console.Error.WriteLine($"sender: BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES failed (errno {lastErrno}; EINVAL: the kernel lacks live frames, Linux 5.18 or later needed; SENDER=sendmmsg works everywhere)");
                    return 1;
                }

                continue;
            }

            sent += Repeat;
        }

        double elapsed = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sender (XDP live frames, bpf_redirect to {interfaceName}, repeat {Repeat}, batch {BatchSize}): {sent} frames run in {elapsed:F2} s = {sent / elapsed:F0} frames/s, {calls} calls, {failures} failed (last errno {lastErrno}); veth drops what its ring cannot take"));
        NativeMemory.Free(frame);
        return 0;
    }

    /// <summary>Loads <c>r1 = ifindex; r2 = 0; call bpf_redirect; exit</c> as an XDP program (EdgeOS.Net's assembler and loader).</summary>
    private static FileDescriptorHandle LoadRedirectProgram(uint ifindex)
    {
        var asm = new BpfAssembler();
        asm.Mov(BpfRegister.R1, (int)ifindex);
        asm.Mov(BpfRegister.R2, 0);             // flags
        asm.Call(FunctionRedirect);             // r0 = bpf_redirect(r1, r2)
        asm.Exit();
        return BpfSyscalls.LoadXdpProgram(asm.Build(), "edgeos-live-tx");
    }
}
