using System.Runtime.CompilerServices;
using Xunit;

namespace EdgeOS.Net.Tests.Kernel;

/// <summary>
/// The kernel ABI structures, checked against the sizes and offsets in the Linux UAPI headers
/// (include/uapi/linux/bpf.h, if_xdp.h, if_packet.h).
/// </summary>
public sealed class KernelAbiLayoutTests
{
    [Fact]
    public unsafe void StructureSizesMatchTheLinuxUapiHeaders()
    {
        // if_xdp.h
        Assert.Equal(16, sizeof(Interop.Xdp.SockAddrXdp));        // sockaddr_xdp: u16 family, u16 flags, u32 ifindex, u32 queue_id, u32 shared_umem_fd
        Assert.Equal(32, sizeof(Interop.Xdp.RingOffset));         // xdp_ring_offset: 4 x u64
        Assert.Equal(128, sizeof(Interop.Xdp.MmapOffsetsValue));  // xdp_mmap_offsets: rx, tx, fr, cr
        Assert.Equal(32, sizeof(Interop.Xdp.UmemRegistration));   // xdp_umem_reg with flags and tx_metadata_len
        Assert.Equal(48, sizeof(Interop.Xdp.StatisticsValue));    // xdp_statistics: 6 x u64
        Assert.Equal(16, sizeof(Interop.Xdp.Descriptor));         // xdp_desc: u64 addr, u32 len, u32 options

        // if_packet.h
        Assert.Equal(20, sizeof(Interop.PacketSocket.SockAddrLl));      // sockaddr_ll
        Assert.Equal(28, sizeof(Interop.PacketSocket.TPacketReq3));     // tpacket_req3: 7 x unsigned int
        Assert.Equal(48, sizeof(Interop.PacketSocket.TPacket3Header));  // tpacket3_hdr
        Assert.Equal(48, sizeof(Interop.PacketSocket.BlockDescriptor)); // tpacket_block_desc with tpacket_hdr_v1
        Assert.Equal(12, sizeof(Interop.PacketSocket.StatisticsV3));    // tpacket_stats_v3

        // bpf.h
        Assert.Equal(8, sizeof(Interop.Bpf.Instruction));         // bpf_insn
        Assert.Equal(72, sizeof(Interop.Bpf.ProgLoadAttr));       // bpf_attr prefix up to expected_attach_type
        Assert.Equal(44, sizeof(Interop.Bpf.MapCreateAttr));      // bpf_attr prefix up to map_name
        Assert.Equal(32, sizeof(Interop.Bpf.MapElemAttr));        // map_fd, key, value, flags
        Assert.Equal(16, sizeof(Interop.Bpf.LinkCreateAttr));     // prog_fd, target_ifindex, attach_type, flags
    }

    [Fact]
    public void FieldOffsetsMatchTheLinuxUapiHeaders()
    {
        Interop.Bpf.ProgLoadAttr load = default;
        Assert.Equal(32, Offset(ref load, ref load.LogBuf));
        Assert.Equal(68, Offset(ref load, ref load.ExpectedAttachType));

        Interop.PacketSocket.TPacket3Header header = default;
        Assert.Equal(20, Offset(ref header, ref header.Status));
        Assert.Equal(24, Offset(ref header, ref header.Mac));

        Interop.PacketSocket.BlockDescriptor block = default;
        Assert.Equal(8, Offset(ref block, ref block.BlockStatus));
        Assert.Equal(16, Offset(ref block, ref block.OffsetToFirstPacket));
        Assert.Equal(24, Offset(ref block, ref block.SequenceNumber));

        Interop.Xdp.SockAddrXdp address = default;
        Assert.Equal(2, Offset(ref address, ref address.Flags));
        Assert.Equal(12, Offset(ref address, ref address.SharedUmemFd));
    }

    private static int Offset<TStruct, TField>(ref TStruct instance, ref TField field) =>
        (int)Unsafe.ByteOffset(ref Unsafe.As<TStruct, byte>(ref instance), ref Unsafe.As<TField, byte>(ref field));
}
