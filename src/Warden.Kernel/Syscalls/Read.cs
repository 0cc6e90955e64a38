using System.Diagnostics.CodeAnalysis;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Files;
using Warden.Kernel.Tasks;
using Warden.UserMem;

namespace Warden.Kernel.Syscalls;

// read(2), write(2) and their positioned and vectored forms, lseek(2), sendfile(2).
internal static partial class Sys
{
    public static SyscallReturn Read(KernelTask t, in SyscallArguments a) =>
        ReadCommon(t, a.Int(0), t.SingleIOSequence(a.Pointer(1), a.Long(2)), -1, positioned: false);

    public static SyscallReturn Pread64(KernelTask t, in SyscallArguments a) =>
        a.Long(3) < 0 ? Errno.EINVAL : ReadCommon(t, a.Int(0), t.SingleIOSequence(a.Pointer(1), a.Long(2)), a.Long(3), positioned: true);

    public static SyscallReturn Readv(KernelTask t, in SyscallArguments a) =>
        ReadCommon(t, a.Int(0), t.IovecIOSequence(a.Pointer(1), a.Int(2)), -1, positioned: false, vectored: true);

    public static SyscallReturn Preadv(KernelTask t, in SyscallArguments a) =>
        a.Long(3) < 0 ? Errno.EINVAL : ReadCommon(t, a.Int(0), t.IovecIOSequence(a.Pointer(1), a.Int(2)), a.Long(3), positioned: true, vectored: true);

    public static SyscallReturn Write(KernelTask t, in SyscallArguments a) =>
        WriteCommon(t, a.Int(0), t.SingleIOSequence(a.Pointer(1), a.Long(2)), -1, positioned: false);

    public static SyscallReturn Pwrite64(KernelTask t, in SyscallArguments a) =>
        a.Long(3) < 0 ? Errno.EINVAL : WriteCommon(t, a.Int(0), t.SingleIOSequence(a.Pointer(1), a.Long(2)), a.Long(3), positioned: true);

    public static SyscallReturn Writev(KernelTask t, in SyscallArguments a) =>
        WriteCommon(t, a.Int(0), t.IovecIOSequence(a.Pointer(1), a.Int(2)), -1, positioned: false, vectored: true);

    public static SyscallReturn Pwritev(KernelTask t, in SyscallArguments a) =>
        a.Long(3) < 0 ? Errno.EINVAL : WriteCommon(t, a.Int(0), t.IovecIOSequence(a.Pointer(1), a.Int(2)), a.Long(3), positioned: true, vectored: true);

    private static SyscallReturn ReadCommon(KernelTask t, int fd, (IOSequence Seq, Error? Error) dst, long offset, bool positioned, bool vectored = false)
    {
        FileDescription? file = t.Fds.Get(fd);
        if (!CanTransfer(file, dst.Error, positioned, vectored, write: false, out Errno? failure))
        {
            return failure;
        }
        if (file.IsDirectory)
        {
            return Errno.EISDIR;
        }
        (long n, Error? error) = file.Read(t, dst.Seq, offset);
        t.Kernel.Stats.AddCopiedOut(n);
        return SyscallReturn.Partial(n, error);
    }

    private static SyscallReturn WriteCommon(KernelTask t, int fd, (IOSequence Seq, Error? Error) src, long offset, bool positioned, bool vectored = false)
    {
        FileDescription? file = t.Fds.Get(fd);
        if (!CanTransfer(file, src.Error, positioned, vectored, write: true, out Errno? failure))
        {
            return failure;
        }
        (long n, Error? error) = file.Write(t, src.Seq, offset);
        t.Kernel.Stats.AddCopiedIn(n);
        if (n == 0 && error is Errno { Number: 32 } && file is not PipeEnd)
        {
            // A host file's EPIPE raises SIGPIPE, whose default action ends the process (a
            // kernel pipe sends its own, to the writing thread).
            t.Kernel.SendSignal(t.Group, Signals.Signal.SIGPIPE);
        }
        return SyscallReturn.Partial(n, error);
    }

    // The checks read and write share, in Linux's order: the descriptor; for the vectored calls the
    // iovecs (read before the file's mode is looked at); the access mode; seekability for a
    // positioned call; then the buffer.
    private static bool CanTransfer(
        [NotNullWhen(true)] FileDescription? file, Error? bufferError, bool positioned, bool vectored, bool write,
        [NotNullWhen(false)] out Errno? failure)
    {
        failure = file is null ? Errno.EBADF
            : vectored && bufferError is not null ? SyscallReturn.ErrnoOf(bufferError)
            : !(write ? file.Writable : file.Readable) ? Errno.EBADF
            : positioned && !Seekable(file) ? Errno.ESPIPE
            : bufferError is not null ? SyscallReturn.ErrnoOf(bufferError)
            : null;
        return failure is null;
    }

    private static bool Seekable(FileDescription file) => file is not (HostFileDescription { IsStream: true } or PipeEnd);

    public static SyscallReturn Lseek(KernelTask t, in SyscallArguments a)
    {
        FileDescription? file = t.Fds.Get(a.Int(0));
        if (file is null || file.IsPath)
        {
            return Errno.EBADF;
        }
        int whence = a.Int(2);
        if (whence is < 0 or > 4)
        {
            return Errno.EINVAL;
        }
        (long offset, Errno? error) = file.Seek(a.Long(1), whence);
        return error is null ? SyscallReturn.Ok(offset) : error;
    }

    public static SyscallReturn Sendfile(KernelTask t, in SyscallArguments a)
    {
        FileDescription? output = t.Fds.Get(a.Int(0));
        FileDescription? input = t.Fds.Get(a.Int(1));
        if (output is null || input is null || !input.Readable || !output.Writable)
        {
            return Errno.EBADF;
        }
        long count = Math.Min(a.Long(3), KernelTask.MaxRwCount);
        Addr offsetPointer = a.Pointer(2);
        long offset = -1;
        if (offsetPointer != Addr.Zero)
        {
            (_, Error? error) = t.CopyObjectIn(offsetPointer, out offset);
            if (error is not null)
            {
                return Errno.EFAULT;
            }
            if (offset < 0)
            {
                return Errno.EINVAL;
            }
        }
        if (input.Host is null || output.Host is null || (output.StatusFlags & OpenFlags.O_APPEND) != 0)
        {
            return Errno.EINVAL;
        }
        long position = Math.Max(offset, 0);
        (long n, Errno? sendError) = Interop.Libc.Sendfile(output.Host, input.Host, ref position, offset >= 0, Math.Max(count, 0));
        if (sendError is not null)
        {
            return sendError;
        }
        if (offset >= 0)
        {
            (_, Error? error) = t.CopyObjectOut(offsetPointer, position);
            if (error is not null)
            {
                return Errno.EFAULT;
            }
        }
        return SyscallReturn.Ok(n);
    }
}
