using System.Runtime.InteropServices;

namespace EdgeOS.Net;

internal static partial class Interop
{
    /// <summary>AF_PACKET sockets: constants and structures of include/uapi/linux/if_packet.h. Sizes are asserted in the tests.</summary>
    internal static partial class PacketSocket
    {
        internal const int AfPacket = 17;
        internal const int SolPacket = 263;

        /// <summary>ETH_P_ALL in network byte order (htons(0x0003)), as socket(2) and sockaddr_ll want it.</summary>
        internal const ushort EthPAllNetworkOrder = 0x0300;

        internal const int PacketRxRing = 5;
        internal const int PacketStatistics = 6;
        internal const int PacketVersion = 10;
        internal const int PacketQdiscBypass = 20;
        internal const int PacketIgnoreOutgoing = 23;

        internal const int TPacketV3 = 2;

        internal const uint TpStatusKernel = 0;
        internal const uint TpStatusUser = 1 << 0;

        /// <summary>struct sockaddr_ll (20 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 20)]
        internal unsafe struct SockAddrLl
        {
            [FieldOffset(0)] internal ushort Family;
            [FieldOffset(2)] internal ushort Protocol;
            [FieldOffset(4)] internal int IfIndex;
            [FieldOffset(8)] internal ushort HaType;
            [FieldOffset(10)] internal byte PktType;
            [FieldOffset(11)] internal byte HaLength;
            [FieldOffset(12)] internal fixed byte Address[8];
        }

        /// <summary>struct tpacket_req3 (28 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 28)]
        internal struct TPacketReq3
        {
            [FieldOffset(0)] internal uint BlockSize;
            [FieldOffset(4)] internal uint BlockCount;
            [FieldOffset(8)] internal uint FrameSize;
            [FieldOffset(12)] internal uint FrameCount;
            [FieldOffset(16)] internal uint RetireBlockTimeoutMilliseconds;
            [FieldOffset(20)] internal uint SizeofPriv;
            [FieldOffset(24)] internal uint FeatureRequestWord;
        }

        /// <summary>
        /// struct tpacket_block_desc with its tpacket_hdr_v1 (48 bytes): version, offset_to_priv, then block_status,
        /// num_pkts, offset_to_first_pkt, blk_len, seq_num (8-aligned), ts_first_pkt, ts_last_pkt.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 48)]
        internal struct BlockDescriptor
        {
            [FieldOffset(0)] internal uint Version;
            [FieldOffset(4)] internal uint OffsetToPriv;
            [FieldOffset(8)] internal uint BlockStatus;
            [FieldOffset(12)] internal uint PacketCount;
            [FieldOffset(16)] internal uint OffsetToFirstPacket;
            [FieldOffset(20)] internal uint BlockLength;
            [FieldOffset(24)] internal ulong SequenceNumber;
            [FieldOffset(32)] internal ulong FirstPacketTimestamp;
            [FieldOffset(40)] internal ulong LastPacketTimestamp;
        }

        /// <summary>struct tpacket3_hdr (48 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 48)]
        internal struct TPacket3Header
        {
            [FieldOffset(0)] internal uint NextOffset;
            [FieldOffset(4)] internal uint Seconds;
            [FieldOffset(8)] internal uint Nanoseconds;
            [FieldOffset(12)] internal uint SnapLength;
            [FieldOffset(16)] internal uint Length;
            [FieldOffset(20)] internal uint Status;
            [FieldOffset(24)] internal ushort Mac;
            [FieldOffset(26)] internal ushort Net;
            [FieldOffset(28)] internal uint RxHash;
            [FieldOffset(32)] internal uint VlanTci;
            [FieldOffset(36)] internal ushort VlanTpid;
        }

        /// <summary>struct tpacket_stats_v3 (12 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 12)]
        internal struct StatisticsV3
        {
            [FieldOffset(0)] internal uint Packets;
            [FieldOffset(4)] internal uint Drops;
            [FieldOffset(8)] internal uint FreezeQueueCount;
        }
    }
}
