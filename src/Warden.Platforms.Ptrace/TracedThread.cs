using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Warden.Errors;
using Warden.Interop;
using Warden.Platform;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// A thread of a stub process and the ptrace requests Warden makes on it: registers, resuming,
/// waiting, and making system calls in it through the stub's routines.
/// </summary>
/// <remarks>
/// Linux accepts ptrace requests for a thread only from the one thread that attached it, so every
/// member except the constructor is called on that thread (the <i>tracer</i>); which thread that is:
/// <see cref="StubProcess"/>.
/// </remarks>
[SupportedOSPlatform("linux")]
internal abstract unsafe class TracedThread
{
    // The offset of rip in struct user (whose registers come first, as user_regs_struct).
    private const int RipOffset = 16 * 8;

    // The thread's registers when it first stopped for its tracer: the selectors and flags every
    // later register load keeps; and a scratch set for system calls made in the thread.
    protected PtraceRegs InitialRegs;
    protected PtraceRegs ScratchRegs;

    // The siginfo of the last signal stop, read by GetSigInfo.
    protected SignalInfo SigInfo;

    // The CPU this thread was last bound to (-1: none yet, or binding is not possible here).
    private int _boundCpu = -1;
    private bool _bindingFailed;

    protected TracedThread(StubProcess process, int tid)
    {
        Process = process;
        Tid = tid;
    }

    /// <summary>The stub process the thread belongs to.</summary>
    public StubProcess Process { get; }

    /// <summary>The thread's id.</summary>
    public int Tid { get; }

    // Results from -4095 to -1 are negated errnos.
    protected static bool IsError(long result) => (ulong)result >= unchecked((ulong)-4095L);

    protected Errno? SetRegs(ref PtraceRegs regs)
    {
        fixed (PtraceRegs* p = &regs)
        {
            return Libc.Ptrace(Libc.PTRACE_SETREGS, Tid, 0, (nint)p);
        }
    }

    protected Errno? GetRegs(ref PtraceRegs regs)
    {
        fixed (PtraceRegs* p = &regs)
        {
            return Libc.Ptrace(Libc.PTRACE_GETREGS, Tid, 0, (nint)p);
        }
    }

    protected Errno? GetSigInfo()
    {
        fixed (SignalInfo* p = &SigInfo)
        {
            return Libc.Ptrace(Libc.PTRACE_GETSIGINFO, Tid, 0, (nint)p);
        }
    }

    // Resumes the thread with the given request, never delivering a signal to it.
    protected Errno? Resume(int request) => Libc.Ptrace(request, Tid, 0, 0);

    /// <summary>
    /// Binds the (stopped) thread to the CPU its tracer is running on, if it is not already bound
    /// there, before the tracer resumes it and waits.
    /// </summary>
    /// <remarks>
    /// A round trip hands the CPU from tracer to stub thread and back. On one CPU each hand-off is a
    /// plain context switch; across two, each needs an inter-processor interrupt, and in a virtual
    /// machine whose other virtual CPU the host has descheduled it waits for that CPU to run again
    /// (measured on a 2-vCPU VM: a ptrace system call round trip took 10 µs with both on one CPU and
    /// 70 µs without). gVisor's ptrace platform binds its stub threads the same way. With
    /// <see cref="PtracePlatformOptions.PinTracerThreads"/> the tracer is kept on its CPU too
    /// (<see cref="TracerAffinity"/>); the stub thread follows whenever the tracer moves (one
    /// system call when it does).
    /// </remarks>
    protected void BindToCurrentCpu()
    {
        if (Process.PinTracers)
        {
            TracerAffinity.Enter();
        }
        if (_bindingFailed)
        {
            return;
        }
        (int cpu, Errno? error) = Libc.SchedGetcpu();
        if (error is not null || cpu == _boundCpu)
        {
            return;
        }
        if (cpu >= Libc.CpuSetSize * 8 || Libc.SchedSetaffinityToCpu(Tid, cpu) is not null)
        {
            // A cpuset that forbids it, or more CPUs than a mask holds: run unbound.
            _bindingFailed = true;
            return;
        }
        _boundCpu = cpu;
    }

    // Points the stopped thread at the stub's parking loop (one register write).
    protected Errno? Park() => Libc.Ptrace(Libc.PTRACE_POKEUSER, Tid, RipOffset, (nint)StubImage.Instance.Park);

    /// <summary>Waits for the thread's next stop; if it ended instead, the process is dead and that is the error.</summary>
    protected (int Status, Error? Error) WaitStop()
    {
        (_, int status, Errno? error) = WaitForChange();
        if (error is not null || !Libc.WIFSTOPPED(status))
        {
            // It exited or was killed (ECHILD: another thread of Warden reaped it): the process is
            // going or gone, since no stub thread ends by itself.
            OnEnded();
            return (0, PtraceErrors.StubDied);
        }
        return (status, null);
    }

    /// <summary>Waits (blocking) for the thread's next change of state: <c>waitpid(Tid, __WALL)</c>.</summary>
    protected virtual (int Pid, int Status, Errno? Error) WaitForChange() => Libc.Waitpid(Tid, Libc.__WALL);

    /// <summary>Called when the thread turned out to have ended (and has been reaped).</summary>
    protected abstract void OnEnded();

    /// <summary>A ptrace request failed: the thread is gone or going. Makes sure the process is, and says so.</summary>
    protected Error Gone()
    {
        Process.Kill();
        return PtraceErrors.StubDied;
    }

