using System.Diagnostics;

namespace Warden.Kernel;

/// <summary>
/// What the kernel counted while a program ran: system calls by name (count, failures, time),
/// page faults, bytes copied between the kernel and application memory, and the peak resident size.
/// </summary>
/// <remarks>Thread-safe; counting costs a few interlocked additions per event.</remarks>
public sealed class KernelStats
{
    private readonly long[] _counts = new long[Warden.Kernel.Syscalls.SyscallNames.Count + 1];
    private readonly long[] _errors = new long[Warden.Kernel.Syscalls.SyscallNames.Count + 1];
    private readonly long[] _ticks = new long[Warden.Kernel.Syscalls.SyscallNames.Count + 1];
    private readonly string?[] _names = new string?[Warden.Kernel.Syscalls.SyscallNames.Count + 1];
    private long _faults;
    private long _faultTicks;
    private long _copiedIn;
    private long _copiedOut;
    private long _peakRss;
    private long _copyOnWriteBreaks;

    /// <summary>A system call's totals.</summary>
    /// <param name="Number">Its number (out-of-range numbers are counted together).</param>
    /// <param name="Name">Its name.</param>
    /// <param name="Count">How many times it was made.</param>
    /// <param name="Errors">How many of those failed.</param>
    /// <param name="Time">The time spent in Warden's handler.</param>
    public readonly record struct SyscallCount(int Number, string Name, long Count, long Errors, TimeSpan Time);

    /// <summary>Page faults handled (including those that became signals).</summary>
    public long Faults => Interlocked.Read(ref _faults);

    /// <summary>The time spent handling page faults.</summary>
    public TimeSpan FaultTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _faultTicks));

    /// <summary>Bytes copied from application memory into the kernel (system call arguments, data written).</summary>
    public long BytesCopiedIn => Interlocked.Read(ref _copiedIn);

    /// <summary>Bytes copied from the kernel into application memory (results, data read).</summary>
    public long BytesCopiedOut => Interlocked.Read(ref _copiedOut);

    /// <summary>The largest resident set size any process reached, in bytes.</summary>
    public long PeakResidentSetSize => Interlocked.Read(ref _peakRss);

    /// <summary>Pages whose copy-on-write was broken (by a write to a private file mapping or after fork), in processes that have exited.</summary>
    public long CopyOnWriteBreaks => Interlocked.Read(ref _copyOnWriteBreaks);

    /// <summary>Every system call made at least once, most frequent first.</summary>
    public IReadOnlyList<SyscallCount> SyscallCounts()
    {
        var list = new List<SyscallCount>();
        for (int i = 0; i < _counts.Length; i++)
        {
            long count = Interlocked.Read(ref _counts[i]);
            if (count > 0)
            {
                list.Add(new SyscallCount(i, _names[i] ?? Warden.Kernel.Syscalls.SyscallNames.Of(i), count, Interlocked.Read(ref _errors[i]),
                    Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks[i]))));
            }
        }
        list.Sort(static (a, b) => b.Count != a.Count ? b.Count.CompareTo(a.Count) : string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    internal void AddSyscall(int number, string name, long ticks, bool failed)
    {
        int slot = (uint)number < (uint)(_counts.Length - 1) ? number : _counts.Length - 1;
        _names[slot] ??= slot == number ? name : "(out of range)";
        Interlocked.Increment(ref _counts[slot]);
        Interlocked.Add(ref _ticks[slot], ticks);
        if (failed)
        {
            Interlocked.Increment(ref _errors[slot]);
        }
    }

    internal void AddFault(long ticks)
    {
        Interlocked.Increment(ref _faults);
        Interlocked.Add(ref _faultTicks, ticks);
    }

    internal void AddCopyOnWriteBreaks(long pages) => Interlocked.Add(ref _copyOnWriteBreaks, pages);

    internal void AddCopiedIn(long bytes) => Interlocked.Add(ref _copiedIn, bytes);

    internal void AddCopiedOut(long bytes) => Interlocked.Add(ref _copiedOut, bytes);

    internal void ObserveRss(long bytes)
    {
        long current = Interlocked.Read(ref _peakRss);
        while (bytes > current)
        {
            long seen = Interlocked.CompareExchange(ref _peakRss, bytes, current);
            if (seen == current)
            {
                break;
            }
            current = seen;
        }
    }
}
