using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Kernel.Syscalls;
using Warden.Kernel.Tasks;
using Warden.Mm;
using Warden.Platform;
using Warden.SafeMem;
using Warden.UserMem;

namespace Warden.Kernel.Files;

/// <summary>
/// A file of the host, opened inside the sandbox root: reads and writes go straight between the host
/// descriptor and application memory, one vectored host call for all of it (the memory manager calls
/// a reader or writer once per copy); offsets are the host descriptor's own.
/// </summary>
/// <remarks>
/// Files that are not regular files or directories (pipes, terminals, sockets, devices) wait until
/// they are ready, beside the process's wake descriptor, then make that one host read: a read returns
/// as soon as the host's does, as on Linux, however the destination memory is split.
/// </remarks>
internal sealed class HostFileDescription : FileDescription
{
    private const uint S_IFMT = 0xf000;
    private const uint S_IFDIR = 0x4000;
    private const uint S_IFREG = 0x8000;
    private const uint S_IFLNK = 0xa000;
    private const uint S_IFCHR = 0x2000;

    private readonly SafeFileHandle _fd;
    private readonly uint _fileType;
    private readonly HostFileCache _files;
    private HostFileMappable? _mappable;
    private IMmapSource? _mmapSource;

    // Whether a read or write can wait for someone else (pipes, sockets, terminals); other
    // devices (/dev/null, /dev/zero, /dev/urandom) answer at once and are not polled first.
    private readonly bool _mayBlock;

    // Whether the descriptor is a terminal (the sandbox's controlling terminal: job control applies).
    private readonly bool _isTerminal;

    private HostFileDescription(SafeFileHandle fd, int flags, string path, uint fileType, HostFileCache files)
        : base(flags, path)
    {
        _fd = fd;
        _fileType = fileType;
        _files = files;
        _isTerminal = fileType == S_IFCHR && Libc.Isatty(fd);
        _mayBlock = fileType is not (S_IFREG or S_IFDIR or S_IFLNK) && (fileType != S_IFCHR || _isTerminal);
    }

    /// <summary>Wraps an open host descriptor, which it then owns.</summary>
    /// <returns>The description, or fstat's errno (the handle is then disposed).</returns>
    /// <param name="fd">The open descriptor (owned from now on).</param>
    /// <param name="flags">The open flags.</param>
    /// <param name="path">The sandbox path it was opened by.</param>
    /// <param name="files">The kernel's host files, whose page cache mmap uses.</param>
    /// <param name="keepStat">
    /// Whether to keep the stat taken now and answer <see cref="Stat"/> with it: for a description
    /// made only to look at a file once (stat(2) of a path), so that the lookup costs one fstat, not two.
    /// </param>
    public static (HostFileDescription? File, Errno? Error) Create(SafeFileHandle fd, int flags, string path, HostFileCache files, bool keepStat = false)
    {
        byte[]? kept = keepStat ? new byte[Libc.StatSize] : null;
        Span<byte> stat = kept ?? stackalloc byte[Libc.StatSize];
        Errno? error = Libc.FstatEmptyPath(fd, stat);
        if (error is not null)
        {
            fd.Dispose();
            return (null, error);
        }
        uint mode = BitConverter.ToUInt32(stat[LinuxStat.ModeOffset..]);
        return (new HostFileDescription(fd, flags, path, mode & S_IFMT, files)
        {
            _keptStat = kept,
            _device = BitConverter.ToUInt64(stat[LinuxStat.DeviceOffset..]),
            _inode = BitConverter.ToUInt64(stat[LinuxStat.InodeOffset..]),
        }, null);
    }

