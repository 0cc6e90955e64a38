using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Kernel.Procfs;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Files;

/// <summary>
/// Path lookup for the system calls: a path (and the directory it is relative to) becomes an
/// absolute sandbox path, which is served by procfs under <c>/proc</c> and by the host, inside the
/// sandbox root, everywhere else.
/// </summary>
internal sealed class VirtualFileSystem(Kernel kernel)
{
    /// <summary>The absolute sandbox path of <paramref name="path"/> relative to <paramref name="dirfd"/>.</summary>
    /// <returns>The path; EBADF for a bad descriptor, ENOTDIR when it is not a directory, ENOENT for an empty path.</returns>
    public static (string Path, Errno? Error) Absolute(KernelTask task, int dirfd, string path)
    {
        if (path.Length > 0 && path[0] == '/')
        {
            return FsContext.Join("/", path);
        }
        if (dirfd == OpenFlags.AT_FDCWD)
        {
            return FsContext.Join(task.Fs.Cwd, path);
        }
        FileDescription? dir = task.Fds.Get(dirfd);
        if (dir is null)
        {
            return ("", Errno.EBADF);
        }
        if (path.Length == 0)
        {
            return ("", Errno.ENOENT);
        }
        if (!dir.IsDirectory)
        {
            return ("", Errno.ENOTDIR);
        }
        return FsContext.Join(dir.Path, path);
    }

    /// <summary>Whether <paramref name="path"/> names something under <c>/proc</c>, and its normalized form.</summary>
    public static bool IsProc(string path, out string normalized)
    {
        normalized = FsContext.Normalize(path);
        return normalized == "/proc" || normalized.StartsWith("/proc/", StringComparison.Ordinal);
    }

    /// <summary>open(2) of the absolute sandbox path <paramref name="path"/>.</summary>
    public (FileDescription? File, Errno? Error) Open(KernelTask task, string path, int flags, uint mode) => Open(task, path, flags, mode, transient: false);

    // A transient open is one a system call makes for itself and drops before it returns (stat,
    // access, readlink): it needs no sandbox name and keeps the stat it took.
    private (FileDescription? File, Errno? Error) Open(KernelTask task, string path, int flags, uint mode, bool transient)
    {
        if (IsProc(path, out string normalized))
        {
            return ProcFileSystem.Open(task, normalized, flags);
        }
        SandboxRoot root = kernel.Root;
        if (root.ReadOnly && (OpenFlags.Writes(flags) || (flags & OpenFlags.O_CREAT) != 0))
        {
            Errno? refusal = ReadOnlyRefusal(path, flags);
            if (refusal is not null)
            {
                return (null, refusal);
            }
            flags &= ~OpenFlags.O_CREAT;
        }
        uint effectiveMode = mode & ~(uint)task.Fs.Umask;
        (SafeFileHandle? fd, Errno? error) = root.Open(path, flags, effectiveMode);
        if (error is not null)
        {
            return (null, error);
        }
        string name = transient ? path : root.SandboxPathOf(fd!) ?? path;
        (HostFileDescription? file, Errno? createError) = HostFileDescription.Create(fd!, flags, name, kernel.FileCache, keepStat: transient);
        return (file, createError);
    }

    // On a read-only root, open(2) still succeeds for O_CREAT without O_EXCL of a file that exists
    // when nothing else asks to write; everything else that would change a file is EROFS.
    private Errno? ReadOnlyRefusal(string path, int flags)
    {
        (SafeFileHandle? existing, Errno? error) = kernel.Root.Open(path, OpenFlags.O_PATH, 0);
        existing?.Dispose();
        if (error == Errno.ENOENT && (flags & OpenFlags.O_CREAT) == 0)
        {
            return Errno.ENOENT;
        }
        if (error is null && (flags & (OpenFlags.O_CREAT | OpenFlags.O_EXCL)) == (OpenFlags.O_CREAT | OpenFlags.O_EXCL))
        {
            return Errno.EEXIST;
        }
        if (error is null && !OpenFlags.Writes(flags))
        {
            return null;
        }
        return error is not null && error != Errno.ENOENT ? error : Errno.EROFS;
    }

    /// <summary>
    /// The file at <paramref name="path"/> itself, for the calls that only look at it (stat, access,
    /// readlink): an <c>O_PATH</c> description, of the link itself when <paramref name="follow"/> is false.
    /// </summary>
    public (FileDescription? File, Errno? Error) Lookup(KernelTask task, string path, bool follow)
    {
        int flags = OpenFlags.O_PATH | (follow ? 0 : OpenFlags.O_NOFOLLOW);
        return Open(task, path, flags, 0, transient: true);
    }

    /// <summary>The directory holding the last component of <paramref name="path"/>, and that component, for calls that change a directory.</summary>
    /// <returns>EROFS on a read-only root or under /proc (which nothing may change).</returns>
    public (SafeFileHandle? Dir, string Name, Errno? Error) Parent(string path)
    {
        if (IsProc(path, out _))
        {
            return (null, "", Errno.EACCES);
        }
        (SafeFileHandle? dir, string name, Errno? error) = kernel.Root.OpenParent(path);
        if (error is null && kernel.Root.ReadOnly)
        {
            dir!.Dispose();
            return (null, name, Errno.EROFS);
        }
        return (dir, name, error);
    }
}
