using System.Runtime.InteropServices;

namespace Warden.Platform;

/// <summary>
/// What a signal carries, laid out as Linux's x86-64 <c>siginfo_t</c> (<c>&lt;signal.h&gt;</c>): 128 bytes,
/// three integers and then a union whose meaning depends on the signal and its code.
/// </summary>
/// <remarks>
/// The union's members overlap, as in C: read only those the signal defines (for example
/// <see cref="Addr"/> for <see cref="SIGSEGV"/>, <see cref="Pid"/>/<see cref="Uid"/>/<see cref="Status"/>
/// for <see cref="SIGCHLD"/>). A test checks every offset against the system headers.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct SignalInfo
{
    /// <summary>The size of the structure in bytes.</summary>
    public const int Size = 128;

    /// <summary><c>SIGILL</c>: illegal instruction.</summary>
    public const int SIGILL = 4;

    /// <summary><c>SIGTRAP</c>: trace or breakpoint trap.</summary>
    public const int SIGTRAP = 5;

    /// <summary><c>SIGBUS</c>: access to memory that exists in a mapping but cannot be backed (e.g. past the end of a file).</summary>
    public const int SIGBUS = 7;

    /// <summary><c>SIGFPE</c>: arithmetic exception.</summary>
    public const int SIGFPE = 8;

    /// <summary><c>SIGSEGV</c>: access to an unmapped address, or one whose permissions forbid the access.</summary>
    public const int SIGSEGV = 11;

    /// <summary><c>SIGCHLD</c>: a child stopped, continued or exited.</summary>
    public const int SIGCHLD = 17;

    /// <summary><c>SIGSYS</c>: a bad system call; also what a seccomp filter's <c>SECCOMP_RET_TRAP</c> sends (<see cref="SYS_SECCOMP"/>).</summary>
    public const int SIGSYS = 31;

    /// <summary><c>SEGV_MAPERR</c>: a <see cref="SIGSEGV"/> code: no mapping at the address.</summary>
    public const int SEGV_MAPERR = 1;

    /// <summary><c>SEGV_ACCERR</c>: a <see cref="SIGSEGV"/> code: the mapping's permissions forbid the access.</summary>
    public const int SEGV_ACCERR = 2;

    /// <summary>
    /// <c>SYS_SECCOMP</c>: a <see cref="SIGSYS"/> code: a seccomp filter trapped a system call
    /// (<see cref="CallAddr"/>, <see cref="Syscall"/> and <see cref="Arch"/> say which).
    /// </summary>
    public const int SYS_SECCOMP = 1;

    /// <summary><c>si_signo</c>: the signal number.</summary>
    [FieldOffset(0)]
    public int Signo;

    /// <summary><c>si_errno</c>: an errno value associated with the signal (usually 0).</summary>
    [FieldOffset(4)]
    public int Errno;

    /// <summary><c>si_code</c>: why the signal was sent (e.g. <see cref="SEGV_MAPERR"/>), or who sent it.</summary>
    [FieldOffset(8)]
    public int Code;

    /// <summary><c>si_pid</c>: the sending process (for <c>kill</c>, queued and <see cref="SIGCHLD"/> signals).</summary>
    [FieldOffset(16)]
    public int Pid;

    /// <summary><c>si_uid</c>: the sending process's real user ID (with <see cref="Pid"/>).</summary>
    [FieldOffset(20)]
    public uint Uid;

    /// <summary><c>si_status</c>: for <see cref="SIGCHLD"/>, the child's exit status or the signal that changed its state.</summary>
    [FieldOffset(24)]
    public int Status;

    /// <summary><c>si_utime</c>: for <see cref="SIGCHLD"/>, the user time the child consumed, in clock ticks.</summary>
    [FieldOffset(32)]
    public long UTime;

    /// <summary><c>si_stime</c>: for <see cref="SIGCHLD"/>, the system time the child consumed, in clock ticks.</summary>
    [FieldOffset(40)]
    public long STime;

    /// <summary><c>si_timerid</c>: for a POSIX timer's signal, the kernel's timer ID.</summary>
    [FieldOffset(16)]
    public int TimerId;

    /// <summary><c>si_overrun</c>: for a POSIX timer's signal, how many expirations were missed.</summary>
    [FieldOffset(20)]
    public int Overrun;

    /// <summary><c>si_value</c>: the value sent with a queued or timer signal (<c>union sigval</c>, as 8 bytes).</summary>
    [FieldOffset(24)]
    public ulong Value;

    /// <summary>
    /// <c>si_addr</c>: for <see cref="SIGSEGV"/>, <see cref="SIGBUS"/>, <see cref="SIGILL"/>,
    /// <see cref="SIGFPE"/> and <see cref="SIGTRAP"/>, the faulting address.
    /// </summary>
    [FieldOffset(16)]
    public ulong Addr;

    /// <summary><c>si_addr_lsb</c>: for a memory-error <see cref="SIGBUS"/>, log2 of the size of the corrupted region.</summary>
    [FieldOffset(24)]
    public short AddrLsb;

    /// <summary><c>si_lower</c>: for a bounds-check <see cref="SIGSEGV"/>, the lower bound.</summary>
    [FieldOffset(32)]
    public ulong Lower;

    /// <summary><c>si_upper</c>: for a bounds-check <see cref="SIGSEGV"/>, the upper bound.</summary>
    [FieldOffset(40)]
    public ulong Upper;

    /// <summary><c>si_pkey</c>: for a protection-key <see cref="SIGSEGV"/>, the key that forbade the access.</summary>
    [FieldOffset(32)]
    public uint Pkey;

    /// <summary><c>si_band</c>: for <c>SIGPOLL</c>, the band event.</summary>
    [FieldOffset(16)]
    public long Band;

    /// <summary><c>si_fd</c>: for <c>SIGPOLL</c>, the file descriptor.</summary>
    [FieldOffset(24)]
    public int Fd;

    /// <summary>
    /// <c>si_call_addr</c>: for <c>SIGSYS</c> from seccomp, the address of the system call instruction
    /// (for a call the kernel emulates, such as one into the vsyscall page, the address called).
    /// </summary>
    [FieldOffset(16)]
    public ulong CallAddr;

    /// <summary><c>si_syscall</c>: for <c>SIGSYS</c> from seccomp, the system call number.</summary>
    [FieldOffset(24)]
    public int Syscall;

    /// <summary><c>si_arch</c>: for <c>SIGSYS</c> from seccomp, the <c>AUDIT_ARCH_*</c> of the system call.</summary>
    [FieldOffset(28)]
    public uint Arch;
}
