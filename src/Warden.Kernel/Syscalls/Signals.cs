using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Signals;
using Warden.Kernel.Tasks;
using Warden.Platform;

namespace Warden.Kernel.Syscalls;

// Signals: rt_sigaction(2), rt_sigprocmask(2), kill(2), tgkill(2), tkill(2), rt_sigreturn(2),
// rt_sigpending(2), rt_sigsuspend(2), pause(2), rt_sigtimedwait(2), rt_sigqueueinfo(2),
// rt_tgsigqueueinfo(2), sigaltstack(2). Delivery is KernelTask.HandleSignals'.
internal static partial class Sys
{
    private const int SIG_BLOCK = 0;
    private const int SIG_UNBLOCK = 1;
    private const int SIG_SETMASK = 2;
    private const ulong SigsetSize = 8;

    public static SyscallReturn RtSigaction(KernelTask t, in SyscallArguments a)
    {
        int signal = a.Int(0);
        Addr act = a.Pointer(1);
        Addr oldAct = a.Pointer(2);
        if (a.ULong(3) != SigsetSize)
        {
            return Errno.EINVAL;
        }
        if (!Signal.IsValid(signal) || (act != Addr.Zero && (signal == Signal.SIGKILL || signal == Signal.SIGSTOP)))
        {
            return Errno.EINVAL;
        }
        SignalAction action = default;
        if (act != Addr.Zero)
        {
            (_, Error? error) = t.CopyObjectIn(act, out action);
            if (error is not null)
            {
                return Errno.EFAULT;
            }
            action.Mask &= ~Signal.Unblockable;
        }
        SignalAction old = act != Addr.Zero ? t.Group.Handlers.Swap(signal, action) : t.Group.Handlers.Get(signal);
        if (oldAct != Addr.Zero && t.CopyObjectOut(oldAct, old).Error is not null)
        {
            return Errno.EFAULT;
        }
        return SyscallReturn.Ok(0);
    }

    public static SyscallReturn RtSigprocmask(KernelTask t, in SyscallArguments a)
    {
        int how = a.Int(0);
        Addr set = a.Pointer(1);
        Addr oldSet = a.Pointer(2);
        if (a.ULong(3) != SigsetSize)
        {
            return Errno.EINVAL;
        }
        ulong old = t.SignalMask;
        if (set != Addr.Zero)
        {
            (_, Error? error) = t.CopyObjectIn(set, out ulong mask);
            if (error is not null)
            {
                return Errno.EFAULT;
            }
            mask &= ~Signal.Unblockable;
            switch (how)
            {
                case SIG_BLOCK:
                    t.SignalMask = old | mask;
                    break;
                case SIG_UNBLOCK:
                    t.SignalMask = old & ~mask;
                    break;
                case SIG_SETMASK:
                    t.SignalMask = mask;
                    break;
                default:
                    return Errno.EINVAL;
            }
        }
        if (oldSet != Addr.Zero && t.CopyObjectOut(oldSet, old).Error is not null)
        {
            return Errno.EFAULT;
        }
        return SyscallReturn.Ok(0);
    }

    public static SyscallReturn Kill(KernelTask t, in SyscallArguments a)
    {
        int pid = a.Int(0);
        int signal = a.Int(1);
        if (signal != 0 && !Signal.IsValid(signal))
        {
            return Errno.EINVAL;
        }
        var info = new SignalInfo { Signo = signal, Code = SignalCodes.SI_USER, Pid = t.Group.Pid, Uid = t.Group.Credentials.Uid };
        if (pid > 0)
        {
            return SendTo(t.Kernel.FindProcess(pid), in info);
        }
        // 0: the caller's process group; -1: every process but the first (and not the caller's own
        // exemption: Linux signals the caller too); below -1: process group -pid.
        ThreadGroup[] targets;
        lock (t.Kernel.TreeLock)
        {
            int group = pid == 0 ? t.Group.ProcessGroup : -pid;
            targets = pid == -1
                ? Array.FindAll(t.Kernel.Processes(), p => !ReferenceEquals(p, t.Kernel.Init) && !p.IsZombie)
                : Array.FindAll(t.Kernel.Processes(), p => p.ProcessGroup == group);
        }
        if (targets.Length == 0)
        {
            return Errno.ESRCH;
        }
        foreach (ThreadGroup target in targets)
        {
            SendTo(target, in info);
        }
        return SyscallReturn.Ok(0);
    }

    public static SyscallReturn Tgkill(KernelTask t, in SyscallArguments a)
    {
        int tgid = a.Int(0);
        int tid = a.Int(1);
        int signal = a.Int(2);
        if (tgid <= 0 || tid <= 0 || (signal != 0 && !Signal.IsValid(signal)))
        {
            return Errno.EINVAL;
        }
        return SendToThread(t, t.Kernel.FindProcess(tgid), tid, signal);
    }

