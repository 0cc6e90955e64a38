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
/// Calls into the host's legacy vsyscall page: trapped by the stub's seccomp filter and reported as a
/// <c>SIGSYS</c> that a kernel completes; and the filter's decisions, evaluated for each kind of
/// instruction pointer.
/// </summary>
public sealed class PtraceVsyscallTests
{
    private const ulong Code = 0x1000_0000;
    private const ulong Data = 0x2000_0000;
    private const ulong StackTop = Data + PtraceTestBed.Page;
    private const uint AuditArchX86_64 = 0xc000_003e;

    private const uint SeccompRetKillThread = 0;
    private const uint SeccompRetTrap = 0x0003_0000;
    private const uint SeccompRetAllow = 0x7fff_0000;

    // The three entries, with the system call each stands for.
    private static readonly (ulong Entry, int Syscall)[] s_entries =
    [
        (StubImage.VsyscallPage + 0x000, 96), // gettimeofday
        (StubImage.VsyscallPage + 0x400, 201), // time
        (StubImage.VsyscallPage + 0x800, 309), // getcpu
    ];

    [SkippableFact]
    public void EachVsyscallEntry_StopsWithSigsys_AfterTheEmulatedRet_AndSettingRaxCompletesIt()
    {
        Skip.IfNot(HostHasVsyscallPage(), "The host has no vsyscall page (vsyscall=none).");
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        bed.MapData(space, Data, AccessType.ReadWrite);
        var a = new Assembler(64);
        var returnTo = new Label[s_entries.Length];
        var afterSyscall = new Label[s_entries.Length];
        // Each entry is called with two argument pointers into the data page, as a C library would;
        // the next ordinary system call passes what the call returned on in rdi.
        for (int i = 0; i < s_entries.Length; i++)
        {
            a.mov(rdi, Data + 0x100);
            a.mov(rsi, Data + 0x200);
            a.mov(rax, s_entries[i].Entry);
            a.call(rax);
            returnTo[i] = a.CreateLabel();
            a.Label(ref returnTo[i]);
            a.mov(rdi, rax);
            a.mov(eax, 0x1000 + i);
            a.syscall();
            afterSyscall[i] = a.CreateLabel();
            a.Label(ref afterSyscall[i]);
        }
        a.ud2();
        (_, AssemblerResult code) = bed.MapCode(space, Code, a);

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        ref PtraceRegs r = ref arch.Registers;
        r.Rip = Code;
        r.Rsp = StackTop;
        for (int i = 0; i < s_entries.Length; i++)
        {
            (AccessType at, Error? error) = context.Switch(space, arch, -1, out SignalInfo info);
            Assert.Same(PlatformErrors.ContextSignal, error);
            Assert.Equal(default, at);
            Assert.Equal(SignalInfo.SIGSYS, info.Signo);
            Assert.Equal(SignalInfo.SYS_SECCOMP, info.Code);
            Assert.Equal(0, info.Errno); // the filter's SECCOMP_RET_DATA
            Assert.Equal(s_entries[i].Entry, info.CallAddr);
            Assert.Equal(s_entries[i].Syscall, info.Syscall);
            Assert.Equal(AuditArchX86_64, info.Arch);
            // The ret is already emulated: back at the caller, the return address popped.
            Assert.Equal(code.GetLabelRIP(returnTo[i]), r.Rip);
            Assert.Equal(StackTop, r.Rsp);
            Assert.Equal((Data + 0x100, Data + 0x200), (r.Rdi, r.Rsi));
            Assert.Equal((ulong)s_entries[i].Syscall, r.Rax);
            Assert.Equal(ulong.MaxValue, r.OrigRax);
            Assert.False(space.IsDead);

            // A kernel completes the call by setting rax; the program goes on after its call.
            ulong result = 0x5eed_0000UL + (ulong)i;
            r.Rax = result;
            (_, error) = context.Switch(space, arch, -1, out _);
            Assert.Null(error);
            Assert.Equal(0x1000UL + (ulong)i, r.OrigRax);
            Assert.Equal(result, r.Rdi);
            Assert.Equal(code.GetLabelRIP(afterSyscall[i]), r.Rip);
            Assert.Equal(StackTop, r.Rsp);
        }

        // The SIGSYS were never delivered: the stub and its thread are still there and run on.
        (_, Error? last) = context.Switch(space, arch, -1, out SignalInfo ill);
        Assert.Same(PlatformErrors.ContextSignal, last);
        Assert.Equal(SignalInfo.SIGILL, ill.Signo);
        Assert.False(space.IsDead);
        Assert.True(PtraceTestBed.ProcessExists(space.StubPid));
    }

