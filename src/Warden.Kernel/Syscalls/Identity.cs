using Warden.Errors;
using Warden.Kernel.Tasks;
using Warden.UserMem;

namespace Warden.Kernel.Syscalls;

// Who the process is: getpid(2), getppid(2), gettid(2), getuid(2) and friends, getgroups(2),
// getpgrp(2), getpgid(2), getsid(2). The kernel's own numbers, never the host's.
internal static partial class Sys
{
    public static SyscallReturn Getpid(KernelTask t, in SyscallArguments a) => SyscallReturn.Ok(t.Group.Pid);

    public static SyscallReturn Getppid(KernelTask t, in SyscallArguments a) => SyscallReturn.Ok(t.Group.ParentPid);

    public static SyscallReturn Gettid(KernelTask t, in SyscallArguments a) => SyscallReturn.Ok(t.Tid);

    public static SyscallReturn Getuid(KernelTask t, in SyscallArguments a) => SyscallReturn.Ok(t.Group.Credentials.Uid);

    public static SyscallReturn Geteuid(KernelTask t, in SyscallArguments a) => SyscallReturn.Ok(t.Group.Credentials.Euid);

    public static SyscallReturn Getgid(KernelTask t, in SyscallArguments a) => SyscallReturn.Ok(t.Group.Credentials.Gid);

    public static SyscallReturn Getegid(KernelTask t, in SyscallArguments a) => SyscallReturn.Ok(t.Group.Credentials.Egid);

    public static SyscallReturn Getgroups(KernelTask t, in SyscallArguments a)
    {
        int size = a.Int(0);
        uint[] groups = t.Group.Credentials.Groups;
        if (size < 0)
        {
            return Errno.EINVAL;
        }
        if (size == 0)
        {
            return SyscallReturn.Ok(groups.Length);
        }
        if (size < groups.Length)
        {
            return Errno.EINVAL;
        }
        (_, Errors.Error? error) = t.MM.CopyObjectOut(t, a.Pointer(1), (ReadOnlySpan<uint>)groups, default);
        return error is null ? SyscallReturn.Ok(groups.Length) : Errno.EFAULT;
    }

    public static SyscallReturn Getpgrp(KernelTask t, in SyscallArguments a) => SyscallReturn.Ok(t.Group.ProcessGroup);

    public static SyscallReturn Getpgid(KernelTask t, in SyscallArguments a)
    {
        ThreadGroup? group = a.Int(0) == 0 ? t.Group : t.Kernel.FindProcess(a.Int(0));
        return group is null ? Errno.ESRCH : SyscallReturn.Ok(group.ProcessGroup);
    }

    public static SyscallReturn Getsid(KernelTask t, in SyscallArguments a)
    {
        ThreadGroup? group = a.Int(0) == 0 ? t.Group : t.Kernel.FindProcess(a.Int(0));
        return group is null ? Errno.ESRCH : SyscallReturn.Ok(group.Session);
    }

    /// <summary>
    /// setpgid(2): the process (0: the caller) must be the caller or a child of it in the same
    /// session that has not execed (EACCES), not a session leader (EPERM); the group (0: its own
    /// pid) must be its own pid or an existing group of the caller's session (EPERM).
    /// </summary>
    public static SyscallReturn Setpgid(KernelTask t, in SyscallArguments a)
    {
        int pid = a.Int(0);
        int pgid = a.Int(1);
        if (pgid < 0)
        {
            return Errno.EINVAL;
        }
        Kernel kernel = t.Kernel;
        lock (kernel.TreeLock)
        {
            ThreadGroup self = t.Group;
            ThreadGroup? target = pid == 0 || pid == self.Pid ? self : kernel.FindProcess(pid);
            if (target is null || target.IsZombie || (!ReferenceEquals(target, self) && !ReferenceEquals(target.Parent, self)))
            {
                return Errno.ESRCH;
            }
            if (!ReferenceEquals(target, self))
            {
                if (target.Session != self.Session)
                {
                    return Errno.EPERM;
                }
                if (target.HasExeced)
                {
                    return Errno.EACCES;
                }
            }
            if (target.Session == target.Pid)
            {
                return Errno.EPERM;
            }
            int group = pgid == 0 ? target.Pid : pgid;
            if (group != target.Pid && !Array.Exists(kernel.Processes(), p => p.ProcessGroup == group && p.Session == self.Session && !p.IsZombie))
            {
                return Errno.EPERM;
            }
            target.ProcessGroup = group;
        }
        return SyscallReturn.Ok(0);
    }

    /// <summary>setsid(2): a new session and process group led by the caller; EPERM for a group leader.</summary>
    public static SyscallReturn Setsid(KernelTask t, in SyscallArguments a)
    {
        Kernel kernel = t.Kernel;
        lock (kernel.TreeLock)
        {
            ThreadGroup self = t.Group;
            if (Array.Exists(kernel.Processes(), p => p.ProcessGroup == self.Pid))
            {
                return Errno.EPERM;
            }
            self.Session = self.Pid;
            self.ProcessGroup = self.Pid;
        }
        return SyscallReturn.Ok(t.Group.Pid);
    }
}
