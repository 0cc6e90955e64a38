using Warden.Errors;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// getpriority, setpriority, ioprio_get and ioprio_set: the values are kept per task, as Linux
// keeps them, and inherited by children; Warden does not schedule by them.
internal static partial class Sys
{
    private const int PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;
    private const int MinNice = -20, MaxNice = 19;

    private const int IOPRIO_WHO_PROCESS = 1, IOPRIO_WHO_PGRP = 2, IOPRIO_WHO_USER = 3;
    private const int IOPRIO_CLASS_SHIFT = 13;
    private const int IOPRIO_CLASS_NONE = 0, IOPRIO_CLASS_RT = 1, IOPRIO_CLASS_BE = 2, IOPRIO_CLASS_IDLE = 3;
    private const int IoprioBestEffortNormal = (IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT) | 4;

    // The raw system call returns 20 - nice (1 to 40), so that no priority looks like an errno.
    public static SyscallReturn Getpriority(KernelTask t, in SyscallArguments a)
    {
        (List<KernelTask>? targets, Errno? error) = PriorityTargets(t, a.Int(0), a.Int(1));
        if (error is not null)
        {
            return error;
        }
        return SyscallReturn.Ok(20 - targets!.Min(task => task.Nice));
    }

    // Linux's set_one_prio for each target: EPERM for another user's task, EACCES for a lower nice
    // value without CAP_SYS_NICE (here: an effective uid of 0); the value is clamped to [-20, 19].
    public static SyscallReturn Setpriority(KernelTask t, in SyscallArguments a)
    {
        (List<KernelTask>? targets, Errno? error) = PriorityTargets(t, a.Int(0), a.Int(1));
        if (error is not null)
        {
            return error;
        }
        int nice = Math.Clamp(a.Int(2), MinNice, MaxNice);
        Credentials caller = t.Group.Credentials;
        Errno? last = null;
        foreach (KernelTask target in targets!)
        {
            Credentials owner = target.Group.Credentials;
            if (caller.Euid != 0 && caller.Euid != owner.Uid && caller.Euid != owner.Euid)
            {
                last = Errno.EPERM;
                continue;
            }
            if (nice < target.Nice && caller.Euid != 0)
            {
                last = Errno.EACCES;
                continue;
            }
            target.Nice = nice;
        }
        return last is null ? SyscallReturn.Ok(0) : last;
    }

    public static SyscallReturn IoprioGet(KernelTask t, in SyscallArguments a)
    {
        (List<KernelTask>? targets, Errno? error) = PriorityTargets(t, IoprioWhich(a.Int(0)), a.Int(1));
        if (error is not null)
        {
            return error;
        }
        if (a.Int(0) == IOPRIO_WHO_PROCESS)
        {
            return SyscallReturn.Ok(targets![0].IoPriority);
        }
        int best = targets![0].IoPriority;
        for (int i = 1; i < targets.Count; i++)
        {
            best = IoprioBest(best, targets[i].IoPriority);
        }
        return SyscallReturn.Ok(best);
    }

    // Linux 6.18's ioprio_check_cap, then the targets: the real-time class needs CAP_SYS_NICE or
    // CAP_SYS_ADMIN (EPERM unless the effective uid is 0); the level (the low 3 bits; the bits
    // above them are hints) must be below 8 for real-time and best-effort, and 0 for no class.
    public static SyscallReturn IoprioSet(KernelTask t, in SyscallArguments a)
    {
        int ioprio = a.Int(2);
        int ioClass = (ioprio >> IOPRIO_CLASS_SHIFT) & 0x7;
        int level = ioprio & 0x7;
        switch (ioClass)
        {
            case IOPRIO_CLASS_RT when t.Group.Credentials.Euid != 0:
                return Errno.EPERM;
            case IOPRIO_CLASS_RT or IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE:
                break;
            case IOPRIO_CLASS_NONE when level != 0:
                return Errno.EINVAL;
            case IOPRIO_CLASS_NONE:
                break;
            default:
                return Errno.EINVAL;
        }
        (List<KernelTask>? targets, Errno? error) = PriorityTargets(t, IoprioWhich(a.Int(0)), a.Int(1));
        if (error is not null)
        {
            return error;
        }
        Credentials caller = t.Group.Credentials;
        foreach (KernelTask target in targets!)
        {
            Credentials owner = target.Group.Credentials;
            if (caller.Euid != 0 && caller.Uid != owner.Uid && caller.Euid != owner.Uid)
            {
                return Errno.EPERM;
            }
            target.IoPriority = ioprio;
        }
        return SyscallReturn.Ok(0);
    }

    // ioprio's "who" kinds, as getpriority's (an unknown one stays unknown: EINVAL).
    private static int IoprioWhich(int which) => which switch
    {
        IOPRIO_WHO_PROCESS => PRIO_PROCESS,
        IOPRIO_WHO_PGRP => PRIO_PGRP,
        IOPRIO_WHO_USER => PRIO_USER,
        _ => -1,
    };

    // Linux's ioprio_best: a task with none counts as best-effort level 4; the lower class wins,
    // and within a class the lower level.
    private static int IoprioBest(int a, int b)
    {
        a = a >> IOPRIO_CLASS_SHIFT == IOPRIO_CLASS_NONE ? IoprioBestEffortNormal : a;
        b = b >> IOPRIO_CLASS_SHIFT == IOPRIO_CLASS_NONE ? IoprioBestEffortNormal : b;
        int aClass = a >> IOPRIO_CLASS_SHIFT, bClass = b >> IOPRIO_CLASS_SHIFT;
        return aClass == bClass ? Math.Min(a, b) : aClass > bClass ? b : a;
    }

    // The tasks a priority call names: a task by id (0: the caller), a process group (0: the
    // caller's), or every task of a real user id (0: the caller's). EINVAL for another kind;
    // ESRCH when none is found (zombies have none).
    private static (List<KernelTask>? Targets, Errno? Error) PriorityTargets(KernelTask t, int which, int who)
    {
        if (which is not (PRIO_PROCESS or PRIO_PGRP or PRIO_USER))
        {
            return (null, Errno.EINVAL);
        }
        var targets = new List<KernelTask>();
        if (which == PRIO_PROCESS && (who == 0 || who == t.Tid))
        {
            targets.Add(t);
            return (targets, null);
        }
        int group = which == PRIO_PGRP && who == 0 ? t.Group.ProcessGroup : who;
        uint uid = which == PRIO_USER && who == 0 ? t.Group.Credentials.Uid : (uint)who;
        foreach (ThreadGroup process in t.Kernel.Processes())
        {
            if (process.IsZombie)
            {
                continue;
            }
            bool matches = which switch
            {
                PRIO_PGRP => process.ProcessGroup == group,
                PRIO_USER => process.Credentials.Uid == uid,
                _ => false,
            };
            foreach (KernelTask task in process.Tasks())
            {
                if (matches || (which == PRIO_PROCESS && task.Tid == who))
                {
                    targets.Add(task);
                }
            }
        }
        return targets.Count == 0 ? (null, Errno.ESRCH) : (targets, null);
    }
}
