using System.Buffers.Binary;
using Iced.Intel;
using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Warden.Platforms.Ptrace;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Warden.Tests.Platforms.Ptrace;

/// <summary>Generated programs making system calls and writing memory on the ptrace platform.</summary>
public sealed class PtraceSyscallTests
{
    private const ulong Code = 0x1000_0000;
    private const ulong Data = 0x2000_0000;

    [SkippableFact]
    public void EachSystemCall_ReturnsItsNumberAndArguments_AndResumingContinuesAfterIt()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        var a = new Assembler(64);
        Label[] after = new Label[3];
        // Three calls with numbers no kernel has (they are never run); each passes the previous
        // call's result on as its first argument.
        a.mov(rax, 0x1001);
        a.mov(rdi, 0x11);
        a.mov(rsi, 0x22);
        a.mov(rdx, 0x33);
        a.mov(r10, 0x44);
        a.mov(r8, 0x55);
        a.mov(r9, 0x66);
        a.syscall();
        after[0] = a.CreateLabel();
        a.Label(ref after[0]);
        a.mov(rdi, rax);
        a.mov(rax, 0x1002);
        a.mov(rsi, 0x7777_8888_9999_aaaa);
        a.syscall();
        after[1] = a.CreateLabel();
        a.Label(ref after[1]);
        a.mov(rdi, rax);
        a.mov(rax, 0x1003);
        a.syscall();
        after[2] = a.CreateLabel();
        a.Label(ref after[2]);
        a.ud2();
        (_, AssemblerResult code) = bed.MapCode(space, Code, a);

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;

        (AccessType at, Error? error) = context.Switch(space, arch, -1, out _);
        Assert.Null(error);
        Assert.Equal(default, at);
        ref PtraceRegs r = ref arch.Registers;
        Assert.Equal(0x1001UL, r.Rax);
        Assert.Equal(0x1001UL, r.OrigRax);
        Assert.Equal((0x11UL, 0x22UL, 0x33UL, 0x44UL, 0x55UL, 0x66UL), (r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9));
        Assert.Equal(code.GetLabelRIP(after[0]), r.Rip);

        r.Rax = 0xabc;
        Assert.Null(context.Switch(space, arch, -1, out _).Error);
        Assert.Equal(0x1002UL, r.OrigRax);
        Assert.Equal(0xabcUL, r.Rdi);
        Assert.Equal(0x7777_8888_9999_aaaaUL, r.Rsi);
        Assert.Equal(code.GetLabelRIP(after[1]), r.Rip);

        r.Rax = unchecked((ulong)-38L); // -ENOSYS, as a kernel would say
        Assert.Null(context.Switch(space, arch, -1, out _).Error);
        Assert.Equal(0x1003UL, r.Rax);
        Assert.Equal(unchecked((ulong)-38L), r.Rdi);
        Assert.Equal(code.GetLabelRIP(after[2]), r.Rip);

        // Past the last call, ud2: an illegal instruction, reported as SIGILL at its address.
        (_, error) = context.Switch(space, arch, -1, out SignalInfo info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal(SignalInfo.SIGILL, info.Signo);
        Assert.Equal(code.GetLabelRIP(after[2]), r.Rip);
    }

