using Iced.Intel;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Warden.Tests.Kernel;

/// <summary>
/// Generated programs (static ELFs written by the test) that fault or make system calls nobody
/// implements: a fault on an unmapped address kills the program with SIGSEGV, as natively; an
/// unknown system call returns -ENOSYS and the program goes on.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class FaultAndSyscallTests : IDisposable
{
    private const int ENOSYS = 38;
    private readonly string _dir = Directory.CreateTempSubdirectory("warden-fault-").FullName;

    public FaultAndSyscallTests() => KernelRunner.RequirePtrace();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void Exit(Assembler a, int code)
    {
        a.mov(eax, 231);
        a.mov(edi, code);
        a.syscall();
    }

    public static TheoryData<ulong, bool> UnmappedAddresses => new()
    {
        { 0x10, false },
        { 0x10, true },
        { 0x7000_0000_0000, false },
        { 0x7000_0000_0000, true },
        // Just past the end of the data segment.
        { GeneratedProgram.DataAddress + GeneratedProgram.DataSize, true },
        // Non-canonical: a #GP, which Linux also reports as SIGSEGV.
        { 0x8000_0000_0000_0000, false },
    };

    [SkippableTheory]
    [MemberData(nameof(UnmappedAddresses))]
    public void TouchingAnUnmappedAddressDiesBySigsegv(ulong address, bool write)
    {
        var a = new Assembler(64);
        a.mov(rbx, address);
        if (write)
        {
            a.mov(__qword_ptr[rbx], rax);
        }
        else
        {
            a.mov(rax, __qword_ptr[rbx]);
        }
        Exit(a, 3); // Never reached.
        string exe = GeneratedProgram.Write(Path.Combine(_dir, "fault"), a, []);
        var spec = new RunSpec(exe, [exe]) { WorkingDirectory = _dir };

        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);
        Assert.Equal(139, native.ShellStatus);
        Assert.Equal(11, warden.Signal);
        Assert.Equal(139, warden.ShellStatus);
        RunResult.AssertSame(native, warden);
    }

    /// <summary>
    /// The program makes each call, and sets bit i of its exit code when call i returned -ENOSYS;
    /// so the exit code shows both that it went on after each and what each returned.
    /// </summary>
    private string EnosysProbe(ulong[] numbers)
    {
        var a = new Assembler(64);
        a.xor(r12d, r12d);
        for (int i = 0; i < numbers.Length; i++)
        {
            Label next = a.CreateLabel();
            a.mov(rax, numbers[i]);
            a.xor(edi, edi);
            a.xor(esi, esi);
            a.xor(edx, edx);
            a.xor(r10d, r10d);
            a.xor(r8d, r8d);
            a.xor(r9d, r9d);
            a.syscall();
            a.cmp(rax, -ENOSYS);
            a.jne(next);
            a.or(r12d, 1 << i);
            a.Label(ref next);
        }
        a.mov(eax, 231);
        a.mov(edi, r12d);
        a.syscall();
        return GeneratedProgram.Write(Path.Combine(_dir, "enosys"), a, []);
    }

    [SkippableFact]
    public void UnknownSyscallsReturnEnosysAndTheProgramGoesOn()
    {
        // Numbers no x86-64 kernel has: 1000, 600, 511 (below the x32 range), and ~0. (Not 335:
        // since Linux 6.11 it is uretprobe, which raises SIGILL outside a uretprobe trampoline.)
        string exe = EnosysProbe([1000, 600, 511, ulong.MaxValue]);
        var spec = new RunSpec(exe, [exe]) { WorkingDirectory = _dir };
        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);
        Assert.Equal(0b1111, native.ShellStatus);
        RunResult.AssertSame(native, warden);
    }

    [SkippableFact]
    public void SyscallsWardenDoesNotImplementReturnEnosys()
    {
        // Real calls Warden has no handler for (the host kernel may implement them, so this is
        // Warden's behaviour alone): set_mempolicy_home_node (450), futex_waitv (449),
        // landlock_create_ruleset (444), process_mrelease (448), 1000 as a control.
        ulong[] numbers = [450, 449, 444, 448, 1000];
        foreach (ulong number in numbers[..^1])
        {
            Assert.False(Warden.Kernel.Syscalls.SyscallTable.Implements((int)number), $"Warden now implements {number}: pick another");
        }
        string exe = EnosysProbe(numbers);
        RunResult warden = KernelRunner.Run(new RunSpec(exe, [exe]) { WorkingDirectory = _dir });
        Assert.Equal(0b11111, warden.ShellStatus);
        Assert.Empty(warden.Stdout);
    }
}