    /// <summary>
    /// A new open of the file <paramref name="file"/> holds, as an open through its <c>/proc/self/fd</c>
    /// link reaches it on Linux: the same pipe, socket or file, with a description (and offset) of its own.
    /// </summary>
    /// <returns>The description, or the host open's errno (ENXIO for a socket).</returns>
    public static (HostFileDescription? File, Errno? Error) Reopen(HostFileDescription file, int flags, HostFileCache files)
    {
        bool added = false;
        try
        {
            file._fd.DangerousAddRef(ref added);
            // Warden's own descriptor's link, followed by the host: it can reach only the file the
            // program already holds.
            using var cwd = new SafeFileHandle(Libc.AT_FDCWD, ownsHandle: false);
            byte[] link = System.Text.Encoding.ASCII.GetBytes($"/proc/self/fd/{file._fd.DangerousGetHandle()}");
            ulong hostFlags = (ulong)(uint)((flags & OpenFlags.Known & ~(OpenFlags.O_CREAT | OpenFlags.O_TMPFILE)) | OpenFlags.O_CLOEXEC);
            (SafeFileHandle? fd, Errno? error) = Libc.Openat2(cwd, link, hostFlags, 0, 0);
            return error is not null ? (null, error) : Create(fd!, flags, file.Path, files);
        }
        finally
        {
            if (added)
            {
                file._fd.DangerousRelease();
            }
        }
    }

    private byte[]? _keptStat;

    // The file's identity, by which a read or write finds the file's page cache if it is mapped.
    private ulong _device;
    private ulong _inode;

    /// <inheritdoc/>
    public override bool IsDirectory => _fileType == S_IFDIR;

    /// <inheritdoc/>
    public override SafeFileHandle Host => _fd;

    /// <summary>Whether reads may block (not a regular file or directory).</summary>
    public bool IsStream => _fileType is not (S_IFREG or S_IFDIR or S_IFLNK);

    /// <inheritdoc/>
    public override Errno? SetStatusFlags(int flags)
    {
        (int hostFlags, Errno? error) = Libc.Fcntl(_fd, Libc.F_GETFL, 0);
        if (error is null)
        {
            int wanted = (hostFlags & ~OpenFlags.Settable) | (flags & OpenFlags.Settable);
            (_, error) = Libc.Fcntl(_fd, Libc.F_SETFL, wanted);
        }
        return error ?? base.SetStatusFlags(flags);
    }

    /// <inheritdoc/>
    public override (long Count, Error? Error) Read(KernelTask task, IOSequence dst, long offset)
    {
        if (IsDirectory)
        {
            return (0, Errno.EISDIR);
        }
        if (IsStream && offset < 0)
        {
            return ReadStream(task, dst);
        }
        if (_fileType == S_IFREG && _files.Find(_device, _inode) is { } mapped)
        {
            // The file is mapped: what its shared mappings wrote must reach the file first.
            (long start, Errno? positionError) = Position(offset);
            Error? syncError = positionError ?? mapped.WriteBackForHostIO((ulong)start, (ulong)(start + dst.NumBytes));
            mapped.DecRef(Contexts.Context.Background);
            if (syncError is not null)
            {
                return (0, syncError);
            }
        }
        var reader = offset < 0 ? new HostFileReader(_fd) : new HostFileReader(_fd, offset);
        (long n, Error? error) = dst.CopyOutFrom(task, reader);
        return (n, ReferenceEquals(error, WellKnownErrors.EndOfStream) ? null : error);
    }

    // A stream is read with one readv straight into the program's memory, once it is ready: the
    // memory manager calls the reader once for all of dst, so a read never blocks a second time.
    private (long Count, Error? Error) ReadStream(KernelTask task, IOSequence dst)
    {
        if (_isTerminal && TerminalIoctl.CheckReadOrWrite(task, _fd, write: false) is { } jobControl)
        {
            return (0, jobControl);
        }
        if (dst.NumBytes == 0)
        {
            return (0, null);
        }
        Error? waitError = WaitUntilReady(task, Libc.POLLIN);
        if (waitError is not null)
        {
            return (0, waitError);
        }
        (long n, Error? error) = dst.CopyOutFrom(task, new HostFileReader(_fd));
        return (n, ReferenceEquals(error, WellKnownErrors.EndOfStream) ? null : error);
    }