    [SkippableFact]
    public void RegistersSurviveRoundTrips_IncludingFlagsAndFsBase()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        FileRange data = bed.MapData(space, Data, AccessType.ReadWrite);
        var a = new Assembler(64);
        // Store every general-purpose register and fs:[0] after a system call, so that the test
        // sees what the program saw.
        a.mov(rax, 0x2000);
        a.syscall();
        a.mov(__qword_ptr[Data + 0x00], rbx);
        a.mov(__qword_ptr[Data + 0x08], rbp);
        a.mov(__qword_ptr[Data + 0x10], r12);
        a.mov(__qword_ptr[Data + 0x18], r13);
        a.mov(__qword_ptr[Data + 0x20], r14);
        a.mov(__qword_ptr[Data + 0x28], r15);
        a.mov(rcx, __qword_ptr.fs[0]);
        a.mov(__qword_ptr[Data + 0x30], rcx);
        a.mov(rax, 0x2001);
        a.syscall();
        bed.MapCode(space, Code, a);

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        ref PtraceRegs r = ref arch.Registers;
        r.Rip = Code;
        r.Rbx = 0x0101_0101_0101_0101;
        r.Rbp = 0x0202_0202_0202_0202;
        r.R12 = 0x0303_0303_0303_0303;
        r.R13 = 0x0404_0404_0404_0404;
        r.R14 = 0x0505_0505_0505_0505;
        r.R15 = 0x0606_0606_0606_0606;
        r.FsBase = Data + 0x100;
        BinaryPrimitives.WriteUInt64LittleEndian(bed.Bytes(data)[0x100..], 0xfeed_f00d);
        Assert.Null(context.Switch(space, arch, -1, out _).Error);
        Assert.Equal(0x2000UL, r.OrigRax);
        Assert.Equal(Data + 0x100, r.FsBase);
        r.Rbx++;
        Assert.Null(context.Switch(space, arch, -1, out _).Error);
        Assert.Equal(0x2001UL, r.OrigRax);

        Span<byte> bytes = bed.Bytes(data);
        Assert.Equal(0x0101_0101_0101_0102UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Equal(0x0202_0202_0202_0202UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes[0x08..]));
        Assert.Equal(0x0606_0606_0606_0606UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes[0x28..]));
        Assert.Equal(0xfeed_f00dUL, BinaryPrimitives.ReadUInt64LittleEndian(bytes[0x30..]));
    }

    [SkippableFact]
    public void ProgramWritingAPattern_IsSeenThroughMapInternal()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        const int pages = 3;
        FileRange data = bed.MapData(space, Data, AccessType.ReadWrite, pages);
        var a = new Assembler(64);
        Label loop = a.CreateLabel();
        // for (i = 0; i < 3 pages / 8; i++) ((ulong*)Data)[i] = i * 0x0102030405060708 ^ 0x5a;
        a.mov(rdi, Data);
        a.xor(ecx, ecx);
        a.Label(ref loop);
        a.mov(rax, rcx);
        a.mov(rdx, 0x0102_0304_0506_0708);
        a.imul(rax, rdx);
        a.xor(rax, 0x5a);
        a.mov(__qword_ptr[rdi + rcx * 8], rax);
        a.inc(rcx);
        a.cmp(rcx, pages * (int)PtraceTestBed.Page / 8);
        a.jb(loop);
        a.mov(eax, 0x3000);
        a.syscall();
        bed.MapCode(space, Code, a);

        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        Assert.Null(bed.NewContext().Switch(space, arch, -1, out _).Error);
        Assert.Equal(0x3000UL, arch.Registers.OrigRax);

        Span<byte> bytes = bed.Bytes(data);
        for (ulong i = 0; i < pages * PtraceTestBed.Page / 8; i++)
        {
            Assert.Equal(unchecked((i * 0x0102_0304_0506_0708) ^ 0x5a), BinaryPrimitives.ReadUInt64LittleEndian(bytes[(int)(i * 8)..]));
        }
    }

    [SkippableFact]
    public void OtherSignals_AreReportedWithTheirInfo_AndNeverDelivered()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        var a = new Assembler(64);
        Label trap = a.CreateLabel();
        Label divide = a.CreateLabel();
        a.int3();
        a.Label(ref trap);
        a.xor(ecx, ecx);
        a.Label(ref divide);
        a.div(ecx);
        (_, AssemblerResult code) = bed.MapCode(space, Code, a);

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        (_, Error? error) = context.Switch(space, arch, -1, out SignalInfo info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal(SignalInfo.SIGTRAP, info.Signo);
        Assert.Equal(code.GetLabelRIP(trap), arch.Registers.Rip);

        // Resuming does not deliver the SIGTRAP (which would kill the stub): the program goes on.
        (_, error) = context.Switch(space, arch, -1, out info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal(SignalInfo.SIGFPE, info.Signo);
        Assert.Equal(code.GetLabelRIP(divide), info.Addr);
        Assert.False(space.IsDead);
    }
}
