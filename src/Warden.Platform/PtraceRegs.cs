using System.Runtime.InteropServices;

namespace Warden.Platform;

/// <summary>
/// The general-purpose registers of an x86-64 thread, laid out as Linux's <c>struct user_regs_struct</c>
/// (<c>&lt;sys/user.h&gt;</c>), which <c>PTRACE_GETREGS</c> and <c>PTRACE_SETREGS</c> exchange.
/// </summary>
/// <remarks>Field names and order are the kernel's; a test checks every offset against the system headers.</remarks>
[StructLayout(LayoutKind.Sequential)]
public struct PtraceRegs
{
    /// <summary>The size of the structure in bytes: 27 registers of 8 bytes.</summary>
    public const int Size = 216;

    /// <summary><c>r15</c>.</summary>
    public ulong R15;

    /// <summary><c>r14</c>.</summary>
    public ulong R14;

    /// <summary><c>r13</c>.</summary>
    public ulong R13;

    /// <summary><c>r12</c>.</summary>
    public ulong R12;

    /// <summary><c>rbp</c>.</summary>
    public ulong Rbp;

    /// <summary><c>rbx</c>.</summary>
    public ulong Rbx;

    /// <summary><c>r11</c> (the saved <c>rflags</c> after a <c>syscall</c> instruction).</summary>
    public ulong R11;

    /// <summary><c>r10</c> (the fourth system call argument).</summary>
    public ulong R10;

    /// <summary><c>r9</c> (the sixth system call argument).</summary>
    public ulong R9;

    /// <summary><c>r8</c> (the fifth system call argument).</summary>
    public ulong R8;

    /// <summary><c>rax</c> (the system call number on entry, its result on return).</summary>
    public ulong Rax;

    /// <summary><c>rcx</c> (the return address after a <c>syscall</c> instruction).</summary>
    public ulong Rcx;

    /// <summary><c>rdx</c> (the third system call argument).</summary>
    public ulong Rdx;

    /// <summary><c>rsi</c> (the second system call argument).</summary>
    public ulong Rsi;

    /// <summary><c>rdi</c> (the first system call argument).</summary>
    public ulong Rdi;

    /// <summary><c>orig_rax</c>: the system call number as it was on entry (<c>rax</c> is overwritten by the result).</summary>
    public ulong OrigRax;

    /// <summary><c>rip</c>: the instruction pointer.</summary>
    public ulong Rip;

    /// <summary><c>cs</c>: the code segment selector.</summary>
    public ulong Cs;

    /// <summary><c>eflags</c>: the flags register.</summary>
    public ulong Eflags;

    /// <summary><c>rsp</c>: the stack pointer.</summary>
    public ulong Rsp;

    /// <summary><c>ss</c>: the stack segment selector.</summary>
    public ulong Ss;

    /// <summary><c>fs_base</c>: the base address of the <c>fs</c> segment (thread-local storage).</summary>
    public ulong FsBase;

    /// <summary><c>gs_base</c>: the base address of the <c>gs</c> segment.</summary>
    public ulong GsBase;

    /// <summary><c>ds</c>: the data segment selector.</summary>
    public ulong Ds;

    /// <summary><c>es</c>: the extra segment selector.</summary>
    public ulong Es;

    /// <summary><c>fs</c>: the <c>fs</c> segment selector.</summary>
    public ulong Fs;

    /// <summary><c>gs</c>: the <c>gs</c> segment selector.</summary>
    public ulong Gs;
}
