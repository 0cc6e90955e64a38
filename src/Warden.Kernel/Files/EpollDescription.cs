using System.Runtime.InteropServices;
using Warden.Errors;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Files;

/// <summary>
/// An epoll instance (Linux's <c>eventpoll</c>) as an open file description: the interest list of
/// (descriptor, description) pairs with the events each is watched for, asked for readiness when
/// epoll_wait scans it. Level-triggered by default; <see cref="EPOLLET"/> reports an entry once
/// per new event, <see cref="EPOLLONESHOT"/> once until the next EPOLL_CTL_MOD.
/// </summary>
/// <remarks>
/// <para>
/// An entry is found by its descriptor number and description together, as Linux finds it, and
/// stays while the description lives, even if that descriptor is closed (a dup keeps it); it goes
/// when the description is released. An epoll description is itself pollable (readable while an
/// entry is ready) and may be watched by another, without loops (ELOOP) and at most
/// <see cref="MaxNesting"/> deep.
/// </para>
/// <para>
/// Thread-safe: the interest list is guarded by <c>_lock</c>, held while entries are scanned (the
/// locks of nested epoll descriptions and of the watched files are taken inside it, outer to inner).
/// </para>
/// </remarks>
internal sealed class EpollDescription : FileDescription
{
    /// <summary>EPOLLET: edge-triggered.</summary>
    public const uint EPOLLET = 1u << 31;

    /// <summary>EPOLLONESHOT: disabled after one report, until EPOLL_CTL_MOD.</summary>
    public const uint EPOLLONESHOT = 1u << 30;

    /// <summary>EPOLLWAKEUP: keeps the system awake (ignored without CAP_BLOCK_SUSPEND, as here).</summary>
    public const uint EPOLLWAKEUP = 1u << 29;

    /// <summary>EPOLLEXCLUSIVE: wakes one of several epoll instances watching the same file.</summary>
    public const uint EPOLLEXCLUSIVE = 1u << 28;

    /// <summary>The flags that are not events.</summary>
    public const uint PrivateBits = EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE;

    /// <summary>How deep epoll descriptions may watch each other (Linux's EP_MAX_NESTS).</summary>
    public const int MaxNesting = 4;

    /// <summary>The size of x86-64's packed <c>struct epoll_event</c>: u32 events, u64 data.</summary>
    public const int EventSize = 12;

    private readonly Lock _lock = new();
    private readonly List<Entry> _entries = [];

    // Collect's scratch list of the entries it reported; guarded by _lock.
    private readonly List<Entry> _reported = [];

    // Notified by every change of the interest list, so that a waiter sees a new entry.
    private readonly WaitQueue _changes = new();

    /// <summary>Creates an empty epoll description.</summary>
    public EpollDescription()
        : base(OpenFlags.O_RDWR, "anon_inode:[eventpoll]")
    {
    }

    /// <summary>How many entries the interest list has.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>EPOLL_CTL_ADD: watches <paramref name="file"/> (open as <paramref name="fd"/>) for <paramref name="events"/>.</summary>
    /// <returns>EEXIST if it is watched already, ELOOP if it is an epoll description that would make a loop or nest too deep.</returns>
    public Errno? Add(int fd, FileDescription file, uint events, ulong data)
    {
        if (file is EpollDescription other && (other == this || other.Reaches(this, 1) || other.Depth() + 1 > MaxNesting))
        {
            return Errno.ELOOP;
        }
        lock (_lock)
        {
            ForgetReleasedLocked();
            if (FindLocked(fd, file) >= 0)
            {
                return Errno.EEXIST;
            }
            _entries.Add(new Entry(fd, file) { Events = events | PollEvents.AlwaysReported, Data = data });
        }
        _changes.Notify(PollEvents.All);
        return null;
    }

    /// <summary>EPOLL_CTL_MOD: changes what an entry is watched for (and re-arms a one-shot entry).</summary>
    /// <returns>ENOENT if it is not watched; EINVAL if it was added with EPOLLEXCLUSIVE.</returns>
    public Errno? Modify(int fd, FileDescription file, uint events, ulong data)
    {
        lock (_lock)
        {
            int index = FindLocked(fd, file);
            if (index < 0)
            {
                return Errno.ENOENT;
            }
            Entry entry = _entries[index];
            if ((entry.Events & EPOLLEXCLUSIVE) != 0)
            {
                return Errno.EINVAL;
            }
            entry.Events = events | PollEvents.AlwaysReported;
            entry.Data = data;
            entry.LastReady = 0;
        }
        _changes.Notify(PollEvents.All);
        return null;
    }

    /// <summary>EPOLL_CTL_DEL: stops watching an entry.</summary>
    /// <returns>ENOENT if it is not watched.</returns>
    public Errno? Delete(int fd, FileDescription file)
    {
        lock (_lock)
        {
            int index = FindLocked(fd, file);
            if (index < 0)
            {
                return Errno.ENOENT;
            }
            _entries.RemoveAt(index);
        }
        _changes.Notify(PollEvents.All);
        return null;
    }

