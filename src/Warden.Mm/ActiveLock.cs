using System.Runtime.CompilerServices;

namespace Warden.Mm;

/// <summary>
/// The memory manager's active lock: a reader-writer lock whose read side is two interlocked
/// operations, because every copy into or out of application memory takes it. Writers (faults,
/// mapping changes) are rarer; they take precedence over new readers and wait for current ones.
/// </summary>
/// <remarks>
/// Not recursive: a thread must not take it again, in either mode, while it holds it. A write hold
/// can be downgraded to a read hold (<see cref="DowngradeToReadLock"/>), never the reverse.
/// </remarks>
internal sealed class ActiveLock
{
    // Every generation number ever handed out, across all locks, so that one names one lock's
    // state between two write holds and nothing else.
    private static long s_lastGeneration;

    private readonly Lock _writers = new();
    private int _readers;
    private volatile bool _writerWaiting;
    private long _generation = Interlocked.Increment(ref s_lastGeneration);

    /// <summary>
    /// A number that changes whenever the lock is taken for writing and is never the same for two
    /// locks: what a reader learned under one read hold is still true under another if the
    /// generation is the same. Read it with the lock held for reading.
    /// </summary>
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>Whether the calling thread holds the lock for writing (read holds are not tracked per thread).</summary>
    public bool IsWriteLockHeld => _writers.IsHeldByCurrentThread;

    /// <summary>Takes the lock for reading.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EnterReadLock()
    {
        if (!_writerWaiting)
        {
            Interlocked.Increment(ref _readers);
            if (!_writerWaiting)
            {
                return;
            }
            Interlocked.Decrement(ref _readers);
        }
        EnterReadLockContended();
    }

    // EnterReadLock when a writer holds or wants the lock: waits for it without taking its place.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EnterReadLockContended()
    {
        while (true)
        {
            var spinner = new SpinWait();
            while (_writerWaiting)
            {
                spinner.SpinOnce();
            }
            Interlocked.Increment(ref _readers);
            if (!_writerWaiting)
            {
                return;
            }
            Interlocked.Decrement(ref _readers);
        }
    }

    /// <summary>Releases a read hold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ExitReadLock() => Interlocked.Decrement(ref _readers);

    /// <summary>Takes the lock for writing: excludes readers and other writers.</summary>
    public void EnterWriteLock()
    {
        _writers.Enter();
        _writerWaiting = true;
        Interlocked.MemoryBarrier();
        var spinner = new SpinWait();
        while (Volatile.Read(ref _readers) != 0)
        {
            spinner.SpinOnce();
        }
        // Before anything changes: readers that come later see a new generation.
        Volatile.Write(ref _generation, Interlocked.Increment(ref s_lastGeneration));
    }

    /// <summary>Releases the write hold.</summary>
    public void ExitWriteLock()
    {
        _writerWaiting = false;
        _writers.Exit();
    }

    /// <summary>
    /// Turns the write hold into a read hold without letting another writer in between: what the
    /// holder saw under the write lock stays true. Release it with <see cref="ExitReadLock"/>.
    /// </summary>
    public void DowngradeToReadLock()
    {
        // Counted as a reader first, so a writer that enters once the write hold is gone waits for it.
        Interlocked.Increment(ref _readers);
        _writerWaiting = false;
        _writers.Exit();
    }
}
