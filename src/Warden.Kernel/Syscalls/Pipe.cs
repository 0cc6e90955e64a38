using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Files;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// pipe(2) and pipe2(2); fcntl's F_SETPIPE_SZ and F_GETPIPE_SZ (called from Fcntl).
internal static partial class Sys
{
    private const int F_SETPIPE_SZ = 1031;
    private const int F_GETPIPE_SZ = 1032;

    // The flags pipe2 takes (O_DIRECT: packet mode, see Pipe.Write).
    private const int PipeFlags = OpenFlags.O_CLOEXEC | OpenFlags.O_NONBLOCK | OpenFlags.O_DIRECT;

    public static SyscallReturn Pipe(KernelTask t, in SyscallArguments a) => MakePipe(t, a.Pointer(0), 0);

    public static SyscallReturn Pipe2(KernelTask t, in SyscallArguments a) => MakePipe(t, a.Pointer(0), a.Int(1));

    // Linux checks the flags, makes both descriptors, then copies them out; a failed copy closes
    // them again (EFAULT).
    private static SyscallReturn MakePipe(KernelTask t, Addr fds, int flags)
    {
        if ((flags & ~PipeFlags) != 0)
        {
            return Errno.EINVAL;
        }
        var pipe = new Files.Pipe();
        // Packet mode is the writer's: the read end gets O_NONBLOCK only, as on Linux.
        int readFlags = flags & OpenFlags.O_NONBLOCK;
        int writeFlags = flags & (OpenFlags.O_NONBLOCK | OpenFlags.O_DIRECT);
        bool closeOnExec = (flags & OpenFlags.O_CLOEXEC) != 0;
        var reader = new PipeEnd(pipe, OpenFlags.O_RDONLY | readFlags, t.Group.Credentials.Euid, t.Group.Credentials.Egid);
        var writer = new PipeEnd(pipe, OpenFlags.O_WRONLY | writeFlags, t.Group.Credentials.Euid, t.Group.Credentials.Egid);
        (int readFd, Errno? error) = t.Fds.Add(reader, closeOnExec);
        if (error is not null)
        {
            writer.DecRef();
            return error;
        }
        (int writeFd, error) = t.Fds.Add(writer, closeOnExec);
        if (error is not null)
        {
            t.Fds.Remove(readFd);
            return error;
        }
        Span<int> pair = [readFd, writeFd];
        (_, Error? copyError) = t.CopyOut(fds, System.Runtime.InteropServices.MemoryMarshal.AsBytes(pair));
        if (copyError is not null)
        {
            t.Fds.Remove(readFd);
            t.Fds.Remove(writeFd);
            return Errno.EFAULT;
        }
        return SyscallReturn.Ok(0);
    }

    // F_SETPIPE_SZ and F_GETPIPE_SZ: EBADF for a file that is not a pipe, as Linux's pipe_fcntl.
    private static SyscallReturn PipeFcntl(KernelTask t, FileDescription file, int command, ulong argument)
    {
        if (file is not PipeEnd end)
        {
            if (file.Host is null)
            {
                return Errno.EBADF;
            }
            // A host pipe answers for itself (EBADF for anything else).
            (int result, Errno? hostError) = Interop.Libc.Fcntl(file.Host, command, (long)(uint)argument);
            return hostError is null ? SyscallReturn.Ok(result) : hostError;
        }
        if (command == F_GETPIPE_SZ)
        {
            return SyscallReturn.Ok(end.Pipe.Capacity);
        }
        (int capacity, Errno? error) = end.Pipe.SetCapacity((uint)argument, privileged: t.Group.Credentials.Euid == 0);
        return error is null ? SyscallReturn.Ok(capacity) : error;
    }
}
