using System.Runtime.InteropServices;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// Resource limits: prlimit64(2), getrlimit(2), setrlimit(2). The memory limits go to the memory manager.
internal static partial class Sys
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit64
    {
        public ulong Current;
        public ulong Maximum;
    }

    public static SyscallReturn Getrlimit(KernelTask t, in SyscallArguments a)
    {
        int resource = a.Int(0);
        if ((uint)resource >= ResourceLimitSet.Count)
        {
            return Errno.EINVAL;
        }
        (ulong cur, ulong max) = t.Group.Limits.Get(resource);
        (_, Error? error) = t.CopyObjectOut(a.Pointer(1), new Rlimit64 { Current = cur, Maximum = max });
        return error is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
    }

    public static SyscallReturn Setrlimit(KernelTask t, in SyscallArguments a)
    {
        (_, Error? error) = t.CopyObjectIn(a.Pointer(1), out Rlimit64 limit);
        if (error is not null)
        {
            return Errno.EFAULT;
        }
        return SetLimit(t, t.Group, a.Int(0), limit);
    }

    public static SyscallReturn Prlimit64(KernelTask t, in SyscallArguments a)
    {
        Rlimit64 limit = default;
        Addr newAddr = a.Pointer(2);
        if (newAddr != Addr.Zero)
        {
            (_, Error? error) = t.CopyObjectIn(newAddr, out limit);
            if (error is not null)
            {
                return Errno.EFAULT;
            }
        }
        int pid = a.Int(0);
        ThreadGroup? group = pid == 0 ? t.Group : t.Kernel.FindProcess(pid);
        if (group is null)
        {
            return Errno.ESRCH;
        }
        int resource = a.Int(1);
        if ((uint)resource >= ResourceLimitSet.Count)
        {
            return Errno.EINVAL;
        }
        (ulong cur, ulong max) = group.Limits.Get(resource);
        if (newAddr != Addr.Zero)
        {
            SyscallReturn set = SetLimit(t, group, resource, limit);
            if (set.Error is not null)
            {
                return set;
            }
        }
        if (a.Pointer(3) != Addr.Zero)
        {
            (_, Error? error) = t.CopyObjectOut(a.Pointer(3), new Rlimit64 { Current = cur, Maximum = max });
            if (error is not null)
            {
                return Errno.EFAULT;
            }
        }
        return SyscallReturn.Ok(0);
    }

    private static SyscallReturn SetLimit(KernelTask t, ThreadGroup group, int resource, Rlimit64 limit)
    {
        if ((uint)resource >= ResourceLimitSet.Count)
        {
            return Errno.EINVAL;
        }
        Errno? error = group.Limits.Set(resource, limit.Current, limit.Maximum, privileged: t.Group.Credentials.Euid == 0);
        if (error is not null)
        {
            return error;
        }
        group.MM.Limits = group.Limits.ForMemoryManager();
        if (resource == ResourceLimitSet.RLIMIT_CPU)
        {
            group.WatchCpuLimit();
        }
        if (resource == ResourceLimitSet.RLIMIT_NOFILE)
        {
            foreach (KernelTask task in group.Tasks())
            {
                task.Fds.Limit = (int)Math.Min(limit.Current, 1 << 20);
            }
        }
        return SyscallReturn.Ok(0);
    }
}
