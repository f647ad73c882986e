using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

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
    private const int BpfProgLoad = 5;
    private const int BpfProgTestRun = 10;
    private const uint BpfProgTypeXdp = 6;
    private const uint BpfFTestXdpLiveFrames = 1u << 1;
    private const int FunctionRedirect = 23;   // BPF_FUNC_redirect
    private const uint XdpRedirect = 4;

    // Repetitions per BPF_PROG_TEST_RUN call: a few tens of milliseconds of sending, so the clock is checked often
    // enough and the source port changes between calls.
    private const uint Repeat = 1 << 18;
    private const uint BatchSize = 64;

    /// <summary>bpf_attr for BPF_PROG_LOAD, the fields used (the rest stays zero).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct ProgramLoadAttribute
    {
        [FieldOffset(0)] public uint ProgramType;
        [FieldOffset(4)] public uint InstructionCount;
        [FieldOffset(8)] public ulong Instructions;
        [FieldOffset(16)] public ulong License;
        [FieldOffset(24)] public uint LogLevel;
        [FieldOffset(28)] public uint LogSize;
        [FieldOffset(32)] public ulong LogBuffer;
    }

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
        uint ifindex = IfNameToIndex(interfaceName);
        if (ifindex == 0)
        {
            Console.Error.WriteLine($"sender: no interface {interfaceName} in this namespace (errno {Marshal.GetLastPInvokeError()})");
            return 1;
        }

        int programFd = LoadRedirectProgram(ifindex);
        if (programFd < 0)
        {
            return 1;
        }

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
            long result = Bpf(BpfProgTestRun, &attribute, (uint)sizeof(TestRunAttribute));
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
        _ = Close(programFd);
        NativeMemory.Free(frame);
        return 0;
    }

    /// <summary>Loads <c>r1 = ifindex; r2 = 0; call bpf_redirect; exit</c> as an XDP program.</summary>
    private static int LoadRedirectProgram(uint ifindex)
    {
        // struct bpf_insn: code (1 byte), dst_reg:4 | src_reg:4 (1 byte), off (2 bytes), imm (4 bytes).
        ulong* instructions = stackalloc ulong[4];
        instructions[0] = Instruction(0xb7, 1, ifindex);                  // BPF_ALU64 | BPF_MOV | BPF_K: r1 = ifindex
        instructions[1] = Instruction(0xb7, 2, 0);                        // r2 = 0 (flags)
        instructions[2] = Instruction(0x85, 0, FunctionRedirect);         // BPF_JMP | BPF_CALL: r0 = bpf_redirect(r1, r2)
        instructions[3] = Instruction(0x95, 0, 0);                        // BPF_JMP | BPF_EXIT: return r0
        byte* license = stackalloc byte[] { (byte)'G', (byte)'P', (byte)'L', 0 };
        const int LogSize = 1 << 16;
        byte* log = (byte*)NativeMemory.AllocZeroed(LogSize);
        var attribute = new ProgramLoadAttribute
        {
            ProgramType = BpfProgTypeXdp,
            InstructionCount = 4,
            Instructions = (ulong)instructions,
            License = (ulong)license,
            LogLevel = 1,
            LogSize = LogSize,
            LogBuffer = (ulong)log,
        };
        int fd = (int)Bpf(BpfProgLoad, &attribute, (uint)sizeof(ProgramLoadAttribute));
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            string text = Marshal.PtrToStringUTF8((nint)log) ?? string.Empty;
            Console.Error.WriteLine($"sender: BPF_PROG_LOAD failed (errno {errno}): {text}");
        }

        NativeMemory.Free(log);
        return fd;
    }

    private static ulong Instruction(byte code, int destination, uint immediate) =>
        code | ((ulong)(destination & 0xF) << 8) | ((ulong)immediate << 32);

    private static long Bpf(int command, void* attribute, uint size) =>
        Syscall(RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 321,
            Architecture.Arm64 => 280,
            _ => throw new PlatformNotSupportedException("bpf(2) syscall number known for x86-64 and arm64 only"),
        }, command, attribute, size);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int command, void* attribute, uint size);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint IfNameToIndex(string name);
}
