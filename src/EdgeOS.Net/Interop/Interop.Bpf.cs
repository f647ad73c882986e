using System.Runtime.InteropServices;

namespace EdgeOS.Net;

internal static partial class Interop
{
    /// <summary>
    /// The bpf(2) system call, reached through libc's syscall(2) (glibc has no bpf wrapper). Layouts follow
    /// include/uapi/linux/bpf.h (union bpf_attr); each attribute struct below declares only the prefix of the
    /// union member this package fills, and the kernel accepts a shorter attr as long as it is the prefix of
    /// a known layout (bytes past the given size are treated as zero). Sizes are asserted in the tests.
    /// </summary>
    internal static unsafe partial class Bpf
    {
        // enum bpf_cmd
        internal const int MapCreate = 0;
        internal const int MapUpdateElem = 2;
        internal const int ProgLoad = 5;
        internal const int ObjGetInfoByFd = 15;
        internal const int LinkCreate = 28;
        internal const int LinkDetach = 34;

        // enum bpf_map_type
        internal const uint MapTypeXskMap = 17;

        // enum bpf_prog_type
        internal const uint ProgTypeXdp = 6;

        // enum bpf_attach_type
        internal const uint AttachTypeXdp = 37;

        // bpf_map_update_elem flags
        internal const ulong Any = 0;

        // include/uapi/linux/if_link.h
        internal const uint XdpFlagsUpdateIfNoExist = 1u << 0;
        internal const uint XdpFlagsSkbMode = 1u << 1;
        internal const uint XdpFlagsDrvMode = 1u << 2;

        /// <summary>Verifier log level 1: the instruction trace of the failing path.</summary>
        internal const uint LogLevelVerbose = 1;

        internal const int ObjNameLength = 16;

        /// <summary>The syscall number of bpf(2): 321 on x86-64, 280 on arm64 (asm-generic).</summary>
        internal static long SyscallNumber => RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 321,
            Architecture.Arm64 => 280,
            _ => -1,
        };

        /// <summary>union bpf_attr, BPF_MAP_CREATE member up to map_name (44 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 44)]
        internal struct MapCreateAttr
        {
            [FieldOffset(0)] internal uint MapType;
            [FieldOffset(4)] internal uint KeySize;
            [FieldOffset(8)] internal uint ValueSize;
            [FieldOffset(12)] internal uint MaxEntries;
            [FieldOffset(16)] internal uint MapFlags;
            [FieldOffset(20)] internal uint InnerMapFd;
            [FieldOffset(24)] internal uint NumaNode;
            [FieldOffset(28)] internal fixed byte MapName[ObjNameLength];
        }

        /// <summary>union bpf_attr, BPF_MAP_*_ELEM member (32 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 32)]
        internal struct MapElemAttr
        {
            [FieldOffset(0)] internal uint MapFd;
            [FieldOffset(8)] internal ulong Key;
            [FieldOffset(16)] internal ulong Value;
            [FieldOffset(24)] internal ulong Flags;
        }

        /// <summary>union bpf_attr, BPF_PROG_LOAD member up to expected_attach_type (72 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 72)]
        internal struct ProgLoadAttr
        {
            [FieldOffset(0)] internal uint ProgType;
            [FieldOffset(4)] internal uint InsnCount;
            [FieldOffset(8)] internal ulong Insns;
            [FieldOffset(16)] internal ulong License;
            [FieldOffset(24)] internal uint LogLevel;
            [FieldOffset(28)] internal uint LogSize;
            [FieldOffset(32)] internal ulong LogBuf;
            [FieldOffset(40)] internal uint KernVersion;
            [FieldOffset(44)] internal uint ProgFlags;
            [FieldOffset(48)] internal fixed byte ProgName[ObjNameLength];
            [FieldOffset(64)] internal uint ProgIfIndex;
            [FieldOffset(68)] internal uint ExpectedAttachType;
        }

        /// <summary>union bpf_attr, BPF_LINK_CREATE member up to flags (16 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 16)]
        internal struct LinkCreateAttr
        {
            [FieldOffset(0)] internal uint ProgFd;
            [FieldOffset(4)] internal uint TargetIfIndex;
            [FieldOffset(8)] internal uint AttachType;
            [FieldOffset(12)] internal uint Flags;
        }

        /// <summary>union bpf_attr, BPF_OBJ_GET_INFO_BY_FD member (16 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 16)]
        internal struct ObjGetInfoAttr
        {
            [FieldOffset(0)] internal uint BpfFd;
            [FieldOffset(4)] internal uint InfoLength;
            [FieldOffset(8)] internal ulong Info;
        }

        /// <summary>struct bpf_link_info, the common prefix and the xdp member (ifindex at offset 16); 24 bytes read.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 24)]
        internal struct LinkInfo
        {
            [FieldOffset(0)] internal uint Type;
            [FieldOffset(4)] internal uint Id;
            [FieldOffset(8)] internal uint ProgId;
            [FieldOffset(16)] internal uint XdpIfIndex;
        }

        /// <summary>struct bpf_insn: opcode, dst_reg:4 | src_reg:4, signed 16-bit offset, signed 32-bit immediate (8 bytes).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 8)]
        internal struct Instruction
        {
            [FieldOffset(0)] internal byte Code;
            [FieldOffset(1)] internal byte Registers;
            [FieldOffset(2)] internal short Offset;
            [FieldOffset(4)] internal int Immediate;
        }

        // syscall(2) is variadic; on x86-64 and arm64 Linux the integer arguments travel in the same registers as
        // for this fixed prototype, and glibc's implementation only moves them into the kernel's registers.
        [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
        internal static partial long Syscall(long number, long command, void* attribute, long size);
    }
}
