using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Interop;
using Warden.Kernel.Tasks;
using Warden.Mm;
using Warden.UserMem;

namespace Warden.Kernel.Files;

/// <summary>
/// An open file description (Linux's <c>struct file</c>): what a file descriptor refers to, with
/// its status flags and, for seekable files, its offset. Shared by every descriptor made from it by
/// dup or fork.
/// </summary>
/// <remarks>
/// Reference-counted by the descriptor tables that hold it: <see cref="IncRef"/> for each table slot,
/// <see cref="DecRef"/> when the slot is closed; the last reference releases it. Methods that read
/// or write application memory do so through the <see cref="IOSequence"/> they are given.
/// </remarks>
internal abstract class FileDescription
{
    private int _refs = 1;
    private int _statusFlags;

    /// <param name="flags">The open flags (access mode and status flags; creation flags are dropped).</param>
    /// <param name="path">The sandbox path it was opened by (what /proc/self/fd and relative lookups see).</param>
    protected FileDescription(int flags, string path)
    {
        AccessMode = flags & OpenFlags.O_ACCMODE;
        _statusFlags = flags & ~(OpenFlags.O_ACCMODE | OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_NOCTTY | OpenFlags.O_TRUNC | OpenFlags.O_CLOEXEC);
        Path = path;
    }

    /// <summary><c>O_RDONLY</c>, <c>O_WRONLY</c> or <c>O_RDWR</c>.</summary>
    public int AccessMode { get; }

    /// <summary>Whether read(2) is allowed.</summary>
    public bool Readable => AccessMode is OpenFlags.O_RDONLY or OpenFlags.O_RDWR && !IsPath;

    /// <summary>Whether write(2) is allowed.</summary>
    public bool Writable => AccessMode is OpenFlags.O_WRONLY or OpenFlags.O_RDWR && !IsPath;

    /// <summary>Whether it was opened with <c>O_PATH</c> (usable only as a directory or for fstat).</summary>
    public bool IsPath => (_statusFlags & OpenFlags.O_PATH) != 0;

    /// <summary>The status flags (<c>O_APPEND</c>, <c>O_NONBLOCK</c>, ...), as F_GETFL reports them with the access mode.</summary>
    public int StatusFlags => Volatile.Read(ref _statusFlags);

    /// <summary>The sandbox path the file was opened by.</summary>
    public string Path { get; }

    /// <summary>Whether the file is a directory (relative lookups may start from it).</summary>
    public virtual bool IsDirectory => false;

    /// <summary>The host descriptor behind the file, if there is one.</summary>
    public virtual SafeFileHandle? Host => null;

    /// <summary>Changes the flags F_SETFL may change.</summary>
    public virtual Errno? SetStatusFlags(int flags)
    {
        int kept = StatusFlags & ~OpenFlags.Settable;
        Volatile.Write(ref _statusFlags, kept | (flags & OpenFlags.Settable));
        return null;
    }

    /// <summary>Reads into <paramref name="dst"/> at <paramref name="offset"/>, or at the file's offset (advancing it) when it is -1.</summary>
    /// <returns>The bytes read and, when fewer than asked for a reason other than end of file, why.</returns>
    public virtual (long Count, Error? Error) Read(KernelTask task, IOSequence dst, long offset) => (0, Errno.EINVAL);

    /// <summary>Writes <paramref name="src"/> at <paramref name="offset"/>, or at the file's offset when it is -1.</summary>
    public virtual (long Count, Error? Error) Write(KernelTask task, IOSequence src, long offset) => (0, Errno.EINVAL);

    /// <summary>lseek(2).</summary>
    public virtual (long Offset, Errno? Error) Seek(long offset, int whence) => (0, Errno.ESPIPE);

    /// <summary>Fills <paramref name="stat"/> with x86-64's <c>struct stat</c>.</summary>
    public abstract Errno? Stat(Span<byte> stat);

