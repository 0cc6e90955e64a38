using Warden.Kernel.Signals;
using Warden.Kernel.Syscalls;
using Warden.Platform;

namespace Warden.Kernel.Tasks;

internal sealed partial class KernelTask
{
    // The mask sigsuspend (and ppoll, pselect) replaced, put back by the next handler's sigreturn,
    // or when the call returns with no handler run.
    private ulong _savedMask;
    private bool _restoreMask;

    /// <summary>How the last system call asked to be finished if a signal interrupted it.</summary>
    public RestartKind PendingRestart { get; set; }

    /// <summary>
    /// What <c>restart_syscall</c> does: set by a call that returns <see cref="RestartKind.RestartBlock"/>
    /// to go on with what it had left (a sleep's deadline), and cleared once used or once the call
    /// ends in EINTR (Linux's <c>restart_block</c>).
    /// </summary>
    public Func<KernelTask, SyscallReturn>? RestartBlock { get; set; }

    /// <summary>
    /// Replaces the signal mask for the length of a blocking call (sigsuspend, ppoll, pselect6):
    /// the old one comes back when a handler returns, or at the end of the call if none runs.
    /// </summary>
    public void SetTemporaryMask(ulong mask)
    {
        if (!_restoreMask)
        {
            _savedMask = SignalMask;
            _restoreMask = true;
        }
        SignalMask = mask;
    }

    /// <summary>Ends a temporary mask at once (the call returned without being interrupted).</summary>
    public void RestoreTemporaryMask()
    {
        if (_restoreMask)
        {
            _restoreMask = false;
            SignalMask = _savedMask;
        }
    }

    /// <summary>Sends <paramref name="info"/> to this thread alone (tgkill, a fault).</summary>
    public void SendSignal(in SignalInfo info) => Group.Send(in info, this);

    /// <summary>
    /// A signal the CPU raised (a fault this task cannot go on from): as Linux's force_sig_info, it
    /// is unblocked and, if ignored, reset to its default action, then delivered like any other.
    /// </summary>
    public void ForceSignal(in SignalInfo info)
    {
        int signal = info.Signo;
        SignalAction action = Group.Handlers.Get(signal);
        bool blocked = (SignalMask & Signal.Bit(signal)) != 0;
        if (blocked || action.Handler == SignalAction.Ignore)
        {
            Group.Handlers.Swap(signal, default);
            SignalMask &= ~Signal.Bit(signal);
        }
        lock (Group.SignalLock)
        {
            Pending.Enqueue(in info);
        }
    }

    /// <summary>
    /// What Linux does on each return to the program: stops while the process is stopped, then
    /// takes every pending signal the task does not block and acts on it (ignores it, ends or stops
    /// the process, or builds a handler's frame), and finishes an interrupted system call: EINTR
    /// or a restart, as the first handler's SA_RESTART and the call's restart kind say.
    /// </summary>
    private void HandleSignals()
    {
        // The common case, on every return to the program: nothing pending, stopped or to finish.
        if (!IsInterrupted && PendingRestart == RestartKind.None && !_restoreMask)
        {
            return;
        }
        bool handlerRan = false;
        while (!Group.Killed.IsCancellationRequested)
        {
            if (Group.StopSignal != 0)
            {
                WaitWhileStopped();
                continue;
            }
            SignalInfo info;
            lock (Group.SignalLock)
            {
                ulong allowed = ~SignalMask;
                if (!Pending.TryDequeue(allowed, out info) && !Group.SharedPending.TryDequeue(allowed, out info))
                {
                    break;
                }
            }
            int signal = info.Signo;
            SignalAction action = Group.Handlers.Get(signal);
            if (action.Handler == SignalAction.Ignore)
            {
                continue;
            }
            if (action.Handler == SignalAction.Default)
            {
                if (Signal.DefaultIgnores(signal))
                {
                    continue;
                }
                if (Signal.DefaultStops(signal))
                {
                    if (signal != Signal.SIGSTOP && Kernel.IsOrphanedGroup(Group))
                    {
                        // No shell is left to continue an orphaned group: job-control stops do nothing.
                        continue;
                    }
                    if (Group.EnterStop(signal))
                    {
                        Kernel.Strace?.PrintSignal(this, in info);
                        Kernel.ChildStopped(Group, signal);
                    }
                    continue;
                }
                Kernel.Strace?.PrintSignal(this, in info);
                Group.BeginExit(ExitStatus.Killed(signal));
                return;
            }
            Kernel.Strace?.PrintSignal(this, in info);
            if (!handlerRan)
            {
                FinishInterruptedCall(handlerRuns: true, saRestart: (action.Flags & SignalAction.SA_RESTART) != 0);
            }
            ulong savedMask = _restoreMask ? _savedMask : SignalMask;
            if (PullFPState() is not null || SignalFrame.Build(this, in info, in action, savedMask) is not null)
            {
                // The frame cannot be written (a bad stack): the process dies of SIGSEGV, as on Linux.
                Group.BeginExit(ExitStatus.Killed(Signal.SIGSEGV));
                return;
            }
            _restoreMask = false;
            SignalMask |= action.Mask | ((action.Flags & SignalAction.SA_NODEFER) == 0 ? Signal.Bit(signal) : 0);
            if ((action.Flags & SignalAction.SA_RESETHAND) != 0)
            {
                Group.Handlers.Swap(signal, default);
            }
            if (AltStack.Contains(Arch.Registers.Rsp) && (AltStack.Flags & SignalStack.SS_AUTODISARM) != 0)
            {
                AltStack = SignalStack.Disabled;
            }
            handlerRan = true;
        }
        if (!handlerRan)
        {
            FinishInterruptedCall(handlerRuns: false, saRestart: false);
            RestoreTemporaryMask();
        }
    }

    // A system call a signal interrupted returns EINTR or is issued again (rip back over the
    // two-byte syscall instruction, rax its number again), as Linux's arch_do_signal_or_restart:
    // always for ERESTARTNOINTR; when no handler runs for the others; when the handler has
    // SA_RESTART for ERESTARTSYS.
    private void FinishInterruptedCall(bool handlerRuns, bool saRestart)
    {
        RestartKind kind = PendingRestart;
        PendingRestart = RestartKind.None;
        if (kind == RestartKind.None)
        {
            return;
        }
        ref PtraceRegs regs = ref Arch.Registers;
        bool again = kind == RestartKind.RestartNoIntr || !handlerRuns || (kind == RestartKind.RestartSys && saRestart);
        if (again)
        {
            // ERESTART_RESTARTBLOCK goes on through restart_syscall, with what the call had left.
            regs.Rax = kind == RestartKind.RestartBlock ? SyscallNumbers.RestartSyscall : regs.OrigRax;
            regs.Rip -= 2;
        }
        else
        {
            regs.Rax = unchecked((ulong)-Warden.Errors.Errno.EINTR.Number);
            RestartBlock = null;
        }
    }

    private Warden.Errors.Error? PullFPState() => PlatformContext.PullFPState(Arch);

    // A stopped process's task waits until it is continued or killed.
    private void WaitWhileStopped()
    {
        while (Group.StopSignal != 0 && !Group.Killed.IsCancellationRequested)
        {
            long since = System.Diagnostics.Stopwatch.GetTimestamp();
            Waker.Wait(-1);
            AccountBlocked(since);
            Waker.Consume();
        }
    }
}
