using System.Runtime.InteropServices;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// getrusage(2), times(2), and the struct rusage wait4 and waitid fill: the CPU time tasks account
// (KernelTask.CpuTime) and the peak resident set; the other counters are 0.
internal static partial class Sys
{
    private const int RUSAGE_SELF = 0;
    private const int RUSAGE_CHILDREN = -1;
    private const int RUSAGE_THREAD = 1;

    // times(2) counts in USER_HZ ticks.
    private const long ClockTicksPerSecond = 100;

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxRssKiB;
        // ixrss through nivcsw: 13 counters Warden leaves at 0.
        public long Ixrss, Idrss, Isrss, Minflt, Majflt, Nswap, Inblock, Oublock, Msgsnd, Msgrcv, Nsignals, Nvcsw, Nivcsw;

        public static Rusage Of(ProcessUsage usage) => new()
        {
            UserSeconds = usage.UserNs / 1_000_000_000,
            UserMicroseconds = usage.UserNs % 1_000_000_000 / 1000,
            SystemSeconds = usage.SystemNs / 1_000_000_000,
            SystemMicroseconds = usage.SystemNs % 1_000_000_000 / 1000,
            MaxRssKiB = (long)(usage.MaxRssBytes / 1024),
        };
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Tms
    {
        public long User;
        public long System;
        public long ChildrenUser;
        public long ChildrenSystem;
    }

    public static SyscallReturn Getrusage(KernelTask t, in SyscallArguments a)
    {
        ProcessUsage usage;
        switch (a.Int(0))
        {
            case RUSAGE_SELF:
                usage = t.Group.Usage();
                break;
            case RUSAGE_CHILDREN:
                usage = t.Group.ChildrenUsage();
                break;
            case RUSAGE_THREAD:
                (long user, long system) = t.CpuTime();
                usage = new ProcessUsage(user, system, t.Group.Usage().MaxRssBytes);
                break;
            default:
                return Errno.EINVAL;
        }
        return t.CopyObjectOut(a.Pointer(1), Rusage.Of(usage)).Error is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
    }

    public static SyscallReturn Times(KernelTask t, in SyscallArguments a)
    {
        if (a.Pointer(0) != Addr.Zero)
        {
            ProcessUsage self = t.Group.Usage(), children = t.Group.ChildrenUsage();
            var tms = new Tms
            {
                User = Ticks(self.UserNs),
                System = Ticks(self.SystemNs),
                ChildrenUser = Ticks(children.UserNs),
                ChildrenSystem = Ticks(children.SystemNs),
            };
            if (t.CopyObjectOut(a.Pointer(0), tms).Error is not null)
            {
                return Errno.EFAULT;
            }
        }
        // Ticks of a clock that only goes forward (what programs take differences of).
        (long sec, long nsec, _) = Interop.Libc.ClockGettime(CLOCK_MONOTONIC);
        return SyscallReturn.Ok(Ticks((sec * 1_000_000_000) + nsec));
    }

    // The struct rusage of a child a wait reports (its own usage and its reaped children's).
    private static Error? WriteChildRusage(KernelTask t, Addr at, ProcessUsage usage) =>
        at == Addr.Zero ? null : t.CopyObjectOut(at, Rusage.Of(usage)).Error is null ? null : Errno.EFAULT;

    private static long Ticks(long nanoseconds) => nanoseconds / (1_000_000_000 / ClockTicksPerSecond);
}
