using System.Runtime.Versioning;
using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// The execution context of one application thread on the ptrace platform: <see cref="Switch"/>
/// runs the thread in an address space's stub until it makes a system call, takes a signal, or is
/// interrupted.
/// </summary>
/// <remarks>
/// <para>
/// <b>Where it runs.</b> A switch runs in the calling Warden thread's own stub thread in that address
/// space, which the calling thread traces (the thread model: <see cref="StubProcess"/>). With
/// <see cref="PtracePlatformOptions.PinTracerThreads"/> the calling thread is kept on its CPU, and the
/// stub thread always runs on the same CPU as its tracer.
/// </para>
/// <para>
/// <b>Floating-point state</b> (with <see cref="PtracePlatformOptions.LazyFPState"/>, the default).
/// Copying the whole XSAVE area out of the stub after every switch and back in before the next would
/// add about a quarter to a system call round trip, and most round trips never look at it. So the
/// state stays in the stub thread between switches, and <c>archContext.FPState</c> is <i>lent</i>:
/// after a switch it is marked (<see cref="FPLending"/>) and its other bytes are stale. The rules:
/// </para>
/// <list type="bullet">
/// <item>To read or change part of a lent state, first call <see cref="PullFPState"/>: it copies the
/// live state back and the mark goes. Changes are then loaded into the stub at the next switch.</item>
/// <item>Replacing the whole state (<c>FPState.Reset</c>, <c>CopyFrom</c> of a real state, reading
/// one from a signal frame) needs no pull: any valid state carries no mark, so the next switch loads it.</item>
/// <item>Copying a lent state (<c>ArchContext.Clone</c> for a new thread) without pulling it first
/// is a broken precondition: the copy's bytes are stale, and switching with it throws.</item>
/// <item>A context lends one state at a time: switching it with another <c>ArchContext</c> first
/// gives the previous one its live state back.</item>
/// <item>Only the Warden thread that switched can reach a lent state (it is in a stub thread that
/// thread traces). Before a context is switched from another Warden thread, pull its state on the
/// thread that last switched it; otherwise the switch returns <see cref="PtraceErrors.FPStateLost"/>.
/// A context that moves between address spaces on the same Warden thread takes its state along.</item>
/// </list>
/// <para>
/// Several contexts may take turns in one stub thread (contexts switched from the same Warden
/// thread); the stub thread keeps the most recent one's state and moves the previous one's into that
/// context's spill buffer.
/// </para>
/// <para>
/// <b>Threads.</b> <see cref="Switch"/> and <see cref="PullFPState"/> are called by one thread at a
/// time (the thread that owns the context); <see cref="Interrupt"/> from any thread.
/// </para>
/// </remarks>
[SupportedOSPlatform("linux")]
public sealed class PtraceContext : IPlatformContext
{
    private readonly PtracePlatform _platform;

    // Set by Interrupt, taken by the tracer (or by a switch that has not started yet).
    internal int InterruptPending;

    // The stub thread running this context's switch, while one runs (so that Interrupt can kick it).
    internal StubThread? RunningOn;

    // The stub thread that holds this context's live floating-point state, if any.
    internal StubThread? LiveIn;

    // The stub thread the last switch used, and its process: the next switch from the same Warden
    // thread into the same address space uses it again without a lookup.
    private StubProcess? _lastProcess;
    private StubThread? _lastThread;

    // The FPState object last marked as lent (used by the thread that switches this context).
    internal FPState? LentState;

    internal PtraceContext(PtracePlatform platform)
    {
        _platform = platform;
        Mark = FPLending.NewMark();
        Spill = platform.Options.LazyFPState ? new FPState() : null;
    }

    /// <summary>This context's lending mark.</summary>
    internal ulong Mark { get; }

    /// <summary>Where the state goes when another context takes the stub's thread.</summary>
    internal FPState? Spill { get; }

