using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Interop;
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
            if (path.EndsWith('/') || path.EndsWith("/.", StringComparison.Ordinal))
            {
                // A trailing slash asks for a directory, through a final link too (lstat("/proc/self/")).
                flags = (flags & ~OpenFlags.O_NOFOLLOW) | OpenFlags.O_DIRECTORY;
            }
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
        if (error == Errno.ELOOP && LinkIntoProc(path, followLast: (flags & OpenFlags.O_NOFOLLOW) == 0) is string procPath)
        {
            return Open(task, procPath, flags, mode, transient);
        }
        if (error is not null)
        {
            return (null, error);
        }
        string name = transient ? path : root.SandboxPathOf(fd!) ?? path;
        (HostFileDescription? file, Errno? createError) = HostFileDescription.Create(fd!, flags, name, kernel.FileCache, keepStat: transient);
        return (file, createError);
    }

    // Linux follows at most 40 symbolic links in one lookup.
    private const int MaxLinks = 40;

    // Where a host symbolic link on the way (such as /dev/stdin, to /proc/self/fd/0) takes a lookup
    // into /proc: the path it becomes there, which procfs serves; null if none does. The host's
    // lookup refuses these (they reach its magic links), so they are followed here, one component
    // at a time, inside the sandbox root.
    private string? LinkIntoProc(string path, bool followLast)
    {
        var pending = new Stack<string>();
        PushComponents(pending, path);
        string current = "/";
        int links = 0;
        Span<byte> target = stackalloc byte[4096];
        while (pending.TryPop(out string? part))
        {
            if (part == "..")
            {
                current = FsContext.Normalize(current + "/..");
                continue;
            }
            string next = current == "/" ? "/" + part : current + "/" + part;
            if (IsProc(next, out _))
            {
                while (pending.TryPop(out string? rest))
                {
                    next += "/" + rest;
                }
                // A trailing slash keeps asking for a directory there.
                return path.EndsWith('/') ? next + "/" : next;
            }
            if (pending.Count == 0 && !followLast)
            {
                return null;
            }
            (SafeFileHandle? fd, Errno? error) = kernel.Root.Open(next, OpenFlags.O_PATH | OpenFlags.O_NOFOLLOW, 0);
            if (error is not null)
            {
                return null;
            }
            (int length, Errno? notLink) = Libc.ReadlinkEmptyPath(fd!, target);
            fd!.Dispose();
            if (notLink is not null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks || length == target.Length)
            {
                return null;
            }
            string text = System.Text.Encoding.UTF8.GetString(target[..length]);
            PushComponents(pending, text);
            if (text.StartsWith('/'))
            {
                current = "/";
            }
        }
        return null;
    }

    // Pushes the components of `path` so that the first is popped first ("." and empty ones dropped).
    private static void PushComponents(Stack<string> pending, string path)
    {
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            if (parts[i] != ".")
            {
                pending.Push(parts[i]);
            }
        }
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