    /// <inheritdoc/>
    public override (long Count, Error? Error) Write(KernelTask task, IOSequence src, long offset)
    {
        if (_isTerminal && TerminalIoctl.CheckReadOrWrite(task, _fd, write: true) is { } jobControl)
        {
            return (0, jobControl);
        }
        if (IsStream && offset < 0)
        {
            Error? waitError = WaitUntilReady(task, Libc.POLLOUT);
            if (waitError is not null)
            {
                return (0, waitError);
            }
        }
        if (_fileType == S_IFREG)
        {
            (bool allowed, src) = FitFileSizeLimit(task, src, offset);
            if (!allowed)
            {
                return (0, Errno.EFBIG);
            }
        }
        var writer = offset < 0 ? new HostFileWriter(_fd) : new HostFileWriter(_fd, offset);
        if (_fileType != S_IFREG || _files.Find(_device, _inode) is not { } mapped)
        {
            return src.CopyInTo(task, writer);
        }
        // The file is mapped: its dirty pages go to the file first (the write may cover part of
        // one), and the pages the write changed are read into its page cache again after.
        try
        {
            bool append = (StatusFlags & OpenFlags.O_APPEND) != 0;
            (long start, Errno? positionError) = append ? (0, null) : Position(offset);
            Error? syncError = positionError ??
                mapped.WriteBackForHostIO((ulong)start, append ? ulong.MaxValue : (ulong)(start + src.NumBytes));
            if (syncError is not null)
            {
                return (0, syncError);
            }
            (long n, Error? error) = src.CopyInTo(task, writer);
            if (n > 0)
            {
                // Where the bytes went: after an append (pwrite too appends then), the end of the file.
                (long end, Errno? endError) = append ? FileSize() : Position(offset < 0 ? offset : offset + n);
                Error? refreshError = endError ?? mapped.RefreshAfterHostWrite((ulong)(end - n), (ulong)end);
                error ??= refreshError;
            }
            return (n, error);
        }
        finally
        {
            mapped.DecRef(Contexts.Context.Background);
        }
    }

    private (long Size, Errno? Error) FileSize()
    {
        (long size, _, Errno? error) = Libc.Fstat(_fd);
        return (size, error);
    }

    // Where an I/O at `offset` starts: there, or at the descriptor's own offset when it is negative.
    private (long Offset, Errno? Error) Position(long offset) => offset >= 0 ? (offset, null) : Libc.Lseek(_fd, 0, Libc.SEEK_CUR);

