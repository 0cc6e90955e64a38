using System.Globalization;
using System.Text;
using Warden.Errors;
using Warden.Kernel.Files;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Procfs;

/// <summary>
/// <c>/proc</c> as the program sees it, made from the kernel's own state: <c>self</c> and a directory
/// per sandbox process with <c>maps</c>, <c>smaps</c>, <c>statm</c>, <c>status</c>, <c>cmdline</c>,
/// <c>auxv</c>, <c>comm</c>, <c>exe</c>, <c>cwd</c>, <c>root</c> and <c>fd/</c>. Nothing of the host's
/// /proc is visible: every other name is ENOENT.
/// </summary>
internal static class ProcFileSystem
{
    private static readonly string[] s_files = ["auxv", "cmdline", "comm", "maps", "smaps", "stat", "statm", "status", "mounts"];

    // The machine-wide files shown as the host's, read when read (inodes from 3 on, in this order).
    private static readonly string[] s_hostFiles = ["cpuinfo", "meminfo", "version", "uptime", "loadavg", "filesystems", "stat"];
    private static readonly string[] s_links = ["cwd", "exe", "root"];

    private const ulong MountsLinkInode = 15;

    /// <summary>Opens <paramref name="path"/> (normalized, under /proc) with <paramref name="flags"/>.</summary>
    public static (FileDescription? File, Errno? Error) Open(KernelTask task, string path, int flags)
    {
        bool pathOnly = (flags & OpenFlags.O_PATH) != 0;
        bool follow = (flags & OpenFlags.O_NOFOLLOW) == 0;
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries)[1..];
        if (parts.Length == 0)
        {
            return Directory(path, flags, () => RootEntries(task), 1);
        }
        ThreadGroup? process;
        if (parts[0] == "self")
        {
            if (parts.Length == 1 && !follow)
            {
                return (new SyntheticLink(path, task.Group.Pid.ToString(CultureInfo.InvariantCulture), 2), null);
            }
            process = task.Group;
        }
        else if (parts[0] == "mounts")
        {
            // Linux's /proc/mounts is a link to self/mounts.
            return parts.Length == 1 && !follow
                ? ((flags & OpenFlags.O_PATH) != 0 ? (new SyntheticLink(path, "self/mounts", MountsLinkInode), null) : (null, Errno.ELOOP))
                : Open(task, "/proc/self/mounts/" + string.Join('/', parts[1..]), flags);
        }
        else if (parts.Length == 1 && Array.IndexOf(s_hostFiles, parts[0]) is int index and >= 0)
        {
            string host = "/proc/" + parts[0];
            return ReadOnlyFile(task, path, flags, _ => ProcContent.HostFile(host), 3 + (ulong)index);
        }
        else if (int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            process = task.Kernel.FindProcess(pid);
        }
        else
        {
            return (null, Errno.ENOENT);
        }
        if (process is null)
        {
            return (null, Errno.ENOENT);
        }
        ulong baseInode = (ulong)process.Pid << 8;
        string dir = "/proc/" + process.Pid.ToString(CultureInfo.InvariantCulture);
        if (parts.Length == 1)
        {
            return Directory(dir, flags, () => ProcessEntries(baseInode), baseInode);
        }
        string name = parts[1];
        if (parts.Length == 2 && Array.IndexOf(s_files, name) >= 0)
        {
            return ReadOnlyFile(task, dir + "/" + name, flags, reader => ProcContent.Make(reader, process, name), baseInode + 16 + (ulong)Array.IndexOf(s_files, name));
        }
        if (parts.Length > 2 && name is "root" or "cwd")
        {
            // A path through the link goes on from its target, as a lookup would.
            string target = name == "cwd" && task.Group == process ? task.Fs.Cwd : "/";
            string rest = string.Join('/', parts[2..]);
            return task.Kernel.Vfs.Open(task, target.TrimEnd('/') + "/" + rest, flags, 0);
        }
        if (parts.Length == 2 && Array.IndexOf(s_links, name) >= 0)
        {
            string target = name switch
            {
                "exe" => process.Image?.ExecutablePath ?? "",
                "cwd" => task.Group == process ? task.Fs.Cwd : "/",
                _ => "/",
            };
            return Link(task, dir + "/" + name, target, baseInode + 32 + (ulong)Array.IndexOf(s_links, name), flags, follow);
        }
        if (name == "fd")
        {
            KernelTask? owner = process.Tasks().FirstOrDefault();
            if (owner is null)
            {
                return (null, Errno.ENOENT);
            }
            if (parts.Length == 2)
            {
                return Directory(dir + "/fd", flags, () => FdEntries(owner, baseInode), baseInode + 48);
            }
            if (parts.Length == 3 && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int number) &&
                owner.Fds.Get(number) is FileDescription file)
            {
                if (follow && file is PipeEnd pipeEnd)
                {
                    // A pipe has no path to follow: the open reaches the pipe itself, as Linux's
                    // (stat through the link, test -p /dev/stdin, sees the pipe).
                    if ((flags & OpenFlags.O_DIRECTORY) != 0)
                    {
                        return (null, Errno.ENOTDIR);
                    }
                    return pathOnly ? (new PathView(pipeEnd), null) : (pipeEnd.Reopen(flags), null);
                }
                if (follow && file is HostFileDescription host && !file.Path.StartsWith('/'))
                {
                    // A host pipe or socket, which has no path in the sandbox: reached itself too (for
                    // O_PATH as well, so that stat through the link sees it).
                    return HostFileDescription.Reopen(host, flags, task.Kernel.FileCache);
                }
                if (!follow)
                {
                    return pathOnly ? (SyntheticLink.ForDescriptor($"{dir}/fd/{number}", file, baseInode + 64 + (ulong)number), null) : (null, Errno.ELOOP);
                }
                return Link(task, $"{dir}/fd/{number}", file.Path, baseInode + 64 + (ulong)number, flags, follow);
            }
        }
        return (null, Errno.ENOENT);
    }

    private static List<(string, byte, ulong)> FdEntries(KernelTask owner, ulong baseInode)
    {
        var entries = new List<(string, byte, ulong)>();
        for (int fd = 0; fd < owner.Fds.Limit && fd < 4096; fd++)
        {
            if (owner.Fds.Get(fd) is not null)
            {
                entries.Add((fd.ToString(CultureInfo.InvariantCulture), SyntheticDirectory.DT_LNK, baseInode + 64 + (ulong)fd));
            }
        }
        return entries;
    }

    // A read-only file made by `make` when read (an O_PATH open makes nothing): EACCES for writing,
    // ENOTDIR for O_DIRECTORY.
    private static (FileDescription?, Errno?) ReadOnlyFile(KernelTask task, string path, int flags, Func<KernelTask, byte[]?> make, ulong inode)
    {
        if (OpenFlags.Writes(flags) || (flags & OpenFlags.O_CREAT) != 0)
        {
            return (null, Errno.EACCES);
        }
        if ((flags & OpenFlags.O_DIRECTORY) != 0)
        {
            return (null, Errno.ENOTDIR);
        }
        return (new SyntheticFile(path, (flags & OpenFlags.O_PATH) != 0 ? static _ => [] : make, task, inode), null);
    }

    private static (FileDescription?, Errno?) Directory(string path, int flags, Func<IReadOnlyList<(string, byte, ulong)>> entries, ulong inode)
    {
        if (OpenFlags.Writes(flags) || (flags & OpenFlags.O_CREAT) != 0)
        {
            return (null, Errno.EISDIR);
        }
        return (new SyntheticDirectory(path, entries, inode), null);
    }

    // A link followed by open goes to its target (a host file, or procfs again); unfollowed, it is the link.
    private static (FileDescription?, Errno?) Link(KernelTask task, string path, string target, ulong inode, int flags, bool follow)
    {
        if (!follow)
        {
            return (flags & OpenFlags.O_PATH) != 0 ? (new SyntheticLink(path, target, inode), null) : (null, Errno.ELOOP);
        }
        if (target.Length == 0 || target[0] != '/')
        {
            return (null, Errno.ENOENT);
        }
        return task.Kernel.Vfs.Open(task, target, flags, 0);
    }

    private static List<(string, byte, ulong)> RootEntries(KernelTask task)
    {
        var entries = new List<(string, byte, ulong)> { ("self", SyntheticDirectory.DT_LNK, 2), ("mounts", SyntheticDirectory.DT_LNK, MountsLinkInode) };
        for (int i = 0; i < s_hostFiles.Length; i++)
        {
            entries.Add((s_hostFiles[i], SyntheticDirectory.DT_REG, 3 + (ulong)i));
        }
        foreach (int pid in task.Kernel.Pids())
        {
            entries.Add((pid.ToString(CultureInfo.InvariantCulture), SyntheticDirectory.DT_DIR, (ulong)pid << 8));
        }
        return entries;
    }

    private static List<(string, byte, ulong)> ProcessEntries(ulong baseInode)
    {
        var entries = new List<(string, byte, ulong)>();
        for (int i = 0; i < s_files.Length; i++)
        {
            entries.Add((s_files[i], SyntheticDirectory.DT_REG, baseInode + 16 + (ulong)i));
        }
        for (int i = 0; i < s_links.Length; i++)
        {
            entries.Add((s_links[i], SyntheticDirectory.DT_LNK, baseInode + 32 + (ulong)i));
        }
        entries.Add(("fd", SyntheticDirectory.DT_DIR, baseInode + 48));
        return entries;
    }

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
