using System.Runtime.InteropServices;
using System.Text;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Syscalls;

// The machine and the thread's own state: uname(2), sysinfo(2), getrandom(2), prctl(2),
// arch_prctl(2), set_tid_address(2), set_robust_list(2), sched_yield(2), sched_getaffinity(2), getcpu(2).
internal static partial class Sys
{
    private const int PR_SET_NAME = 15;
    private const int PR_GET_NAME = 16;
    private const int ARCH_SET_GS = 0x1001;
    private const int ARCH_SET_FS = 0x1002;
    private const int ARCH_GET_FS = 0x1003;
    private const int ARCH_GET_GS = 0x1004;
    private const uint GRND_NONBLOCK = 1;
    private const uint GRND_RANDOM = 2;
    private const uint GRND_INSECURE = 4;
    private const int UtsFieldLength = 65;

    public static SyscallReturn Uname(KernelTask t, in SyscallArguments a)
    {
        Span<byte> uts = stackalloc byte[Libc.UtsnameSize];
        Errno? error = Libc.Uname(uts);
        if (error is not null)
        {
            return error;
        }
        if (t.Kernel.Options.Hostname is string hostname)
        {
            Span<byte> nodename = uts.Slice(UtsFieldLength, UtsFieldLength);
            nodename.Clear();
            Encoding.UTF8.GetBytes(hostname.AsSpan(0, Math.Min(hostname.Length, UtsFieldLength - 1)), nodename);
        }
        (_, Error? copyError) = t.CopyOut(a.Pointer(0), uts);
        return copyError is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
    }

    public static SyscallReturn Sysinfo(KernelTask t, in SyscallArguments a)
    {
        Span<byte> info = stackalloc byte[Libc.SysinfoSize];
        Errno? error = Libc.Sysinfo(info);
        if (error is not null)
        {
            return error;
        }
        // procs: the sandbox's processes, not the host's.
        MemoryMarshal.Write(info[80..], (ushort)t.Kernel.Pids().Length);
        (_, Error? copyError) = t.CopyOut(a.Pointer(0), info);
        return copyError is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
    }

    public static SyscallReturn Getrandom(KernelTask t, in SyscallArguments a)
    {
        uint flags = a.UInt(2);
        if ((flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) != 0 || (flags & (GRND_RANDOM | GRND_INSECURE)) == (GRND_RANDOM | GRND_INSECURE))
        {
            return Errno.EINVAL;
        }
        (_, Errno? rangeError) = t.SingleIOSequence(a.Pointer(0), a.Long(1));
        if (rangeError is not null)
        {
            return rangeError;
        }
        // Linux hands out at most 32 MiB - 1 per call; Warden fills a page-sized chunk at a time.
        int length = (int)Math.Min(a.ULong(1), (ulong)(1 << 16));
        byte[] buffer = t.ScratchBuffer(length);
        System.Security.Cryptography.RandomNumberGenerator.Fill(buffer.AsSpan(0, length));
        (int n, Error? copyError) = t.CopyOut(a.Pointer(0), buffer.AsSpan(0, length));
        return SyscallReturn.Partial(n, copyError);
    }

    public static SyscallReturn Prctl(KernelTask t, in SyscallArguments a)
    {
        switch (a.Int(0))
        {
            case PR_SET_NAME:
            {
                (string name, Error? error) = t.CopyStringIn(a.Pointer(1), 16);
                if (error is not null && error != Errno.ENAMETOOLONG)
                {
                    return Errno.EFAULT;
                }
                t.Name = name.Length > 15 ? name[..15] : name;
                if (t.Tid == t.Group.Pid)
                {
                    t.Group.Name = t.Name;
                }
                return SyscallReturn.Ok(0);
            }
            case PR_GET_NAME:
            {
                Span<byte> name = stackalloc byte[16];
                name.Clear();
                Encoding.UTF8.GetBytes(t.Name.AsSpan(0, Math.Min(t.Name.Length, 15)), name);
                (_, Error? error) = t.CopyOut(a.Pointer(1), name);
                return error is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
            }
            default:
                return Errno.EINVAL;
        }
    }

    public static SyscallReturn ArchPrctl(KernelTask t, in SyscallArguments a)
    {
        ref Platform.PtraceRegs regs = ref t.Arch.Registers;
        switch (a.Int(0))
        {
            case ARCH_SET_FS:
                if (a.ULong(1) >= Arch.TaskSize)
                {
                    return Errno.EPERM;
                }
                regs.FsBase = a.ULong(1);
                return SyscallReturn.Ok(0);
            case ARCH_SET_GS:
                if (a.ULong(1) >= Arch.TaskSize)
                {
                    return Errno.EPERM;
                }
                regs.GsBase = a.ULong(1);
                return SyscallReturn.Ok(0);
            case ARCH_GET_FS:
            {
                (_, Error? error) = t.CopyObjectOut(a.Pointer(1), regs.FsBase);
                return error is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
            }
            case ARCH_GET_GS:
            {
                (_, Error? error) = t.CopyObjectOut(a.Pointer(1), regs.GsBase);
                return error is null ? SyscallReturn.Ok(0) : Errno.EFAULT;
            }
            default:
                return Errno.EINVAL;
        }
    }

    public static SyscallReturn SetTidAddress(KernelTask t, in SyscallArguments a)
    {
        t.ClearChildTid = a.ULong(0);
        return SyscallReturn.Ok(t.Tid);
    }

    public static SyscallReturn SetRobustList(KernelTask t, in SyscallArguments a)
    {
        // struct robust_list_head is 24 bytes on x86-64.
        if (a.ULong(1) != 24)
        {
            return Errno.EINVAL;
        }
        t.RobustList = a.ULong(0);
        return SyscallReturn.Ok(0);
    }

    public static SyscallReturn SchedYield(KernelTask t, in SyscallArguments a)
    {
        Thread.Yield();
        return SyscallReturn.Ok(0);
    }

    public static SyscallReturn SchedGetaffinity(KernelTask t, in SyscallArguments a)
    {
        int pid = a.Int(0);
        ulong size = a.ULong(1);
        if (pid < 0)
        {
            return Errno.EINVAL;
        }
        if (pid != 0 && pid != t.Tid && t.Kernel.FindProcess(pid) is null)
        {
            return Errno.ESRCH;
        }
        // The mask is the CPUs Warden may use; the kernel's cpumask is a whole number of longs.
        int bytes = (Environment.ProcessorCount + 63) / 64 * 8;
        int hostBytes = Math.Max(bytes, 128);
        if (size < (ulong)bytes || (size & 7) != 0)
        {
            return Errno.EINVAL;
        }
        Span<byte> mask = stackalloc byte[hostBytes];
        mask.Clear();
        for (int cpu = 0; cpu < Environment.ProcessorCount; cpu++)
        {
            mask[cpu / 8] |= (byte)(1 << (cpu % 8));
        }
        (_, Error? error) = t.CopyOut(a.Pointer(2), mask[..bytes]);
        return error is null ? SyscallReturn.Ok(bytes) : Errno.EFAULT;
    }

    public static SyscallReturn Getcpu(KernelTask t, in SyscallArguments a)
    {
        uint cpu = (uint)Thread.GetCurrentProcessorId();
        if (a.Pointer(0) != HostArch.Addr.Zero && t.CopyObjectOut(a.Pointer(0), cpu).Error is not null)
        {
            return Errno.EFAULT;
        }
        if (a.Pointer(1) != HostArch.Addr.Zero && t.CopyObjectOut(a.Pointer(1), 0u).Error is not null)
        {
            return Errno.EFAULT;
        }
        return SyscallReturn.Ok(0);
    }
}
