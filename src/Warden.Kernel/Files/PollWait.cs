using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using Warden.Interop;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Files;

/// <summary>
/// One task's wait for any of several descriptions to change (poll, select, epoll_wait, a blocking
/// pipe transfer): the task's <see cref="TaskWaker"/> registered on every kernel object's
/// <see cref="WaitQueue"/>, and the host descriptors to poll beside the waker's eventfd, so that a
/// wait over kernel and host files together is one host poll.
/// </summary>
/// <remarks>
/// Used by the task's own thread only. The caller adds everything it waits for (through
/// <see cref="FileDescription.Watch"/>) before it checks readiness, then calls <see cref="Block"/>
/// as often as it needs, re-checking after each wake; <see cref="Dispose"/> removes every
/// registration.
/// </remarks>
internal sealed class PollWait(KernelTask task) : IDisposable
{
    // Libc.Poll takes at most 64 descriptors: the waker's eventfd and 63 others.
    private const int MaxHostDescriptors = 63;

    // When more host descriptors are watched than one host poll takes, the rest are looked at
    // again this often (milliseconds).
    private const int OverflowRecheckMs = 10;

    private readonly List<WaitQueue> _queues = [];
    private readonly List<SafeFileHandle> _hosts = [];
    private readonly List<short> _hostEvents = [];

    /// <summary>The task that waits.</summary>
    public KernelTask Task => task;

    /// <summary>Registers the task on <paramref name="queue"/> for <paramref name="events"/> (poll bits) until <see cref="Dispose"/>.</summary>
    public void AddQueue(WaitQueue queue, int events)
    {
        queue.Add(task.Waker, events);
        _queues.Add(queue);
    }

    /// <summary>Adds host descriptor <paramref name="fd"/>, to be polled for <paramref name="events"/> by <see cref="Block"/>.</summary>
    /// <remarks><b>Preconditions:</b> <paramref name="fd"/> stays open until <see cref="Dispose"/> (its description holds it).</remarks>
    public void AddHost(SafeFileHandle fd, int events)
    {
        _hosts.Add(fd);
        _hostEvents.Add((short)events);
    }

    /// <summary>
    /// Blocks until a registered queue is notified, a host descriptor is ready, the deadline (a
    /// <see cref="Stopwatch"/> timestamp, or <see cref="KernelTask.NoDeadline"/>) passes, or the
    /// task is interrupted.
    /// </summary>
    /// <returns><see cref="WakeReason.Woken"/> for a notification or a ready host descriptor (the caller re-checks; wakes may be spurious).</returns>
    public WakeReason Block(long deadline)
    {
        if (_hosts.Count == 0)
        {
            return task.Block(deadline);
        }
        if (task.IsInterrupted)
        {
            return WakeReason.Interrupted;
        }
        int timeout = TimeoutUntil(deadline);
        if (timeout == 0)
        {
            return WakeReason.TimedOut;
        }
        int count = Math.Min(_hosts.Count, MaxHostDescriptors);
        if (count < _hosts.Count)
        {
            timeout = timeout < 0 ? OverflowRecheckMs : Math.Min(timeout, OverflowRecheckMs);
        }
        var handles = new SafeFileHandle[count + 1];
        var events = new short[count + 1];
        var revents = new short[count + 1];
        for (int i = 0; i < count; i++)
        {
            handles[i] = _hosts[i];
            events[i] = _hostEvents[i];
        }
        handles[count] = task.Waker.Handle;
        events[count] = PollEvents.POLLIN;
        long since = Stopwatch.GetTimestamp();
        (int ready, _) = Libc.Poll(handles, events, revents, timeout);
        task.AccountBlocked(since);
        task.Waker.Consume();
        if (task.IsInterrupted)
        {
            return WakeReason.Interrupted;
        }
        if (ready > 0)
        {
            return WakeReason.Woken;
        }
        return deadline != KernelTask.NoDeadline && Stopwatch.GetTimestamp() >= deadline ? WakeReason.TimedOut : WakeReason.Woken;
    }

    /// <summary>Removes every registration made through <see cref="AddQueue"/>.</summary>
    public void Dispose()
    {
        foreach (WaitQueue queue in _queues)
        {
            queue.Remove(task.Waker);
        }
        _queues.Clear();
        _hosts.Clear();
        _hostEvents.Clear();
    }

    // Milliseconds until the deadline for the host poll (-1: none), rounded up so that a wait
    // never ends before its deadline.
    private static int TimeoutUntil(long deadline)
    {
        if (deadline == KernelTask.NoDeadline)
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
