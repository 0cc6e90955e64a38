using Warden.HostArch;
using Warden.Platform;

namespace Warden.Kernel.Syscalls;

/// <summary>
/// A system call's six raw arguments (rdi, rsi, rdx, r10, r8, r9), read once from the registers.
/// Handlers take each one in the width Linux's prototype gives it.
/// </summary>
internal readonly struct SyscallArguments
{
    private readonly ulong _a0, _a1, _a2, _a3, _a4, _a5;

    public SyscallArguments(in PtraceRegs regs)
    {
        _a0 = regs.Rdi;
        _a1 = regs.Rsi;
        _a2 = regs.Rdx;
        _a3 = regs.R10;
        _a4 = regs.R8;
        _a5 = regs.R9;
    }

    public ulong this[int i] => i switch
    {
        0 => _a0,
        1 => _a1,
        2 => _a2,
        3 => _a3,
        4 => _a4,
        5 => _a5,
        _ => throw new ArgumentOutOfRangeException(nameof(i), i, "System calls have six arguments."),
    };

    /// <summary>An <c>int</c> argument (the low 32 bits, as the kernel reads it).</summary>
    public int Int(int i) => (int)this[i];

    public uint UInt(int i) => (uint)this[i];

    public long Long(int i) => (long)this[i];

    public ulong ULong(int i) => this[i];

    public Addr Pointer(int i) => (Addr)this[i];
}
