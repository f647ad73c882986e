using System.Runtime.InteropServices;

namespace EdgeOS.Net;

internal static partial class Interop
{
    /// <summary>AF_XDP sockets: constants and structures of include/uapi/linux/if_xdp.h. Sizes are asserted in the tests.</summary>
    internal static partial class Xdp
    {
        internal const int AfXdp = 44;
        internal const int SolXdp = 283;

        // sockaddr_xdp.sxdp_flags
        internal const ushort SharedUmem = 1 << 0;
        internal const ushort Copy = 1 << 1;
        internal const ushort ZeroCopy = 1 << 2;
        internal const ushort UseNeedWakeup = 1 << 3;

        // xdp_ring_offset.flags bits
        internal const uint RingNeedWakeup = 1 << 0;

        // Socket options at SOL_XDP.
        internal const int MmapOffsets = 1;
        internal const int RxRing = 2;
        internal const int TxRing = 3;
        internal const int UmemReg = 4;
        internal const int UmemFillRing = 5;
        internal const int UmemCompletionRing = 6;
        internal const int Statistics = 7;
        internal const int Options = 8;

        // xdp_options.flags
        internal const uint OptionsZeroCopy = 1 << 0;

        // mmap page offsets of the four rings.
        internal const long PgoffRxRing = 0;
        internal const long PgoffTxRing = 0x80000000;
        internal const long UmemPgoffFillRing = 0x100000000;
        internal const long UmemPgoffCompletionRing = 0x180000000;

        /// <summary>struct sockaddr_xdp (16 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 16)]
        internal struct SockAddrXdp
        {
            [FieldOffset(0)] internal ushort Family;
            [FieldOffset(2)] internal ushort Flags;
            [FieldOffset(4)] internal uint IfIndex;
            [FieldOffset(8)] internal uint QueueId;
            [FieldOffset(12)] internal uint SharedUmemFd;
        }

        /// <summary>struct xdp_ring_offset: byte offsets of producer, consumer, descriptors and flags in a ring mapping (32 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 32)]
        internal struct RingOffset
        {
            [FieldOffset(0)] internal ulong Producer;
            [FieldOffset(8)] internal ulong Consumer;
            [FieldOffset(16)] internal ulong Desc;
            [FieldOffset(24)] internal ulong Flags;
        }

        /// <summary>struct xdp_mmap_offsets: rx, tx, fill, completion (128 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 128)]
        internal struct MmapOffsetsValue
        {
            [FieldOffset(0)] internal RingOffset Rx;
            [FieldOffset(32)] internal RingOffset Tx;
            [FieldOffset(64)] internal RingOffset Fill;
            [FieldOffset(96)] internal RingOffset Completion;
        }

        /// <summary>
        /// struct xdp_umem_reg (32 bytes with tx_metadata_len, added in Linux 6.8 in what was padding; older kernels
        /// accept the 32-byte form too, as long as the trailing word is zero).
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 32)]
        internal struct UmemRegistration
        {
            [FieldOffset(0)] internal ulong Address;
            [FieldOffset(8)] internal ulong Length;
            [FieldOffset(16)] internal uint ChunkSize;
            [FieldOffset(20)] internal uint Headroom;
            [FieldOffset(24)] internal uint Flags;
            [FieldOffset(28)] internal uint TxMetadataLength;
        }

        /// <summary>struct xdp_statistics (48 bytes; older kernels return the first 24).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 48)]
        internal struct StatisticsValue
        {
            [FieldOffset(0)] internal ulong RxDropped;
            [FieldOffset(8)] internal ulong RxInvalidDescs;
            [FieldOffset(16)] internal ulong TxInvalidDescs;
            [FieldOffset(24)] internal ulong RxRingFull;
            [FieldOffset(32)] internal ulong RxFillRingEmptyDescs;
            [FieldOffset(40)] internal ulong TxRingEmptyDescs;
        }

        /// <summary>struct xdp_desc: UMEM address, length, options (16 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 16)]
        internal struct Descriptor
        {
            [FieldOffset(0)] internal ulong Address;
            [FieldOffset(8)] internal uint Length;
            [FieldOffset(12)] internal uint Options;
        }
    }
}
