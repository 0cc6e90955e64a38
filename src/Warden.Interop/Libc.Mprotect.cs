using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "mprotect", SetLastError = true)]
    private static partial int MprotectNative(void* addr, nuint length, int prot);

    /// <summary><c>mprotect(2)</c>: sets the protection of the pages of <c>[addr, addr + length)</c>.</summary>
    /// <returns><c>null</c>, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static Errno? Mprotect(void* addr, nuint length, int prot) =>
        MprotectNative(addr, length, prot) == 0 ? null : LastErrno();
}
