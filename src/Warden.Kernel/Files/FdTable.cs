using Warden.Errors;

namespace Warden.Kernel.Files;

/// <summary>
/// A file descriptor table: descriptor numbers to open file descriptions, each with its
/// close-on-exec bit. Shared by the tasks of a process (and by clone(CLONE_FILES)); copied by fork,
/// the copy sharing the descriptions.
/// </summary>
/// <remarks>Thread-safe. Holds one reference on each description it maps.</remarks>
internal sealed class FdTable
{
    private readonly Lock _lock = new();
    private FileDescription?[] _files;
    private bool[] _closeOnExec;

    public FdTable(int limit)
    {
        Limit = limit;
        _files = new FileDescription?[Math.Min(limit, 64)];
        _closeOnExec = new bool[_files.Length];
    }

    /// <summary>RLIMIT_NOFILE: descriptors must be below it.</summary>
    public int Limit { get; set; }

    /// <summary>
    /// How many descriptors the table has room for now (Linux's <c>max_fds</c>: it grows as
    /// descriptors are added); every open descriptor is below it. select(2) looks no further.
    /// </summary>
    public int Capacity
    {
        get
        {
            lock (_lock)
            {
                return _files.Length;
            }
        }
    }

    /// <summary>Installs <paramref name="file"/> at the lowest free descriptor at least <paramref name="minimum"/>, taking over the caller's reference.</summary>
    /// <returns>The descriptor, or EMFILE (the reference is then dropped).</returns>
    public (int Fd, Errno? Error) Add(FileDescription file, bool closeOnExec, int minimum = 0)
    {
        lock (_lock)
        {
            for (int fd = minimum; fd < Limit; fd++)
            {
                Grow(fd);
                if (_files[fd] is null)
                {
                    _files[fd] = file;
                    _closeOnExec[fd] = closeOnExec;
                    return (fd, null);
                }
            }
        }
        file.DecRef();
        return (-1, Errno.EMFILE);
    }

    /// <summary>Puts <paramref name="file"/> at <paramref name="fd"/> (taking over the caller's reference), closing what was there.</summary>
    /// <returns>EBADF when <paramref name="fd"/> is out of range (the reference is then dropped).</returns>
    public Errno? Set(int fd, FileDescription file, bool closeOnExec)
    {
        FileDescription? old;
        lock (_lock)
        {
            if (fd < 0 || fd >= Limit)
            {
                file.DecRef();
                return Errno.EBADF;
            }
            Grow(fd);
            old = _files[fd];
            _files[fd] = file;
            _closeOnExec[fd] = closeOnExec;
        }
        old?.DecRef();
        return null;
    }

    /// <summary>The description at <paramref name="fd"/> (no reference taken), or <c>null</c>.</summary>
    public FileDescription? Get(int fd)
    {
        lock (_lock)
        {
            return (uint)fd < (uint)_files.Length ? _files[fd] : null;
        }
    }

    /// <summary>The description at <paramref name="fd"/> and its close-on-exec bit.</summary>
    public (FileDescription? File, bool CloseOnExec) GetWithFlags(int fd)
    {
        lock (_lock)
        {
            return (uint)fd < (uint)_files.Length ? (_files[fd], _closeOnExec[fd]) : (null, false);
        }
    }

    /// <summary>Sets the close-on-exec bit of an open descriptor.</summary>
    public Errno? SetCloseOnExec(int fd, bool value)
    {
        lock (_lock)
        {
            if ((uint)fd >= (uint)_files.Length || _files[fd] is null)
            {
                return Errno.EBADF;
            }
            _closeOnExec[fd] = value;
            return null;
        }
    }

    /// <summary>Closes <paramref name="fd"/>.</summary>
    public Errno? Remove(int fd)
    {
        FileDescription? old;
        lock (_lock)
        {
            if ((uint)fd >= (uint)_files.Length || _files[fd] is null)
            {
                return Errno.EBADF;
            }
            old = _files[fd];
            _files[fd] = null;
        }
        old!.DecRef();
        return null;
    }

    /// <summary>A copy for a child process: the same descriptors, sharing descriptions.</summary>
    public FdTable Fork()
    {
        lock (_lock)
        {
            var copy = new FdTable(Limit) { _files = (FileDescription?[])_files.Clone(), _closeOnExec = (bool[])_closeOnExec.Clone() };
            foreach (FileDescription? file in copy._files)
            {
                file?.IncRef();
            }
            return copy;
        }
    }

    /// <summary>Closes every descriptor marked close-on-exec.</summary>
    public void CloseOnExec()
    {
        for (int fd = 0; fd < _files.Length; fd++)
        {
            bool close;
            lock (_lock)
            {
                close = _files[fd] is not null && _closeOnExec[fd];
            }
            if (close)
            {
                Remove(fd);
            }
        }
    }

    /// <summary>Closes every descriptor.</summary>
    public void CloseAll()
    {
        FileDescription?[] files;
        lock (_lock)
        {
            files = _files;
            _files = new FileDescription?[_files.Length];
        }
        foreach (FileDescription? file in files)
        {
            file?.DecRef();
        }
    }

    // Lock held.
    private void Grow(int fd)
    {
        if (fd < _files.Length)
        {
            return;
        }
        int size = Math.Min(Math.Max(fd + 1, _files.Length * 2), Limit);
        Array.Resize(ref _files, size);
        Array.Resize(ref _closeOnExec, size);
    }
}
