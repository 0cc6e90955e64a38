using System.Runtime.InteropServices;
using Warden.Errors;
using Warden.Kernel.Files;
using Warden.Kernel.Tasks;
using Warden.UserMem;

namespace Warden.Kernel.Procfs;

/// <summary>
/// A read-only file whose contents the kernel makes when it is first read (a procfs file): as
/// Linux's seq files, it shows the state at the read, not at the open (a shell's redirection from
/// /proc/self/cmdline before exec shows the new program's), and again after a seek to 0.
/// </summary>
/// <param name="path">Its path.</param>
/// <param name="make">Makes the contents, for the reading task (or the opener, for a seek that needs the size); <c>null</c> for ESRCH (the process is gone).</param>
/// <param name="opener">The task that opened it.</param>
/// <param name="inode">Its inode number.</param>
internal sealed class SyntheticFile(string path, Func<KernelTask, byte[]?> make, KernelTask opener, ulong inode) : FileDescription(OpenFlags.O_RDONLY, path)
{
    private readonly Lock _lock = new();
    private long _offset;
    private byte[]? _contents;

    // Under _lock.
    private byte[]? Contents(KernelTask reader) => _contents ??= make(reader);

    public override (long Count, Error? Error) Read(KernelTask task, IOSequence dst, long offset)
    {
        lock (_lock)
        {
            long at = offset < 0 ? _offset : offset;
            byte[]? contents = Contents(task);
            if (contents is null)
            {
                return (0, Errno.ESRCH);
            }
            if (at >= contents.Length)
            {
                return (0, null);
            }
            int length = (int)Math.Min(dst.NumBytes, contents.Length - at);
            (int n, Error? error) = dst.CopyOut(task, contents.AsSpan((int)at, length));
            if (offset < 0)
            {
                _offset += n;
            }
            return (n, error);
        }
    }

    public override (long Offset, Errno? Error) Seek(long offset, int whence)
    {
        lock (_lock)
        {
            long target = whence switch { 0 => offset, 1 => _offset + offset, 2 => (Contents(opener)?.Length ?? 0) + offset, _ => -1 };
            if (whence is < 0 or > 2 || target < 0)
            {
                return (0, Errno.EINVAL);
            }
            _offset = target;
            if (target == 0)
            {
                // A read from the start makes the contents again.
                _contents = null;
            }
            return (target, null);
        }
    }

    // procfs files report a size of 0, as Linux's do.
    public override Errno? Stat(Span<byte> stat) => ProcStat.Fill(stat, ProcStat.S_IFREG | 0x124, inode, 0);

    public override Errno? Statx(int flags, uint mask, Span<byte> statx) => ProcStat.FillStatx(statx, ProcStat.S_IFREG | 0x124, inode);
}

/// <summary>A symbolic link procfs shows (/proc/self, /proc/[pid]/exe, fd/N), opened with O_PATH|O_NOFOLLOW.</summary>
/// <remarks>
/// Its size is 0 and its permissions rwxrwxrwx, as Linux's procfs links have, except a descriptor's
/// link (fd/N), which Linux gives a size of 64 and permissions from how the descriptor was opened
/// (<see cref="ForDescriptor"/>).
/// </remarks>
internal sealed class SyntheticLink(string path, string target, ulong inode, uint permissions = 0x1ff, long size = 0)
    : FileDescription(OpenFlags.O_PATH, path)
{
    /// <summary>The link fd/N of <paramref name="file"/>: r-x for reading, -wx for writing, as Linux's.</summary>
    public static SyntheticLink ForDescriptor(string path, FileDescription file, ulong inode)
    {
        const uint ReadAndSearch = 0x140, WriteAndSearch = 0xc0; // S_IRUSR|S_IXUSR, S_IWUSR|S_IXUSR
        uint permissions = (file.Readable ? ReadAndSearch : 0) | (file.Writable ? WriteAndSearch : 0);
        return new SyntheticLink(path, file.Path, inode, permissions, size: 64);
    }

    public override (string? Target, Errno? Error) ReadLink() => (target, null);

    public override Errno? Stat(Span<byte> stat) => ProcStat.Fill(stat, ProcStat.S_IFLNK | permissions, inode, size);

    public override Errno? Statx(int flags, uint mask, Span<byte> statx) => ProcStat.FillStatx(statx, ProcStat.S_IFLNK | permissions, inode, size);
}

/// <summary>
/// What an O_PATH open through a descriptor's link (fd/N) reaches when the descriptor has no path
/// to open again, a kernel pipe: a view that stats as it, as Linux's does, and holds nothing
/// (it is no reader or writer of the pipe).
/// </summary>
internal sealed class PathView(FileDescription target) : FileDescription(OpenFlags.O_PATH, target.Path)
{
    public override Errno? Stat(Span<byte> stat) => target.Stat(stat);

    public override Errno? Statx(int flags, uint mask, Span<byte> statx) => target.Statx(flags, mask, statx);
}

/// <summary>A procfs directory: a fixed list of entries, read with getdents64.</summary>
/// <remarks>The entries are listed when first read (as Linux lists them then), so a directory shows what exists when it is read.</remarks>
internal sealed class SyntheticDirectory(string path, Func<IReadOnlyList<(string Name, byte Type, ulong Inode)>> list, ulong inode)
    : FileDescription(OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, path)
{
    private List<(string Name, byte Type, ulong Inode)>? _all;

    public const byte DT_DIR = 4;
    public const byte DT_REG = 8;
    public const byte DT_LNK = 10;

    private readonly Lock _lock = new();
    private int _next;

    public override bool IsDirectory => true;

    public override (long Count, Error? Error) Read(KernelTask task, IOSequence dst, long offset) => (0, Errno.EISDIR);

    public override (long Offset, Errno? Error) Seek(long offset, int whence)
    {
        lock (_lock)
        {
            if (whence != 0 || offset < 0)
            {
                return (0, Errno.EINVAL);
            }
            _next = (int)Math.Min(offset, int.MaxValue);
            return (_next, null);
        }
    }

    public override (int Count, Errno? Error) ReadDirectory(Span<byte> buffer)
    {
        lock (_lock)
        {
            int used = 0;
            if (_all is null)
            {
                _all = [(".", DT_DIR, inode), ("..", DT_DIR, 1)];
                _all.AddRange(list());
            }
            List<(string Name, byte Type, ulong Inode)> all = _all;
            while (_next < all.Count)
            {
                (string name, byte type, ulong ino) = all[_next];
                byte[] nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
                // struct linux_dirent64: ino, off, reclen, type, name + NUL, padded to 8.
                int reclen = (19 + nameBytes.Length + 1 + 7) & ~7;
                if (used + reclen > buffer.Length)
                {
                    return used == 0 ? (0, Errno.EINVAL) : (used, null);
                }
                Span<byte> record = buffer.Slice(used, reclen);
                record.Clear();
                MemoryMarshal.Write(record, ino);
                MemoryMarshal.Write(record[8..], (long)(_next + 1));
                MemoryMarshal.Write(record[16..], (ushort)reclen);
                record[18] = type;
                nameBytes.CopyTo(record[19..]);
                used += reclen;
                _next++;
            }
            return (used, null);
        }
    }

    public override Errno? Stat(Span<byte> stat) => ProcStat.Fill(stat, ProcStat.S_IFDIR | 0x16d, inode, 0);

    public override Errno? Statx(int flags, uint mask, Span<byte> statx) => ProcStat.FillStatx(statx, ProcStat.S_IFDIR | 0x16d, inode);
}