    public static SyscallReturn Tkill(KernelTask t, in SyscallArguments a)
    {
        int tid = a.Int(0);
        int signal = a.Int(1);
        if (tid <= 0 || (signal != 0 && !Signal.IsValid(signal)))
        {
            return Errno.EINVAL;
        }
        return SendToThread(t, t.Kernel.FindProcess(tid), tid, signal);
    }

    private static SyscallReturn SendToThread(KernelTask t, ThreadGroup? group, int tid, int signal)
    {
        KernelTask? target = group is null ? null : Array.Find(group.Tasks(), task => task.Tid == tid);
        if (target is null)
        {
            return Errno.ESRCH;
        }
        if (signal != 0)
        {
            var info = new SignalInfo { Signo = signal, Code = SignalCodes.SI_TKILL, Pid = t.Group.Pid, Uid = t.Group.Credentials.Uid };
            target.SendSignal(in info);
        }
        return SyscallReturn.Ok(0);
    }

    private static SyscallReturn SendTo(ThreadGroup? target, in SignalInfo info)
    {
        if (target is null)
        {
            return Errno.ESRCH;
        }
        if (info.Signo != 0 && !target.IsZombie)
        {
            target.Send(in info);
        }
        return SyscallReturn.Ok(0);
    }

    public static SyscallReturn RtSigreturn(KernelTask t, in SyscallArguments a)
    {
        (ulong mask, Errno? error) = SignalFrame.Restore(t);
        if (error is not null)
        {
            t.ForceSignal(new SignalInfo { Signo = Signal.SIGSEGV, Code = SignalCodes.SI_KERNEL });
            return SyscallReturn.Ok((long)t.Arch.Registers.Rax);
        }
        t.SignalMask = mask;
        // The restored rax is the program's: the dispatcher writes it back unchanged.
        return SyscallReturn.Ok((long)t.Arch.Registers.Rax);
    }

