using Iced.Intel;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Platform;
using Warden.Platforms.Ptrace;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Warden.Tests.Platforms.Ptrace;

/// <summary>
/// What other threads can do to a running switch: interrupt it, change the address space under it,
/// kill its stub.
/// </summary>
public sealed class PtraceConcurrencyTests
{
    private const ulong Code = 0x1000_0000;
    private const ulong Data = 0x2000_0000;

    // Runs a switch on another thread; Result is valid after Join. The thread then pulls the
    // floating-point state back (only it can), so that the context can move on to another thread.
    private sealed class BackgroundSwitch
    {
        private readonly Thread _thread;

        public BackgroundSwitch(PtraceContext context, IAddressSpace space, ArchContext arch)
        {
            _thread = new Thread(() =>
            {
                Result = (context.Switch(space, arch, -1, out SignalInfo info), info);
                _ = context.PullFPState(arch);
            })
            { IsBackground = true };
            _thread.Start();
        }

        public ((AccessType At, Error? Error) Outcome, SignalInfo Info) Result { get; private set; }

        public ((AccessType At, Error? Error) Outcome, SignalInfo Info) Join()
        {
            _thread.Join();
            return Result;
        }
    }

    // Waits until a thread of the stub is executing (not stopped for its tracer): then the switch is
    // surely running application code.
    private static void WaitUntilRunning(PtraceAddressSpace space)
    {
        while (!PtraceTestBed.AnyThreadRunning(space.StubPid))
        {
            Thread.Yield();
        }
    }

    private static Assembler SpinForever(out Label loop)
    {
        var a = new Assembler(64);
        loop = a.CreateLabel();
        a.Label(ref loop);
        a.pause();
        a.jmp(loop);
        return a;
    }

    [SkippableFact]
    public void Interrupt_StopsAProgramSpinningForever()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        (_, AssemblerResult code) = bed.MapCode(space, Code, SpinForever(out Label loop));
        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;

