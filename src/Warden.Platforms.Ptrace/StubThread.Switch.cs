using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Platform;

namespace Warden.Platforms.Ptrace;

// Running application code: one switch, from loading the registers to the stop that ends it.
internal sealed partial class StubThread
{
    // WSTOPSIG of a system call stop under PTRACE_O_TRACESYSGOOD.
    private const int SyscallStopSignal = SignalInfo.SIGTRAP | 0x80;

    // Whether the last switch ended in the signal-delivery stop of a signal that kills by default
    // (a fault's SIGSEGV, a SIGSYS) and the thread is still in it: until it is next resumed.
    private bool _inKillingSignalStop;

    /// <summary>Runs <paramref name="archContext"/> in this thread until it stops (see <see cref="PtraceContext.Switch"/>).</summary>
    /// <remarks><b>Preconditions:</b> called on <see cref="Owner"/>'s thread; <paramref name="context"/> has prepared its floating-point state for this thread.</remarks>
    public (AccessType At, Error? Error) Switch(PtraceContext context, ArchContext archContext, out SignalInfo signalInfo)
    {
        signalInfo = default;
        if (IsDead)
        {
            return (default, PtraceErrors.StubDied);
        }
        Error? error = Process.EnterRunning(this);
        if (error is not null)
        {
            return (default, error);
        }
        try
        {
            return Run(context, archContext, ref signalInfo);
        }
        finally
        {
            Volatile.Write(ref context.RunningOn, null);
            Process.ExitRunning();
            if (Process.PinTracers)
            {
                TracerAffinity.Leave();
            }
        }
    }

    private (AccessType At, Error? Error) Run(PtraceContext context, ArchContext arch, ref SignalInfo signalInfo)
    {
        Error? error = LoadFP(context, arch.FPState);
        if (error is not null)
        {
            return (default, error);
        }

        _inKillingSignalStop = false;
        _regs = arch.Registers;
        // The selectors are the stub's own (Linux refuses most others); the caller's bases are kept.
        _regs.Cs = InitialRegs.Cs;
        _regs.Ss = InitialRegs.Ss;
        _regs.Ds = InitialRegs.Ds;
        _regs.Es = InitialRegs.Es;
        _regs.Fs = InitialRegs.Fs;
        _regs.Gs = InitialRegs.Gs;
        // Not in a system call: no restart logic may rewrite rip or rax when the thread resumes.
        _regs.OrigRax = ulong.MaxValue;

        // Either Interrupt sees RunningOn and kicks the thread, or this sees its flag: both sides
        // write, then read, with full fences.
        Interlocked.Exchange(ref context.RunningOn, this);
        if (Interlocked.Exchange(ref context.InterruptPending, 0) != 0)
        {
            FinishFP(context, arch.FPState);
            return (default, PlatformErrors.ContextInterrupt);
        }
        BindToCurrentCpu();
        if (SetRegs(ref _regs) is not null || Resume(Libc.PTRACE_SYSEMU) is not null)
        {
            return (default, Gone());
        }

        while (true)
        {
            (int status, Error? waitError) = WaitStop();
            if (waitError is not null)
            {
                _dead = true;
                return (default, waitError);
            }
            int signal = Libc.WSTOPSIG(status);
            if (Libc.PtraceEventOf(status) != 0)
            {
                // A group stop (someone stopped the whole stub) or a stray interrupt: carry on.
                if (Resume(Libc.PTRACE_SYSEMU) is not null)
                {
                    return (default, Gone());
                }
                continue;
            }
            if (signal == SyscallStopSignal)
            {
                if (GetRegs(ref _regs) is not null || Park() is not null)
                {
                    return (default, Gone());
                }
                // At a system call stop the kernel has put -ENOSYS in rax; the caller sees the
                // number there, as the program left it.
                _regs.Rax = _regs.OrigRax;
                arch.Registers = _regs;
                FinishFP(context, arch.FPState);
                return (default, null);
            }
            if (GetSigInfo() is not null)
            {
                return (default, Gone());
            }
            if (StubProcess.IsKick(signal, SigInfo) && Interlocked.Exchange(ref context.InterruptPending, 0) == 0)
            {
                // A kick that no interrupt is waiting for (it raced with an earlier switch's end): the
                // signal is dropped and the program goes on.
                if (Resume(Libc.PTRACE_SYSEMU) is not null)
                {
                    return (default, Gone());
                }
                continue;
            }
            if (GetRegs(ref _regs) is not null || Park() is not null)
            {
                return (default, Gone());
            }
            bool kick = StubProcess.IsKick(signal, SigInfo);
            // The stop is left as it is until the thread is next resumed, or traded for an interrupt
            // stop by LeaveKillingSignalStop: a fault costs no more round trips than it must.
            _inKillingSignalStop = !kick;
            arch.Registers = _regs;
            FinishFP(context, arch.FPState);
            if (kick)
            {
                return (default, PlatformErrors.ContextInterrupt);
            }
            signalInfo = SigInfo;
            AccessType at = signal is SignalInfo.SIGSEGV or SignalInfo.SIGBUS ? _classifier.Classify(in _regs, SigInfo.Addr, SigInfo.Signo, SigInfo.Code) : default;
            return (at, PlatformErrors.ContextSignal);
        }
    }

    /// <summary>
    /// Trades the signal-delivery stop of a killing signal that the last switch left the thread in,
    /// if it is still in one, for an interrupt stop, which holds no signal; does nothing otherwise.
    /// </summary>
    /// <returns><c>null</c>, or <see cref="PtraceErrors.StubDied"/>.</returns>
    /// <remarks>
    /// Should the tracer thread exit while the thread is stopped, Linux detaches it and it resumes at
    /// the parking loop: from a signal-delivery stop, a kernel that delivers the stop's signal on
    /// detaching (6.18 discards it) would then kill the whole stub with it. Costs one round trip; so
    /// it is done when the tracer leaves the address space (see <see cref="PtraceContext.Switch"/>),
    /// not after every fault.
    /// </remarks>
    public Error? LeaveKillingSignalStop()
    {
        if (!_inKillingSignalStop || IsDead)
        {
            return null;
        }
        _inKillingSignalStop = false;
        return LeaveSignalStop();
    }

    private Error? LeaveSignalStop()
    {
        // PTRACE_CONT with no signal discards the stop's signal; the interrupt stops the thread again.
        if (Resume(Libc.PTRACE_CONT) is not null || Libc.Ptrace(Libc.PTRACE_INTERRUPT, Tid, 0, 0) is not null)
        {
            return Gone();
        }
        while (true)
        {
            (int status, Error? error) = WaitStop();
            if (error is not null)
            {
                _dead = true;
                return error;
            }
            if (Libc.PtraceEventOf(status) == Libc.PTRACE_EVENT_STOP)
            {
                return null;
            }
            // A signal that arrived meanwhile (a late kick: its interrupt flag stays set for the next
            // switch) is discarded in the same way; the interrupt is still to come.
            if (Resume(Libc.PTRACE_CONT) is not null)
            {
                return Gone();
            }
        }
    }
}