    public static SyscallReturn RtSigpending(KernelTask t, in SyscallArguments a)
    {
        if (a.ULong(1) > SigsetSize)
        {
            return Errno.EINVAL;
        }
        ulong pending;
        lock (t.Group.SignalLock)
        {
            pending = (t.Pending.Set | t.Group.SharedPending.Set) & t.SignalMask;
        }
        Span<byte> bytes = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, pending);
        return t.CopyOut(a.Pointer(0), bytes[..(int)a.ULong(1)]).Error is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
    }

    public static SyscallReturn RtSigsuspend(KernelTask t, in SyscallArguments a)
    {
        if (a.ULong(1) != SigsetSize)
        {
            return Errno.EINVAL;
        }
        if (t.CopyObjectIn(a.Pointer(0), out ulong mask).Error is not null)
        {
            return Errno.EFAULT;
        }
        t.SetTemporaryMask(mask);
        while (t.Block() != WakeReason.Interrupted)
        {
        }
        return SyscallReturn.Interrupted(RestartKind.RestartNoHand);
    }

    public static SyscallReturn Pause(KernelTask t, in SyscallArguments a)
    {
        while (t.Block() != WakeReason.Interrupted)
        {
        }
        return SyscallReturn.Interrupted(RestartKind.RestartNoHand);
    }

    /// <summary>
    /// restart_syscall(2): what a call interrupted with ERESTART_RESTARTBLOCK (nanosleep, poll with
    /// a timeout) left to do, which the signal's delivery issues when no handler ran; EINTR if
    /// there is none (a program that calls it itself).
    /// </summary>
    public static SyscallReturn RestartSyscall(KernelTask t, in SyscallArguments a)
    {
        Func<KernelTask, SyscallReturn>? restart = t.RestartBlock;
        t.RestartBlock = null;
        return restart is null ? Errno.EINTR : restart(t);
    }

    public static SyscallReturn RtSigtimedwait(KernelTask t, in SyscallArguments a)
    {
        if (a.ULong(3) != SigsetSize)
        {
            return Errno.EINVAL;
        }
        if (t.CopyObjectIn(a.Pointer(0), out ulong set).Error is not null)
        {
            return Errno.EFAULT;
        }
        set &= ~Signal.Unblockable;
        long deadline = KernelTask.NoDeadline;
        if (a.Pointer(2) != Addr.Zero)
        {
            if (t.CopyObjectIn(a.Pointer(2), out Timespec ts).Error is not null)
            {
                return Errno.EFAULT;
            }
            if (ts.Seconds < 0 || ts.Nanoseconds is < 0 or >= 1_000_000_000)
            {
                return Errno.EINVAL;
            }
            deadline = KernelTask.DeadlineIn(ts.Seconds >= long.MaxValue / 1_000_000_000 ? long.MaxValue : (ts.Seconds * 1_000_000_000) + ts.Nanoseconds);
        }
        // The waited-for signals are unblocked for the wait (so that they interrupt it), then taken
        // without running a handler.
        ulong oldMask = t.SignalMask;
        t.SignalMask = oldMask & ~set;
        try
        {
            while (true)
            {
                SignalInfo info;
                bool got;
                lock (t.Group.SignalLock)
                {
                    got = t.Pending.TryDequeue(set, out info) || t.Group.SharedPending.TryDequeue(set, out info);
                }
                if (got)
                {
                    if (a.Pointer(1) != Addr.Zero && t.CopyObjectOut(a.Pointer(1), info).Error is not null)
                    {
                        return Errno.EFAULT;
                    }
                    return SyscallReturn.Ok(info.Signo);
                }
                WakeReason reason = t.Block(deadline);
                if (reason == WakeReason.TimedOut)
                {
                    return Errno.EAGAIN;
                }
                if (reason == WakeReason.Interrupted && (t.Group.Killed.IsCancellationRequested || t.Group.StopSignal != 0 ||
                    ((t.Pending.Set | t.Group.SharedPending.Set) & ~t.SignalMask & ~set) != 0))
                {
                    return SyscallReturn.Interrupted(RestartKind.RestartNoHand);
                }
            }
        }
        finally
        {
            t.SignalMask = oldMask;
        }
    }

    public static SyscallReturn RtSigqueueinfo(KernelTask t, in SyscallArguments a) =>
        Sigqueue(t, t.Kernel.FindProcess(a.Int(0)), null, a.Int(1), a.Pointer(2));

    public static SyscallReturn RtTgsigqueueinfo(KernelTask t, in SyscallArguments a)
    {
        int tid = a.Int(1);
        ThreadGroup? group = a.Int(0) > 0 ? t.Kernel.FindProcess(a.Int(0)) : null;
        KernelTask? task = group is null ? null : Array.Find(group.Tasks(), x => x.Tid == tid);
        return task is null ? Errno.ESRCH : Sigqueue(t, group, task, a.Int(2), a.Pointer(3));
    }

    // rt_sigqueueinfo's rules: a caller may not pretend to be the kernel or kill(2) (si_code >= 0,
    // or SI_TKILL) when it signals another process.
    private static SyscallReturn Sigqueue(KernelTask t, ThreadGroup? group, KernelTask? task, int signal, Addr infoAddr)
    {
        if (signal != 0 && !Signal.IsValid(signal))
        {
            return Errno.EINVAL;
        }
        if (t.CopyObjectIn(infoAddr, out SignalInfo info).Error is not null)
        {
            return Errno.EFAULT;
        }
        if (group is null)
        {
            return Errno.ESRCH;
        }
        if ((info.Code >= 0 || info.Code == SignalCodes.SI_TKILL) && !ReferenceEquals(group, t.Group))
        {
            return Errno.EPERM;
        }
        info.Signo = signal;
        if (signal != 0)
        {
            if (task is not null)
            {
                task.SendSignal(in info);
            }
            else
            {
                group.Send(in info);
            }
        }
        return SyscallReturn.Ok(0);
    }

    public static SyscallReturn Sigaltstack(KernelTask t, in SyscallArguments a)
    {
        Addr newStack = a.Pointer(0);
        Addr oldStack = a.Pointer(1);
        SignalStack current = t.AltStack;
        ulong sp = t.Arch.Registers.Rsp;
        if (oldStack != Addr.Zero)
        {
            var old = new UserStack { Sp = current.Sp, Flags = current.FlagsFor(sp), Size = current.Size };
            if (t.CopyObjectOut(oldStack, old).Error is not null)
            {
                return Errno.EFAULT;
            }
        }
        if (newStack != Addr.Zero)
        {
            if (t.CopyObjectIn(newStack, out UserStack stack).Error is not null)
            {
                return Errno.EFAULT;
            }
            if (current.Contains(sp))
            {
                return Errno.EPERM;
            }
            int mode = stack.Flags & ~SignalStack.SS_AUTODISARM;
            if (mode is not (0 or SignalStack.SS_DISABLE or SignalStack.SS_ONSTACK))
            {
                return Errno.EINVAL;
            }
            if (mode == SignalStack.SS_DISABLE)
            {
                t.AltStack = SignalStack.Disabled;
            }
            else
            {
                if (stack.Size < SignalStack.MinSize)
                {
                    return Errno.ENOMEM;
                }
                t.AltStack = new SignalStack(stack.Sp, stack.Size, stack.Flags & SignalStack.SS_AUTODISARM);
            }
        }
        return SyscallReturn.Ok(0);
    }

    // stack_t: ss_sp, ss_flags (int, padded), ss_size.
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct UserStack
    {
        public ulong Sp;
        public int Flags;
        public int Padding;
        public ulong Size;
    }
}
