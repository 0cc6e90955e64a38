using System.Text;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Kernel.Files;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// Links and times: symlink(2), symlinkat(2), link(2), linkat(2), utimensat(2).
internal static partial class Sys
{
    private const long UTIME_NOW = (1L << 30) - 1;
    private const long UTIME_OMIT = (1L << 30) - 2;

    public static SyscallReturn Symlink(KernelTask t, in SyscallArguments a) => SymlinkAt(t, a.Pointer(0), OpenFlags.AT_FDCWD, a.Pointer(1));

    public static SyscallReturn Symlinkat(KernelTask t, in SyscallArguments a) => SymlinkAt(t, a.Pointer(0), a.Int(1), a.Pointer(2));

    private static SyscallReturn SymlinkAt(KernelTask t, Addr targetAddr, int dirfd, Addr pathAddr)
    {
        (string target, Error? copyError) = t.CopyPathIn(targetAddr);
        if (copyError is not null)
        {
            return SyscallReturn.ErrnoOf(copyError);
        }
        if (target.Length == 0)
        {
            return Errno.ENOENT;
        }
        (SafeFileHandle? dir, string name, Errno? error) = ParentAt(t, dirfd, pathAddr);
        if (error is not null)
        {
            return error;
        }
        using (dir)
        {
            return SyscallReturn.Of(Libc.Symlinkat(Encoding.UTF8.GetBytes(target), dir!, Encoding.UTF8.GetBytes(name)));
        }
    }

    public static SyscallReturn Link(KernelTask t, in SyscallArguments a) =>
        LinkAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), OpenFlags.AT_FDCWD, a.Pointer(1), 0);

    public static SyscallReturn Linkat(KernelTask t, in SyscallArguments a) => LinkAt(t, a.Int(0), a.Pointer(1), a.Int(2), a.Pointer(3), a.Int(4));

    private static SyscallReturn LinkAt(KernelTask t, int oldDirfd, Addr oldAddr, int newDirfd, Addr newAddr, int flags)
    {
        if ((flags & ~(OpenFlags.AT_SYMLINK_FOLLOW | OpenFlags.AT_EMPTY_PATH)) != 0)
        {
            return Errno.EINVAL;
        }
        using ParentPair parents = ParentsAt(t, oldDirfd, oldAddr, newDirfd, newAddr);
        if (parents.Error is not null)
        {
            return parents.Error;
        }
        // Following a final link could lead outside the root: the link itself is linked.
        return SyscallReturn.Of(Libc.Linkat(
            parents.OldDir!, Encoding.UTF8.GetBytes(parents.OldName), parents.NewDir!, Encoding.UTF8.GetBytes(parents.NewName), 0));
    }

    public static SyscallReturn Utimensat(KernelTask t, in SyscallArguments a)
    {
        int flags = a.Int(3);
        if ((flags & ~(OpenFlags.AT_SYMLINK_NOFOLLOW | OpenFlags.AT_EMPTY_PATH)) != 0)
        {
            return Errno.EINVAL;
        }
        Span<long> times = stackalloc long[4];
        bool now = a.Pointer(2) == Addr.Zero;
        if (!now)
        {
            (_, Error? error) = t.CopyIn(a.Pointer(2), System.Runtime.InteropServices.MemoryMarshal.AsBytes(times));
            if (error is not null)
            {
                return Errno.EFAULT;
            }
            foreach (int i in (ReadOnlySpan<int>)[1, 3])
            {
                if (times[i] is not (UTIME_NOW or UTIME_OMIT) && (ulong)times[i] >= 1_000_000_000)
                {
                    return Errno.EINVAL;
                }
            }
        }
        FileDescription? self = a.Pointer(1) == Addr.Zero ? t.Fds.Get(a.Int(0)) : null;
        using FileLookup lookup = a.Pointer(1) == Addr.Zero
            ? new FileLookup(self, false, self is null ? Errno.EBADF : null)
            : LookupAt(t, a.Int(0), a.Pointer(1), flags);
        if (lookup.Error is not null)
        {
            return lookup.Error;
        }
        FileDescription file = lookup.File!;
        if (file.Host is null)
        {
            return Errno.EPERM;
        }
        if (t.Kernel.Root.ReadOnly)
        {
            return Errno.EROFS;
        }
        return SyscallReturn.Of(Libc.UtimensDescriptor(file.Host, now ? [] : times));
    }
}
