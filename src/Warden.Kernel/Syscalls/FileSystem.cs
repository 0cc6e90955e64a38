using System.Text;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Kernel.Files;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// Directories and names: getdents64(2), getcwd(2), chdir(2), mkdir(2), rmdir(2), unlink(2),
// rename(2), umask(2), truncate(2), fsync(2), fadvise64(2), chmod(2).
internal static partial class Sys
{
    private const int RENAME_NOREPLACE = 1;
    private const int RENAME_EXCHANGE = 2;
    private const int RENAME_WHITEOUT = 4;

    public static SyscallReturn Getdents64(KernelTask t, in SyscallArguments a)
    {
        (_, Errno? rangeError) = t.SingleIOSequence(a.Pointer(1), a.UInt(2));
        if (rangeError is not null)
        {
            return rangeError;
        }
        FileDescription? file = t.Fds.Get(a.Int(0));
        if (file is null || file.IsPath)
        {
            return Errno.EBADF;
        }
        int count = (int)Math.Min(a.UInt(2), 64u << 10);
        byte[] buffer = t.ScratchBuffer(count);
        (int n, Errno? error) = file.ReadDirectory(buffer.AsSpan(0, count));
        if (error is not null)
        {
            return error;
        }
        (_, Error? copyError) = t.CopyOut(a.Pointer(1), buffer.AsSpan(0, n));
        return copyError is null ? SyscallReturn.Ok(n) : Errno.EFAULT;
    }

    public static SyscallReturn Getcwd(KernelTask t, in SyscallArguments a)
    {
        byte[] cwd = Encoding.UTF8.GetBytes(t.Fs.Cwd + "\0");
        if (a.ULong(1) < (ulong)cwd.Length)
        {
            return Errno.ERANGE;
        }
        (_, Error? error) = t.CopyOut(a.Pointer(0), cwd);
        return error is null ? SyscallReturn.Ok(cwd.Length) : Errno.EFAULT;
    }

    public static SyscallReturn Chdir(KernelTask t, in SyscallArguments a)
    {
        (string path, Error? copyError) = t.CopyPathIn(a.Pointer(0));
        if (copyError is not null)
        {
            return SyscallReturn.ErrnoOf(copyError);
        }
        (string absolute, Errno? error) = VirtualFileSystem.Absolute(t, OpenFlags.AT_FDCWD, path);
        if (error is not null)
        {
            return error;
        }
        (FileDescription? dir, Errno? openError) = t.Kernel.Vfs.Open(t, absolute, OpenFlags.O_PATH | OpenFlags.O_DIRECTORY, 0);
        if (openError is not null)
        {
            return openError;
        }
        try
        {
            return ChangeDirectory(t, dir!);
        }
        finally
        {
            dir!.DecRef();
        }
    }

    public static SyscallReturn Fchdir(KernelTask t, in SyscallArguments a)
    {
        FileDescription? dir = t.Fds.Get(a.Int(0));
        if (dir is null)
        {
            return Errno.EBADF;
        }
        return dir.IsDirectory ? ChangeDirectory(t, dir) : Errno.ENOTDIR;
    }

    private static SyscallReturn ChangeDirectory(KernelTask t, FileDescription dir)
    {
        const int X_OK = 1;
        if (dir.Host is not null)
        {
            Errno? error = Libc.FaccessEmptyPath(dir.Host, X_OK, Libc.AT_EACCESS);
            if (error is not null)
            {
                return error;
            }
        }
        t.Fs.Cwd = dir.Path;
        return SyscallReturn.Ok(0);
    }

