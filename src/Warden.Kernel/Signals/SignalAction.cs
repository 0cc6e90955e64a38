using System.Runtime.InteropServices;

namespace Warden.Kernel.Signals;

/// <summary>The kernel's x86-64 <c>struct sigaction</c> as rt_sigaction(2) exchanges it (32 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SignalAction
{
    /// <summary>The size of the structure.</summary>
    public const int Size = 32;

    /// <summary><c>SIG_DFL</c>.</summary>
    public const ulong Default = 0;

    /// <summary><c>SIG_IGN</c>.</summary>
    public const ulong Ignore = 1;

    /// <summary><c>SA_NOCLDSTOP</c>: no SIGCHLD when a child stops or continues.</summary>
    public const ulong SA_NOCLDSTOP = 0x1;

    /// <summary><c>SA_NOCLDWAIT</c>: children are reaped when they exit, leaving no zombie.</summary>
    public const ulong SA_NOCLDWAIT = 0x2;

    /// <summary><c>SA_SIGINFO</c>.</summary>
    public const ulong SA_SIGINFO = 0x4;

    /// <summary><c>SA_RESTORER</c>.</summary>
    public const ulong SA_RESTORER = 0x04000000;

    /// <summary><c>SA_ONSTACK</c>.</summary>
    public const ulong SA_ONSTACK = 0x08000000;

    /// <summary><c>SA_RESTART</c>.</summary>
    public const ulong SA_RESTART = 0x10000000;

    /// <summary><c>SA_NODEFER</c>.</summary>
    public const ulong SA_NODEFER = 0x40000000;

    /// <summary><c>SA_RESETHAND</c>.</summary>
    public const ulong SA_RESETHAND = 0x80000000;

    /// <summary><c>sa_handler</c>: the handler, <see cref="Default"/> or <see cref="Ignore"/>.</summary>
    public ulong Handler;

    /// <summary><c>sa_flags</c>.</summary>
    public ulong Flags;

    /// <summary><c>sa_restorer</c>.</summary>
    public ulong Restorer;

    /// <summary><c>sa_mask</c>: the signals blocked while the handler runs.</summary>
    public ulong Mask;
}
