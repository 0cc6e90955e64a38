using Warden.Errors;
using Warden.Kernel.Signals;
using Warden.Kernel.Syscalls;
using Warden.Kernel.Tasks;
using Warden.Platform;
using Warden.UserMem;

namespace Warden.Kernel.Files;

/// <summary>
/// A pipe (Linux's <c>pipe_inode_info</c>): a ring of page-sized slots, 16 of them (64 KiB) unless
/// F_SETPIPE_SZ says otherwise, with the count of read and write ends open on it.
/// </summary>
/// <remarks>
/// <para>
/// Bytes are kept as Linux keeps them, so that a program sees the same capacity: a write first
/// appends the part of it that is not a whole page to the last slot, if that part fits there, and
/// puts the rest in fresh slots of up to a page each; a read takes from the first slot on. A write
/// of at most <see cref="AtomicSize"/> bytes therefore goes into one slot, whole, or waits: it is
/// never interleaved with another. The pipe is writable while a slot is free.
/// </para>
/// <para>
/// Thread-safe: every field is guarded by <c>_lock</c>, which is held while bytes are copied to or
/// from application memory (as Linux holds the pipe's mutex), never while a task blocks. Waiters
/// register on <see cref="Queue"/>, which is notified with poll bits on every change of state.
/// </para>
/// </remarks>
internal sealed class Pipe
{
    /// <summary>The size of one slot (a page).</summary>
    public const int PageSize = 4096;

    /// <summary>PIPE_BUF: writes of at most this many bytes are atomic.</summary>
    public const int AtomicSize = 4096;

    /// <summary>The capacity of a new pipe (16 pages).</summary>
    public const int DefaultCapacity = 16 * PageSize;

    /// <summary>The largest capacity F_SETPIPE_SZ gives a program without CAP_SYS_RESOURCE (/proc/sys/fs/pipe-max-size).</summary>
    public const int MaxUnprivilegedCapacity = 1 << 20;

    private static long s_lastInode = 0x1000;

    private readonly Lock _lock = new();

    // The ring: slot k of the pipe's contents is _slots[(_first + k) % _slots.Length]. A slot
    // keeps its page when it empties, for the next write to reuse.
    private Slot[] _slots = new Slot[DefaultCapacity / PageSize];
    private int _first;
    private int _used;
    private long _buffered;
    private int _readers;
    private int _writers;

    // Count the notifications of new bytes and of new room, for edge-triggered epoll to tell a
    // new event from an old one.
    private long _dataChanges;
    private long _roomChanges;