    /// <inheritdoc/>
    /// <remarks>
    /// <para>
    /// The registers are loaded as given, except the segment selectors (<c>cs</c>, <c>ss</c>,
    /// <c>ds</c>, <c>es</c>, <c>fs</c>, <c>gs</c>), which are the stub's own; <c>fs_base</c> and
    /// <c>gs_base</c> are the caller's. After a system call, <c>Rax</c> and <c>OrigRax</c> both hold
    /// the system call number and <c>Rip</c> points after the <c>syscall</c> instruction: put the
    /// result in <c>Rax</c> and switch again to continue. On a signal, the signal is not delivered
    /// to the stub (the caller decides what it means); for <c>SIGSEGV</c> and <c>SIGBUS</c>,
    /// <c>At</c> is the access that faulted, decoded from the faulting instruction.
    /// </para>
    /// <para>
    /// <b>The vsyscall page.</b> A call into the host's legacy vsyscall page
    /// (<c>0xffffffffff600000</c>: <c>gettimeofday</c> at +0x000, <c>time</c> at +0x400,
    /// <c>getcpu</c> at +0x800) never reaches the host: the stub's seccomp filter traps it (see
    /// <see cref="StubImage"/>), and the switch returns <see cref="PlatformErrors.ContextSignal"/>
    /// with a <c>SIGSYS</c> of code <see cref="SignalInfo.SYS_SECCOMP"/>: <c>CallAddr</c> is the
    /// entry called, <c>Syscall</c> its system call number (96, 201, 309), <c>Arch</c>
    /// <c>AUDIT_ARCH_X86_64</c>. The host kernel has already emulated the <c>ret</c>: <c>Rip</c> is the
    /// caller's return address and <c>Rsp</c> 8 above where the entry found it; the arguments are in
    /// <c>Rdi</c>, <c>Rsi</c> (and <c>Rdx</c>) as the caller left them; <c>Rax</c> holds the system
    /// call number (the kernel rolls it back for a trap) and <c>OrigRax</c> is -1. To complete the
    /// call, put its result in <c>Rax</c> (and its output in memory) and switch again: the program
    /// goes on after its <c>call</c>. The <c>SIGSYS</c> is not delivered to the stub. A call to any
    /// other offset of the page is a <c>SIGSEGV</c>, as on Linux.
    /// </para>
    /// <para>
    /// Besides the errors of the contract, it returns <see cref="PtraceErrors.StubDied"/> when the
    /// address space's stub is gone, <see cref="PtraceErrors.FPStateLost"/> (see that error), or the
    /// kernel's error for registers or a floating-point state it refuses (<c>EIO</c>, <c>EINVAL</c>).
    /// <c>cpu</c> is ignored: this platform does not detect preemption.
    /// </para>
    /// <para>A Warden thread's first switch into an address space costs more than the others: it
    /// makes the stub thread (a <c>clone</c> in the stub) and attaches it.</para>
    /// <para><b>Preconditions:</b> <paramref name="addressSpace"/> was made by this context's platform
    /// and not released; <paramref name="archContext"/>'s floating-point state is not a lent state
    /// of another context, nor a copy of one (see the class remarks).</para>
    /// </remarks>
    public (AccessType At, Error? Error) Switch(IAddressSpace addressSpace, ArchContext archContext, int cpu, out SignalInfo signalInfo)
    {
        ArgumentNullException.ThrowIfNull(addressSpace);
        ArgumentNullException.ThrowIfNull(archContext);
        if (addressSpace is not PtraceAddressSpace ptraceSpace || ptraceSpace.Platform != _platform)
        {
            ThrowHelper.ThrowArgument(nameof(addressSpace), "The address space was not made by this context's platform.");
            signalInfo = default;
            return default;
        }
        StubProcess process = ptraceSpace.ProcessOrThrow();
        StubThread? thread = _lastThread;
        if (!ReferenceEquals(process, _lastProcess) || thread is null || !thread.IsOwnedByCurrentThread)
        {
            if (thread is not null && thread.IsOwnedByCurrentThread)
            {
                // Leaving the last address space (an exec, a vfork child's return to its own): its
                // thread may sit in a fault's stop for long (see StubThread). Its stub may be gone.
                _ = thread.LeaveKillingSignalStop();
            }
            (thread, Error? threadError) = process.ThreadForCurrent();
            if (threadError is not null)
            {
                signalInfo = default;
                return (default, threadError);
            }
            _lastProcess = process;
            _lastThread = thread;
        }
        if (Spill is not null)
        {
            Error? error = PrepareFP(thread!, archContext.FPState);
            if (error is not null)
            {
                signalInfo = default;
                return (default, error);
            }
        }
        return thread!.Switch(this, archContext, out signalInfo);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Sets a flag the running (or next) <see cref="Switch"/> sees, and kicks the stub thread running
    /// this context, if any, with <see cref="IPlatformContext.SignalInterrupt"/> (<c>tgkill</c>); its
    /// tracer takes that signal back and the switch returns <see cref="PlatformErrors.ContextInterrupt"/>.
    /// </remarks>
    public void Interrupt()
    {
        // A full fence between setting the flag and reading RunningOn; the tracer does the
        // mirror image, so one of the two sees the other.
        Interlocked.Exchange(ref InterruptPending, 1);
        Volatile.Read(ref RunningOn)?.Kick();
    }

    /// <summary>
    /// Makes <c>archContext.FPState</c> hold this thread's live floating-point state, copying it
    /// out of the stub that holds it, so that the caller can read or change it.
    /// </summary>
    /// <returns>
    /// <c>null</c>, or <see cref="PtraceErrors.FPStateLost"/> if the stub that held it died or the
    /// state is held by a stub thread another Warden thread traces.
    /// </returns>
    /// <remarks>
    /// <para>Does nothing if the state is not lent (it is then already current), or with
    /// <see cref="PtracePlatformOptions.LazyFPState"/> off.</para>
    /// <para><b>Preconditions:</b> <paramref name="archContext"/> is the one this context last
    /// switched with (if its state is lent, it is lent by this context); no switch of this context
    /// is running; called on the Warden thread that last switched this context.</para>
    /// <para><b>Postconditions:</b> on success the state is current and unmarked; the next switch
    /// loads it.</para>
    /// </remarks>
    public Error? PullFPState(ArchContext archContext)
    {
        ArgumentNullException.ThrowIfNull(archContext);
        FPState state = archContext.FPState;
        if (Spill is null || FPLending.MarkOf(state) == 0)
        {
            return null;
        }
        CheckLentByThis(state);
        return GiveBack(state, evict: false);
    }

    // Copies the live state into state, the lent FPState; with evict, the stub thread forgets it.
    private Error? GiveBack(FPState state, bool evict)
    {
        StubThread? live = Volatile.Read(ref LiveIn);
        if (live is not null)
        {
            if (!live.IsOwnedByCurrentThread)
            {
                // Only the thread that switched can reach the stub thread holding the state.
                return PtraceErrors.FPStateLost;
            }
            (bool pulled, Error? error) = live.PullFP(this, state, evict);
            if (error is not null)
            {
                return PtraceErrors.FPStateLost;
            }
            if (pulled)
            {
                LentState = null;
                return null;
            }
            if (Volatile.Read(ref LiveIn) is not null)
            {
                return PtraceErrors.FPStateLost;
            }
        }
        // In the spill buffer (a state the kernel wrote, so it carries no mark).
        Span<byte> destination = state.AsSpan();
        ReadOnlySpan<byte> spilled = Spill!.AsSpan();
        destination.Clear();
        spilled[..Math.Min(spilled.Length, destination.Length)].CopyTo(destination);
        FPLending.SetMark(state, 0);
        LentState = null;
        return null;
    }

    // Before a switch in target: make sure target can get this context's live state.
    private Error? PrepareFP(StubThread target, FPState state)
    {
        if (LentState is not null && !ReferenceEquals(state, LentState))
        {
            // Another ArchContext than the one lent so far: that one gets its state back first
            // (unless its owner has since replaced it with a state of its own).
            Error? error = FPLending.MarkOf(LentState) == Mark ? GiveBack(LentState, evict: true) : null;
            LentState = null;
            if (error is not null)
            {
                return error;
            }
        }
        StubThread? live = Volatile.Read(ref LiveIn);
        if (FPLending.MarkOf(state) == 0)
        {
            // The caller's own state: whatever another stub thread holds for this context is obsolete.
            if (live is not null && live != target)
            {
                live.DropFP(this);
            }
            return null;
        }
        CheckLentByThis(state);
        if (live is null || live == target)
        {
            return null;
        }
        // Held by another stub thread (the context has moved to another address space): bring it
        // into the spill buffer, which only that thread's tracer can do.
        if (!live.IsOwnedByCurrentThread)
        {
            return PtraceErrors.FPStateLost;
        }
        (_, Error? pullError) = live.PullFP(this, Spill!, evict: true);
        if (pullError is not null || Volatile.Read(ref LiveIn) is not null)
        {
            return PtraceErrors.FPStateLost;
        }
        return null;
    }

    private void CheckLentByThis(FPState state)
    {
        if (FPLending.MarkOf(state) != Mark || !ReferenceEquals(state, LentState))
        {
            ThrowHelper.ThrowInvalidOperation(
                "This FPState is lent to the ptrace platform by another context or is a copy of a lent state: " +
                "call PtraceContext.PullFPState on the context that switched with it before copying it.");
        }
    }
}
