using System.Diagnostics;
using System.Runtime.InteropServices;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// Clocks and sleeping: clock_gettime(2), clock_getres(2), gettimeofday(2), time(2), nanosleep(2),
// clock_nanosleep(2). A sleep ends early (EINTR) when the process is being killed.
internal static partial class Sys
{
    private const int CLOCK_REALTIME = 0;
    private const int CLOCK_MONOTONIC = 1;
    private const int CLOCK_PROCESS_CPUTIME_ID = 2;
    private const int CLOCK_THREAD_CPUTIME_ID = 3;
    private const int CLOCK_BOOTTIME = 7;
    private const int CLOCK_TAI = 11;
    private const int TIMER_ABSTIME = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    public static SyscallReturn ClockGettime(KernelTask t, in SyscallArguments a)
    {
        int clock = a.Int(0);
        long sec, nsec;
        if (IsCpuClock(clock))
        {
            (long ns, Errno? cpuError) = CpuClockNow(t, clock);
            if (cpuError is not null)
            {
                return cpuError;
            }
            (sec, nsec) = (ns / 1_000_000_000, ns % 1_000_000_000);
        }
        else
        {
            (sec, nsec, Errno? error) = Libc.ClockGettime(clock);
            if (error is not null)
            {
                return error;
            }
        }
        (_, Error? copyError) = t.CopyObjectOut(a.Pointer(1), new Timespec { Seconds = sec, Nanoseconds = nsec });
        return copyError is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
    }

    // CPU-time clocks: CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, and the negative ids
    // clock_getcpuclockid and pthread_getcpuclockid make (and the dynamic clocks of descriptors).
    // They are the program's, never the host's: the host would read Warden's own, or a host
    // process's by the number.
    private static bool IsCpuClock(int clock) => clock is CLOCK_PROCESS_CPUTIME_ID or CLOCK_THREAD_CPUTIME_ID || clock < 0;

    // The value of a CPU-time clock, in nanoseconds, or EINVAL for a clock of no such process or
    // thread (or of a descriptor: Warden has no clock devices). A negative id holds ~pid above its
    // low three bits: bit 2 for a thread's clock, then 0 for user and system time (PROF), 1 for
    // user time (VIRT), 2 for the scheduler's (SCHED); pid 0 is the caller.
    private static (long Ns, Errno? Error) CpuClockNow(KernelTask t, int clock)
    {
        if (clock == CLOCK_PROCESS_CPUTIME_ID)
        {
            (long user, long system) = t.Group.CpuTime();
            return (user + system, null);
        }
        if (clock == CLOCK_THREAD_CPUTIME_ID)
        {
            (long user, long system) = t.CpuTime();
            return (user + system, null);
        }
        int kind = clock & 3;
        bool thread = (clock & 4) != 0;
        int pid = ~(clock >> 3);
        if (kind == 3 || pid < 0)
        {
            return (0, Errno.EINVAL);
        }
        (long u, long s) times;
        if (thread)
        {
            KernelTask? task = pid == 0 ? t : Array.Find(t.Group.Tasks(), x => x.Tid == pid);
            if (task is null)
            {
                return (0, Errno.EINVAL);
            }
            times = task.CpuTime();
        }
        else
        {
            ThreadGroup? group = pid == 0 ? t.Group : t.Kernel.FindProcess(pid);
            if (group is null || group.IsZombie)
            {
                return (0, Errno.EINVAL);
            }
            times = group.CpuTime();
        }
        return (kind == 1 ? times.u : times.u + times.s, null);
    }

    public static SyscallReturn ClockGetres(KernelTask t, in SyscallArguments a)
    {
        int clock = a.Int(0);
        if (IsCpuClock(clock))
        {
            (_, Errno? cpuError) = CpuClockNow(t, clock);
            if (cpuError is not null)
            {
                return cpuError;
            }
            // Linux's CPU clocks count nanoseconds.
            return a.Pointer(1) == Addr.Zero || t.CopyObjectOut(a.Pointer(1), new Timespec { Seconds = 0, Nanoseconds = 1 }).Error is null
                ? SyscallReturn.Ok(0)
                : Errno.EFAULT;
        }
        (long sec, long nsec, Errno? error) = Libc.ClockGetres(clock);
        if (error is not null)
        {
            return error;
        }
        if (a.Pointer(1) == Addr.Zero)
        {
            return SyscallReturn.Ok(0);
        }
        (_, Error? copyError) = t.CopyObjectOut(a.Pointer(1), new Timespec { Seconds = sec, Nanoseconds = nsec });
        return copyError is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
    }