    /// <summary>Creates a pipe with one read end and one write end open on it.</summary>
    public Pipe()
    {
        _readers = 1;
        _writers = 1;
        Inode = (ulong)Interlocked.Increment(ref s_lastInode);
        CreatedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>The pipe's inode number in pipefs, unique to it (what fstat and <c>pipe:[N]</c> show).</summary>
    public ulong Inode { get; }

    /// <summary>When the pipe was made (its stat times).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Where the tasks waiting to read or write register; notified with poll bits on every change.</summary>
    public WaitQueue Queue { get; } = new();

    /// <summary>The bytes a read would find now (FIONREAD).</summary>
    public long Buffered
    {
        get
        {
            lock (_lock)
            {
                return _buffered;
            }
        }
    }

    /// <summary>The capacity in bytes (F_GETPIPE_SZ).</summary>
    public int Capacity
    {
        get
        {
            lock (_lock)
            {
                return _slots.Length * PageSize;
            }
        }
    }

    /// <summary>
    /// A count that grows with every notification of <paramref name="events"/>: of new bytes
    /// (POLLIN), of new room (POLLOUT), and of an end closing (both).
    /// </summary>
    public long ChangeCount(int events)
    {
        lock (_lock)
        {
            return ((events & (PollEvents.POLLIN | PollEvents.POLLRDNORM)) != 0 ? _dataChanges : 0) +
                ((events & (PollEvents.POLLOUT | PollEvents.POLLWRNORM)) != 0 ? _roomChanges : 0);
        }
    }

    /// <summary>
    /// read(2) of the pipe: waits until it holds bytes or no write end is open, then takes what is
    /// there, up to <c>dst.NumBytes</c>.
    /// </summary>
    /// <returns>
    /// The bytes read (0 at end of file: empty, with no writer) and, when none were, why: EAGAIN
    /// for <paramref name="nonBlocking"/> on an empty pipe, <see cref="RestartError.Sys"/> when a
    /// signal interrupted the wait, or the copy's fault.
    /// </returns>
    public (long Count, Error? Error) Read(KernelTask task, IOSequence dst, bool nonBlocking)
    {
        if (dst.NumBytes == 0)
        {
            return (0, null);
        }
        while (true)
        {
            lock (_lock)
            {
                if (_used > 0)
                {
                    return TakeLocked(task, dst);
                }
                if (_writers == 0)
                {
                    return (0, null);
                }
            }
            if (nonBlocking)
            {
                return (0, Errno.EAGAIN);
            }
            if (WaitFor(task, PollEvents.POLLIN | PollEvents.POLLHUP, reader: true) == WakeReason.Interrupted)
            {
                return (0, RestartError.Sys);
            }
        }
    }

    /// <summary>
    /// write(2) of the pipe: puts all of <paramref name="src"/> in, waiting for room as it goes
    /// (a write of at most <see cref="AtomicSize"/> bytes waits until it fits whole).
    /// </summary>
    /// <returns>
    /// The bytes written and, when fewer than all, why: EPIPE when no read end is open (the writing
    /// thread is then sent SIGPIPE, as on Linux even after a partial write), EAGAIN for
    /// <paramref name="nonBlocking"/> on a full pipe, <see cref="RestartError.Sys"/> when a signal
    /// interrupted a wait, or the copy's fault.
    /// </returns>
    /// <param name="task">The writing task (it blocks, and is sent SIGPIPE).</param>
    /// <param name="src">The bytes to write.</param>
    /// <param name="nonBlocking">Whether to fail with EAGAIN rather than wait for room (O_NONBLOCK).</param>
    /// <param name="packet">
    /// Whether the write end is in packet mode (O_DIRECT): each slot it fills is a packet of its
    /// own, never appended to, and a read takes at most one packet, dropping what it leaves of it.
    /// </param>
    public (long Count, Error? Error) Write(KernelTask task, IOSequence src, bool nonBlocking, bool packet = false)
    {
        if (src.NumBytes == 0)
        {
            return (0, null);
        }
        long done = 0;
        bool first = true;
        while (true)
        {
            lock (_lock)
            {
                if (_readers == 0)
                {
                    SendPipeSignal(task);
                    return (done, Errno.EPIPE);
                }
                if (first)
                {
                    first = false;
                    (long merged, Error? mergeError) = MergeLocked(task, ref src);
                    if (mergeError is not null)
                    {
                        return (0, mergeError);
                    }
                    done += merged;
                }
                (long put, Error? putError) = PutLocked(task, ref src, packet);
                done += put;
                if (putError is not null || src.NumBytes == 0)
                {
                    return (done, putError);
                }
            }
            if (nonBlocking)
            {
                return (done, done > 0 ? null : Errno.EAGAIN);
            }
            if (WaitFor(task, PollEvents.POLLOUT | PollEvents.POLLERR, reader: false) == WakeReason.Interrupted)
            {
                return (done, RestartError.Sys);
            }
        }
    }

    /// <summary>The poll bits of the read end (<paramref name="reader"/>) or of the write end that hold now.</summary>
    public int Readiness(bool reader)
    {
        lock (_lock)
        {
            return ReadinessLocked(reader);
        }
    }

    /// <summary>F_SETPIPE_SZ: makes the capacity <paramref name="size"/> rounded up to a power of two pages.</summary>
    /// <param name="size">The capacity asked for, in bytes.</param>
    /// <param name="privileged">Whether the caller may go past <see cref="MaxUnprivilegedCapacity"/> (CAP_SYS_RESOURCE).</param>
    /// <returns>The new capacity, or EINVAL (too large to round), EPERM (over the limit), EBUSY (less than what is buffered needs).</returns>
    public (int Capacity, Errno? Error) SetCapacity(uint size, bool privileged)
    {
        if (size > 1u << 31)
        {
            return (0, Errno.EINVAL);
        }
        long pages = Math.Max(1, ((long)size + PageSize - 1) / PageSize);
        long slots = 1;
        while (slots < pages)
        {
            slots <<= 1;
        }
        long bytes = slots * PageSize;
        if (bytes > MaxUnprivilegedCapacity && !privileged)
        {
            return (0, Errno.EPERM);
        }
        if (bytes > 1L << 31)
        {
            return (0, Errno.EINVAL);
        }
        lock (_lock)
        {
            if (slots < _used)
            {
                return (0, Errno.EBUSY);
            }
            if (slots != _slots.Length)
            {
                var ring = new Slot[slots];
                for (int k = 0; k < _used; k++)
                {
                    ring[k] = _slots[(_first + k) % _slots.Length];
                }
                _slots = ring;
                _first = 0;
                _roomChanges++;
            }
        }
        Queue.Notify(PollEvents.POLLOUT | PollEvents.POLLWRNORM);
        return ((int)bytes, null);
    }

    /// <summary>Another read end is open on the pipe (a reopen through /proc; dup shares the description instead).</summary>
    public void AddReader()
    {
        lock (_lock)
        {
            _readers++;
        }
    }

    /// <summary>Another write end is open on the pipe (a reopen through /proc).</summary>
    public void AddWriter()
    {
        lock (_lock)
        {
            _writers++;
        }
    }

    /// <summary>A read end's description is gone; the last one makes writes fail with EPIPE.</summary>
    public void ReleaseReader()
    {
        lock (_lock)
        {
            _readers--;
            _dataChanges++;
            _roomChanges++;
        }
        Queue.Notify(PollEvents.All);
    }

    /// <summary>A write end's description is gone; the last one makes reads of an empty pipe return end of file.</summary>
    public void ReleaseWriter()
    {
        lock (_lock)
        {
            _writers--;
            _dataChanges++;
            _roomChanges++;
        }
        Queue.Notify(PollEvents.All);
    }

    private int ReadinessLocked(bool reader)
    {
        if (reader)
        {
            return (_used > 0 ? PollEvents.POLLIN | PollEvents.POLLRDNORM : 0) | (_writers == 0 ? PollEvents.POLLHUP : 0);
        }
        return (_used < _slots.Length ? PollEvents.POLLOUT | PollEvents.POLLWRNORM : 0) | (_readers == 0 ? PollEvents.POLLERR : 0);
    }

    // Registers before looking, so that a change between the look and the block still wakes it.
    private WakeReason WaitFor(KernelTask task, int events, bool reader)
    {
        Queue.Add(task.Waker, events);
        try
        {
            if ((Readiness(reader) & events) != 0)
            {
                return WakeReason.Woken;
            }
            return task.Block();
        }
        finally
        {
            Queue.Remove(task.Waker);
        }
    }

    // Copies out from the first slots on, up to dst's length. A slot whose copy faults is left
    // as it was: the fault is the result only if nothing was read before it (Linux's pipe_read).
    private (long Count, Error? Error) TakeLocked(KernelTask task, IOSequence dst)
    {
        long done = 0;
        Error? error = null;
        while (_used > 0 && dst.NumBytes > 0)
        {
            ref Slot slot = ref _slots[_first];
            int chars = (int)Math.Min(slot.Length, dst.NumBytes);
            (int n, Error? copyError) = dst.CopyOut(task, slot.Page.AsSpan(slot.Offset, chars));
            if (n < chars)
            {
                error = copyError ?? Errno.EFAULT;
                break;
            }
            done += chars;
            dst = dst.DropFirst(chars);
            // A packet is taken whole: what the read had no room for is dropped.
            int taken = slot.Packet ? slot.Length : chars;
            slot.Offset += taken;
            slot.Length -= taken;
            _buffered -= taken;
            bool packet = slot.Packet;
            if (slot.Length == 0)
            {
                slot.Offset = 0;
                slot.Packet = false;
                _first = (_first + 1) % _slots.Length;
                _used--;
            }
            if (packet)
            {
                break;
            }
        }
        if (done > 0)
        {
            _roomChanges++;
            Queue.Notify(PollEvents.POLLOUT | PollEvents.POLLWRNORM);
        }
        return (done, done > 0 ? null : error);
    }

    // The first step of a write (Linux's pipe_write): the part of it that is not a whole page is
    // appended to the last slot if it fits there and that slot is not a packet (whatever mode
    // this write is in, as Linux's). A fault here fails the whole write.
    private (long Count, Error? Error) MergeLocked(KernelTask task, ref IOSequence src)
    {
        int chars = (int)(src.NumBytes & (PageSize - 1));
        if (chars == 0 || _used == 0)
        {
            return (0, null);
        }
        ref Slot last = ref _slots[(_first + _used - 1) % _slots.Length];
        int end = last.Offset + last.Length;
        if (last.Packet || end + chars > PageSize)
        {
            return (0, null);
        }
        (int n, Error? error) = src.CopyIn(task, last.Page.AsSpan(end, chars));
        if (n < chars)
        {
            return (0, error ?? Errno.EFAULT);
        }
        last.Length += chars;
        _buffered += chars;
        src = src.DropFirst(chars);
        _dataChanges++;
        Queue.Notify(PollEvents.POLLIN | PollEvents.POLLRDNORM);
        return (chars, null);
    }

    // Fills free slots, a page each, until src is empty or the ring is full. A fault keeps what
    // was copied before it and ends the write (the caller returns the count, or the fault).
    private (long Count, Error? Error) PutLocked(KernelTask task, ref IOSequence src, bool packet)
    {
        long done = 0;
        Error? error = null;
        while (_used < _slots.Length && src.NumBytes > 0)
        {
            ref Slot slot = ref _slots[(_first + _used) % _slots.Length];
            slot.Page ??= new byte[PageSize];
            int chars = (int)Math.Min(PageSize, src.NumBytes);
            (int n, Error? copyError) = src.CopyIn(task, slot.Page.AsSpan(0, chars));
            if (n > 0)
            {
                slot.Offset = 0;
                slot.Length = n;
                slot.Packet = packet;
                _used++;
                _buffered += n;
                done += n;
                src = src.DropFirst(n);
            }
            if (n < chars)
            {
                error = copyError ?? Errno.EFAULT;
                break;
            }
        }
        if (done > 0)
        {
            _dataChanges++;
            Queue.Notify(PollEvents.POLLIN | PollEvents.POLLRDNORM);
        }
        return (done, error);
    }

    // Linux sends SIGPIPE to the writing thread, as kill(2) from the process itself would.
    private static void SendPipeSignal(KernelTask task) =>
        task.SendSignal(new SignalInfo
        {
            Signo = Signal.SIGPIPE,
            Code = SignalCodes.SI_USER,
            Pid = task.Group.Pid,
            Uid = task.Group.Credentials.Uid,
        });

    private struct Slot
    {
        public byte[]? Page;
        public int Offset;
        public int Length;

        // Written in packet mode: read whole or not at all, never appended to.
        public bool Packet;
    }
}
