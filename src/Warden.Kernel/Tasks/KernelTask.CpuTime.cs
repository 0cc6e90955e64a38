using System.Diagnostics;

namespace Warden.Kernel.Tasks;

// The task's CPU time, accounted as gVisor accounts it: switched into the program is user time;
// the time Warden spends on the task in between (its system calls and faults, signal delivery) is
// system time, but for the time it is blocked (sleeping, waiting for a pipe, a child, a wake).
internal sealed partial class KernelTask
{
    // Stopwatch ticks. _userTicks and _systemTicks grow on the task's thread and are read by any;
    // _switchedSince is the timestamp of the switch in progress (0 between switches).
    private long _userTicks;
    private long _systemTicks;
    private long _switchedSince;
    private long _blockedTicks;
    private long _lastSwitchEnd;
    private long _blockedAtLastSwitchEnd;

    /// <summary>The task's user and system CPU time so far, in nanoseconds. Any thread.</summary>
    public (long UserNs, long SystemNs) CpuTime()
    {
        long user = Volatile.Read(ref _userTicks);
        long since = Volatile.Read(ref _switchedSince);
        if (since != 0)
        {
            user += Math.Max(0, Stopwatch.GetTimestamp() - since);
        }
        return (TicksToNs(user), TicksToNs(Volatile.Read(ref _systemTicks)));
    }

    /// <summary>Counts the time since <paramref name="since"/> (a Stopwatch timestamp) as blocked, not CPU time. Task's thread.</summary>
    public void AccountBlocked(long since) => _blockedTicks += Math.Max(0, Stopwatch.GetTimestamp() - since);

    // Called on the task's thread right before a switch: the time since the last one, less the
    // time blocked, was system time. Returns the switch's start.
    private long BeginSwitchAccounting()
    {
        long now = Stopwatch.GetTimestamp();
        if (_lastSwitchEnd != 0)
        {
            long working = now - _lastSwitchEnd - (_blockedTicks - _blockedAtLastSwitchEnd);
            Volatile.Write(ref _systemTicks, _systemTicks + Math.Max(0, working));
        }
        Volatile.Write(ref _switchedSince, now);
        return now;
    }

    private void EndSwitchAccounting(long start)
    {
        long now = Stopwatch.GetTimestamp();
        Volatile.Write(ref _userTicks, _userTicks + (now - start));
        Volatile.Write(ref _switchedSince, 0);
        _lastSwitchEnd = now;
        _blockedAtLastSwitchEnd = _blockedTicks;
    }

    private static long TicksToNs(long ticks) => (long)(ticks * (1e9 / Stopwatch.Frequency));
}
