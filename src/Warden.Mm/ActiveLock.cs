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
    private readonly Lock _writers = new();
    private int _readers;
    private volatile bool _writerWaiting;

    /// <summary>Takes the lock for reading.</summary>
    public void EnterReadLock()
    {
        while (true)
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
            // A writer holds or wants the lock: wait for it without taking its place.
            var spinner = new SpinWait();
            while (_writerWaiting)
            {
                spinner.SpinOnce();
            }
        }
    }

    /// <summary>Releases a read hold.</summary>
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