    [SkippableFact]
    public void ACallToAnotherOffsetOfThePage_IsASigsegv_AndTheStubSurvives()
    {
        Skip.IfNot(HostHasVsyscallPage(), "The host has no vsyscall page (vsyscall=none).");
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        bed.MapData(space, Data, AccessType.ReadWrite);
        var a = new Assembler(64);
        a.mov(rax, StubImage.VsyscallPage + 0x10);
        a.call(rax);
        bed.MapCode(space, Code, a);

        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        arch.Registers.Rsp = StackTop;
        (_, Error? error) = context.Switch(space, arch, -1, out SignalInfo info);
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal(SignalInfo.SIGSEGV, info.Signo);
        Assert.Equal(StubImage.VsyscallPage + 0x10, arch.Registers.Rip);
        Assert.False(space.IsDead);
    }

    [Theory]
    [InlineData(0x7fff_ffff_e000UL, SeccompRetAllow)] // the stub page's first byte
    [InlineData(0x7fff_ffff_efffUL, SeccompRetAllow)] // and its last
    [InlineData(0x7fff_ffff_dfffUL, SeccompRetKillThread)] // just below it
    [InlineData(0x7fff_ffff_f000UL, SeccompRetKillThread)] // just above it
    [InlineData(0x1000_0000UL, SeccompRetKillThread)] // application code
    [InlineData(0x0000_0000_ffff_e000UL, SeccompRetKillThread)] // the stub's low half, another high half
    [InlineData(0xffff_ffff_ff60_0000UL, SeccompRetTrap)] // gettimeofday
    [InlineData(0xffff_ffff_ff60_0400UL, SeccompRetTrap)] // time
    [InlineData(0xffff_ffff_ff60_0800UL, SeccompRetTrap)] // getcpu
    [InlineData(0xffff_ffff_ff60_0fffUL, SeccompRetTrap)] // the page's last byte
    [InlineData(0xffff_ffff_ff5f_ffffUL, SeccompRetKillThread)] // just below the vsyscall page
    [InlineData(0xffff_ffff_ff60_1000UL, SeccompRetKillThread)] // just above it
    [InlineData(0x0000_0000_ff60_0000UL, SeccompRetKillThread)] // the vsyscall page's low half, another high half
    [InlineData(0xffff_ffff_ffff_e000UL, SeccompRetKillThread)] // the stub's low half, the vsyscall page's high half
    public void TheFilter_AllowsTheStubPage_TrapsTheVsyscallPage_AndKillsEverythingElse(ulong ip, uint expected)
    {
        byte[] filter = StubImage.SeccompFilter();
        foreach (int nr in new[] { 0, 39, 96, 435 })
        {
            Assert.Equal(expected, RunFilter(filter, nr, ip));
        }
    }

    private static bool HostHasVsyscallPage() =>
        File.ReadLines("/proc/self/maps").Any(line => line.EndsWith("[vsyscall]", StringComparison.Ordinal));

    // A classic BPF interpreter for the instructions the stub's filter uses, over a struct
    // seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }.
    private static uint RunFilter(byte[] filter, int nr, ulong ip)
    {
        Span<byte> data = stackalloc byte[64];
        data.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(data, nr);
        BinaryPrimitives.WriteUInt32LittleEndian(data[4..], AuditArchX86_64);
        BinaryPrimitives.WriteUInt64LittleEndian(data[8..], ip);
        uint accumulator = 0;
        int pc = 0;
        while (true)
        {
            Assert.InRange(pc, 0, filter.Length / 8 - 1);
            ReadOnlySpan<byte> insn = filter.AsSpan(pc * 8, 8);
            ushort op = BinaryPrimitives.ReadUInt16LittleEndian(insn);
            byte jt = insn[2];
            byte jf = insn[3];
            uint k = BinaryPrimitives.ReadUInt32LittleEndian(insn[4..]);
            pc++;
            switch (op)
            {
                case 0x20: // BPF_LD | BPF_W | BPF_ABS
                    accumulator = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)k..]);
                    break;
                case 0x15: // BPF_JMP | BPF_JEQ | BPF_K
                    pc += accumulator == k ? jt : jf;
                    break;
                case 0x35: // BPF_JMP | BPF_JGE | BPF_K
                    pc += accumulator >= k ? jt : jf;
                    break;
                case 0x06: // BPF_RET | BPF_K
                    return k;
                default:
                    Assert.Fail($"unexpected BPF instruction 0x{op:x4} at {pc - 1}");
                    return 0;
            }
        }
    }
}
