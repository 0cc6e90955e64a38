using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Interop;

namespace Warden.Kernel.Tasks;

/// <summary>
/// What a blocked task waits on (gVisor's per-task waiter channel): anyone who may have made the
/// task's wait end (data in a pipe, a child's exit, a signal, a kill) calls <see cref="Wake"/>; the
/// task then re-checks what it waits for. It is a host eventfd, so that one wait can cover host
/// descriptors (a terminal, a host pipe) and the task's kernel objects alike.
/// </summary>
/// <remarks>
/// <see cref="Wake"/> may be called from any thread, any number of times; the other methods by the
/// task's own thread. A wake that comes while the task is not waiting makes its next wait return at
/// once (waits are always re-checked, so an early or spurious wake costs only a loop).
/// </remarks>
internal sealed class TaskWaker : IDisposable
{
    private readonly SafeFileHandle _eventfd;

    // 1 while a wake is unconsumed (the eventfd is then readable, or about to be).
    private int _woken;

    public TaskWaker()
    {
        (SafeFileHandle? eventfd, Errno? error) = Libc.Eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (eventfd is null)
        {
            ThrowHelper.ThrowInvalidOperation("eventfd failed: {0}", error);
        }
        _eventfd = eventfd;
    }

    /// <summary>The host descriptor that is readable while a wake is unconsumed (for host polls beside other descriptors).</summary>
    public SafeFileHandle Handle => _eventfd;

    /// <summary>Ends the task's current or next wait. Any thread.</summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _woken, 1) != 0)
        {
            return;
        }
        try
        {
            Span<byte> one = [1, 0, 0, 0, 0, 0, 0, 0];
            Libc.Write(_eventfd, one);
        }
        catch (ObjectDisposedException)
        {
            // The task has ended: there is no one left to wake.
        }
    }

    /// <summary>Consumes any wake, so that the next wait blocks until a new one.</summary>
    public void Consume()
    {
        // Drained first, the flag cleared after: a wake between the two finds the flag set and
        // writes nothing, but the caller's re-check that follows sees what it woke for; clearing
        // first would let such a wake's write be drained while its flag stays set, and every
        // later wake would then be lost.
        Span<byte> counter = stackalloc byte[8];
        Libc.Read(_eventfd, counter);
        Interlocked.Exchange(ref _woken, 0);
    }

    /// <summary>
    /// Waits for a wake or for <paramref name="timeoutMs"/> milliseconds (-1: no limit), whichever
    /// comes first, without consuming the wake.
    /// </summary>
    public void Wait(int timeoutMs)
    {
        Span<short> revents = stackalloc short[1];
        Libc.Poll([_eventfd], [Libc.POLLIN], revents, timeoutMs);
    }

    public void Dispose() => _eventfd.Dispose();
}
