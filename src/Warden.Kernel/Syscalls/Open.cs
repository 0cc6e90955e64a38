using Warden.Errors;
using Warden.Kernel.Files;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// open(2), openat(2), creat(2), close(2), dup(2), dup2(2), dup3(2), fcntl(2), ioctl(2).
internal static partial class Sys
{
    private const int F_DUPFD = 0;
    private const int F_GETFD = 1;
    private const int F_SETFD = 2;
    private const int F_GETFL = 3;
    private const int F_SETFL = 4;
    private const int F_DUPFD_CLOEXEC = 1030;
    private const int FD_CLOEXEC = 1;

    public static SyscallReturn Open(KernelTask t, in SyscallArguments a) => OpenAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), a.Int(1), a.UInt(2));

    public static SyscallReturn Openat(KernelTask t, in SyscallArguments a) => OpenAt(t, a.Int(0), a.Pointer(1), a.Int(2), a.UInt(3));

    public static SyscallReturn Creat(KernelTask t, in SyscallArguments a) =>
        OpenAt(t, OpenFlags.AT_FDCWD, a.Pointer(0), OpenFlags.O_CREAT | OpenFlags.O_WRONLY | OpenFlags.O_TRUNC, a.UInt(1));

    private static SyscallReturn OpenAt(KernelTask t, int dirfd, HostArch.Addr pathAddr, int flags, uint mode)
    {
        (string path, Error? error) = t.CopyPathIn(pathAddr);
        if (error is not null)
        {
            return SyscallReturn.ErrnoOf(error);
        }
        (string absolute, Errno? lookupError) = VirtualFileSystem.Absolute(t, dirfd, path);
        if (lookupError is not null)
        {
            return lookupError;
        }
        (FileDescription? file, Errno? openError) = t.Kernel.Vfs.Open(t, absolute, flags, mode);
        if (openError is not null)
        {
            return openError;
        }
        (int fd, Errno? addError) = t.Fds.Add(file!, (flags & OpenFlags.O_CLOEXEC) != 0);
        return addError is null ? SyscallReturn.Ok(fd) : addError;
    }

    public static SyscallReturn Close(KernelTask t, in SyscallArguments a) => SyscallReturn.Of(t.Fds.Remove(a.Int(0)));

    public static SyscallReturn Dup(KernelTask t, in SyscallArguments a)
    {
        FileDescription? file = t.Fds.Get(a.Int(0));
        if (file is null)
        {
            return Errno.EBADF;
        }
        file.IncRef();
        (int fd, Errno? error) = t.Fds.Add(file, closeOnExec: false);
        return error is null ? SyscallReturn.Ok(fd) : error;
    }

    public static SyscallReturn Dup2(KernelTask t, in SyscallArguments a)
    {
        int oldFd = a.Int(0);
        int newFd = a.Int(1);
        FileDescription? file = t.Fds.Get(oldFd);
        if (file is null)
        {
            return Errno.EBADF;
        }
        if (oldFd == newFd)
        {
            return SyscallReturn.Ok(newFd);
        }
        return Install(t, file, newFd, closeOnExec: false);
    }

    public static SyscallReturn Dup3(KernelTask t, in SyscallArguments a)
    {
        int oldFd = a.Int(0);
        int newFd = a.Int(1);
        int flags = a.Int(2);
        if ((flags & ~OpenFlags.O_CLOEXEC) != 0)
        {
            return Errno.EINVAL;
        }
        if (oldFd == newFd)
        {
            return Errno.EINVAL;
        }
        FileDescription? file = t.Fds.Get(oldFd);
        if (file is null)
        {
            return Errno.EBADF;
        }
        return Install(t, file, newFd, (flags & OpenFlags.O_CLOEXEC) != 0);
    }

    private static SyscallReturn Install(KernelTask t, FileDescription file, int fd, bool closeOnExec)
    {
        if (fd < 0 || fd >= t.Fds.Limit)
        {
            return Errno.EBADF;
        }
        file.IncRef();
        Errno? error = t.Fds.Set(fd, file, closeOnExec);
        return error is null ? SyscallReturn.Ok(fd) : error;
    }

    public static SyscallReturn Fcntl(KernelTask t, in SyscallArguments a)
    {
        int fd = a.Int(0);
        int command = a.Int(1);
        (FileDescription? file, bool closeOnExec) = t.Fds.GetWithFlags(fd);
        if (file is null)
        {
            return Errno.EBADF;
        }
        switch (command)
        {
            case F_DUPFD or F_DUPFD_CLOEXEC:
            {
                int minimum = a.Int(2);
                if (minimum < 0 || minimum >= t.Fds.Limit)
                {
                    return Errno.EINVAL;
                }
                file.IncRef();
                (int newFd, Errno? error) = t.Fds.Add(file, command == F_DUPFD_CLOEXEC, minimum);
                return error is null ? SyscallReturn.Ok(newFd) : error;
            }
            case F_GETFD:
                return SyscallReturn.Ok(closeOnExec ? FD_CLOEXEC : 0);
            case F_SETFD:
                return SyscallReturn.Of(t.Fds.SetCloseOnExec(fd, (a.Int(2) & FD_CLOEXEC) != 0));
            case F_GETFL:
                // open(2) adds O_LARGEFILE on 64-bit; pipe(2) and epoll_create(2) do not.
                return SyscallReturn.Ok(file.AccessMode | file.StatusFlags | (file is PipeEnd or EpollDescription ? 0 : OpenFlags.O_LARGEFILE));
            case F_SETFL:
                if (file.IsPath)
                {
                    return Errno.EBADF;
                }
                return SyscallReturn.Of(file.SetStatusFlags(a.Int(2)));
            case F_SETPIPE_SZ or F_GETPIPE_SZ:
                return PipeFcntl(t, file, command, a.ULong(2));
            default:
                return Errno.EINVAL;
        }
    }

    public static SyscallReturn Ioctl(KernelTask t, in SyscallArguments a)
    {
        FileDescription? file = t.Fds.Get(a.Int(0));
        if (file is null || file.IsPath)
        {
            return Errno.EBADF;
        }
        (long result, Error? error) = file.Ioctl(t, a.UInt(1), a.ULong(2));
        return error is null ? SyscallReturn.Ok(result) : SyscallReturn.ErrnoOf(error);
    }
}
