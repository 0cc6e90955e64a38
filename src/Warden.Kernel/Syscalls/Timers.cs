using System.Runtime.InteropServices;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// alarm(2), setitimer(2), getitimer(2): ITIMER_REAL sends SIGALRM (RealTimer); ITIMER_VIRTUAL and
// ITIMER_PROF, on the process's CPU time, send SIGVTALRM and SIGPROF (CpuTimers).
internal static partial class Sys
{
    private const int ITIMER_REAL = 0;
    private const int ITIMER_VIRTUAL = 1;
    private const int ITIMER_PROF = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct Itimerval
    {
        public long IntervalSeconds;
        public long IntervalMicroseconds;
        public long ValueSeconds;
        public long ValueMicroseconds;
    }

    public static SyscallReturn Alarm(KernelTask t, in SyscallArguments a)
    {
        long seconds = (uint)a.Int(0);
        (long remaining, _) = t.Group.RealTimer.Set(seconds * 1_000_000_000, 0);
        // The old setting in whole seconds, rounded to nearest, never 0 if it was armed.
        long old = (remaining + 500_000_000) / 1_000_000_000;
        return SyscallReturn.Ok(remaining > 0 && old == 0 ? 1 : old);
    }

    public static SyscallReturn Setitimer(KernelTask t, in SyscallArguments a)
    {
        int which = a.Int(0);
        if (which is not (ITIMER_REAL or ITIMER_VIRTUAL or ITIMER_PROF))
        {
            return Errno.EINVAL;
        }
        Itimerval value = default;
        if (a.Pointer(1) != Addr.Zero && t.CopyObjectIn(a.Pointer(1), out value).Error is not null)
        {
            return Errno.EFAULT;
        }
        if (value.ValueMicroseconds is < 0 or >= 1_000_000 || value.IntervalMicroseconds is < 0 or >= 1_000_000 || value.ValueSeconds < 0 || value.IntervalSeconds < 0)
        {
            return Errno.EINVAL;
        }
        long valueNs = Nanoseconds(value.ValueSeconds, value.ValueMicroseconds);
        long intervalNs = Nanoseconds(value.IntervalSeconds, value.IntervalMicroseconds);
        (long remaining, long interval) = which == ITIMER_REAL
            ? t.Group.RealTimer.Set(valueNs, intervalNs)
            : t.Group.CpuTimers.Set(which, valueNs, intervalNs);
        return WriteItimer(t, a.Pointer(2), remaining, interval);
    }

    public static SyscallReturn Getitimer(KernelTask t, in SyscallArguments a)
    {
        int which = a.Int(0);
        if (which is not (ITIMER_REAL or ITIMER_VIRTUAL or ITIMER_PROF))
        {
            return Errno.EINVAL;
        }
        (long remaining, long interval) = which == ITIMER_REAL ? t.Group.RealTimer.Get() : t.Group.CpuTimers.Get(which);
        return WriteItimer(t, a.Pointer(1), remaining, interval);
    }

    private static SyscallReturn WriteItimer(KernelTask t, Addr at, long remainingNs, long intervalNs)
    {
        if (at == Addr.Zero)
        {
            return SyscallReturn.Ok(0);
        }
        var value = new Itimerval
        {
            IntervalSeconds = intervalNs / 1_000_000_000,
            IntervalMicroseconds = intervalNs % 1_000_000_000 / 1000,
            ValueSeconds = remainingNs / 1_000_000_000,
            ValueMicroseconds = remainingNs % 1_000_000_000 / 1000,
        };
        return t.CopyObjectOut(at, value).Error is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
    }

    private static long Nanoseconds(long seconds, long microseconds) =>
        seconds >= long.MaxValue / 1_000_000_000 - 1 ? long.MaxValue : (seconds * 1_000_000_000) + (microseconds * 1000);
}