    /// <summary>
    /// One scan of the interest list, as epoll_wait makes it: fills <paramref name="events"/> with
    /// the packed <c>struct epoll_event</c>s of up to <paramref name="max"/> ready entries, marking
    /// edge-triggered entries reported and disabling one-shot ones.
    /// </summary>
    /// <returns>How many entries were reported.</returns>
    public int Collect(Span<byte> events, int max)
    {
        int count = 0;
        lock (_lock)
        {
            ForgetReleasedLocked();
            _reported.Clear();
            foreach (Entry entry in _entries)
            {
                if (count == max)
                {
                    break;
                }
                int ready = ReadyLocked(entry, consume: true);
                if (ready == 0)
                {
                    continue;
                }
                Span<byte> slot = events.Slice(count * EventSize, EventSize);
                MemoryMarshal.Write(slot, (uint)ready);
                MemoryMarshal.Write(slot[4..], entry.Data);
                count++;
                _reported.Add(entry);
                if ((entry.Events & EPOLLONESHOT) != 0)
                {
                    entry.Events &= PrivateBits;
                }
            }
            // Reported entries go to the back, in the order reported, as Linux puts them back at
            // the tail of its ready list: entries beyond max are not starved, and the order of
            // a later report is Linux's.
            foreach (Entry entry in _reported)
            {
                _entries.Remove(entry);
            }
            _entries.AddRange(_reported);
            _reported.Clear();
        }
        return count;
    }

    /// <inheritdoc/>
    /// <remarks>Readable (POLLIN, POLLRDNORM) while an entry is ready; an edge already reported does not count.</remarks>
    public override int Readiness(int events)
    {
        lock (_lock)
        {
            ForgetReleasedLocked();
            foreach (Entry entry in _entries)
            {
                if (ReadyLocked(entry, consume: false) != 0)
                {
                    return events & (PollEvents.POLLIN | PollEvents.POLLRDNORM);
                }
            }
        }
        return 0;
    }

    /// <inheritdoc/>
    /// <remarks>Watches every entry's file for its events, and the interest list for changes.</remarks>
    public override void Watch(PollWait wait, int events)
    {
        wait.AddQueue(_changes, PollEvents.All);
        lock (_lock)
        {
            foreach (Entry entry in _entries)
            {
                int wanted = (int)(entry.Events & ~PrivateBits);
                if (wanted != 0 && !entry.File.IsReleased)
                {
                    entry.File.Watch(wait, wanted);
                }
            }
        }
    }

    /// <inheritdoc/>
    public override bool CanPoll => true;

    /// <inheritdoc/>
    /// <remarks>The anonymous inode every such file shares: mode 0600 with no file type, owned by root.</remarks>
    public override Errno? Stat(Span<byte> stat)
    {
        var value = new LinuxStat { Dev = AnonInodeDevice, Ino = AnonInode, Nlink = 1, Mode = 0x180, Blksize = 4096 };
        stat.Clear();
        MemoryMarshal.Write(stat, in value);
        return null;
    }

    /// <inheritdoc/>
    public override Errno? Statx(int flags, uint mask, Span<byte> statx)
    {
        statx.Clear();
        MemoryMarshal.Write(statx, 0x7ffu);
        MemoryMarshal.Write(statx[4..], 4096u);
        MemoryMarshal.Write(statx[16..], 1u);
        MemoryMarshal.Write(statx[28..], (ushort)0x180);
        MemoryMarshal.Write(statx[32..], AnonInode);
        MemoryMarshal.Write(statx[140..], (uint)AnonInodeDevice);
        return null;
    }

    /// <inheritdoc/>
    protected override void Release()
    {
        lock (_lock)
        {
            _entries.Clear();
        }
    }

    // anon_inodefs's device and its one inode.
    private const ulong AnonInodeDevice = 0xe;
    private const ulong AnonInode = 1;

    // The events of entry that hold now, as epoll_wait would report them. Edge-triggered: only if
    // a bit rose or the file notified a new event since the last report (consume records this one).
    private static int ReadyLocked(Entry entry, bool consume)
    {
        int wanted = (int)(entry.Events & ~PrivateBits);
        if (wanted == 0)
        {
            return 0;
        }
        int ready = entry.File.Readiness(wanted) & wanted;
        if ((entry.Events & EPOLLET) == 0)
        {
            return ready;
        }
        long changes = entry.File.ChangeCount(wanted);
        bool fresh = (ready & ~entry.LastReady) != 0 || changes != entry.LastChanges;
        if (consume || ready == 0)
        {
            entry.LastReady = ready;
            entry.LastChanges = changes;
        }
        return fresh ? ready : 0;
    }

    private int FindLocked(int fd, FileDescription file)
    {
        for (int i = 0; i < _entries.Count; i++)
        {
            if (_entries[i].Fd == fd && ReferenceEquals(_entries[i].File, file))
            {
                return i;
            }
        }
        return -1;
    }

    private void ForgetReleasedLocked() => _entries.RemoveAll(static e => e.File.IsReleased);

    // Whether target is watched by this description or by one it watches, within the nesting limit.
    private bool Reaches(EpollDescription target, int depth)
    {
        if (depth > MaxNesting)
        {
            return true;
        }
        lock (_lock)
        {
            foreach (Entry entry in _entries)
            {
                if (entry.File is EpollDescription inner && (inner == target || inner.Reaches(target, depth + 1)))
                {
                    return true;
                }
            }
        }
        return false;
    }

    // How many levels of epoll descriptions this one watches below it (0: none).
    private int Depth()
    {
        int depth = 0;
        lock (_lock)
        {
            foreach (Entry entry in _entries)
            {
                if (entry.File is EpollDescription inner)
                {
                    depth = Math.Max(depth, 1 + inner.Depth());
                }
            }
        }
        return depth;
    }

    // One watched (descriptor, description) pair; guarded by the owner's _lock.
    private sealed class Entry(int fd, FileDescription file)
    {
        public int Fd { get; } = fd;

        public FileDescription File { get; } = file;

        // The events asked for with EPOLLERR and EPOLLHUP and the flags; a fired one-shot entry
        // keeps only the flags.
        public uint Events { get; set; }

        public ulong Data { get; set; }

        // Edge-triggered: what was ready and the file's change count at the last report.
        public int LastReady { get; set; }

        public long LastChanges { get; set; }
    }
}
