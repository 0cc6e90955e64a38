using System.Diagnostics;
using Warden.Kernel.Signals;
using Warden.Platform;

namespace Warden.Kernel.Tasks;

/// <summary>
/// A process's ITIMER_REAL (alarm(2), setitimer(2)): when it expires the process gets SIGALRM,
/// and it starts again with its interval if it has one.
/// </summary>
/// <remarks>Thread-safe. Stopped for good by <see cref="Dispose"/> (the process has ended).</remarks>
internal sealed class RealTimer(ThreadGroup group) : IDisposable
{
    private readonly Lock _lock = new();
    private Timer? _timer;
    private long _deadline;
    private long _intervalNs;
    private bool _disposed;

    /// <summary>
    /// Arms the timer to expire in <paramref name="valueNs"/> nanoseconds (0 disarms it), then every
    /// <paramref name="intervalNs"/>; returns what was left of the old setting and its interval.
    /// </summary>
    public (long RemainingNs, long IntervalNs) Set(long valueNs, long intervalNs)
    {
        lock (_lock)
        {
            (long remaining, long interval) = GetLocked();
            _timer?.Dispose();
            _timer = null;
            _intervalNs = intervalNs;
            if (valueNs > 0 && !_disposed)
            {
                _deadline = KernelTask.DeadlineIn(valueNs);
                _timer = new Timer(_ => Expire(), null, TimeSpan.FromTicks(Math.Max(1, valueNs / 100)), Timeout.InfiniteTimeSpan);
            }
            return (remaining, interval);
        }
    }

    /// <summary>What is left until the timer expires (0 when disarmed), and its interval.</summary>
    public (long RemainingNs, long IntervalNs) Get()
    {
        lock (_lock)
        {
            return GetLocked();
        }
    }

    private (long RemainingNs, long IntervalNs) GetLocked()
    {
        if (_timer is null)
        {
            return (0, _intervalNs);
        }
        long left = _deadline - Stopwatch.GetTimestamp();
        // An armed timer never reports 0 left (that would read as disarmed), as Linux reports.
        return (Math.Max(1000, (long)(left * (1e9 / Stopwatch.Frequency))), _intervalNs);
    }

    private void Expire()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
            if (_intervalNs > 0 && !_disposed)
            {
                _deadline = KernelTask.DeadlineIn(_intervalNs);
                _timer = new Timer(_ => Expire(), null, TimeSpan.FromTicks(Math.Max(1, _intervalNs / 100)), Timeout.InfiniteTimeSpan);
            }
        }
        var info = new SignalInfo { Signo = Signal.SIGALRM, Code = SignalCodes.SI_KERNEL };
        group.Send(in info);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }
}
