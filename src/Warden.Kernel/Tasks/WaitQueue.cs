namespace Warden.Kernel.Tasks;

/// <summary>
/// The tasks waiting for something of one kernel object (gVisor's <c>waiter.Queue</c>): each
/// registers its <see cref="TaskWaker"/> with the events it waits for (poll bits), and
/// <see cref="Notify"/> wakes those whose events occurred.
/// </summary>
/// <remarks>
/// Thread-safe. A waiter registers before it checks the object's state and removes itself after
/// it stops waiting, so that no notification between the check and the wait is lost. Allocates
/// only when more waiters than ever before wait at once.
/// </remarks>
internal sealed class WaitQueue
{
    private readonly Lock _lock = new();
    private readonly List<(TaskWaker Waker, int Events)> _waiters = [];

    /// <summary>Registers <paramref name="waker"/> for <paramref name="events"/>.</summary>
    public void Add(TaskWaker waker, int events)
    {
        lock (_lock)
        {
            _waiters.Add((waker, events));
        }
    }

    /// <summary>Removes one registration of <paramref name="waker"/> (nothing if it has none).</summary>
    public void Remove(TaskWaker waker)
    {
        lock (_lock)
        {
            for (int i = 0; i < _waiters.Count; i++)
            {
                if (ReferenceEquals(_waiters[i].Waker, waker))
                {
                    _waiters.RemoveAt(i);
                    return;
                }
            }
        }
    }

    /// <summary>Wakes every waiter registered for any of <paramref name="events"/>.</summary>
    public void Notify(int events)
    {
        lock (_lock)
        {
            foreach ((TaskWaker waker, int wanted) in _waiters)
            {
                if ((wanted & events) != 0)
                {
                    waker.Wake();
                }
            }
        }
    }
}
