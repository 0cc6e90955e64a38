using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Warden.Platforms.Ptrace;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Warden.Tests.Platforms.Ptrace;

/// <summary>
/// Floating-point, SSE and AVX registers: kept across system calls and faults, lent to the stub
/// between switches, and moved correctly between contexts and address spaces.
/// </summary>
public sealed class PtraceFPStateTests
{
    private const ulong Code = 0x1000_0000;
    private const ulong Data = 0x2000_0000;
    private const ulong Hole = 0x5000_0000;

    // In an XSAVE area, xmm0..15 are at 160 + 16 i; the upper halves of ymm0..15 at 576 + 16 i.
    private const int XmmOffset = 160;
    private const int YmmHighOffset = 576;

    private static readonly AssemblerRegisterXMM[] s_xmm =
        [xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15];

    private static readonly AssemblerRegisterYMM[] s_ymm =
        [ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7, ymm8, ymm9, ymm10, ymm11, ymm12, ymm13, ymm14, ymm15];

    private static void LoadXmm(Assembler a, ulong from)
    {
        a.mov(rsi, from);
        for (int i = 0; i < 16; i++)
        {
            a.movdqu(s_xmm[i], __xmmword_ptr[rsi + (16 * i)]);
        }
    }

    private static void StoreXmm(Assembler a, ulong to)
    {
        a.mov(rdi, to);
        for (int i = 0; i < 16; i++)
        {
            a.movdqu(__xmmword_ptr[rdi + (16 * i)], s_xmm[i]);
        }
    }

    private static void Syscall(Assembler a, int number)
    {
        a.mov(eax, number);
        a.syscall();
    }