    public static SyscallReturn Mkdir(KernelTask t, in SyscallArguments a) => MkdirAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), a.UInt(1));

    public static SyscallReturn Mkdirat(KernelTask t, in SyscallArguments a) => MkdirAt(t, a.Int(0), a.Pointer(1), a.UInt(2));

    private static SyscallReturn MkdirAt(KernelTask t, int dirfd, Addr pathAddr, uint mode)
    {
        (SafeFileHandle? dir, string name, Errno? error) = ParentAt(t, dirfd, pathAddr);
        if (error == Errno.EROFS)
        {
            // Linux looks the name up before it asks for write access: an existing one is EEXIST
            // even on a read-only file system (mkdir -p relies on that for the directories it keeps).
            using FileLookup existing = LookupAt(t, dirfd, pathAddr, OpenFlags.AT_SYMLINK_NOFOLLOW);
            return existing.Error is null ? Errno.EEXIST : error;
        }
        if (error is not null)
        {
            return error;
        }
        using (dir)
        {
            if (name is "." or "..")
            {
                return Errno.EEXIST;
            }
            return SyscallReturn.Of(Libc.Mkdirat(dir!, Encoding.UTF8.GetBytes(name), mode & 0xfff & ~(uint)t.Fs.Umask));
        }
    }

    public static SyscallReturn Mknod(KernelTask t, in SyscallArguments a) => MknodAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), a.UInt(1));

    public static SyscallReturn Mknodat(KernelTask t, in SyscallArguments a) => MknodAt(t, a.Int(0), a.Pointer(1), a.UInt(2));

    // Linux's do_mknodat: the type is checked first (a directory is EPERM, an unknown type EINVAL),
    // then the name. Regular files, FIFOs and sockets are made in the host directory; device nodes
    // are EPERM, as for a process without CAP_MKNOD: nothing in the sandbox may make one.
    private static SyscallReturn MknodAt(KernelTask t, int dirfd, Addr pathAddr, uint mode)
    {
        const uint S_IFMT = 0xf000, S_IFSOCK = 0xc000, S_IFBLK = 0x6000, S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000, S_IFREG = 0x8000;
        uint type = mode & S_IFMT;
        if (type == S_IFDIR)
        {
            return Errno.EPERM;
        }
        if (type is not (0 or S_IFREG or S_IFIFO or S_IFSOCK or S_IFCHR or S_IFBLK))
        {
            return Errno.EINVAL;
        }
        (SafeFileHandle? dir, string name, Errno? error) = ParentAt(t, dirfd, pathAddr);
        if (error is not null)
        {
            return error;
        }
        using (dir)
        {
            if (name is "." or "..")
            {
                return Errno.EEXIST;
            }
            byte[] bytes = Encoding.UTF8.GetBytes(name);
            if (type is S_IFCHR or S_IFBLK)
            {
                // The name's own errors (EEXIST) come before the capability check.
                (SafeFileHandle? existing, Errno? missing) = Libc.Openat2(dir!, bytes, (ulong)(OpenFlags.O_PATH | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC), 0, Libc.RESOLVE_IN_ROOT);
                existing?.Dispose();
                return missing is null ? Errno.EEXIST : Errno.EPERM;
            }
            uint permissions = mode & 0xfff & ~(uint)t.Fs.Umask;
            return SyscallReturn.Of(Libc.Mknodat(dir!, bytes, (type == 0 ? S_IFREG : type) | permissions, 0));
        }
    }

    public static SyscallReturn Rmdir(KernelTask t, in SyscallArguments a) => UnlinkAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), OpenFlags.AT_REMOVEDIR);

    public static SyscallReturn Unlink(KernelTask t, in SyscallArguments a) => UnlinkAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), 0);

    public static SyscallReturn Unlinkat(KernelTask t, in SyscallArguments a)
    {
        int flags = a.Int(2);
        return (flags & ~OpenFlags.AT_REMOVEDIR) != 0 ? Errno.EINVAL : UnlinkAt(t, a.Int(0), a.Pointer(1), flags);
    }

    private static SyscallReturn UnlinkAt(KernelTask t, int dirfd, Addr pathAddr, int flags)
    {
        (SafeFileHandle? dir, string name, Errno? error) = ParentAt(t, dirfd, pathAddr);
        if (error is not null)
        {
            return error;
        }
        using (dir)
        {
            bool directory = (flags & OpenFlags.AT_REMOVEDIR) != 0;
            if (name == ".")
            {
                return directory ? Errno.EINVAL : Errno.EISDIR;
            }
            if (name == "..")
            {
                return directory ? Errno.ENOTEMPTY : Errno.EISDIR;
            }
            return SyscallReturn.Of(Libc.Unlinkat(dir!, Encoding.UTF8.GetBytes(name), flags));
        }
    }

    public static SyscallReturn Rename(KernelTask t, in SyscallArguments a) =>
        RenameAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), OpenFlags.AT_FDCWD, a.Pointer(1), 0);

    public static SyscallReturn Renameat(KernelTask t, in SyscallArguments a) => RenameAt(t, a.Int(0), a.Pointer(1), a.Int(2), a.Pointer(3), 0);

    public static SyscallReturn Renameat2(KernelTask t, in SyscallArguments a) => RenameAt(t, a.Int(0), a.Pointer(1), a.Int(2), a.Pointer(3), a.UInt(4));

    private static SyscallReturn RenameAt(KernelTask t, int oldDirfd, Addr oldAddr, int newDirfd, Addr newAddr, uint flags)
    {
        if ((flags & ~(uint)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) != 0 ||
            ((flags & RENAME_NOREPLACE) != 0 && (flags & RENAME_EXCHANGE) != 0))
        {
            return Errno.EINVAL;
        }
        using ParentPair parents = ParentsAt(t, oldDirfd, oldAddr, newDirfd, newAddr);
        if (parents.Error is not null)
        {
            return parents.Error;
        }
        if (parents.OldName is "." or ".." || parents.NewName is "." or "..")
        {
            return Errno.EBUSY;
        }
        return SyscallReturn.Of(Libc.Renameat2(
            parents.OldDir!, Encoding.UTF8.GetBytes(parents.OldName), parents.NewDir!, Encoding.UTF8.GetBytes(parents.NewName), flags));
    }

    /// <summary>The directories and last components of two paths, for the calls that name two (rename, link); disposing closes both.</summary>
    private readonly struct ParentPair(SafeFileHandle? oldDir, string oldName, SafeFileHandle? newDir, string newName, Errno? error) : IDisposable
    {
        public SafeFileHandle? OldDir => oldDir;

        public string OldName => oldName;

        public SafeFileHandle? NewDir => newDir;

        public string NewName => newName;

        public Errno? Error => error;

        public void Dispose()
        {
            oldDir?.Dispose();
            newDir?.Dispose();
        }
    }

    private static ParentPair ParentsAt(KernelTask t, int oldDirfd, Addr oldAddr, int newDirfd, Addr newAddr)
    {
        (SafeFileHandle? oldDir, string oldName, Errno? error) = ParentAt(t, oldDirfd, oldAddr);
        if (error is not null)
        {
            return new ParentPair(null, "", null, "", error);
        }
        (SafeFileHandle? newDir, string newName, error) = ParentAt(t, newDirfd, newAddr);
        if (error is not null)
        {
            oldDir!.Dispose();
            return new ParentPair(null, "", null, "", error);
        }
        return new ParentPair(oldDir, oldName, newDir, newName, null);
    }

    private static (SafeFileHandle? Dir, string Name, Errno? Error) ParentAt(KernelTask t, int dirfd, Addr pathAddr)
    {
        (string path, Error? copyError) = t.CopyPathIn(pathAddr);
        if (copyError is not null)
        {
            return (null, "", SyscallReturn.ErrnoOf(copyError));
        }
        (string absolute, Errno? error) = VirtualFileSystem.Absolute(t, dirfd, path);
        if (error is not null)
        {
            return (null, "", error);
        }
        return t.Kernel.Vfs.Parent(absolute);
    }

    public static SyscallReturn Umask(KernelTask t, in SyscallArguments a) => SyscallReturn.Ok(t.Fs.SwapUmask(a.Int(0)));

    public static SyscallReturn Truncate(KernelTask t, in SyscallArguments a)
    {
        if (a.Long(1) < 0)
        {
            return Errno.EINVAL;
        }
        (string path, Error? copyError) = t.CopyPathIn(a.Pointer(0));
        if (copyError is not null)
        {
            return SyscallReturn.ErrnoOf(copyError);
        }
        (string absolute, Errno? error) = VirtualFileSystem.Absolute(t, OpenFlags.AT_FDCWD, path);
        if (error is not null)
        {
            return error;
        }
        (FileDescription? file, Errno? openError) = t.Kernel.Vfs.Open(t, absolute, OpenFlags.O_WRONLY, 0);
        if (openError is not null)
        {
            return openError;
        }
        try
        {
            if (file!.Host is null)
            {
                return Errno.EINVAL;
            }
            return PastFileSizeLimit(t, a.Long(1)) ? Errno.EFBIG : SyscallReturn.Of(Libc.Ftruncate(file.Host, a.Long(1)));
        }
        finally
        {
            file!.DecRef();
        }
    }

    public static SyscallReturn Ftruncate(KernelTask t, in SyscallArguments a)
    {
        FileDescription? file = t.Fds.Get(a.Int(0));
        if (file is null || file.IsPath)
        {
            return Errno.EBADF;
        }
        // Linux: a negative length, a descriptor not open for writing, or not a regular file, is EINVAL.
        if (a.Long(1) < 0 || !file.Writable || file.Host is null || file.IsDirectory)
        {
            return Errno.EINVAL;
        }
        if (PastFileSizeLimit(t, a.Long(1)))
        {
            return Errno.EFBIG;
        }
        return SyscallReturn.Of(file.Truncate(a.Long(1)));
    }

    // Linux's inode_newsize_ok: a length past RLIMIT_FSIZE is EFBIG, with SIGXFSZ.
    private static bool PastFileSizeLimit(KernelTask t, long length)
    {
        if ((ulong)length <= t.Group.Limits.Get(ResourceLimitSet.RLIMIT_FSIZE).Current)
        {
            return false;
        }
        HostFileDescription.RaiseFileSizeSignal(t);
        return true;
    }

    public static SyscallReturn Fsync(KernelTask t, in SyscallArguments a) => Sync(t, a.Int(0), data: false);

    public static SyscallReturn Fdatasync(KernelTask t, in SyscallArguments a) => Sync(t, a.Int(0), data: true);

    private static SyscallReturn Sync(KernelTask t, int fd, bool data)
    {
        FileDescription? file = t.Fds.Get(fd);
        if (file is null || file.IsPath)
        {
            return Errno.EBADF;
        }
        if (file.Host is null)
        {
            return Errno.EINVAL;
        }
        return SyscallReturn.Of(data ? Libc.Fdatasync(file.Host) : Libc.Fsync(file.Host));
    }

    public static SyscallReturn Fadvise64(KernelTask t, in SyscallArguments a)
    {
        FileDescription? file = t.Fds.Get(a.Int(0));
        if (file is null || file.IsPath)
        {
            return Errno.EBADF;
        }
        if (file is HostFileDescription { IsStream: true })
        {
            return Errno.ESPIPE;
        }
        // The advice only tunes caching, which the host does: valid advice is accepted.
        return a.Int(3) is >= 0 and <= 5 && a.Long(2) >= 0 ? SyscallReturn.Ok(0) : Errno.EINVAL;
    }

    public static SyscallReturn Chmod(KernelTask t, in SyscallArguments a) => ChmodAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), a.UInt(1));

    public static SyscallReturn Fchmodat(KernelTask t, in SyscallArguments a) => ChmodAt(t, a.Int(0), a.Pointer(1), a.UInt(2));

    public static SyscallReturn Fchmod(KernelTask t, in SyscallArguments a)
    {
        FileDescription? file = t.Fds.Get(a.Int(0));
        if (file is null || file.IsPath)
        {
            return Errno.EBADF;
        }
        return ChangeMode(t, file, a.UInt(1));
    }

    private static SyscallReturn ChmodAt(KernelTask t, int dirfd, Addr pathAddr, uint mode)
    {
        using FileLookup lookup = LookupAt(t, dirfd, pathAddr, 0);
        if (lookup.Error is not null)
        {
            return lookup.Error;
        }
        FileDescription file = lookup.File!;
        return ChangeMode(t, file, mode);
    }

    private static SyscallReturn ChangeMode(KernelTask t, FileDescription file, uint mode)
    {
        if (file.Host is null)
        {
            return Errno.EPERM;
        }
        if (t.Kernel.Root.ReadOnly)
        {
            return Errno.EROFS;
        }
        return SyscallReturn.Of(Libc.ChmodDescriptor(file.Host, mode & 0xfff));
    }

    public static SyscallReturn Chown(KernelTask t, in SyscallArguments a) => ChownAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), a.UInt(1), a.UInt(2), 0);

    public static SyscallReturn Lchown(KernelTask t, in SyscallArguments a) =>
        ChownAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), a.UInt(1), a.UInt(2), OpenFlags.AT_SYMLINK_NOFOLLOW);

    public static SyscallReturn Fchownat(KernelTask t, in SyscallArguments a)
    {
        int flags = a.Int(4);
        if ((flags & ~(OpenFlags.AT_SYMLINK_NOFOLLOW | OpenFlags.AT_EMPTY_PATH)) != 0)
        {
            return Errno.EINVAL;
        }
        return ChownAt(t, a.Int(0), a.Pointer(1), a.UInt(2), a.UInt(3), flags);
    }

    public static SyscallReturn Fchown(KernelTask t, in SyscallArguments a)
    {
        FileDescription? file = t.Fds.Get(a.Int(0));
        if (file is null || file.IsPath)
        {
            return Errno.EBADF;
        }
        return ChangeOwner(t, file, a.UInt(1), a.UInt(2));
    }

    private static SyscallReturn ChownAt(KernelTask t, int dirfd, Addr pathAddr, uint owner, uint group, int flags)
    {
        using FileLookup lookup = LookupAt(t, dirfd, pathAddr, flags);
        if (lookup.Error is not null)
        {
            return lookup.Error;
        }
        return ChangeOwner(t, lookup.File!, owner, group);
    }

    private static SyscallReturn ChangeOwner(KernelTask t, FileDescription file, uint owner, uint group)
    {
        if (file.Host is null)
        {
            return Errno.EPERM;
        }
        if (t.Kernel.Root.ReadOnly)
        {
            return Errno.EROFS;
        }
        return SyscallReturn.Of(Libc.ChownDescriptor(file.Host, owner, group));
    }
}
