using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Signals;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// Signal state: rt_sigaction(2), rt_sigprocmask(2), kill(2), tgkill(2), tkill(2). Actions and masks
// are kept as Linux keeps them; a signal sent takes its default action (handlers run from the
// processes issue on).
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
        ThreadGroup? target = pid switch
        {
            0 or -1 => t.Group,
            _ when pid < -1 => t.Kernel.FindProcess(-pid) is { } leader && leader.ProcessGroup == -pid ? leader : null,
            _ => t.Kernel.FindProcess(pid),
        };
        return SendTo(t, target, signal);
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
        ThreadGroup? target = t.Kernel.FindProcess(tgid);
        if (target is null || !target.Tasks().Any(task => task.Tid == tid))
        {
            return Errno.ESRCH;
        }
        return SendTo(t, target, signal);
    }

    public static SyscallReturn Tkill(KernelTask t, in SyscallArguments a)
    {
        int tid = a.Int(0);
        int signal = a.Int(1);
        if (tid <= 0 || (signal != 0 && !Signal.IsValid(signal)))
        {
            return Errno.EINVAL;
        }
        ThreadGroup? target = t.Kernel.FindProcess(tid);
        return SendTo(t, target, signal);
    }

    private static SyscallReturn SendTo(KernelTask t, ThreadGroup? target, int signal)
    {
        if (target is null)
        {
            return Errno.ESRCH;
        }
        if (signal != 0)
        {
            t.Kernel.SendSignal(target, signal);
        }
        return SyscallReturn.Ok(0);
    }
}