    private static void Pattern(Span<byte> bytes, byte seed)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)((i * 7) + seed);
        }
    }

    private static void AssertSyscall(PtraceContext context, PtraceAddressSpace space, ArchContext arch, ulong number)
    {
        (_, Error? error) = context.Switch(space, arch, -1, out SignalInfo info);
        Assert.True(error is null, $"expected system call 0x{number:x}, got {error?.Message} (signal {info.Signo} at 0x{info.Addr:x})");
        Assert.Equal(number, arch.Registers.OrigRax);
    }

    [SkippableFact]
    public void SseRegisters_SurviveSystemCallsAndFaults_WithoutBeingCopiedBack()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        FileRange data = bed.MapData(space, Data, AccessType.ReadWrite);
        Pattern(bed.Bytes(data)[..256], 3);
        var a = new Assembler(64);
        LoadXmm(a, Data);
        Syscall(a, 0x10);
        a.mov(rax, __qword_ptr[Hole]);
        Syscall(a, 0x11);
        Syscall(a, 0x12);
        StoreXmm(a, Data + 256);
        Syscall(a, 0x13);
        bed.MapCode(space, Code, a);

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        AssertSyscall(context, space, arch, 0x10);
        // Lent: the caller's copy is not written back (it still says xmm0 is zero).
        Assert.All(arch.FPState.AsSpan().Slice(XmmOffset, 256).ToArray(), b => Assert.Equal(0, b));

        (AccessType at, Error? error) = context.Switch(space, arch, -1, out SignalInfo info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal((SignalInfo.SIGSEGV, Hole), (info.Signo, info.Addr));
        Assert.Null(space.MapFile(new Addr(Hole), bed.Memory, bed.Allocate(), at, false));
        AssertSyscall(context, space, arch, 0x11);

        // PullFPState brings the live registers back into the caller's copy.
        Assert.Null(context.PullFPState(arch));
        Assert.Equal(bed.Bytes(data)[..256].ToArray(), arch.FPState.AsSpan().Slice(XmmOffset, 256).ToArray());

        AssertSyscall(context, space, arch, 0x12);
        AssertSyscall(context, space, arch, 0x13);
        Assert.Equal(bed.Bytes(data)[..256].ToArray(), bed.Bytes(data)[256..512].ToArray());
    }

    [SkippableFact]
    public void AvxUpperHalves_SurviveSystemCalls()
    {
        Skip.IfNot(Avx.IsSupported, "the CPU has no AVX");
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        FileRange data = bed.MapData(space, Data, AccessType.ReadWrite);
        Pattern(bed.Bytes(data)[..512], 11);
        var a = new Assembler(64);
        a.mov(rsi, Data);
        for (int i = 0; i < 16; i++)
        {
            a.vmovdqu(s_ymm[i], __ymmword_ptr[rsi + (32 * i)]);
        }
        Syscall(a, 0x20);
        Syscall(a, 0x21);
        a.mov(rdi, Data + 1024);
        for (int i = 0; i < 16; i++)
        {
            a.vmovdqu(__ymmword_ptr[rdi + (32 * i)], s_ymm[i]);
        }
        Syscall(a, 0x22);
        bed.MapCode(space, Code, a);

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        AssertSyscall(context, space, arch, 0x20);
        Assert.Null(context.PullFPState(arch));
        Span<byte> state = arch.FPState.AsSpan();
        Span<byte> source = bed.Bytes(data);
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(source.Slice(32 * i, 16).ToArray(), state.Slice(XmmOffset + (16 * i), 16).ToArray());
            Assert.Equal(source.Slice((32 * i) + 16, 16).ToArray(), state.Slice(YmmHighOffset + (16 * i), 16).ToArray());
        }
        AssertSyscall(context, space, arch, 0x21);
        AssertSyscall(context, space, arch, 0x22);
        Assert.Equal(bed.Bytes(data)[..512].ToArray(), bed.Bytes(data)[1024..1536].ToArray());
    }

    [SkippableFact]
    public void TwoContextsTakingTurnsInOneAddressSpace_KeepTheirOwnRegisters()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        FileRange data = bed.MapData(space, Data, AccessType.ReadWrite);
        Pattern(bed.Bytes(data)[..256], 1);
        Pattern(bed.Bytes(data)[1024..1280], 99);
        var a = new Assembler(64);
        // rbx says which half of the data page is this context's.
        a.lea(rsi, __[rbx]);
        for (int i = 0; i < 16; i++)
        {
            a.movdqu(s_xmm[i], __xmmword_ptr[rsi + (16 * i)]);
        }
        Syscall(a, 0x30);
        a.lea(rdi, __[rbx + 512]);
        for (int i = 0; i < 16; i++)
        {
            a.movdqu(__xmmword_ptr[rdi + (16 * i)], s_xmm[i]);
        }
        Syscall(a, 0x31);
        bed.MapCode(space, Code, a);

        PtraceContext first = bed.NewContext();
        PtraceContext second = bed.NewContext();
        var firstArch = new ArchContext();
        var secondArch = new ArchContext();
        firstArch.Registers.Rip = secondArch.Registers.Rip = Code;
        firstArch.Registers.Rbx = Data;
        secondArch.Registers.Rbx = Data + 1024;

        AssertSyscall(first, space, firstArch, 0x30);
        AssertSyscall(second, space, secondArch, 0x30);
        AssertSyscall(first, space, firstArch, 0x31);
        AssertSyscall(second, space, secondArch, 0x31);

        Assert.Equal(bed.Bytes(data)[..256].ToArray(), bed.Bytes(data)[512..768].ToArray());
        Assert.Equal(bed.Bytes(data)[1024..1280].ToArray(), bed.Bytes(data)[1536..1792].ToArray());
        // The first context's state was moved out of the stub; pulling it still gives its values.
        Assert.Null(first.PullFPState(firstArch));
        Assert.Equal(bed.Bytes(data)[..256].ToArray(), firstArch.FPState.AsSpan().Slice(XmmOffset, 256).ToArray());
    }

    [SkippableFact]
    public void AContextMovingToAnotherAddressSpace_TakesItsRegistersAlong()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace first = bed.NewAddressSpace();
        PtraceAddressSpace second = bed.NewAddressSpace();
        FileRange data = bed.Allocate();
        Pattern(bed.Bytes(data)[..256], 42);
        var a = new Assembler(64);
        LoadXmm(a, Data);
        Syscall(a, 0x40);
        StoreXmm(a, Data + 256);
        Syscall(a, 0x41);
        (FileRange code, _) = bed.MapCode(first, Code, a);
        // The same code and data, shared, in both address spaces.
        Assert.Null(second.MapFile(new Addr(Code), bed.Memory, code, AccessType.ReadExecute, false));
        foreach (PtraceAddressSpace space in new[] { first, second })
        {
            Assert.Null(space.MapFile(new Addr(Data), bed.Memory, data, AccessType.ReadWrite, false));
        }

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        AssertSyscall(context, first, arch, 0x40);
        AssertSyscall(context, second, arch, 0x41);
        Assert.Equal(bed.Bytes(data)[..256].ToArray(), bed.Bytes(data)[256..512].ToArray());
    }

    [SkippableFact]
    public void ChangesAfterAPull_AndAWholeNewState_AreLoaded()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        FileRange data = bed.MapData(space, Data, AccessType.ReadWrite);
        Pattern(bed.Bytes(data)[..256], 5);
        var a = new Assembler(64);
        LoadXmm(a, Data);
        Syscall(a, 0x50);
        StoreXmm(a, Data + 256);
        Syscall(a, 0x51);
        StoreXmm(a, Data + 512);
        Syscall(a, 0x52);
        bed.MapCode(space, Code, a);

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        AssertSyscall(context, space, arch, 0x50);
        Assert.Null(context.PullFPState(arch));
        arch.FPState.AsSpan().Slice(XmmOffset + (5 * 16), 16).Fill(0xee);
        AssertSyscall(context, space, arch, 0x51);
        byte[] expected = bed.Bytes(data)[..256].ToArray();
        expected.AsSpan(5 * 16, 16).Fill(0xee);
        Assert.Equal(expected, bed.Bytes(data)[256..512].ToArray());

        // A fresh state replaces the lent one without a pull: every register reads zero.
        arch.FPState.Reset();
        AssertSyscall(context, space, arch, 0x52);
        Assert.All(bed.Bytes(data)[512..768].ToArray(), b => Assert.Equal(0, b));
    }

    [SkippableFact]
    public void AContextMovingToAnotherThread_TakesItsRegistersAlong_IfPulledFirst()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        FileRange data = bed.MapData(space, Data, AccessType.ReadWrite);
        Pattern(bed.Bytes(data)[..256], 17);
        var a = new Assembler(64);
        LoadXmm(a, Data);
        Syscall(a, 0x80);
        StoreXmm(a, Data + 256);
        Syscall(a, 0x81);
        Syscall(a, 0x82);
        bed.MapCode(space, Code, a);

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        OnThread(() => AssertSyscall(context, space, arch, 0x80));
        // The state stayed in the first thread's stub thread, which only that thread could read.
        Error? lost = null;
        OnThread(() => lost = context.Switch(space, arch, -1, out _).Error);
        Assert.Same(PtraceErrors.FPStateLost, lost);

        // Pulled on the thread that switched, it goes wherever the context goes next.
        PtraceContext moving = bed.NewContext();
        var movingArch = new ArchContext();
        movingArch.Registers.Rip = Code;
        OnThread(() =>
        {
            AssertSyscall(moving, space, movingArch, 0x80);
            Assert.Null(moving.PullFPState(movingArch));
        });
        OnThread(() => AssertSyscall(moving, space, movingArch, 0x81));
        Assert.Equal(bed.Bytes(data)[..256].ToArray(), bed.Bytes(data)[256..512].ToArray());
    }

    private static void OnThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException("The action failed on its thread.", failure);
        }
    }

    [SkippableFact]
    public void SwitchingWithACopyOfALentState_Throws()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        var a = new Assembler(64);
        Syscall(a, 0x60);
        Syscall(a, 0x61);
        bed.MapCode(space, Code, a);

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        AssertSyscall(context, space, arch, 0x60);
        ArchContext copy = arch.Clone();
        Assert.Throws<InvalidOperationException>(() => bed.NewContext().Switch(space, copy, -1, out _));
        Assert.Throws<InvalidOperationException>(() => context.Switch(space, copy, -1, out _));

        // Pulled first, the copy is a proper state of its own.
        Assert.Null(context.PullFPState(arch));
        ArchContext proper = arch.Clone();
        AssertSyscall(bed.NewContext(), space, proper, 0x61);
    }

    [SkippableFact]
    public void WithLazyFPStateOff_TheStateIsCopiedBackAfterEverySwitch()
    {
        using var bed = PtraceTestBed.Create(new PtracePlatformOptions { LazyFPState = false });
        PtraceAddressSpace space = bed.NewAddressSpace();
        FileRange data = bed.MapData(space, Data, AccessType.ReadWrite);
        Pattern(bed.Bytes(data)[..256], 77);
        var a = new Assembler(64);
        LoadXmm(a, Data);
        Syscall(a, 0x70);
        StoreXmm(a, Data + 256);
        Syscall(a, 0x71);
        bed.MapCode(space, Code, a);

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        AssertSyscall(context, space, arch, 0x70);
        Assert.Equal(bed.Bytes(data)[..256].ToArray(), arch.FPState.AsSpan().Slice(XmmOffset, 256).ToArray());
        arch.FPState.AsSpan().Slice(XmmOffset, 16).Fill(0x11);
        AssertSyscall(context, space, arch, 0x71);
        Assert.All(bed.Bytes(data)[256..272].ToArray(), b => Assert.Equal(0x11, b));
    }
}
