using static EdgeOS.Net.Bpf.Internal.BpfAssembler;

namespace EdgeOS.Net.Bpf.Internal;

/// <summary>
/// Generates the XDP program: IPv4 UDP (not fragmented) whose destination port lies in [low, high] is redirected
/// with <c>bpf_redirect_map(xskmap, ctx-&gt;rx_queue_index, XDP_PASS)</c> to the AF_XDP socket of the receiving
/// queue; everything else (ARP, ICMP, IPv6, other ports, fragments, runts) returns XDP_PASS to the kernel stack.
/// </summary>
/// <remarks>
/// Verifier contract: every packet read is preceded by a comparison of (pointer + bytes needed) against
/// data_end on the same register lineage, so the verifier knows the accessed range is inside the packet.
/// The IPv4 header length is variable (IHL * 4, masked to at most 60 bytes), so after adding it to the packet
/// pointer the program checks the bound again before reading the UDP header.
/// </remarks>
internal static class XdpRedirectProgram
{
    internal const int XdpAborted = 0;
    internal const int XdpDrop = 1;
    internal const int XdpPass = 2;

    /// <summary>bpf_redirect_map is helper 51 in the kernel's helper table (include/uapi/linux/bpf.h, __BPF_FUNC_MAPPER).</summary>
    internal const int HelperRedirectMap = 51;

    // struct xdp_md field offsets.
    private const short XdpMdData = 0;
    private const short XdpMdDataEnd = 4;
    private const short XdpMdRxQueueIndex = 16;

    private const int EthernetHeaderBytes = 14;
    private const int Ipv4HeaderBytesMin = 20;
    private const int UdpHeaderBytes = 8;

    internal static Interop.Bpf.Instruction[] Generate(int xskMapFd, ushort portLow, ushort portHigh)
    {
        var asm = new BpfAssembler();
        BpfLabel pass = asm.DefineLabel();

        asm.Mov(BpfRegister.R6, BpfRegister.R1);                                 // r6 = ctx (survives the loads)
        asm.Load(SizeW, BpfRegister.R2, BpfRegister.R1, XdpMdData);              // r2 = data
        asm.Load(SizeW, BpfRegister.R3, BpfRegister.R1, XdpMdDataEnd);           // r3 = data_end

        // Ethernet + minimal IPv4 header present?
        asm.Mov(BpfRegister.R4, BpfRegister.R2);
        asm.Alu(AluAdd, BpfRegister.R4, EthernetHeaderBytes + Ipv4HeaderBytesMin);
        asm.Jump(JmpJgt, BpfRegister.R4, BpfRegister.R3, pass);

        // EtherType == IPv4: the 16-bit load is in host (little-endian) order, so compare with the swapped value.
        asm.Load(SizeH, BpfRegister.R5, BpfRegister.R2, 12);
        asm.HostToBigEndian(BpfRegister.R5, 16);
        asm.Jump(JmpJne, BpfRegister.R5, 0x0800, pass);

        // Version 4, IHL >= 5.
        asm.Load(SizeB, BpfRegister.R5, BpfRegister.R2, EthernetHeaderBytes);
        asm.Mov(BpfRegister.R0, BpfRegister.R5);
        asm.Alu(AluAnd, BpfRegister.R0, 0xF0);
        asm.Jump(JmpJne, BpfRegister.R0, 0x40, pass);
        asm.Alu(AluAnd, BpfRegister.R5, 0x0F);
        asm.Alu(AluLsh, BpfRegister.R5, 2);                                      // r5 = IHL * 4, in [0, 60]
        asm.Jump(JmpJlt, BpfRegister.R5, Ipv4HeaderBytesMin, pass);

        // Protocol == UDP.
        asm.Load(SizeB, BpfRegister.R0, BpfRegister.R2, EthernetHeaderBytes + 9);
        asm.Jump(JmpJne, BpfRegister.R0, 17, pass);

        // Any fragment (MF set or offset != 0) goes to the kernel, which reassembles.
        asm.Load(SizeH, BpfRegister.R0, BpfRegister.R2, EthernetHeaderBytes + 6);
        asm.HostToBigEndian(BpfRegister.R0, 16);
        asm.Jump(JmpJset, BpfRegister.R0, 0x3FFF, pass);

        // UDP header present after the variable-length IPv4 header?
        asm.Alu(AluAdd, BpfRegister.R2, BpfRegister.R5);                         // r2 = data + IHL * 4
        asm.Mov(BpfRegister.R4, BpfRegister.R2);
        asm.Alu(AluAdd, BpfRegister.R4, EthernetHeaderBytes + UdpHeaderBytes);
        asm.Jump(JmpJgt, BpfRegister.R4, BpfRegister.R3, pass);

        // Destination port in [low, high].
        asm.Load(SizeH, BpfRegister.R0, BpfRegister.R2, EthernetHeaderBytes + 2);
        asm.HostToBigEndian(BpfRegister.R0, 16);
        asm.Jump(JmpJlt, BpfRegister.R0, portLow, pass);
        asm.Jump(JmpJgt, BpfRegister.R0, portHigh, pass);

        // return bpf_redirect_map(&xskmap, ctx->rx_queue_index, XDP_PASS): the low flag bits are the action
        // taken when the map has no socket at that index.
        asm.Load(SizeW, BpfRegister.R2, BpfRegister.R6, XdpMdRxQueueIndex);
        asm.LoadMapFd(BpfRegister.R1, xskMapFd);
        asm.Mov(BpfRegister.R3, XdpPass);
        asm.Call(HelperRedirectMap);
        asm.Exit();

        asm.MarkLabel(pass);
        asm.Mov(BpfRegister.R0, XdpPass);
        asm.Exit();
        return asm.Build();
    }
}
