using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Warden.Errors;
using Warden.Interop;
using Warden.Platform;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// A stub process's syscall thread: the one that started as the stub program, traced by the
/// process's operations thread (it called <c>PTRACE_TRACEME</c> with that thread as its parent; the
/// thread model is described on <see cref="StubProcess"/>).
/// Warden makes its <c>mmap</c>, <c>munmap</c>, <c>open</c> and <c>clone</c> calls in it; it never
/// runs application code.
/// </summary>
/// <remarks>Every member is called on the operations thread.</remarks>
[SupportedOSPlatform("linux")]
internal sealed unsafe class SyscallThread : TracedThread
{
    // Big enough for any XSAVE area the kernel exchanges (AMX needs about 11 KiB).
    private const int XStateProbeSize = 64 * 1024;

    // The flags of the clone that makes an application thread: a thread of the stub process.
    private const ulong CloneThreadFlags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000; // VM|FS|FILES|SIGHAND|THREAD|SYSVSEM

    private SyscallThread(StubProcess process, int pid)
        : base(process, pid)
    {
    }

    /// <summary>
    /// Starts the stub program as a child of the calling thread, waits for it to stop, and takes
    /// it over.
    /// </summary>
    /// <returns>The thread, and the size of the kernel's XSAVE area; or why it failed (the child is then gone).</returns>
    public static (SyscallThread? Thread, int XStateSize, Error? Error) Start(StubProcess process)
    {
        (string? path, Error? pathError) = StubExecutable.GetPath();
        if (pathError is not null)
        {
            return (null, 0, new StubStartError("writing the stub executable", pathError));
        }
        (int pid, Errno? spawnError) = Libc.PosixSpawn(path!);
        if (spawnError is not null)
        {
            return (null, 0, new StubStartError("posix_spawn", spawnError));
        }
        process.SetPid(pid);

        (_, int status, Errno? waitError) = Libc.Waitpid(pid, Libc.__WALL);
        if (waitError is not null)
        {
            return (null, 0, new StubStartError("waiting for the stub to stop", waitError));
        }
        if (Libc.WIFEXITED(status))
        {
            process.MarkReaped();
            return (null, 0, new StubStartError("the stub's start-up", null, Libc.WEXITSTATUS(status)));
        }
        if (Libc.WIFSIGNALED(status))
        {
            process.MarkReaped();
            return (null, 0, new StubStartError($"the stub was killed by signal {Libc.WTERMSIG(status)} while starting", null));
        }
        if (Libc.WSTOPSIG(status) != Libc.SIGSTOP)
        {
            return (null, 0, new StubStartError($"the stub stopped with signal {Libc.WSTOPSIG(status)} instead of SIGSTOP", null));
        }
        var thread = new SyscallThread(process, pid);
        Errno? error = Libc.Ptrace(Libc.PTRACE_SETOPTIONS, pid, 0, Libc.PTRACE_O_TRACESYSGOOD | Libc.PTRACE_O_EXITKILL);
        if (error is not null)
        {
            return (null, 0, new StubStartError("PTRACE_SETOPTIONS", error));
        }
        if ((error = thread.GetRegs(ref thread.InitialRegs)) is not null)
        {
            return (null, 0, new StubStartError("PTRACE_GETREGS", error));
        }
        (int xstateSize, error) = thread.QueryXStateSize();
        if (error is not null)
        {
            return (null, 0, new StubStartError("reading the XSAVE area (PTRACE_GETREGSET NT_X86_XSTATE)", error));
        }
        return (thread, xstateSize, null);
    }

    /// <summary>Makes the system calls in <paramref name="entries"/>, after writing <paramref name="path"/> if given.</summary>
    public (int Completed, long LastResult, Error? Error) Syscalls(ReadOnlySpan<SyscallEntry> entries, string? path)
    {
        if (path is not null)
        {
            Error? error = WritePath(path);
            if (error is not null)
            {
                return (0, 0, error);
            }
        }
        return entries.IsEmpty ? (0, 0, null) : Inject(entries);
    }

    /// <summary>Makes a new thread in the stub, parked.</summary>
    /// <returns>Its thread id, or the errno of <c>clone</c>, or <see cref="PtraceErrors.StubDied"/>.</returns>
    public (int Tid, Error? Error) Clone()
    {
        ScratchRegs = InitialRegs;
        ScratchRegs.Rdi = CloneThreadFlags;
        ScratchRegs.Rsi = ScratchRegs.Rdx = ScratchRegs.R10 = ScratchRegs.R8 = 0;
        ScratchRegs.Rip = StubImage.Instance.Spawn;
        (long result, Error? error) = RunRoutine();
        if (error is not null)
        {
            return (0, error);
        }
        if (IsError(result))
        {
            return (0, Errno.TryFromNumber((int)-result, out Errno? errno) ? errno : Errno.EINVAL);
        }
        return ((int)result, null);
    }

    /// <inheritdoc/>
    protected override void OnEnded() => Process.MarkReaped();

    /// <inheritdoc/>
    /// <remarks>Watched while it lasts (<see cref="StubProcess.BeginSyscallThreadWait"/>): killed meanwhile, the syscall thread may not be reported until the other threads are collected.</remarks>
    protected override (int Pid, int Status, Errno? Error) WaitForChange()
    {
        Process.BeginSyscallThreadWait();
        try
        {
            return Libc.Waitpid(Tid, Libc.__WALL);
        }
        finally
        {
            Process.EndSyscallThreadWait();
        }
    }

    private (int Size, Errno? Error) QueryXStateSize()
    {
        byte* probe = (byte*)NativeMemory.AlignedAlloc(XStateProbeSize, FPState.Alignment);
        try
        {
            var iov = new Iovec { Base = probe, Length = XStateProbeSize };
            Errno? error = Libc.Ptrace(Libc.PTRACE_GETREGSET, Tid, Libc.NT_X86_XSTATE, (nint)(&iov));
            return error is null ? ((int)iov.Length, null) : (0, error);
        }
        finally
        {
            NativeMemory.AlignedFree(probe);
        }
    }
}
