using Warden.Platform;

namespace Warden.Kernel.Signals;

/// <summary>
/// Signals sent but not yet delivered, with what each carries (Linux's <c>struct sigpending</c>):
/// a standard signal is pending at most once (a second one merges into it), a real-time signal
/// queues every time it is sent.
/// </summary>
/// <remarks>Guarded by the owning process's signal lock (<c>ThreadGroup.SignalLock</c>); <see cref="Set"/> may be read without it.</remarks>
internal sealed class PendingSignals
{
    /// <summary>How many real-time signals may wait at once (Linux's RLIMIT_SIGPENDING, per process here).</summary>
    public const int MaxQueued = 1024;

    // Synchronous signals (faults) go first, as Linux's next_signal takes them first.
    private const ulong Synchronous = (1UL << (Signal.SIGSEGV - 1)) | (1UL << (Signal.SIGBUS - 1)) | (1UL << (Signal.SIGILL - 1)) |
        (1UL << (Signal.SIGTRAP - 1)) | (1UL << (Signal.SIGFPE - 1)) | (1UL << (Signal.SIGSYS - 1));

    private readonly Queue<SignalInfo>?[] _queues = new Queue<SignalInfo>?[Signal.Max + 1];
    private ulong _set;
    private int _queued;

    /// <summary>The pending signals, as a signal set.</summary>
    public ulong Set => Volatile.Read(ref _set);

    /// <summary>Adds <paramref name="info"/>; false when it merged into a pending standard signal or the queue is full.</summary>
    public bool Enqueue(in SignalInfo info)
    {
        int signal = info.Signo;
        ulong bit = Signal.Bit(signal);
        if (signal < Signal.FirstRealTime && (_set & bit) != 0)
        {
            return false;
        }
        if (_queued >= MaxQueued)
        {
            return false;
        }
        (_queues[signal] ??= new Queue<SignalInfo>()).Enqueue(info);
        _queued++;
        Volatile.Write(ref _set, _set | bit);
        return true;
    }

    /// <summary>Takes the next signal of <paramref name="allowed"/> (a set): faults first, then the lowest number.</summary>
    public bool TryDequeue(ulong allowed, out SignalInfo info)
    {
        ulong candidates = _set & allowed;
        if (candidates == 0)
        {
            info = default;
            return false;
        }
        ulong synchronous = candidates & Synchronous;
        int signal = System.Numerics.BitOperations.TrailingZeroCount(synchronous != 0 ? synchronous : candidates) + 1;
        Queue<SignalInfo> queue = _queues[signal]!;
        info = queue.Dequeue();
        _queued--;
        if (queue.Count == 0)
        {
            Volatile.Write(ref _set, _set & ~Signal.Bit(signal));
        }
        return true;
    }

    /// <summary>Drops every pending instance of the signals in <paramref name="signals"/> (a set).</summary>
    public void Remove(ulong signals)
    {
        ulong present = _set & signals;
        while (present != 0)
        {
            int signal = System.Numerics.BitOperations.TrailingZeroCount(present) + 1;
            present &= present - 1;
            _queued -= _queues[signal]!.Count;
            _queues[signal]!.Clear();
        }
        Volatile.Write(ref _set, _set & ~signals);
    }

    /// <summary>Drops everything pending.</summary>
    public void Clear() => Remove(ulong.MaxValue);
}
