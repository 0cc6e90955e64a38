using System.Runtime.Versioning;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Platform;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// A thread of a stub process that runs application code, traced by one thread of Warden (its
/// <see cref="Owner"/>), the thread that made it and the only one that switches into it (the thread
/// model is described on <see cref="StubProcess"/>).
/// </summary>
/// <remarks>
/// <para>
/// Between switches it is stopped with its instruction pointer on the stub's parking loop: should its
/// tracer thread exit (which detaches it), it resumes there and waits for ever instead of running
/// application code untraced (where the stub's seccomp filter would be all that stood between the
/// application and the host kernel). A switch that ends in a signal whose default action kills (a
/// fault's <c>SIGSEGV</c>, a <c>SIGSYS</c>) leaves the thread in that signal-delivery stop, which
/// the next switch or system call resumes from; before its tracer leaves the address space for
/// another it is traded for an interrupt stop (<see cref="LeaveKillingSignalStop"/>), so that a
/// kernel that delivers the stop's signal on detaching cannot kill the stub with it (Linux 6.18
/// discards it).
/// </para>
/// <para>
/// Every member is called on <see cref="Owner"/>'s thread, except <see cref="Kick"/>,
/// <see cref="DropFP"/> and <see cref="IsDead"/> (any thread).
/// </para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed partial class StubThread : TracedThread
{
    private readonly FaultClassifier _classifier;

    // The application's registers during a switch.
    private PtraceRegs _regs;

    private volatile bool _dead;

    private StubThread(StubProcess process, int tid, ThreadToken owner)
        : base(process, tid)
    {
        Owner = owner;
        _classifier = new FaultClassifier(process);
    }

    /// <summary>The Warden thread that traces this one.</summary>
    public ThreadToken Owner { get; }

    /// <summary>Whether the thread (and so its process) is gone.</summary>
    public bool IsDead => _dead || Process.IsDead;

    /// <summary>Whether the calling thread is this one's tracer.</summary>
    public bool IsOwnedByCurrentThread => ReferenceEquals(Owner, ThreadToken.Current);

    /// <summary>Attaches the calling thread to the new (parked) thread <paramref name="tid"/> of <paramref name="process"/> and stops it.</summary>
    /// <returns>The thread, stopped; or why it could not be attached.</returns>
    public static (StubThread? Thread, Error? Error) Attach(StubProcess process, int tid, ThreadToken owner)
    {
        var thread = new StubThread(process, tid, owner);
        Errno? error = Libc.Ptrace(Libc.PTRACE_SEIZE, tid, 0, Libc.PTRACE_O_TRACESYSGOOD);
        if (error is not null)
        {
            // ESRCH: the thread is gone. Once the process is dying any failure means the same (a thread
            // that has already exited cannot be attached: EPERM).
            return (null, error == Errno.ESRCH || process.IsDead ? PtraceErrors.StubDied : error);
        }
        if ((error = Libc.Ptrace(Libc.PTRACE_INTERRUPT, tid, 0, 0)) is not null)
        {
            return (null, thread.GoneAndReaped());
        }
        (_, Error? waitError) = thread.WaitStop();
        if (waitError is not null)
        {
            return (null, waitError);
        }
        if (thread.GetRegs(ref thread.InitialRegs) is not null)
        {
            return (null, thread.GoneAndReaped());
        }
        thread.InitialRegs.Rip = StubImage.Instance.Park;
        thread.AllocateStaging(process.XStateSize);
        return (thread, null);
    }

    /// <summary>Sends the thread <see cref="IPlatformContext.SignalInterrupt"/>, which stops it if it is running.</summary>
    public void Kick() => Process.Kick(Tid);

    /// <summary>Makes one system call in this (stopped) thread; it stops again where it would park.</summary>
    /// <returns>Whether it completed, its result, and an error if the stub is gone.</returns>
    public (int Completed, long Result, Error? Error) InjectOne(in SyscallEntry entry)
    {
        if (IsDead)
        {
            return (0, 0, PtraceErrors.StubDied);
        }
        _inKillingSignalStop = false;
        return Inject(new ReadOnlySpan<SyscallEntry>(in entry));
    }

    /// <summary>
    /// Kills the process and collects this thread's end (for a thread not yet known to the process,
    /// whose end nobody else would collect; until it is, the process cannot be reaped).
    /// </summary>
    public Error GoneAndReaped()
    {
        Error error = Gone();
        while (WaitStop().Error is null)
        {
            // A stop reported before the kill landed; the next wait sees the end.
        }
        return error;
    }

    /// <inheritdoc/>
    protected override void OnEnded()
    {
        _dead = true;
        Process.Kill();
    }
}
