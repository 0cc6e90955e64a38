using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using Warden.Interop;

namespace Warden.Kernel.Tasks;

internal sealed partial class KernelTask
{
    /// <summary>A deadline that never passes.</summary>
    public const long NoDeadline = long.MaxValue;

    /// <summary>
    /// Whether a blocking call must end now: the process is being killed or stopped, or a signal
    /// this task does not block is pending for it.
    /// </summary>
    public bool IsInterrupted =>
        Group.Killed.IsCancellationRequested || Group.StopSignal != 0 ||
        ((Pending.Set | Group.SharedPending.Set) & ~SignalMask) != 0;

    /// <summary>
    /// Blocks until the task's <see cref="Waker"/> is woken, <paramref name="deadline"/> (a
    /// <see cref="Stopwatch"/> timestamp) passes, or the task is interrupted (<see cref="IsInterrupted"/>).
    /// </summary>
    /// <remarks>
    /// The caller registers the waker with what it waits for, checks its condition, calls this, and
    /// checks again after <see cref="WakeReason.Woken"/> (wakes may be spurious).
    /// </remarks>
    public WakeReason Block(long deadline = NoDeadline)
    {
        if (IsInterrupted)
        {
            return WakeReason.Interrupted;
        }
        int timeout = TimeoutUntil(deadline);
        if (timeout == 0)
        {
            return WakeReason.TimedOut;
        }
        long since = Stopwatch.GetTimestamp();
        Waker.Wait(timeout);
        AccountBlocked(since);
        Waker.Consume();
        return IsInterrupted ? WakeReason.Interrupted : deadline != NoDeadline && Stopwatch.GetTimestamp() >= deadline ? WakeReason.TimedOut : WakeReason.Woken;
    }

    /// <summary>
    /// <see cref="Block"/> that also ends when host descriptor <paramref name="fd"/> is ready for
    /// <paramref name="events"/> (poll bits): <see cref="WakeReason.Woken"/> then too.
    /// </summary>
    public WakeReason BlockOnHost(SafeFileHandle fd, short events, long deadline = NoDeadline)
    {
        if (IsInterrupted)
        {
            return WakeReason.Interrupted;
        }
        int timeout = TimeoutUntil(deadline);
        if (timeout == 0)
        {
            return WakeReason.TimedOut;
        }
        Span<short> revents = stackalloc short[2];
        long since = Stopwatch.GetTimestamp();
        Libc.Poll([fd, Waker.Handle], [events, Libc.POLLIN], revents, timeout);
        AccountBlocked(since);
        Waker.Consume();
        return IsInterrupted ? WakeReason.Interrupted : deadline != NoDeadline && Stopwatch.GetTimestamp() >= deadline && revents[0] == 0 ? WakeReason.TimedOut : WakeReason.Woken;
    }

    /// <summary>The deadline <paramref name="nanoseconds"/> from now (saturating).</summary>
    public static long DeadlineIn(long nanoseconds)
    {
        if (nanoseconds <= 0)
        {
            return Stopwatch.GetTimestamp();
        }
        double ticks = nanoseconds * (Stopwatch.Frequency / 1e9);
        long now = Stopwatch.GetTimestamp();
        return ticks >= NoDeadline - now ? NoDeadline : now + (long)ticks;
    }

    // Milliseconds until the deadline for poll (-1: none), rounded up so that a wait never ends early.
    private static int TimeoutUntil(long deadline)
    {
        if (deadline == NoDeadline)
        {
            return -1;
        }
        long left = deadline - Stopwatch.GetTimestamp();
        if (left <= 0)
        {
            return 0;
        }
        long ms = (left * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency;
        return (int)Math.Min(ms, int.MaxValue);
    }
}
