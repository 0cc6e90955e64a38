using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Warden.Errors;

namespace Warden.Interop;

internal static partial class Libc
{
    /// <summary><c>PTRACE_TRACEME</c>: the calling process asks its parent to trace it.</summary>
    public const int PTRACE_TRACEME = 0;

    /// <summary><c>PTRACE_PEEKTEXT</c>: reads a word of the tracee's memory.</summary>
    public const int PTRACE_PEEKTEXT = 1;

    /// <summary><c>PTRACE_POKEUSER</c>: writes a word at offset <c>addr</c> of the tracee's <c>struct user</c> (its registers come first).</summary>
    public const int PTRACE_POKEUSER = 6;

    /// <summary><c>PTRACE_CONT</c>: resumes the stopped tracee.</summary>
    public const int PTRACE_CONT = 7;

    /// <summary><c>PTRACE_KILL</c>: kills the tracee (deprecated; <c>kill(SIGKILL)</c> is preferred).</summary>
    public const int PTRACE_KILL = 8;

    /// <summary><c>PTRACE_GETREGS</c>: copies the tracee's <c>struct user_regs_struct</c> to <c>data</c>.</summary>
    public const int PTRACE_GETREGS = 12;

    /// <summary><c>PTRACE_SETREGS</c>: sets the tracee's registers from the <c>struct user_regs_struct</c> at <c>data</c>.</summary>
    public const int PTRACE_SETREGS = 13;

    /// <summary><c>PTRACE_SYSCALL</c>: resumes the tracee, stopping it at the next system call entry or exit.</summary>
    public const int PTRACE_SYSCALL = 24;

    /// <summary><c>PTRACE_SYSEMU</c> (x86): resumes the tracee, stopping it at the next system call entry without running the call.</summary>
    public const int PTRACE_SYSEMU = 31;

    /// <summary><c>PTRACE_SETOPTIONS</c>: sets the <c>PTRACE_O_*</c> options in <c>data</c>.</summary>
    public const int PTRACE_SETOPTIONS = 0x4200;

    /// <summary><c>PTRACE_GETSIGINFO</c>: copies the <c>siginfo_t</c> of the signal that stopped the tracee to <c>data</c>.</summary>
    public const int PTRACE_GETSIGINFO = 0x4202;

    /// <summary><c>PTRACE_GETREGSET</c>: copies the register set <c>addr</c> (an <c>NT_*</c> type) into the <c>struct iovec</c> at <c>data</c>.</summary>
    public const int PTRACE_GETREGSET = 0x4204;

    /// <summary><c>PTRACE_SETREGSET</c>: sets the register set <c>addr</c> from the <c>struct iovec</c> at <c>data</c>.</summary>
    public const int PTRACE_SETREGSET = 0x4205;

    /// <summary><c>PTRACE_SEIZE</c>: attaches to a running thread without stopping it; <c>data</c> holds the options.</summary>
    public const int PTRACE_SEIZE = 0x4206;

    /// <summary><c>PTRACE_INTERRUPT</c>: stops a seized tracee (it reports <see cref="PTRACE_EVENT_STOP"/>).</summary>
    public const int PTRACE_INTERRUPT = 0x4207;

    /// <summary><c>PTRACE_EVENT_STOP</c>: the event of a seized tracee's interrupt or group stop (<c>status &gt;&gt; 16</c>).</summary>
    public const int PTRACE_EVENT_STOP = 128;

    /// <summary><c>PTRACE_O_TRACESYSGOOD</c>: system call stops report <c>SIGTRAP | 0x80</c>.</summary>
    public const int PTRACE_O_TRACESYSGOOD = 0x1;

    /// <summary><c>PTRACE_O_EXITKILL</c>: the tracee is sent <c>SIGKILL</c> if its tracer exits.</summary>
    public const int PTRACE_O_EXITKILL = 0x100000;

    /// <summary><c>NT_PRSTATUS</c>: the general-purpose register set.</summary>
    public const int NT_PRSTATUS = 1;

    /// <summary><c>NT_X86_XSTATE</c>: the x86 <c>XSAVE</c> area (floating-point, SSE, AVX state).</summary>
    public const int NT_X86_XSTATE = 0x202;

    [LibraryImport(LibraryName, EntryPoint = "ptrace", SetLastError = true)]
    private static partial long PtraceNative(int request, int pid, nint addr, nint data);

    /// <summary>
    /// <c>ptrace(2)</c> for a request that returns 0 on success (every request but the <c>PEEK</c>s).
    /// </summary>
    /// <returns><c>null</c>, or the errno (<c>ESRCH</c> when the tracee is gone or not stopped).</returns>
    /// <remarks>
    /// <b>Preconditions:</b> except for <see cref="PTRACE_TRACEME"/>, the calling thread is the one
    /// that attached <paramref name="pid"/> (Linux accepts requests only from the tracing thread).
    /// </remarks>
    [SupportedOSPlatform("linux")]
    public static Errno? Ptrace(int request, int pid, nint addr, nint data) =>
        PtraceNative(request, pid, addr, data) == -1 ? LastErrno() : null;
}
