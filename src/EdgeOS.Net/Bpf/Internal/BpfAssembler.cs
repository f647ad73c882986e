using System.Globalization;

namespace EdgeOS.Net.Bpf.Internal;

/// <summary>The eBPF registers: R0 return value, R1-R5 arguments (clobbered by calls), R6-R9 callee-saved, R10 frame pointer.</summary>
internal enum BpfRegister : byte
{
    R0 = 0,
    R1 = 1,
    R2 = 2,
    R3 = 3,
    R4 = 4,
    R5 = 5,
    R6 = 6,
    R7 = 7,
    R8 = 8,
    R9 = 9,
    R10 = 10,
}

/// <summary>A forward or backward jump target of a <see cref="BpfAssembler"/>.</summary>
internal readonly record struct BpfLabel(int Id);

/// <summary>
/// A tiny eBPF assembler: emits <c>struct bpf_insn</c> words (opcode = class | size/op | mode/source, see
/// include/uapi/linux/bpf_common.h and bpf.h) and resolves labels to the relative jump offsets the kernel
/// expects (offset counted in instructions from the one after the jump).
/// </summary>
internal sealed class BpfAssembler
{
    // Instruction classes.
    internal const byte ClassLd = 0x00;
    internal const byte ClassLdx = 0x01;
    internal const byte ClassAlu = 0x04;
    internal const byte ClassJmp = 0x05;
    internal const byte ClassAlu64 = 0x07;

    // Sizes for loads.
    internal const byte SizeW = 0x00;
    internal const byte SizeH = 0x08;
    internal const byte SizeB = 0x10;
    internal const byte SizeDw = 0x18;

    // Modes.
    internal const byte ModeImm = 0x00;
    internal const byte ModeMem = 0x60;

    // ALU operations.
    internal const byte AluAdd = 0x00;
    internal const byte AluSub = 0x10;
    internal const byte AluOr = 0x40;
    internal const byte AluAnd = 0x50;
    internal const byte AluLsh = 0x60;
    internal const byte AluRsh = 0x70;
    internal const byte AluMov = 0xb0;
    internal const byte AluEnd = 0xd0;

    // Jump operations.
    internal const byte JmpJa = 0x00;
    internal const byte JmpJeq = 0x10;
    internal const byte JmpJgt = 0x20;
    internal const byte JmpJge = 0x30;
    internal const byte JmpJset = 0x40;
    internal const byte JmpJne = 0x50;
    internal const byte JmpCall = 0x80;
    internal const byte JmpExit = 0x90;
    internal const byte JmpJlt = 0xa0;
    internal const byte JmpJle = 0xb0;

    // Operand source: immediate or register.
    internal const byte SourceK = 0x00;
    internal const byte SourceX = 0x08;

    // Byte-swap direction for AluEnd.
    internal const byte ToBigEndian = 0x08;

    /// <summary>src_reg value marking a 64-bit immediate load as a map file descriptor.</summary>
    internal const byte PseudoMapFd = 1;

    /// <summary>The kernel's limit for unprivileged programs; ours stay far below it.</summary>
    internal const int InstructionsMax = 4096;

    private readonly List<Interop.Bpf.Instruction> _instructions = [];
    private readonly List<int> _labelPositions = [];
    private readonly List<(int Index, BpfLabel Label)> _fixups = [];

    internal int Count => _instructions.Count;

    internal BpfLabel DefineLabel()
    {
        _labelPositions.Add(-1);
        return new BpfLabel(_labelPositions.Count - 1);
    }

    internal void MarkLabel(BpfLabel label)
    {
        if (_labelPositions[label.Id] >= 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Label {label.Id} is already marked."));
        }

        _labelPositions[label.Id] = _instructions.Count;
    }

    /// <summary>dst = src (64-bit).</summary>
    internal void Mov(BpfRegister destination, BpfRegister source) => Emit(ClassAlu64 | AluMov | SourceX, destination, source, 0, 0);