    public static SyscallReturn Gettimeofday(KernelTask t, in SyscallArguments a)
    {
        (long sec, long nsec, _) = Libc.ClockGettime(CLOCK_REALTIME);
        if (a.Pointer(0) != Addr.Zero && t.CopyObjectOut(a.Pointer(0), new Timespec { Seconds = sec, Nanoseconds = nsec / 1000 }).Error is not null)
        {
            return Errno.EFAULT;
        }
        // struct timezone: minutes west and DST type, both 0 (UTC), as Linux keeps them unless set.
        if (a.Pointer(1) != Addr.Zero && t.CopyObjectOut(a.Pointer(1), 0UL).Error is not null)
        {
            return Errno.EFAULT;
        }
        return SyscallReturn.Ok(0);
    }

    public static SyscallReturn Time(KernelTask t, in SyscallArguments a)
    {
        (long sec, _, _) = Libc.ClockGettime(CLOCK_REALTIME);
        if (a.Pointer(0) != Addr.Zero && t.CopyObjectOut(a.Pointer(0), sec).Error is not null)
        {
            return Errno.EFAULT;
        }
        return SyscallReturn.Ok(sec);
    }

    public static SyscallReturn Nanosleep(KernelTask t, in SyscallArguments a) =>
        Sleep(t, CLOCK_MONOTONIC, 0, a.Pointer(0), a.Pointer(1));

    public static SyscallReturn ClockNanosleep(KernelTask t, in SyscallArguments a)
    {
        int clock = a.Int(0);
        if (clock is not (CLOCK_REALTIME or CLOCK_MONOTONIC or CLOCK_BOOTTIME or CLOCK_TAI))
        {
            // CPU-time clocks of other processes, and unknown clocks.
            return clock is CLOCK_PROCESS_CPUTIME_ID ? Errno.EOPNOTSUPP : Errno.EINVAL;
        }
        return Sleep(t, clock, a.Int(1), a.Pointer(2), a.Pointer(3));
    }

    private static SyscallReturn Sleep(KernelTask t, int clock, int flags, Addr request, Addr remaining)
    {
        (_, Error? error) = t.CopyObjectIn(request, out Timespec ts);
        if (error is not null)
        {
            return Errno.EFAULT;
        }
        if (ts.Seconds < 0 || ts.Nanoseconds is < 0 or >= 1_000_000_000)
        {
            return Errno.EINVAL;
        }
        long nanoseconds;
        if ((flags & TIMER_ABSTIME) != 0)
        {
            (long sec, long nsec, _) = Libc.ClockGettime(clock);
            nanoseconds = (ts.Seconds - sec) * 1_000_000_000 + (ts.Nanoseconds - nsec);
        }
        else
        {
            nanoseconds = ts.Seconds >= long.MaxValue / 1_000_000_000 ? long.MaxValue : ts.Seconds * 1_000_000_000 + ts.Nanoseconds;
        }
        if (nanoseconds <= 0)
        {
            return SyscallReturn.Ok(0);
        }
        long deadline = KernelTask.DeadlineIn(nanoseconds);
        return (flags & TIMER_ABSTIME) != 0
            ? SleepUntil(t, deadline, RestartKind.RestartNoHand, Addr.Zero)
            : SleepUntil(t, deadline, RestartKind.RestartBlock, remaining);
    }

    // Sleeps until `deadline`. An interrupted absolute sleep is issued again as it was (ERESTARTNOHAND);
    // a relative one writes the time it had left to `remaining` (if given) and goes on, when
    // restarted, to the same deadline (ERESTART_RESTARTBLOCK and restart_syscall), as Linux's
    // hrtimer_nanosleep_restart does: a sleeper that was stopped and continued wakes when it would
    // have, not a whole length later.
    private static SyscallReturn SleepUntil(KernelTask t, long deadline, RestartKind restart, Addr remaining)
    {
        WakeReason reason;
        do
        {
            reason = t.Block(deadline);
        }
        while (reason == WakeReason.Woken);
        if (reason == WakeReason.TimedOut)
        {
            return SyscallReturn.Ok(0);
        }
        if (restart == RestartKind.RestartBlock)
        {
            if (remaining != Addr.Zero)
            {
                long left = Math.Max(0, (long)((deadline - Stopwatch.GetTimestamp()) * (1e9 / Stopwatch.Frequency)));
                if (t.CopyObjectOut(remaining, new Timespec { Seconds = left / 1_000_000_000, Nanoseconds = left % 1_000_000_000 }).Error is not null)
                {
                    return Errno.EFAULT;
                }
            }
            t.RestartBlock = task => SleepUntil(task, deadline, RestartKind.RestartBlock, remaining);
        }
        return SyscallReturn.Interrupted(restart);
    }
}
