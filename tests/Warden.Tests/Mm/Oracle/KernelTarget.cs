using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Mm;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// The real kernel, in this process: every op is a P/Invoke into a PROT_NONE-reserved window of the
/// test process. Writes and reads go through process_vm_writev/readv on our own pid, so an
/// inaccessible page ends the copy with a count instead of crashing the runtime.
/// </summary>
/// <remarks>One window address can be used by one target at a time; the oracle tests share one xunit collection.</remarks>
public sealed unsafe class KernelTarget : KernelTargetBase
{
    private static readonly SafeFileHandle s_noFile = new(-1, ownsHandle: false);

    private readonly SafeFileHandle _mem;
    private readonly int _pid = Environment.ProcessId;

    public KernelTarget(OracleWindow window)
        : base(window)
    {
        _mem = File.OpenHandle("/proc/self/mem", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        try
        {
            Reserve();
        }
        catch
        {
            _mem.Dispose();
            throw;
        }
    }

    public override string Name => "kernel";

    protected override (long Result, int Errno) SysMmap(ulong addr, ulong len, int prot, int flags)
    {
        (nint address, Errno? error) = (flags & LinuxMman.MAP_ANONYMOUS) != 0
            ? Libc.MmapAnonymous((void*)addr, (nuint)len, prot, flags, 0)
            : Libc.Mmap((void*)addr, (nuint)len, prot, flags, s_noFile, 0);
        return Result(address, error);
    }

    protected override (long Result, int Errno) SysMunmap(ulong addr, ulong len) => Result(0, Libc.Munmap((void*)addr, (nuint)len));

    protected override (long Result, int Errno) SysMprotect(ulong addr, ulong len, int prot) => Result(0, Libc.Mprotect((void*)addr, (nuint)len, prot));

    protected override (long Result, int Errno) SysMremap(ulong oldAddr, ulong oldLen, ulong newLen, int flags, ulong newAddr)
    {
        (nint address, Errno? error) = Libc.Mremap((void*)oldAddr, (nuint)oldLen, (nuint)newLen, flags, (void*)newAddr);
        return Result(address, error);
    }

    protected override (long Result, int Errno) SysMadvise(ulong addr, ulong len, int advice) => Result(0, Libc.Madvise((void*)addr, (nuint)len, advice));

    protected override (long Result, int Errno) SysMincore(ulong addr, ulong len, Span<byte> vector)
    {
        fixed (byte* v = vector)
        {
            return Result(0, Libc.Mincore((void*)addr, (nuint)len, v));
        }
    }

    protected override (long Result, int Errno) SysMlock(ulong addr, ulong len, int flags) => OracleSyscall.Mlock(addr, len, flags);

    protected override (long Result, int Errno) SysMunlock(ulong addr, ulong len) => OracleSyscall.Munlock(addr, len);

    /// <summary>All of this process's vmas: reading it costs tens of milliseconds (the runtime has hundreds).</summary>
    protected override string SmapsText() => File.ReadAllText("/proc/self/smaps");

    /// <summary>The runtime's allocator owns this process's break: brk runs use <see cref="ChildProcessKernelTarget"/>.</summary>
    protected override ulong SysBrk(ulong addr) => throw new NotSupportedException("brk cannot be exercised in the test process; use ChildProcessKernelTarget.");

    protected override (long Count, int Errno) VmWrite(ulong addr, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var local = new Iovec { Base = p, Length = (nuint)data.Length };
            var remote = new Iovec { Base = (void*)addr, Length = (nuint)data.Length };
            (long count, Errno? error) = Libc.ProcessVmWritev(_pid, &local, 1, &remote, 1);
            return (count, error?.Number ?? 0);
        }
    }

    protected override (long Count, int Errno) VmRead(ulong addr, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var local = new Iovec { Base = p, Length = (nuint)buffer.Length };
            var remote = new Iovec { Base = (void*)addr, Length = (nuint)buffer.Length };
            (long count, Errno? error) = Libc.ProcessVmReadv(_pid, &local, 1, &remote, 1);
            return (count, error?.Number ?? 0);
        }
    }

    protected override bool MemRead(ulong addr, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var iov = new Iovec { Base = p, Length = (nuint)buffer.Length };
            (long count, Errno? error) = Libc.Preadv(_mem, &iov, 1, (long)addr);
            return error is null && count == buffer.Length;
        }
    }

    protected override string MapsText() => File.ReadAllText("/proc/self/maps");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _mem.Dispose();
        }
    }

    private static (long Result, int Errno) Result(nint address, Errno? error) => error is null ? (address, 0) : (-1, error.Number);
}
