using EdgeOS.Net.Bpf;
using EdgeOS.Net.Bpf.Internal;
using EdgeOS.Net.Internal;
using Xunit;

namespace EdgeOS.Net.Tests.Kernel;

public sealed class BpfProgramTests
{
    [Fact]
    public void AssemblerEncodesInstructionsAsTheKernelDefinesThem()
    {
        var asm = new BpfAssembler();
        BpfLabel end = asm.DefineLabel();
        asm.Mov(BpfRegister.R6, BpfRegister.R1);                        // 0xbf, dst 6, src 1
        asm.Load(BpfAssembler.SizeW, BpfRegister.R2, BpfRegister.R1, 4); // 0x61
        asm.Jump(BpfAssembler.JmpJgt, BpfRegister.R4, BpfRegister.R3, end); // 0x2d
        asm.LoadMapFd(BpfRegister.R1, 42);                               // 0x18 + empty second slot
        asm.HostToBigEndian(BpfRegister.R0, 16);                         // 0xdc
        asm.MarkLabel(end);
        asm.Mov(BpfRegister.R0, 2);                                      // 0xb7
        asm.Exit();                                                      // 0x95
        Interop.Bpf.Instruction[] program = asm.Build();

        Assert.Equal(8, program.Length);
        Assert.Equal((0xbf, 0x16), (program[0].Code, program[0].Registers));
        Assert.Equal((0x61, 0x12, (short)4), (program[1].Code, program[1].Registers, program[1].Offset));
        Assert.Equal((0x2d, 0x34), (program[2].Code, program[2].Registers));
        Assert.Equal(3, program[2].Offset); // skips the 2-slot map load and the byte swap
        Assert.Equal((0x18, 0x11, 42), (program[3].Code, program[3].Registers, program[3].Immediate));
        Assert.Equal((0, 0, 0), (program[4].Code, program[4].Registers, program[4].Immediate));
        Assert.Equal((0xdc, 16), (program[5].Code, program[5].Immediate));
        Assert.Equal((0xb7, 2), (program[6].Code, program[6].Immediate));
        Assert.Equal(0x95, program[7].Code);
    }

    [Fact]
    public void AssemblerRefusesUnmarkedLabel()
    {
        var asm = new BpfAssembler();
        asm.Jump(asm.DefineLabel());
        Assert.Throws<InvalidOperationException>(() => asm.Build());
    }

    [Fact]
    public void GeneratedRedirectProgramIsAcceptedByTheVerifier()
    {
        KernelTestEnvironment.RequireRootNetworking();
        using FileDescriptorHandle map = BpfSyscalls.CreateXskMap(4);
        Interop.Bpf.Instruction[] program = XdpRedirectProgram.Generate(map.Fd, 9000, 9100);
        using FileDescriptorHandle loaded = BpfSyscalls.LoadXdpProgram(program, "edgeos_test");
        Assert.False(loaded.IsInvalid);
    }

    [Fact]
    public void RejectedProgramSurfacesTheVerifierLog()
    {
        KernelTestEnvironment.RequireRootNetworking();

        // Reads the first packet byte without comparing against data_end: the verifier must refuse it.
        var asm = new BpfAssembler();
        asm.Load(BpfAssembler.SizeW, BpfRegister.R2, BpfRegister.R1, 0);
        asm.Load(BpfAssembler.SizeB, BpfRegister.R0, BpfRegister.R2, 0);
        asm.Exit();

        BpfVerifierException error = Assert.Throws<BpfVerifierException>(() => BpfSyscalls.LoadXdpProgram(asm.Build(), "edgeos_bad"));
        Assert.Contains("invalid access to packet", error.VerifierLog, StringComparison.Ordinal);
        Assert.Contains(error.VerifierLog, error.Message, StringComparison.Ordinal);
        Assert.True(error.ErrorNumber is 13 or 22, $"errno {error.ErrorNumber}");
    }

    [Fact]
    public void ProgramAttachedWithLinkIsGoneAfterTheLinkIsClosed()
    {
        using VethNamespace veth = VethNamespace.Create();
        int ifindex = (int)Interop.Sock.IfNameToIndex(veth.HostInterface);
        Assert.True(ifindex > 0);

        using FileDescriptorHandle map = BpfSyscalls.CreateXskMap(1);
        using FileDescriptorHandle program = BpfSyscalls.LoadXdpProgram(XdpRedirectProgram.Generate(map.Fd, 9000, 9000), "edgeos_test");
        FileDescriptorHandle link = BpfSyscalls.AttachXdp(program, ifindex, genericOnly: false, out XdpAttachMode mode);
        try
        {
            Assert.Equal((uint)ifindex, BpfSyscalls.GetLinkInterfaceIndex(link));
            string shown = veth.ShowHostLink();
            Assert.Contains(mode == XdpAttachMode.Native ? "xdp " : "xdpgeneric", shown, StringComparison.Ordinal);
        }
        finally
        {
            // Detach, then close: a bare close detaches only when the last reference to the link's file goes, and a
            // process another test forks at that moment holds a copy until its exec (seen once in 40 runs).
            BpfSyscalls.DetachAndClose(link);
        }

        Assert.DoesNotContain("xdp", veth.ShowHostLink(), StringComparison.Ordinal);
    }
}
