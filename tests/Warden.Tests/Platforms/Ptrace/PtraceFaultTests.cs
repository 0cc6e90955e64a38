using System.Buffers.Binary;
using Iced.Intel;
using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Warden.Platforms.Ptrace;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Warden.Tests.Platforms.Ptrace;

/// <summary>
/// Memory faults: SIGSEGV with the fault address, and the access type decoded from the faulting
/// instruction, exact for reads, writes and instruction fetches.
/// </summary>
public sealed class PtraceFaultTests
{
    private const ulong Code = 0x1000_0000;
    private const ulong Hole = 0x5000_0000;
    private const ulong Data = 0x6000_0000;

    private static (AccessType At, SignalInfo Info, ArchContext Arch) RunToFault(PtraceTestBed bed, PtraceAddressSpace space, Action<Assembler> program, Action<ArchContext>? setUp = null)
    {
        var a = new Assembler(64);
        program(a);
        a.mov(eax, 0x4444);
        a.syscall();
        bed.MapCode(space, Code, a);
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        arch.Registers.Rsp = Data + PtraceTestBed.Page;
        setUp?.Invoke(arch);
        (AccessType at, Error? error) = bed.NewContext().Switch(space, arch, -1, out SignalInfo info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        return (at, info, arch);
    }

    public static TheoryData<string, ulong, AccessType> UnmappedAccesses => new()
    {
        { "mov rax, [hole]", Hole + 0x123, AccessType.ReadOnly },
        { "mov [hole], al", Hole + 0x456, AccessType.WriteOnly },
        { "add qword [hole], 1", Hole + 0x10, AccessType.ReadWrite },
        { "lock cmpxchg [hole], ecx", Hole + 0x20, AccessType.ReadWrite },
        { "movdqu xmm0, [hole]", Hole + 0x7, AccessType.ReadOnly },
        { "movdqu [hole], xmm0", Hole + 0x9, AccessType.WriteOnly },
        { "push (stack in hole)", Hole + 0x1000 - 8, AccessType.WriteOnly },
        { "pop (stack in hole)", Hole + 0x800, AccessType.ReadOnly },
        { "jmp hole", Hole + 0x40, AccessType.ExecuteOnly },
        { "call hole", Hole, AccessType.ExecuteOnly },
        { "movsb from hole", Hole + 3, AccessType.ReadOnly },
        { "movsb to hole", Hole + 5, AccessType.WriteOnly },
        { "rep stosq to hole", Hole + 0x100, AccessType.WriteOnly },
    };

    [SkippableTheory]
    [MemberData(nameof(UnmappedAccesses))]
    public void AccessToAnUnmappedAddress_IsSigsegvMapErr_WithTheExactAccessType(string instruction, ulong address, AccessType expected)
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        bed.MapData(space, Data, AccessType.ReadWrite);
        (AccessType at, SignalInfo info, ArchContext arch) = RunToFault(bed, space, a =>
        {
            switch (instruction)
            {
                case "mov rax, [hole]":
                    a.mov(rax, __qword_ptr[address]);
                    break;
                case "mov [hole], al":
                    a.mov(rbx, address);
                    a.mov(__byte_ptr[rbx], al);
                    break;
                case "add qword [hole], 1":
                    a.mov(rsi, address - 0x10);
                    a.add(__qword_ptr[rsi + 0x10], 1);
                    break;
                case "lock cmpxchg [hole], ecx":
                    a.mov(rdx, address);
                    a.@lock.cmpxchg(__dword_ptr[rdx], ecx);
                    break;
                case "movdqu xmm0, [hole]":
                    a.mov(rax, address);
                    a.movdqu(xmm0, __xmmword_ptr[rax]);
                    break;
                case "movdqu [hole], xmm0":
                    a.mov(rax, address);
                    a.movdqu(__xmmword_ptr[rax], xmm0);
                    break;
                case "push (stack in hole)":
                    a.mov(rsp, address + 8);
                    a.push(rax);
                    break;
                case "pop (stack in hole)":
                    a.mov(rsp, address);
                    a.pop(rax);
                    break;
                case "jmp hole":
                    a.mov(rax, address);
                    a.jmp(rax);
                    break;
                case "call hole":
                    // The return address goes onto a good stack; the fetch at the target faults.
                    a.mov(rax, address);
                    a.call(rax);
                    break;
                case "movsb from hole":
                    a.mov(rsi, address);
                    a.mov(rdi, Data);
                    a.movsb();
                    break;
                case "movsb to hole":
                    a.mov(rsi, Data);
                    a.mov(rdi, address);
                    a.movsb();
                    break;
                case "rep stosq to hole":
                    a.mov(rdi, address);
                    a.mov(ecx, 16);
                    a.rep.stosq();
                    break;
            }
        });
        Assert.Equal(SignalInfo.SIGSEGV, info.Signo);
        Assert.Equal(SignalInfo.SEGV_MAPERR, info.Code);
        Assert.Equal(address, info.Addr);
        Assert.Equal(expected, at);
        if (expected.Execute)
        {
            Assert.Equal(address, arch.Registers.Rip);
        }
    }