        for (int round = 0; round < 3; round++)
        {
            var running = new BackgroundSwitch(context, space, arch);
            WaitUntilRunning(space);
            context.Interrupt();
            ((_, Error? error), _) = running.Join();
            Assert.Same(PlatformErrors.ContextInterrupt, error);
            // The registers are the program's where it was stopped: inside its loop.
            Assert.InRange(arch.Registers.Rip, code.GetLabelRIP(loop), code.GetLabelRIP(loop) + 3);
        }
        Assert.False(space.IsDead);
    }

    [SkippableFact]
    public void InterruptWithNoSwitchRunning_EndsTheNextSwitchAtOnce_AndOnlyThatOne()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        var a = new Assembler(64);
        a.mov(eax, 0x77);
        a.syscall();
        bed.MapCode(space, Code, a);
        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;

        context.Interrupt();
        Assert.Same(PlatformErrors.ContextInterrupt, context.Switch(space, arch, -1, out _).Error);
        Assert.Equal(Code, arch.Registers.Rip);
        Assert.Null(context.Switch(space, arch, -1, out _).Error);
        Assert.Equal(0x77UL, arch.Registers.OrigRax);
    }

    [SkippableFact]
    public void MapFileAndUnmap_WhileTheProgramRuns_TakeEffectAtOnce()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        bed.MapData(space, Data, AccessType.ReadOnly);
        var a = new Assembler(64);
        Label wait = a.CreateLabel();
        Label spin = a.CreateLabel();
        // Wait for [Data] to become non-zero and report it; then keep reading [Data] for ever.
        a.Label(ref wait);
        a.mov(rdi, __qword_ptr[Data]);
        a.test(rdi, rdi);
        a.jz(wait);
        a.mov(eax, 0x88);
        a.syscall();
        a.Label(ref spin);
        a.mov(rax, __qword_ptr[Data]);
        a.jmp(spin);
        bed.MapCode(space, Code, a);
        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;

        var running = new BackgroundSwitch(context, space, arch);
        WaitUntilRunning(space);
        FileRange seven = bed.Allocate();
        bed.Bytes(seven)[0] = 7;
        Assert.Null(space.MapFile(new Addr(Data), bed.Memory, seven, AccessType.ReadOnly, false));
        ((_, Error? error), _) = running.Join();
        Assert.Null(error);
        Assert.Equal((0x88UL, 7UL), (arch.Registers.OrigRax, arch.Registers.Rdi));

        running = new BackgroundSwitch(context, space, arch);
        WaitUntilRunning(space);
        space.Unmap(new Addr(Data), PtraceTestBed.Page);
        ((AccessType at, error), SignalInfo info) = running.Join();
        Assert.Same(PlatformErrors.ContextSignal, error);
        Assert.Equal((SignalInfo.SIGSEGV, Data), (info.Signo, info.Addr));
        Assert.Equal(AccessType.ReadOnly, at);
    }

    [SkippableFact]
    public void AStubKilledFromOutside_MakesSwitchFail_RunningOrNot()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        bed.MapCode(space, Code, SpinForever(out _));
        PtraceContext context = bed.NewContext();
        var arch = new ArchContext();
        arch.Registers.Rip = Code;

        var running = new BackgroundSwitch(context, space, arch);
        WaitUntilRunning(space);
        Assert.Null(Libc.Kill(space.StubPid, Libc.SIGKILL));
        ((_, Error? error), _) = running.Join();
        Assert.Same(PtraceErrors.StubDied, error);
        Assert.True(space.IsDead);
        Assert.Same(PtraceErrors.StubDied, context.Switch(space, arch, -1, out _).Error);
        Assert.Same(PtraceErrors.StubDied, space.MapFile(new Addr(Data), bed.Memory, bed.Allocate(), AccessType.ReadOnly, false));
        space.Unmap(new Addr(Data), PtraceTestBed.Page);
        space.Release();
        Assert.False(PtraceTestBed.ProcessExists(space.StubPid));

        // Idle: the next operation finds it gone.
        PtraceAddressSpace idle = bed.NewAddressSpace();
        bed.MapCode(idle, Code, SpinForever(out _));
        Assert.Null(Libc.Kill(idle.StubPid, Libc.SIGKILL));
        Assert.Same(PtraceErrors.StubDied, context.Switch(idle, new ArchContext(), -1, out _).Error);
        idle.Release();
        Assert.False(PtraceTestBed.ProcessExists(idle.StubPid));
    }

    [SkippableFact]
    public void AStubKilledWhileTheOperationsThreadWaitsForItsSyscallThread_WithAnIdleTracer_IsStillReaped()
    {
        var bed = PtraceTestBed.Create();
        try
        {
            KilledDuringASyscallThreadWait(bed);
        }
        finally
        {
            // Should the operations thread be stuck, disposing would be too: fail rather than hang.
            Assert.True(Task.Run(bed.Dispose).Wait(TimeSpan.FromSeconds(60)), "disposing the platform did not return");
        }
    }

    private static void KilledDuringASyscallThreadWait(PtraceTestBed bed)
    {
        PtraceAddressSpace space = bed.NewAddressSpace();
        int pid = space.StubPid;
        var a = new Assembler(64);
        a.mov(eax, 0x66);
        a.syscall();
        bed.MapCode(space, Code, a);
        // A stub thread whose tracer (this thread) is between switches, waiting for nothing: once
        // killed, it is collected only by whoever looks for it.
        var arch = new ArchContext();
        arch.Registers.Rip = Code;
        Assert.Null(bed.NewContext().Switch(space, arch, -1, out _).Error);

        // pause() in the syscall thread, asked for from a thread with no stub thread here, so that
        // the operations thread makes it and waits for it.
        StubProcess process = space.ProcessOrThrow();
        Error? callError = null;
        var caller = new Thread(() => (_, _, callError) = process.Syscalls([new SyscallEntry(34)])) { IsBackground = true };
        caller.Start();
        while (!SyscallOf(pid).StartsWith("34 ", StringComparison.Ordinal))
        {
            Thread.Yield();
        }
        Assert.Null(Libc.Kill(pid, Libc.SIGKILL));

        Assert.True(caller.Join(TimeSpan.FromSeconds(60)), "the operations thread never returned from its wait for the killed syscall thread");
        Assert.Same(PtraceErrors.StubDied, callError);
        Assert.True(Task.Run(space.Release).Wait(TimeSpan.FromSeconds(60)), "Release did not return");
        Assert.False(PtraceTestBed.ProcessExists(pid));
    }

    // What the stub's syscall thread is doing (/proc/PID/syscall: the call number and arguments, or "running").
    private static string SyscallOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/syscall");
        }
        catch (IOException)
        {
            return "";
        }
    }

    [SkippableFact]
    public void AThreadThatSwitchedAndExited_LeavesItsStubThreadParked_AndTheAddressSpaceWorking()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        var a = new Assembler(64);
        Label top = a.CreateLabel();
        a.Label(ref top);
        a.mov(rax, rbx);
        a.syscall();
        a.jmp(top);
        bed.MapCode(space, Code, a);

        FileRange data = bed.Allocate();
        var exiting = new Thread(() =>
        {
            PtraceContext context = bed.NewContext();
            var arch = new ArchContext();
            arch.Registers.Rip = Code;
            arch.Registers.Rbx = 0x501;
            _ = context.Switch(space, arch, -1, out _);
            // A mapping made in this thread's own stub thread, which is left stopped after it.
            _ = space.MapFile(new Addr(Data), bed.Memory, data, AccessType.ReadWrite, false);
        });
        exiting.Start();
        exiting.Join();

        // Its stub thread is no longer traced (the tracer thread is gone) and sleeps in the parking
        // loop rather than running the program; the mapping it made is there.
        string task;
        while ((task = UntracedAppThread(space.StubPid)) is "")
        {
            Thread.Yield();
        }
        while (File.ReadAllText(Path.Combine(task, "stat")) is var stat && stat[stat.LastIndexOf(')') + 2] != 'S')
        {
            Thread.Yield();
        }

        Assert.Contains($"{Data:x}-", File.ReadAllText($"/proc/{space.StubPid}/maps"), StringComparison.Ordinal);
        PtraceContext other = bed.NewContext();
        var otherArch = new ArchContext();
        otherArch.Registers.Rip = Code;
        otherArch.Registers.Rbx = 0x502;
        Assert.Null(other.Switch(space, otherArch, -1, out _).Error);
        Assert.Equal(0x502UL, otherArch.Registers.OrigRax);
        space.Release();
        Assert.False(PtraceTestBed.ProcessExists(space.StubPid));
    }

    [SkippableFact]
    public void AThreadWhoseSwitchEndedInAFaultAndExited_LeavesTheStubAlive_WithItsStubThreadParked()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        var a = new Assembler(64);
        Label top = a.CreateLabel();
        a.mov(rax, __qword_ptr[Data]);
        a.Label(ref top);
        a.mov(rax, rbx);
        a.syscall();
        a.jmp(top);
        (_, AssemblerResult code) = bed.MapCode(space, Code, a);

        Error? faultError = null;
        SignalInfo fault = default;
        var exiting = new Thread(() =>
        {
            PtraceContext context = bed.NewContext();
            var arch = new ArchContext();
            arch.Registers.Rip = Code;
            (_, faultError) = context.Switch(space, arch, -1, out fault);
            _ = context.PullFPState(arch);
        });
        exiting.Start();
        exiting.Join();
        Assert.Same(PlatformErrors.ContextSignal, faultError);
        Assert.Equal((SignalInfo.SIGSEGV, Data), (fault.Signo, fault.Addr));

        // Detached by its tracer's exit, the stub thread must not get the SIGSEGV (which would kill
        // the whole stub) but park. Wait for one or the other.
        string task;
        while ((task = UntracedAppThread(space.StubPid)) is "" || !IsAsleep(task))
        {
            Assert.False(IsZombie(space.StubPid), "the stub died when its thread's tracer exited");
            Thread.Yield();
        }
        Assert.False(space.IsDead);
        PtraceContext other = bed.NewContext();
        var otherArch = new ArchContext();
        otherArch.Registers.Rip = code.GetLabelRIP(top);
        otherArch.Registers.Rbx = 0x503;
        Assert.Null(other.Switch(space, otherArch, -1, out _).Error);
        Assert.Equal(0x503UL, otherArch.Registers.OrigRax);
    }

    private static char StateOf(string procDirectory)
    {
        try
        {
            string stat = File.ReadAllText(Path.Combine(procDirectory, "stat"));
            return stat[stat.LastIndexOf(')') + 2];
        }
        catch (IOException)
        {
            return 'X';
        }
    }

    private static bool IsAsleep(string task) => StateOf(task) == 'S';

    private static bool IsZombie(int pid) => StateOf($"/proc/{pid}") is 'Z' or 'X';

    // The /proc directory of a stub thread (any thread but the syscall thread) that nobody traces ("" if none).
    private static string UntracedAppThread(int pid)
    {
        foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            if (Path.GetFileName(task) != pid.ToString(System.Globalization.CultureInfo.InvariantCulture)
                && File.ReadAllLines(Path.Combine(task, "status")).Contains("TracerPid:\t0"))
            {
                return task;
            }
        }
        return "";
    }

    [SkippableFact]
    public void SwitchesFromManyThreads_OnOneAddressSpace_EachRunInAStubThreadOfTheirOwn()
    {
        using var bed = PtraceTestBed.Create();
        PtraceAddressSpace space = bed.NewAddressSpace();
        var a = new Assembler(64);
        Label top = a.CreateLabel();
        a.Label(ref top);
        a.mov(rax, rbx);
        a.syscall();
        a.jmp(top);
        bed.MapCode(space, Code, a);

        const int threads = 4;
        const int rounds = 200;
        var failures = new List<string>();
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                PtraceContext context = bed.NewContext();
                var arch = new ArchContext();
                arch.Registers.Rip = Code;
                arch.Registers.Rbx = 0x1000UL + (ulong)id;
                for (int i = 0; i < rounds; i++)
                {
                    (_, Error? error) = context.Switch(space, arch, -1, out _);
                    if (error is not null || arch.Registers.OrigRax != 0x1000UL + (ulong)id)
                    {
                        lock (failures)
                        {
                            failures.Add($"thread {id} round {i}: {error?.Message} rax 0x{arch.Registers.OrigRax:x}");
                        }
                        return;
                    }
                }
            });
            workers[t].Start();
        }
        foreach (Thread worker in workers)
        {
            worker.Join();
        }
        Assert.Empty(failures);
        // The syscall thread, and one stub thread for each Warden thread that switched.
        Assert.Equal(threads + 1, Directory.GetDirectories($"/proc/{space.StubPid}/task").Length);
    }
}
