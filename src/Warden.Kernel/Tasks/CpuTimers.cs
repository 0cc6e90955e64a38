using Warden.Kernel.Signals;
using Warden.Platform;

namespace Warden.Kernel.Tasks;

/// <summary>
/// A process's CPU-time interval timers: ITIMER_VIRTUAL (the time its program runs, which sends
/// SIGVTALRM) and ITIMER_PROF (that and the time Warden spends on its system calls and faults, which
/// sends SIGPROF). Each starts again with its interval, if it has one, when it expires. It also
/// enforces RLIMIT_CPU on the same CPU time as ITIMER_PROF, as Linux does: SIGKILL at the hard
/// limit; SIGXCPU at the soft one, which then goes up by a second, for a SIGXCPU each second.
/// </summary>
/// <remarks>
/// <para>The process's CPU time is what its tasks account (<see cref="KernelTask.CpuTime"/>): as
/// gVisor does, the time a task spends switched into its program counts as user time, the time
/// Warden spends on it in between as system time. While a timer is armed, a ticker looks at the
/// time every <see cref="Tick"/> (Linux checks its CPU timers on each scheduler tick), so a program
/// that runs without a system call still gets its signal.</para>
/// <para>Thread-safe. Stopped for good by <see cref="Dispose"/> (the process has ended). Not
/// inherited by a fork's child; kept across execve (the process stays).</para>
/// </remarks>
internal sealed class CpuTimers(ThreadGroup group) : IDisposable
{
    /// <summary>ITIMER_VIRTUAL.</summary>
    public const int Virtual = 1;

    /// <summary>ITIMER_PROF.</summary>
    public const int Prof = 2;

    /// <summary>How often an armed timer is looked at: Linux's scheduler tick at its usual 250 Hz.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(4);

    private static readonly long TickNs = (long)Tick.TotalNanoseconds;

    private readonly Lock _lock = new();
    // Per timer (index Virtual, Prof): the CPU time (ns) it expires at (0: disarmed), and its interval.
    private readonly long[] _deadline = new long[3];
    private readonly long[] _interval = new long[3];
    private Timer? _ticker;
    private bool _disposed;
    private bool _watchingLimit;

    /// <summary>Looks at RLIMIT_CPU on each tick from now on, until it is infinite again.</summary>
    public void WatchLimit()
    {
        lock (_lock)
        {
            _watchingLimit = true;
            UpdateTickerLocked();
        }
    }

    // The ticker runs while a timer is armed or the limit is watched.
    private void UpdateTickerLocked()
    {
        bool needed = !_disposed && (_deadline[Virtual] != 0 || _deadline[Prof] != 0 || _watchingLimit);
        if (needed && _ticker is null)
        {
            _ticker = new Timer(_ => OnTick(), null, Tick, Tick);
        }
        else if (!needed && _ticker is not null)
        {
            _ticker.Dispose();
            _ticker = null;
        }
    }

    /// <summary>
    /// Arms timer <paramref name="which"/> to expire after <paramref name="valueNs"/> nanoseconds of
    /// the CPU time it counts (0 disarms it), then every <paramref name="intervalNs"/>; returns what
    /// was left of the old setting and its interval.
    /// </summary>
    public (long RemainingNs, long IntervalNs) Set(int which, long valueNs, long intervalNs)
    {
        lock (_lock)
        {
            long now = Now(which);
            (long remaining, long interval) = GetLocked(which, now);
            // Linux adds a scheduler tick to a new setting, so that it never expires early (its
            // getitimer then reads a tick more than was set); Warden's tick stands for it.
            _deadline[which] = valueNs > 0 && !_disposed ? Math.Max(1, SaturatingAdd(now, SaturatingAdd(valueNs, TickNs))) : 0;
            _interval[which] = intervalNs;
            UpdateTickerLocked();
            return (remaining, interval);
        }
    }

    /// <summary>What is left of timer <paramref name="which"/> (0 when disarmed), and its interval.</summary>
    public (long RemainingNs, long IntervalNs) Get(int which)
    {
        lock (_lock)
        {
            return GetLocked(which, Now(which));
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _ticker?.Dispose();
            _ticker = null;
        }
    }

    private (long RemainingNs, long IntervalNs) GetLocked(int which, long now)
    {
        long deadline = _deadline[which];
        // An armed timer never reports 0 left (that would read as disarmed).
        return (deadline == 0 ? 0 : Math.Max(1000, deadline - now), _interval[which]);
    }

    private long Now(int which)
    {
        (long user, long system) = group.CpuTime();
        return which == Virtual ? user : user + system;
    }

    private void OnTick()
    {
        Span<int> expired = stackalloc int[3];
        int count = 0;
        lock (_lock)
        {
            if (_watchingLimit && !_disposed)
            {
                int limitSignal = CheckLimitLocked();
                if (limitSignal != 0)
                {
                    expired[count++] = limitSignal;
                }
            }
            foreach (int which in (ReadOnlySpan<int>)[Virtual, Prof])
            {
                long deadline = _deadline[which];
                if (deadline == 0 || _disposed)
                {
                    continue;
                }
                long now = Now(which);
                if (now < deadline)
                {
                    continue;
                }
                expired[count++] = which == Virtual ? Signal.SIGVTALRM : Signal.SIGPROF;
                // The next period counts from this expiry, not from when the tick saw it.
                _deadline[which] = _interval[which] > 0 ? Math.Max(SaturatingAdd(deadline, _interval[which]), now + 1) : 0;
            }
        }
        foreach (int signal in expired[..count])
        {
            var info = new SignalInfo { Signo = signal, Code = SignalCodes.SI_KERNEL };
            group.Send(in info);
        }
    }

    // Linux's check_rlimit for RLIMIT_CPU (seconds of user and system time): SIGKILL at the hard
    // limit and nothing more; SIGXCPU at the soft limit, raised by a second each time. 0 for none.
    private int CheckLimitLocked()
    {
        (ulong soft, ulong hard) = group.Limits.Get(ResourceLimitSet.RLIMIT_CPU);
        if (soft == ResourceLimitSet.Infinity)
        {
            _watchingLimit = false;
            UpdateTickerLocked();
            return 0;
        }
        (long user, long system) = group.CpuTime();
        ulong seconds = (ulong)Math.Max(0, user + system) / 1_000_000_000;
        if (hard != ResourceLimitSet.Infinity && seconds >= hard)
        {
            _watchingLimit = false;
            UpdateTickerLocked();
            return Signal.SIGKILL;
        }
        if (seconds < soft)
        {
            return 0;
        }
        group.Limits.Set(ResourceLimitSet.RLIMIT_CPU, soft + 1, hard, privileged: true);
        return Signal.SIGXCPU;
    }

    private static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
}