    [SkippableFact]
    public void WriteToAReadOnlyPage_IsAccErr_Write_AndFetchFromANonExecutablePage_IsAccErr_Execute()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        bed.MapData(space, Data, AccessType.ReadWrite);
        FileRange readOnly = bed.MapData(space, Hole, AccessType.ReadOnly);
        // A real instruction in the read-only page, so that the fetch fault decodes something.
        bed.Bytes(readOnly)[0] = 0x90;

        (AccessType at, SignalInfo info, _) = RunToFault(bed, space, a =>
        {
            a.mov(rax, Hole + 0x18);
            a.mov(__qword_ptr[rax], rax);
        });
        Assert.Equal((SignalInfo.SIGSEGV, SignalInfo.SEGV_ACCERR, Hole + 0x18), (info.Signo, info.Code, info.Addr));
        Assert.Equal(AccessType.WriteOnly, at);

        PtraceAddressSpace space2 = bed.NewAddressSpace();
        bed.MapData(space2, Data, AccessType.ReadWrite);
        FileRange readable = bed.MapData(space2, Hole, AccessType.ReadWrite);
        // mov rax, [rip - 7] at the target: its own operand covers the fault address, but the page
        // is not executable, so the fault is the fetch.
        byte[] selfRead = [0x48, 0x8b, 0x05, 0xf9, 0xff, 0xff, 0xff];
        selfRead.CopyTo(bed.Bytes(readable));
        (at, info, _) = RunToFault(bed, space2, a =>
        {
            a.mov(rax, Hole);
            a.jmp(rax);
        });
        Assert.Equal((SignalInfo.SIGSEGV, SignalInfo.SEGV_ACCERR, Hole), (info.Signo, info.Code, info.Addr));
        Assert.Equal(AccessType.ExecuteOnly, at);
    }

    [SkippableFact]
    public void ACopyWithinOneReadOnlyPage_IsAWrite()
    {
        // movsb of a byte onto itself in a read-only page (a copy-on-write page, say): the load
        // succeeds, the store faults, and both operands include the fault address.
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        bed.MapData(space, Data, AccessType.ReadOnly);
        (AccessType at, SignalInfo info, _) = RunToFault(bed, space, a =>
        {
            a.mov(rsi, Data + 0x10);
            a.mov(rdi, Data + 0x10);
            a.movsb();
        });
        Assert.Equal((SignalInfo.SIGSEGV, SignalInfo.SEGV_ACCERR, Data + 0x10), (info.Signo, info.Code, info.Addr));
        Assert.Equal(AccessType.WriteOnly, at);
    }

    [SkippableFact]
    public void AnInstructionStoringIntoItsOwnExecutablePage_IsAWriteNotAnExecute()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        var a = new Assembler(64);
        Label self = a.CreateLabel();
        a.Label(ref self);
        // mov byte [rip - 6], 0x90: stores into its own first byte, which is read-and-execute.
        a.db(0xc6, 0x05, 0xf9, 0xff, 0xff, 0xff, 0x90);
        (_, AssemblerResult code) = bed.MapCode(space, Code, a);
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        (AccessType at, Error? error) = bed.NewContext().Switch(space, arch, -1, out SignalInfo info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal((SignalInfo.SIGSEGV, SignalInfo.SEGV_ACCERR, code.GetLabelRIP(self)), (info.Signo, info.Code, info.Addr));
        Assert.Equal(AccessType.WriteOnly, at);
    }

    [SkippableFact]
    public void FaultThenMapFileThenResume_RunsTheFaultingInstructionAgain()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        var a = new Assembler(64);
        // Sum one qword from each of four pages that start out unmapped, then report the sum.
        a.xor(edi, edi);
        for (ulong i = 0; i < 4; i++)
        {
            a.add(rdi, __qword_ptr[Hole + (i * PtraceTestBed.Page) + 8]);
        }
        a.mov(eax, 0x5151);
        a.syscall();
        bed.MapCode(space, Code, a);

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        int faults = 0;
        while (true)
        {
            (AccessType at, Error? error) = context.Switch(space, arch, -1, out SignalInfo info);
            if (error is null)
            {
                break;
            }
            Assert.Same(PlatformErrors.ContextSignal, error);
            Assert.Equal(SignalInfo.SIGSEGV, info.Signo);
            Assert.Equal(AccessType.ReadOnly, at);
            Assert.Equal(Hole + ((ulong)faults * PtraceTestBed.Page) + 8, info.Addr);
            FileRange page = bed.Allocate();
            BinaryPrimitives.WriteUInt64LittleEndian(bed.Bytes(page)[8..], 100UL + (ulong)faults);
            Assert.Null(space.MapFile(new Addr(info.Addr & ~(PtraceTestBed.Page - 1)), bed.Memory, page, at, precommit: faults % 2 == 0));
            faults++;
        }
        Assert.Equal(4, faults);
        Assert.Equal(0x5151UL, arch.Registers.OrigRax);
        Assert.Equal(100UL + 101 + 102 + 103, arch.Registers.Rdi);
    }

    [SkippableFact]
    public void UnmapsWhileIdle_AreDeferred_ButDoneBeforeTheProgramRunsAgain()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        var a = new Assembler(64);
        a.mov(rax, __qword_ptr[Hole + (6 * PtraceTestBed.Page)]);
        a.int3();
        bed.MapCode(space, Code, a);
        for (ulong i = 0; i < 5; i++)
        {
            bed.MapData(space, Hole + (2 * i * PtraceTestBed.Page), AccessType.ReadWrite);
        }
        // Unmap the five (non-adjacent) pages one by one, then run the program, which touches the fourth.
        for (ulong i = 0; i < 5; i++)
        {
            space.Unmap(new Addr(Hole + (2 * i * PtraceTestBed.Page)), PtraceTestBed.Page);
        }
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        (AccessType at, Error? error) = bed.NewContext().Switch(space, arch, -1, out SignalInfo info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal((SignalInfo.SIGSEGV, SignalInfo.SEGV_MAPERR, Hole + (6 * PtraceTestBed.Page)), (info.Signo, info.Code, info.Addr));
        Assert.Equal(AccessType.ReadOnly, at);
        string maps = File.ReadAllText($"/proc/{space.StubPid}/maps");
        Assert.DoesNotContain($"{Hole:x}-", maps, StringComparison.Ordinal);
        Assert.Contains($"{Code:x}-", maps, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void AMapAfterAnUnmapWhileIdle_InTheFaultingThread_DoesTheUnmapFirst()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        ulong unmapped = Hole + (2 * PtraceTestBed.Page);
        var a = new Assembler(64);
        a.mov(rax, __qword_ptr[Hole]);
        a.mov(rbx, __qword_ptr[unmapped]);
        a.int3();
        bed.MapCode(space, Code, a);
        bed.MapData(space, unmapped, AccessType.ReadOnly);
        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        (AccessType at, Error? error) = context.Switch(space, arch, -1, out SignalInfo info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal(Hole, info.Addr);

        // As a copy-on-write break does: the unmap is queued (nothing runs), then the faulting
        // thread maps, in its own stub thread, which runs the queued unmap first.
        space.Unmap(new Addr(unmapped), PtraceTestBed.Page);
        FileRange page = bed.Allocate();
        BinaryPrimitives.WriteUInt64LittleEndian(bed.Bytes(page), 0x1234);
        Assert.Null(space.MapFile(new Addr(Hole), bed.Memory, page, at, precommit: false));
        Assert.DoesNotContain($"{unmapped:x}-", File.ReadAllText($"/proc/{space.StubPid}/maps"), StringComparison.Ordinal);

        (at, error) = context.Switch(space, arch, -1, out info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal((SignalInfo.SIGSEGV, SignalInfo.SEGV_MAPERR, unmapped), (info.Signo, info.Code, info.Addr));
        Assert.Equal(0x1234UL, arch.Registers.Rax);
    }

    [SkippableFact]
    public void AMapOverAQueuedUnmap_ReplacesThePage_AndAFailedMapStillUnmapsIt()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        var a = new Assembler(64);
        a.mov(rax, __qword_ptr[Hole]);
        a.int3();
        a.mov(rbx, __qword_ptr[Hole]);
        a.int3();
        a.mov(rcx, __qword_ptr[Data]);
        a.int3();
        bed.MapCode(space, Code, a);
        BinaryPrimitives.WriteUInt64LittleEndian(bed.Bytes(bed.MapData(space, Hole, AccessType.ReadOnly)), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(bed.Bytes(bed.MapData(space, Data, AccessType.ReadOnly)), 5);
        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        (_, Error? error) = context.Switch(space, arch, -1, out SignalInfo info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal((SignalInfo.SIGTRAP, 1UL), (info.Signo, arch.Registers.Rax));

        // A copy-on-write break, in the thread that stopped: the old page's unmap is queued, the
        // copy mapped over it (the mmap alone replaces it).
        space.Unmap(new Addr(Hole), PtraceTestBed.Page);
        FileRange copy = bed.Allocate();
        BinaryPrimitives.WriteUInt64LittleEndian(bed.Bytes(copy), 2);
        Assert.Null(space.MapFile(new Addr(Hole), bed.Memory, copy, AccessType.ReadOnly, precommit: false));
        (_, error) = context.Switch(space, arch, -1, out info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal((SignalInfo.SIGTRAP, 2UL), (info.Signo, arch.Registers.Rbx));

        // A map that fails over a queued unmap: the unmap is done all the same.
        space.Unmap(new Addr(Data), PtraceTestBed.Page);
        using (var readOnly = new ReadOnlyTempFile())
        {
            Assert.Same(Errno.EACCES, space.MapFile(new Addr(Data), readOnly.HostFile, new FileRange(0, PtraceTestBed.Page), AccessType.ReadWrite, false));
        }
        (_, error) = context.Switch(space, arch, -1, out info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal((SignalInfo.SIGSEGV, SignalInfo.SEGV_MAPERR, Data), (info.Signo, info.Code, info.Addr));
    }

    [SkippableFact]
    public void BeforeAnyThreadRuns_AMapOverAQueuedUnmapReplaces_AndAFailedOneStillUnmaps()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        using var readOnly = new ReadOnlyTempFile();
        HostFdFile file = readOnly.HostFile;
        string path = readOnly.Path;
        var fr = new FileRange(0, PtraceTestBed.Page);
        // The file's descriptor reaches the stub with its first mapping (no unmap is queued then).
        Assert.Null(space.MapFile(new Addr(Data), file, fr, AccessType.ReadOnly, false));
        bed.MapData(space, Hole, AccessType.ReadOnly, pages: 2);

        // No stub thread yet: the operations thread makes the calls.
        space.Unmap(new Addr(Hole), PtraceTestBed.Page);
        Assert.Null(space.MapFile(new Addr(Hole), file, fr, AccessType.ReadOnly, false));
        space.Unmap(new Addr(Hole + PtraceTestBed.Page), PtraceTestBed.Page);
        Assert.Same(Errno.EACCES, space.MapFile(new Addr(Hole + PtraceTestBed.Page), file, fr, AccessType.ReadWrite, false));

        string[] maps = File.ReadAllLines($"/proc/{space.StubPid}/maps");
        // The first page now maps the file; the second is unmapped.
        Assert.Contains(maps, line => line.StartsWith($"{Hole:x}-{Hole + PtraceTestBed.Page:x} r--s 00000000 ", StringComparison.Ordinal) && line.EndsWith(path, StringComparison.Ordinal));
        Assert.DoesNotContain(maps, line => line.Contains($"-{Hole + (2 * PtraceTestBed.Page):x} ", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void MapFile_ReportsTheHostsError_AndRefusesRangesOverTheStub()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        // A file Warden can only read: mapping it writable fails in the stub with EACCES.
        using (var readOnly = new ReadOnlyTempFile())
        {
            var fr = new FileRange(0, PtraceTestBed.Page);
            Assert.Same(Errno.EACCES, space.MapFile(new Addr(Hole), readOnly.HostFile, fr, AccessType.ReadWrite, false));
            Assert.Null(space.MapFile(new Addr(Hole), readOnly.HostFile, fr, AccessType.ReadOnly, false));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            space.MapFile(bed.Platform.MaxUserAddress, bed.Memory, bed.Allocate(), AccessType.ReadOnly, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => space.Unmap(bed.Platform.MaxUserAddress - PtraceTestBed.Page, 2 * PtraceTestBed.Page));
        Assert.Throws<ArgumentException>(() => space.MapFile(new Addr(Hole + 1), bed.Memory, bed.Allocate(), AccessType.ReadOnly, false));
    }
}
