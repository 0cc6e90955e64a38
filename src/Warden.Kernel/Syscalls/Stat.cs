using System.Runtime.InteropServices;
using System.Text;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Kernel.Files;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// stat(2) and its variants, statx(2), statfs(2), access(2) and faccessat(2), readlink(2).
internal static partial class Sys
{
    private const uint StatxReserved = 0x8000_0000;
    private const long ProcSuperMagic = 0x9fa0;

    public static SyscallReturn Stat(KernelTask t, in SyscallArguments a) => StatAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), a.Pointer(1), 0);

    public static SyscallReturn Lstat(KernelTask t, in SyscallArguments a) =>
        StatAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), a.Pointer(1), OpenFlags.AT_SYMLINK_NOFOLLOW);

    public static SyscallReturn Newfstatat(KernelTask t, in SyscallArguments a)
    {
        int flags = a.Int(3);
        if ((flags & ~(OpenFlags.AT_SYMLINK_NOFOLLOW | OpenFlags.AT_EMPTY_PATH | OpenFlags.AT_NO_AUTOMOUNT)) != 0)
        {
            return Errno.EINVAL;
        }
        return StatAt(t, a.Int(0), a.Pointer(1), a.Pointer(2), flags);
    }

    public static SyscallReturn Fstat(KernelTask t, in SyscallArguments a)
    {
        FileDescription? file = t.Fds.Get(a.Int(0));
        return file is null ? Errno.EBADF : CopyStatOut(t, file, a.Pointer(1));
    }

    private static SyscallReturn StatAt(KernelTask t, int dirfd, Addr pathAddr, Addr statAddr, int flags)
    {
        using FileLookup lookup = LookupAt(t, dirfd, pathAddr, flags);
        if (lookup.Error is not null)
        {
            return lookup.Error;
        }
        FileDescription file = lookup.File!;
        return CopyStatOut(t, file, statAddr);
    }

    private static SyscallReturn CopyStatOut(KernelTask t, FileDescription file, Addr statAddr)
    {
        Span<byte> stat = stackalloc byte[Libc.StatSize];
        Errno? error = file.Stat(stat);
        if (error is not null)
        {
            return error;
        }
        (_, Error? copyError) = t.CopyOut(statAddr, stat);
        return copyError is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
    }

    /// <summary>
    /// The file a path names for the calls that only look at it: the descriptor itself for an empty
    /// path with AT_EMPTY_PATH, else a fresh O_PATH description that disposing the lookup drops.
    /// </summary>
    private static FileLookup LookupAt(KernelTask t, int dirfd, Addr pathAddr, int flags)
    {
        (string path, Error? copyError) = t.CopyPathIn(pathAddr);
        if (copyError is not null)
        {
            return new FileLookup(null, false, SyscallReturn.ErrnoOf(copyError));
        }
        if (path.Length == 0 && (flags & OpenFlags.AT_EMPTY_PATH) != 0)
        {
            if (dirfd == OpenFlags.AT_FDCWD)
            {
                path = t.Fs.Cwd;
            }
            else
            {
                FileDescription? self = t.Fds.Get(dirfd);
                return new FileLookup(self, false, self is null ? Errno.EBADF : null);
            }
        }
        (string absolute, Errno? error) = VirtualFileSystem.Absolute(t, dirfd, path);
        if (error is not null)
        {
            return new FileLookup(null, false, error);
        }
        (FileDescription? file, Errno? lookupError) = t.Kernel.Vfs.Lookup(t, absolute, follow: (flags & OpenFlags.AT_SYMLINK_NOFOLLOW) == 0);
        return new FileLookup(file, true, lookupError);
    }

    public static SyscallReturn Statx(KernelTask t, in SyscallArguments a)
    {
        int flags = a.Int(2);
        uint mask = a.UInt(3);
        if ((flags & ~(OpenFlags.AT_SYMLINK_NOFOLLOW | OpenFlags.AT_NO_AUTOMOUNT | OpenFlags.AT_EMPTY_PATH | OpenFlags.AT_STATX_SYNC_TYPE)) != 0 ||
            (flags & OpenFlags.AT_STATX_SYNC_TYPE) == OpenFlags.AT_STATX_SYNC_TYPE || (mask & StatxReserved) != 0)
        {
            return Errno.EINVAL;
        }
        FileDescription? self = t.Fds.Get(a.Int(0));
        using FileLookup lookup = a.Pointer(1) == Addr.Zero && (flags & OpenFlags.AT_EMPTY_PATH) != 0
            ? new FileLookup(self, false, self is null ? Errno.EBADF : null)
            : LookupAt(t, a.Int(0), a.Pointer(1), flags);
        if (lookup.Error is not null)
        {
            return lookup.Error;
        }
        FileDescription file = lookup.File!;
        Span<byte> statx = stackalloc byte[Libc.StatxSize];
        Errno? error = file.Statx(flags & OpenFlags.AT_STATX_SYNC_TYPE, mask, statx);
        if (error is not null)
        {
            return error;
        }
        (_, Error? copyError) = t.CopyOut(a.Pointer(4), statx);
        return copyError is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
    }

    public static SyscallReturn Statfs(KernelTask t, in SyscallArguments a)
    {
        using FileLookup lookup = LookupAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), 0);
        if (lookup.Error is not null)
        {
            return lookup.Error;
        }
        FileDescription file = lookup.File!;
        return CopyStatfsOut(t, file, a.Pointer(1));
    }

    public static SyscallReturn Fstatfs(KernelTask t, in SyscallArguments a)
    {
        FileDescription? file = t.Fds.Get(a.Int(0));
        return file is null ? Errno.EBADF : CopyStatfsOut(t, file, a.Pointer(1));
    }

    private static SyscallReturn CopyStatfsOut(KernelTask t, FileDescription file, Addr addr)
    {
        Span<byte> statfs = stackalloc byte[Libc.StatfsSize];
        statfs.Clear();
        if (file.Host is null)
        {
            // procfs: f_type, f_bsize, f_namelen.
            MemoryMarshal.Write(statfs, ProcSuperMagic);
            MemoryMarshal.Write(statfs[8..], 4096L);
            MemoryMarshal.Write(statfs[64..], 255L);
        }
        else
        {
            Errno? error = Libc.Fstatfs(file.Host, statfs);
            if (error is not null)
            {
                return error;
            }
        }
        (_, Error? copyError) = t.CopyOut(addr, statfs);
        return copyError is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
    }

    public static SyscallReturn Access(KernelTask t, in SyscallArguments a) => AccessAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), a.Int(1), 0);

    public static SyscallReturn Faccessat(KernelTask t, in SyscallArguments a) => AccessAt(t, a.Int(0), a.Pointer(1), a.Int(2), 0);

    public static SyscallReturn Faccessat2(KernelTask t, in SyscallArguments a) => AccessAt(t, a.Int(0), a.Pointer(1), a.Int(2), a.Int(3));

    private static SyscallReturn AccessAt(KernelTask t, int dirfd, Addr pathAddr, int mode, int flags)
    {
        const int W_OK = 2;
        if ((mode & ~7) != 0 || (flags & ~(OpenFlags.AT_EACCESS | OpenFlags.AT_SYMLINK_NOFOLLOW | OpenFlags.AT_EMPTY_PATH)) != 0)
        {
            return Errno.EINVAL;
        }
        using FileLookup lookup = LookupAt(t, dirfd, pathAddr, flags);
        if (lookup.Error is not null)
        {
            return lookup.Error;
        }
        FileDescription file = lookup.File!;
        if (file.Host is null)
        {
            return (mode & W_OK) != 0 ? Errno.EACCES : SyscallReturn.Ok(0);
        }
        if ((mode & W_OK) != 0 && t.Kernel.Root.ReadOnly)
        {
            return Errno.EROFS;
        }
        return SyscallReturn.Of(Libc.FaccessEmptyPath(file.Host, mode, flags & OpenFlags.AT_EACCESS));
    }

    public static SyscallReturn Readlink(KernelTask t, in SyscallArguments a) => ReadlinkAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), a.Pointer(1), a.Int(2));

    public static SyscallReturn Readlinkat(KernelTask t, in SyscallArguments a) => ReadlinkAt(t, a.Int(0), a.Pointer(1), a.Pointer(2), a.Int(3));

    private static SyscallReturn ReadlinkAt(KernelTask t, int dirfd, Addr pathAddr, Addr buffer, int size)
    {
        if (size <= 0)
        {
            return Errno.EINVAL;
        }
        using FileLookup lookup = LookupAt(t, dirfd, pathAddr, OpenFlags.AT_SYMLINK_NOFOLLOW | OpenFlags.AT_EMPTY_PATH);
        if (lookup.Error is not null)
        {
            return lookup.Error;
        }
        FileDescription file = lookup.File!;
        (string? target, Errno? linkError) = file.ReadLink();
        if (linkError is not null)
        {
            return linkError;
        }
        byte[] bytes = Encoding.UTF8.GetBytes(target!);
        int n = Math.Min(bytes.Length, size);
        (int copied, Error? copyError) = t.CopyOut(buffer, bytes.AsSpan(0, n));
        return copyError is null ? SyscallReturn.Ok(copied) : Errno.EFAULT;
    }

    /// <summary>A file looked up by path for one call; disposing it drops the reference the lookup took, if it took one.</summary>
    private readonly struct FileLookup(FileDescription? file, bool owned, Errno? error) : IDisposable
    {
        public FileDescription? File => file;

        public Errno? Error => error;

        public void Dispose()
        {
            if (owned)
            {
                file?.DecRef();
            }
        }
    }
}