    /// <summary>dst = imm (64-bit, sign-extended).</summary>
    internal void Mov(BpfRegister destination, int immediate) => Emit(ClassAlu64 | AluMov | SourceK, destination, 0, 0, immediate);

    /// <summary>dst = dst op imm (64-bit).</summary>
    internal void Alu(byte operation, BpfRegister destination, int immediate) => Emit((byte)(ClassAlu64 | operation | SourceK), destination, 0, 0, immediate);

    /// <summary>dst = dst op src (64-bit).</summary>
    internal void Alu(byte operation, BpfRegister destination, BpfRegister source) => Emit((byte)(ClassAlu64 | operation | SourceX), destination, source, 0, 0);

    /// <summary>dst = *(size *)(src + offset), zero-extended.</summary>
    internal void Load(byte size, BpfRegister destination, BpfRegister source, short offset) => Emit((byte)(ClassLdx | size | ModeMem), destination, source, offset, 0);

    /// <summary>dst = byte-swap the low <paramref name="bits"/> of dst from host to big-endian (network) order.</summary>
    internal void HostToBigEndian(BpfRegister destination, int bits) => Emit(ClassAlu | AluEnd | ToBigEndian, destination, 0, 0, bits);

    /// <summary>if (dst op imm) goto label.</summary>
    internal void Jump(byte operation, BpfRegister destination, int immediate, BpfLabel target)
    {
        _fixups.Add((_instructions.Count, target));
        Emit((byte)(ClassJmp | operation | SourceK), destination, 0, 0, immediate);
    }

    /// <summary>if (dst op src) goto label.</summary>
    internal void Jump(byte operation, BpfRegister destination, BpfRegister source, BpfLabel target)
    {
        _fixups.Add((_instructions.Count, target));
        Emit((byte)(ClassJmp | operation | SourceX), destination, source, 0, 0);
    }

    /// <summary>goto label.</summary>
    internal void Jump(BpfLabel target)
    {
        _fixups.Add((_instructions.Count, target));
        Emit(ClassJmp | JmpJa, 0, 0, 0, 0);
    }

    /// <summary>dst = the map with file descriptor <paramref name="mapFd"/> (a two-slot 64-bit immediate load the kernel rewrites to the map pointer).</summary>
    internal void LoadMapFd(BpfRegister destination, int mapFd)
    {
        Emit(ClassLd | SizeDw | ModeImm, destination, (BpfRegister)PseudoMapFd, 0, mapFd);
        Emit(0, 0, 0, 0, 0);
    }

    /// <summary>r0 = helper(r1, ..., r5).</summary>
    internal void Call(int helper) => Emit(ClassJmp | JmpCall, 0, 0, 0, helper);

    /// <summary>return r0.</summary>
    internal void Exit() => Emit(ClassJmp | JmpExit, 0, 0, 0, 0);

    /// <summary>Resolves the labels and returns the program. Throws if a label was never marked or a jump is out of range.</summary>
    internal Interop.Bpf.Instruction[] Build()
    {
        Interop.Bpf.Instruction[] program = [.. _instructions];
        foreach ((int index, BpfLabel label) in _fixups)
        {
            int target = _labelPositions[label.Id];
            if (target < 0)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Label {label.Id} used by instruction {index} was never marked."));
            }

            int relative = target - (index + 1);
            if (relative is < short.MinValue or > short.MaxValue)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Jump at instruction {index} is out of range ({relative})."));
            }

            program[index].Offset = (short)relative;
        }

        if (program.Length > InstructionsMax)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The program has {program.Length} instructions, more than {InstructionsMax}."));
        }

        return program;
    }

    private void Emit(byte code, BpfRegister destination, BpfRegister source, short offset, int immediate) =>
        _instructions.Add(new Interop.Bpf.Instruction
        {
            Code = code,
            Registers = (byte)((byte)destination | ((byte)source << 4)),
            Offset = offset,
            Immediate = immediate,
        });
}