    /// <summary>Fills <paramref name="statx"/> with <c>struct statx</c>.</summary>
    public abstract Errno? Statx(int flags, uint mask, Span<byte> statx);

    /// <summary>Reads directory entries (<c>struct linux_dirent64</c>) into <paramref name="buffer"/>.</summary>
    /// <returns>The bytes filled (0 at the end), or the errno (ENOTDIR for a file that is not a directory).</returns>
    public virtual (int Count, Errno? Error) ReadDirectory(Span<byte> buffer) => (0, Errno.ENOTDIR);

    /// <summary>The target of the link this file is (readlink of an <c>O_PATH|O_NOFOLLOW</c> descriptor), or EINVAL.</summary>
    public virtual (string? Target, Errno? Error) ReadLink() => (null, Errno.EINVAL);

    /// <summary>
    /// What mmap(2) maps for this file: by default a source that refuses to be mapped (ENODEV, in
    /// Linux's order of checks, after the access mode's EACCES).
    /// </summary>
    public virtual (IMmapSource? Source, Errno? Error) MmapSource(KernelTask task) => (new UnmappableMmapSource(Readable, Writable), null);

    /// <summary>
    /// ftruncate(2) of a file the syscall has found to be a writable host file (<see cref="Host"/>
    /// not null): by default the host's own.
    /// </summary>
    public virtual Error? Truncate(long size) => Libc.Ftruncate(Host!, size);

    /// <summary>ioctl(2) with the argument as the program passed it (a pointer for most requests).</summary>
    public virtual (long Result, Error? Error) Ioctl(KernelTask task, uint request, ulong argument) => (0, Errno.ENOTTY);

    /// <summary>
    /// The poll bits among <paramref name="events"/>, and POLLERR and POLLHUP whether asked for or
    /// not, that hold now (Linux's <c>vfs_poll</c>): by default readable and writable, as Linux says
    /// of a file without a poll method of its own (a regular file).
    /// </summary>
    /// <remarks><b>Postconditions:</b> never blocks; the result has no bits outside <paramref name="events"/> | POLLERR | POLLHUP (and POLLNVAL, for a host descriptor the host calls invalid).</remarks>
    public virtual int Readiness(int events) => events & PollEvents.DefaultMask;

    /// <summary>
    /// Adds to <paramref name="wait"/> what must wake it when this file's readiness for
    /// <paramref name="events"/> may have changed: its kernel object's wait queue, or its host
    /// descriptor. By default nothing (a file that is always ready never needs waiting for).
    /// </summary>
    public virtual void Watch(PollWait wait, int events)
    {
    }

    /// <summary>
    /// A count that grows each time the file notifies waiters of <paramref name="events"/>, for
    /// edge-triggered epoll to see a new event while the file stays ready; 0 for a file that does
    /// not count (edge-triggered epoll then reports only a rise of readiness).
    /// </summary>
    public virtual long ChangeCount(int events) => 0;

    /// <summary>
    /// Whether the file has a poll method of its own, as epoll_ctl requires (EPERM otherwise, as
    /// for a regular file): pipes, terminals, sockets, epoll descriptions.
    /// </summary>
    public virtual bool CanPoll => false;

    /// <summary>Whether the last reference has gone (an epoll set then forgets the file, as Linux's does when the file is released).</summary>
    public bool IsReleased => Volatile.Read(ref _refs) <= 0;

    /// <summary>Takes one more reference.</summary>
    public void IncRef() => Interlocked.Increment(ref _refs);

    /// <summary>Drops a reference; the last one releases the file.</summary>
    public void DecRef()
    {
        int refs = Interlocked.Decrement(ref _refs);
        if (refs == 0)
        {
            Release();
        }
        else if (refs < 0)
        {
            ThrowHelper.ThrowInvalidOperation("FileDescription for '{0}' released more often than referenced.", Path);
        }
    }

    /// <summary>Frees what the file holds; called once, when the last reference goes.</summary>
    protected virtual void Release()
    {
    }
}
