using System.Runtime.InteropServices;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// The raw system calls the in-process kernel target needs and Warden's interop layer does not offer
/// (mlock, mlock2, munlock): x86-64 numbers, through libc's <c>syscall</c>.
/// </summary>
internal static partial class OracleSyscall
{
    private const long SysMlock = 149, SysMunlock = 150, SysMlock2 = 325;

    /// <summary><c>mlock(addr, len)</c> for flags 0, else <c>mlock2(addr, len, flags)</c>: (0, 0) or (-1, errno).</summary>
    public static (long Result, int Errno) Mlock(ulong addr, ulong len, int flags) =>
        Result(flags == 0 ? Syscall(SysMlock, addr, len, 0) : Syscall(SysMlock2, addr, len, (ulong)(uint)flags));

    public static (long Result, int Errno) Munlock(ulong addr, ulong len) => Result(Syscall(SysMunlock, addr, len, 0));

    private static (long, int) Result(long r) => r == -1 ? (-1, Marshal.GetLastPInvokeError()) : (r, 0);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, ulong a, ulong b, ulong c);
}
