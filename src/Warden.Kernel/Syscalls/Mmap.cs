using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Files;
using Warden.Kernel.Tasks;
using Warden.Mm;
using static Warden.HostArch.LinuxMman;

namespace Warden.Kernel.Syscalls;

// The memory calls: mmap(2), munmap(2), mprotect(2), mremap(2), brk(2), madvise(2), mlock(2) and
// friends, msync(2), mincore(2). Validation and semantics are the memory manager's (MemorySyscalls).
internal static partial class Sys
{
    public static SyscallReturn Mmap(KernelTask t, in SyscallArguments a)
    {
        int flags = a.Int(3);
        IMmapSource? source = null;
        if ((flags & MAP_ANONYMOUS) == 0)
        {
            FileDescription? file = t.Fds.Get(a.Int(4));
            if (file is null || file.IsPath)
            {
                return Errno.EBADF;
            }
            (source, Errno? sourceError) = file.MmapSource(t);
            if (sourceError is not null)
            {
                return sourceError;
            }
        }
        (ulong addr, Error? error) = MemorySyscalls.Mmap(t, t.MM, a.ULong(0), a.ULong(1), a.Int(2), flags, source, a.ULong(5));
        return error is null ? SyscallReturn.Ok(addr) : SyscallReturn.ErrnoOf(error);
    }

    public static SyscallReturn Munmap(KernelTask t, in SyscallArguments a) =>
        SyscallReturn.Of(MemorySyscalls.Munmap(t, t.MM, a.ULong(0), a.ULong(1)));

    public static SyscallReturn Mprotect(KernelTask t, in SyscallArguments a) =>
        SyscallReturn.Of(MemorySyscalls.Mprotect(t, t.MM, a.ULong(0), a.ULong(1), a.Int(2)));

    public static SyscallReturn Mremap(KernelTask t, in SyscallArguments a)
    {
        (ulong addr, Error? error) = MemorySyscalls.Mremap(t, t.MM, a.ULong(0), a.ULong(1), a.ULong(2), a.Int(3), a.ULong(4));
        return error is null ? SyscallReturn.Ok(addr) : SyscallReturn.ErrnoOf(error);
    }

    public static SyscallReturn Brk(KernelTask t, in SyscallArguments a) => SyscallReturn.Ok(MemorySyscalls.Brk(t, t.MM, a.ULong(0)));

    public static SyscallReturn Madvise(KernelTask t, in SyscallArguments a) =>
        SyscallReturn.Of(MemorySyscalls.Madvise(t, t.MM, a.ULong(0), a.ULong(1), a.Int(2)));

    public static SyscallReturn Mlock(KernelTask t, in SyscallArguments a) =>
        SyscallReturn.Of(MemorySyscalls.Mlock(t, t.MM, a.ULong(0), a.ULong(1)));

    public static SyscallReturn Mlock2(KernelTask t, in SyscallArguments a) =>
        SyscallReturn.Of(MemorySyscalls.Mlock(t, t.MM, a.ULong(0), a.ULong(1), a.Int(2)));

    public static SyscallReturn Munlock(KernelTask t, in SyscallArguments a) =>
        SyscallReturn.Of(MemorySyscalls.Munlock(t, t.MM, a.ULong(0), a.ULong(1)));

    public static SyscallReturn Mlockall(KernelTask t, in SyscallArguments a) =>
        SyscallReturn.Of(MemorySyscalls.Mlockall(t, t.MM, a.Int(0)));

    public static SyscallReturn Munlockall(KernelTask t, in SyscallArguments a) =>
        SyscallReturn.Of(MemorySyscalls.Munlockall(t, t.MM));

    public static SyscallReturn Msync(KernelTask t, in SyscallArguments a) =>
        SyscallReturn.Of(MemorySyscalls.Msync(t, t.MM, a.ULong(0), a.ULong(1), a.Int(2)));

    public static SyscallReturn Mincore(KernelTask t, in SyscallArguments a)
    {
        // Linux works a page of the vector at a time; so does this, so a huge length needs no huge buffer.
        const ulong Chunk = 4096;
        ulong addr = a.ULong(0);
        ulong length = a.ULong(1);
        Addr vector = a.Pointer(2);
        if ((addr & Arch.PageMask) != 0)
        {
            return Errno.EINVAL;
        }
        (ulong rounded, bool ok) = Arch.PageRoundUp(length);
        if (!ok || addr + rounded < addr || addr + rounded > Arch.TaskSize)
        {
            return Errno.ENOMEM;
        }
        ulong pages = rounded / Arch.PageSize;
        (_, Errno? rangeError) = t.SingleIOSequence(vector, (long)pages);
        if (rangeError is not null)
        {
            return rangeError;
        }
        Span<byte> buffer = stackalloc byte[(int)Chunk];
        for (ulong done = 0; done < pages; done += Chunk)
        {
            int n = (int)Math.Min(Chunk, pages - done);
            Error? error = MemorySyscalls.Mincore(t.MM, addr + done * Arch.PageSize, (ulong)n * Arch.PageSize, buffer[..n]);
            if (error is not null)
            {
                return SyscallReturn.ErrnoOf(error);
            }
            (_, Error? copyError) = t.CopyOut(vector + done, buffer[..n]);
            if (copyError is not null)
            {
                return Errno.EFAULT;
            }
        }
        return SyscallReturn.Ok(0);
    }
}
