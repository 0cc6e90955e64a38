using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Signals;
using Warden.Kernel.Tasks;
using Warden.Platform;

namespace Warden.Kernel.Syscalls;

// wait4(2) and waitid(2): a child's exit (reaping the zombie), stop (WUNTRACED/WSTOPPED) or
// continue (WCONTINUED), chosen by pid, process group or any; ECHILD when no child matches;
// WNOHANG returns at once; a wait a signal interrupts is restarted or EINTR (ERESTARTSYS).
internal static partial class Sys
{
    private const int WNOHANG = 0x1;
    private const int WUNTRACED = 0x2;
    private const int WEXITED = 0x4;
    private const int WCONTINUED = 0x8;
    private const int WNOWAIT = 0x01000000;
    private const int WNOTHREAD = 0x20000000;
    private const int WALL = 0x40000000;
    private const int WCLONE = unchecked((int)0x80000000);

    private const int P_ALL = 0;
    private const int P_PID = 1;
    private const int P_PGID = 2;

    public static SyscallReturn Wait4(KernelTask t, in SyscallArguments a)
    {
        int pid = a.Int(0);
        int options = a.Int(2);
        if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL)) != 0 || pid == int.MinValue)
        {
            return Errno.EINVAL;
        }
        (int kind, int id) = pid switch
        {
            -1 => (P_ALL, 0),
            0 => (P_PGID, 0),
            < 0 => (P_PGID, -pid),
            _ => (P_PID, pid),
        };
        (WaitResult result, SyscallReturn? early) = WaitForChild(t, kind, id, options | WEXITED);
        if (early is { } done)
        {
            return done;
        }
        if (result.Pid != 0)
        {
            if (a.Pointer(1) != Addr.Zero && t.CopyObjectOut(a.Pointer(1), result.Status).Error is not null)
            {
                return Errno.EFAULT;
            }
            if (WriteChildRusage(t, a.Pointer(3), result.Usage) is not null)
            {
                return Errno.EFAULT;
            }
        }
        return SyscallReturn.Ok(result.Pid);
    }

    public static SyscallReturn Waitid(KernelTask t, in SyscallArguments a)
    {
        int kind = a.Int(0);
        int id = a.Int(1);
        int options = a.Int(3);
        if ((options & ~(WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL)) != 0 ||
            (options & (WEXITED | WUNTRACED | WCONTINUED)) == 0)
        {
            return Errno.EINVAL;
        }
        if (kind is not (P_ALL or P_PID or P_PGID) || (kind == P_PID && id <= 0) || (kind == P_PGID && id < 0))
        {
            return Errno.EINVAL;
        }
        (WaitResult result, SyscallReturn? early) = WaitForChild(t, kind, id, options);
        if (early is { } done)
        {
            return done;
        }
        if (a.Pointer(2) != Addr.Zero)
        {
            // With WNOHANG and nothing to report, the siginfo is zeroed (si_pid 0).
            var info = result.Pid == 0 ? default : new SignalInfo
            {
                Signo = Signal.SIGCHLD,
                Code = result.Code,
                Pid = result.Pid,
                Uid = result.Uid,
                Status = result.InfoStatus,
            };
            if (t.CopyObjectOut(a.Pointer(2), info).Error is not null)
            {
                return Errno.EFAULT;
            }
        }
        if (WriteChildRusage(t, a.Pointer(4), result.Usage) is not null)
        {
            return Errno.EFAULT;
        }
        return SyscallReturn.Ok(0);
    }

    // What a wait found: the child, wait4's status word, waitid's code and status, and the child's usage.
    private readonly record struct WaitResult(int Pid, int Status, int Code, int InfoStatus, uint Uid, ProcessUsage Usage = default);

    // The common wait: the first child (in creation order) matching (kind, id) with something the
    // options ask for. Returns the result, or the call's return when it ends otherwise (ECHILD,
    // WNOHANG with nothing yet, interrupted).
    private static (WaitResult Result, SyscallReturn? Early) WaitForChild(KernelTask t, int kind, int id, int options)
    {
        ThreadGroup self = t.Group;
        Kernel kernel = t.Kernel;
        self.ChildEvents.Add(t.Waker, -1);
        try
        {
            while (true)
            {
                lock (kernel.TreeLock)
                {
                    int group = kind == P_PGID && id == 0 ? self.ProcessGroup : id;
                    bool any = false;
                    foreach (ThreadGroup child in self.Children)
                    {
                        if (!Matches(child, kind, group, options))
                        {
                            continue;
                        }
                        any = true;
                        if (Report(kernel, child, options) is WaitResult found)
                        {
                            return (found, null);
                        }
                    }
                    if (!any)
                    {
                        return (default, Errno.ECHILD);
                    }
                }
                if ((options & WNOHANG) != 0)
                {
                    return (default, null);
                }
                if (t.Block() == WakeReason.Interrupted)
                {
                    return (default, SyscallReturn.Interrupted(RestartKind.RestartSys));
                }
            }
        }
        finally
        {
            self.ChildEvents.Remove(t.Waker);
        }
    }

    // Whether the child is one this wait selects: by pid or process group, and by its exit signal
    // (a "clone" child, whose exit signal is not SIGCHLD, only with __WCLONE or __WALL). Tree lock held.
    private static bool Matches(ThreadGroup child, int kind, int id, int options)
    {
        bool selected = kind switch
        {
            P_PID => child.Pid == id,
            P_PGID => child.ProcessGroup == id,
            _ => true,
        };
        bool cloneChild = child.ExitSignal != Signal.SIGCHLD;
        return selected && ((options & WALL) != 0 || cloneChild == ((options & WCLONE) != 0));
    }

    // What the child has to report to this wait, consuming it unless WNOWAIT (a zombie is reaped).
    // Tree lock held.
    private static WaitResult? Report(Kernel kernel, ThreadGroup child, int options)
    {
        bool keep = (options & WNOWAIT) != 0;
        if (child.IsZombie && (options & WEXITED) != 0)
        {
            ExitStatus status = child.ExitStatus ?? ExitStatus.Exited(0);
            var result = new WaitResult(child.Pid, status.WaitStatus,
                status.Signaled ? SignalCodes.CLD_KILLED : SignalCodes.CLD_EXITED,
                status.Signaled ? status.Signal : status.Code, child.Credentials.Uid, ThreadGroup.WaitUsageLocked(child));
            if (!keep)
            {
                // The parent's RUSAGE_CHILDREN counts what it reaps.
                child.Parent?.AddReapedChildLocked(child);
                kernel.RemoveLocked(child);
            }
            return result;
        }
        if (child.StopUnreported && child.StopSignal != 0 && (options & WUNTRACED) != 0)
        {
            if (!keep)
            {
                child.StopUnreported = false;
            }
            return new WaitResult(child.Pid, (child.StopSignal << 8) | 0x7f, SignalCodes.CLD_STOPPED, child.StopSignal, child.Credentials.Uid, ThreadGroup.WaitUsageLocked(child));
        }
        if (child.ContinueUnreported && (options & WCONTINUED) != 0)
        {
            if (!keep)
            {
                child.ContinueUnreported = false;
            }
            return new WaitResult(child.Pid, 0xffff, SignalCodes.CLD_CONTINUED, Signal.SIGCONT, child.Credentials.Uid, ThreadGroup.WaitUsageLocked(child));
        }
        return null;
    }
}