    /// <summary>
    /// Runs <paramref name="entries"/> in the stopped thread: one through the single-call routine,
    /// several through the batch routine and the table in the stub page.
    /// </summary>
    /// <returns>How many completed, the last result, and an error if the stub is gone.</returns>
    /// <remarks>
    /// <b>Preconditions:</b> 1 to <see cref="StubLayout.TableCapacity"/> entries; if more than one,
    /// all are <c>munmap</c> (the only call the batch routine makes) and the calling thread is the
    /// only one using the table (it holds the process's operations gate, or is the operations
    /// thread serving a request).
    /// </remarks>
    /// <summary>Runs the <c>munmap</c> calls in <paramref name="entries"/> in the stopped thread (the preconditions of <see cref="Inject"/>).</summary>
    public (int Completed, long LastResult, Error? Error) InjectUnmaps(ReadOnlySpan<SyscallEntry> entries) => Inject(entries);

    protected (int Completed, long LastResult, Error? Error) Inject(ReadOnlySpan<SyscallEntry> entries)
    {
        StubImage image = StubImage.Instance;
        ScratchRegs = InitialRegs;
        if (entries.Length == 1)
        {
            ref readonly SyscallEntry e = ref entries[0];
            ScratchRegs.Rax = e.Number;
            ScratchRegs.Rdi = e.Arg0;
            ScratchRegs.Rsi = e.Arg1;
            ScratchRegs.Rdx = e.Arg2;
            ScratchRegs.R10 = e.Arg3;
            ScratchRegs.R8 = e.Arg4;
            ScratchRegs.R9 = e.Arg5;
            ScratchRegs.Rip = image.SyscallTrap;
        }
        else
        {
            Span<ulong> table = stackalloc ulong[2 * StubLayout.TableCapacity];
            for (int i = 0; i < entries.Length; i++)
            {
                if (entries[i].Number != SyscallEntry.SysMunmap)
                {
                    ThrowHelper.ThrowArgument(nameof(entries), "Only munmap calls can be batched.");
                }
                table[2 * i] = entries[i].Arg0;
                table[(2 * i) + 1] = entries[i].Arg1;
            }
            if (Process.WriteMemory(StubLayout.TableAddress, MemoryMarshal.AsBytes(table[..(2 * entries.Length)])) is not null)
            {
                return (0, 0, Gone());
            }
            ScratchRegs.R14 = StubLayout.TableAddress;
            ScratchRegs.R15 = (ulong)entries.Length;
            ScratchRegs.Rip = image.Batch;
        }
        (long result, Error? error) = RunRoutine();
        if (error is not null)
        {
            return (0, 0, error);
        }
        int completed = entries.Length == 1 ? (IsError(result) ? 0 : 1) : entries.Length - (int)ScratchRegs.R15;
        return (completed, result, null);
    }

    /// <summary>
    /// Runs the routine <see cref="ScratchRegs"/> points at (with the rest of its registers set) until
    /// it stops at <see cref="StubImage.RoutineEnd"/>, and returns its result.
    /// </summary>
    protected (long Result, Error? Error) RunRoutine()
    {
        ulong end = StubImage.Instance.RoutineEnd;
        ScratchRegs.OrigRax = ulong.MaxValue;
        ScratchRegs.R12 = (ulong)Process.Pid;
        ScratchRegs.R13 = (ulong)Tid;
        BindToCurrentCpu();
        if (SetRegs(ref ScratchRegs) is not null || Resume(Libc.PTRACE_CONT) is not null)
        {
            return (0, Gone());
        }
        while (true)
        {
            (int status, Error? error) = WaitStop();
            if (error is not null)
            {
                return (0, error);
            }
            int signal = Libc.WSTOPSIG(status);
            if (Libc.PtraceEventOf(status) == 0)
            {
                if (signal is SignalInfo.SIGSEGV or SignalInfo.SIGBUS or SignalInfo.SIGILL or SignalInfo.SIGFPE or SignalInfo.SIGTRAP)
                {
                    // The stub's own code faulted (its page was damaged or unmapped): it is unusable.
                    return (0, Gone());
                }
                if (signal == Libc.SIGCHLD)
                {
                    if (GetSigInfo() is not null)
                    {
                        return (0, Gone());
                    }
                    if (SigInfo.Code == Libc.SI_TKILL && SigInfo.Pid == Process.Pid)
                    {
                        if (GetRegs(ref ScratchRegs) is not null || ScratchRegs.Rip != end)
                        {
                            // Gone, or stopped somewhere it should not have: it cannot be trusted any more.
                            return (0, Gone());
                        }
                        return ((long)ScratchRegs.Rbx, null);
                    }
                }
            }
            // Anything else (a kick, an outside signal, a group stop) is let go.
            if (Resume(Libc.PTRACE_CONT) is not null)
            {
                return (0, Gone());
            }
        }
    }

    /// <summary>Writes <paramref name="path"/> (NUL-terminated) at <see cref="StubLayout.PathAddress"/>.</summary>
    protected Error? WritePath(string path)
    {
        Span<byte> bytes = stackalloc byte[StubLayout.PathCapacity];
        int length = Encoding.UTF8.GetBytes(path, bytes[..^1]);
        bytes[length] = 0;
        return Process.WriteMemory(StubLayout.PathAddress, bytes[..(length + 1)]) is null ? null : Gone();
    }
}
