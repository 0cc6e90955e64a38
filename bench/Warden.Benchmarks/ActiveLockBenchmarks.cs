using BenchmarkDotNet.Attributes;
using Warden.Mm;

namespace Warden.Benchmarks;

/// <summary>
/// The memory manager's active lock, which every copy takes for reading: the cost of one read hold
/// beside a plain interlocked increment and decrement (its floor).
/// </summary>
[MemoryDiagnoser]
public class ActiveLockBenchmarks
{
    private readonly ActiveLock _lock = new();
    private int _counter;

    [Benchmark(Baseline = true)]
    public void InterlockedPair()
    {
        Interlocked.Increment(ref _counter);
        Interlocked.Decrement(ref _counter);
    }

    [Benchmark]
    public void ReadHold()
    {
        _lock.EnterReadLock();
        _lock.ExitReadLock();
    }
}