    // A blocking stream waits in poll beside the task's waker, so that a signal or a kill ends the
    // wait (a restart, which the system call turns into EINTR or a new try).
    private Error? WaitUntilReady(KernelTask task, short events)
    {
        if (!_mayBlock || (StatusFlags & OpenFlags.O_NONBLOCK) != 0)
        {
            return null;
        }
        Span<short> revents = stackalloc short[1];
        while (true)
        {
            (int ready, Errno? error) = Libc.Poll([_fd], [events], revents, 0);
            if (error is null && ready > 0)
            {
                return null;
            }
            if (task.BlockOnHost(_fd, events) == WakeReason.Interrupted)
            {
                return RestartError.Sys;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>A zero-timeout host poll of the descriptor.</remarks>
    public override int Readiness(int events)
    {
        Span<short> revents = stackalloc short[1];
        short asked = (short)(events & 0xffff);
        (int ready, Errno? error) = Libc.Poll([_fd], [asked], revents, 0);
        if (error is not null || ready == 0)
        {
            return 0;
        }
        return revents[0] & (events | PollEvents.AlwaysReported | PollEvents.POLLNVAL);
    }

    /// <inheritdoc/>
    public override void Watch(PollWait wait, int events) => wait.AddHost(_fd, events);

    /// <inheritdoc/>
    /// <remarks>The files that can block have one (pipes, sockets, terminals); regular files, directories and other devices do not.</remarks>
    public override bool CanPoll => _mayBlock;

    /// <inheritdoc/>
    public override (long Offset, Errno? Error) Seek(long offset, int whence) => Libc.Lseek(_fd, offset, whence);

    /// <inheritdoc/>
    public override Errno? Stat(Span<byte> stat)
    {
        if (_keptStat is not null)
        {
            _keptStat.CopyTo(stat);
            return null;
        }
        return Libc.FstatEmptyPath(_fd, stat);
    }

    /// <inheritdoc/>
    public override Errno? Statx(int flags, uint mask, Span<byte> statx) => Libc.StatxEmptyPath(_fd, flags, mask, statx);

    /// <inheritdoc/>
    public override (int Count, Errno? Error) ReadDirectory(Span<byte> buffer) =>
        IsDirectory ? Libc.Getdents64(_fd, buffer) : (0, Errno.ENOTDIR);

    /// <inheritdoc/>
    public override (string? Target, Errno? Error) ReadLink()
    {
        Span<byte> buffer = stackalloc byte[4096];
        (int n, Errno? error) = Libc.ReadlinkEmptyPath(_fd, buffer);
        if (error is not null)
        {
            // readlinkat with an empty path on a descriptor that is not a link.
            return (null, error == Errno.ENOENT ? Errno.EINVAL : error);
        }
        return (System.Text.Encoding.UTF8.GetString(buffer[..n]), null);
    }

    /// <inheritdoc/>
    public override (IMmapSource? Source, Errno? Error) MmapSource(KernelTask task)
    {
        if (_fileType != S_IFREG)
        {
            return base.MmapSource(task);
        }
        lock (this)
        {
            if (_mappable is null)
            {
                (SafeFileHandle? dup, Errno? error) = Libc.Dup(_fd);
                if (error is not null)
                {
                    return (null, error);
                }
                (HostFileMappable? mappable, Error? createError) = _files.Get(dup!, Path, Readable, Writable);
                if (createError is not null)
                {
                    dup!.Dispose();
                    return (null, Errno.ENODEV);
                }
                _mappable = mappable;
                _mmapSource = mappable!.OpenedAs(Readable, Writable);
            }
            return (_mmapSource, null);
        }
    }

    /// <inheritdoc/>
    public override (long Result, Error? Error) Ioctl(KernelTask task, uint request, ulong argument) =>
        TerminalIoctl.Handle(task, _fd, request, argument);

    // Linux's generic_write_check_limits for RLIMIT_FSIZE: a write that starts at or past the
    // limit is EFBIG and raises SIGXFSZ; one that crosses it is cut short at it.
    private (bool Allowed, IOSequence Src) FitFileSizeLimit(KernelTask task, IOSequence src, long offset)
    {
        ulong limit = task.Group.Limits.Get(ResourceLimitSet.RLIMIT_FSIZE).Current;
        if (limit == ResourceLimitSet.Infinity || src.NumBytes == 0)
        {
            return (true, src);
        }
        (long at, Errno? error) = (StatusFlags & OpenFlags.O_APPEND) != 0 ? FileSize() : Position(offset);
        if (error is not null)
        {
            // The write itself will meet the same error.
            return (true, src);
        }
        if ((ulong)at >= limit)
        {
            RaiseFileSizeSignal(task);
            return (false, src);
        }
        return (true, (ulong)src.NumBytes > limit - (ulong)at ? src.TakeFirst64((long)(limit - (ulong)at)) : src);
    }

    /// <summary>SIGXFSZ for a write or truncate past RLIMIT_FSIZE, to the task that made it (as Linux's send_sig).</summary>
    public static void RaiseFileSizeSignal(KernelTask task)
    {
        var info = new SignalInfo { Signo = Signals.Signal.SIGXFSZ, Code = Signals.SignalCodes.SI_USER, Pid = task.Group.Pid, Uid = task.Group.Credentials.Uid };
        task.Group.Send(in info, task);
    }

    /// <summary>ftruncate(2): through the file's page cache when it is mapped, so that mappings see it.</summary>
    public override Error? Truncate(long size)
    {
        if (_fileType == S_IFREG && _files.Find(_device, _inode) is { } mapped)
        {
            // Through this open: the mappable may hold no handle for writing (only read-only opens mapped it).
            Error? error = mapped.Truncate(size, _fd);
            mapped.DecRef(Contexts.Context.Background);
            return error;
        }
        return Libc.Ftruncate(_fd, size);
    }

    /// <inheritdoc/>
    protected override void Release()
    {
        _mappable?.DecRef(Contexts.Context.Background);
        _fd.Dispose();
    }
}
