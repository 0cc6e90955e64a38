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
        // Flags and prot are unsigned longs, as in Linux. A descriptor that is not open (or is
        // O_PATH) goes in as no file, so that the offset's alignment is checked first (EINVAL, then
        // EBADF); a file without mmap comes as a source that refuses it in Linux's turn (ENODEV).
        ulong flags = a.ULong(3);
        IMmapSource? source = null;
        if ((flags & MAP_ANONYMOUS) == 0)
        {
            FileDescription? file = t.Fds.Get(a.Int(4));
            if (file is not null && !file.IsPath)
            {
                (source, Errno? sourceError) = file.MmapSource(t);
                if (sourceError is not null)
                {
                    return sourceError;
                }
            }
        }
        (ulong addr, Error? error) = MemorySyscalls.Mmap(t, t.MM, a.ULong(0), a.ULong(1), a.ULong(2), flags, source, a.ULong(5));
        return error is null ? SyscallReturn.Ok(addr) : SyscallReturn.ErrnoOf(error);
    }

    public static SyscallReturn Munmap(KernelTask t, in SyscallArguments a) =>
        SyscallReturn.Of(MemorySyscalls.Munmap(t, t.MM, a.ULong(0), a.ULong(1)));

    public static SyscallReturn Mprotect(KernelTask t, in SyscallArguments a) =>
        SyscallReturn.Of(MemorySyscalls.Mprotect(t, t.MM, a.ULong(0), a.ULong(1), a.ULong(2)));

    public static SyscallReturn Mremap(KernelTask t, in SyscallArguments a)
    {
        (ulong addr, Error? error) = MemorySyscalls.Mremap(t, t.MM, a.ULong(0), a.ULong(1), a.ULong(2), a.ULong(3), a.ULong(4));
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

    public static SyscallReturn Mincore(KernelTask t, in SyscallArguments a) =>
        SyscallReturn.Of(MemorySyscalls.Mincore(t, t.MM, a.ULong(0), a.ULong(1), a.ULong(2)));
}
