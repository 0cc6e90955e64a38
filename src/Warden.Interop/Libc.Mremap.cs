using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    // mremap is variadic in the C declaration; on x86-64 passing the fifth argument in its register
    // is what every caller does, and the kernel ignores it unless MREMAP_FIXED or MREMAP_DONTUNMAP is set.
    [LibraryImport(LibraryName, EntryPoint = "mremap", SetLastError = true)]
    private static partial nint MremapNative(void* oldAddress, nuint oldSize, nuint newSize, int flags, void* newAddress);

    /// <summary><c>mremap(2)</c>: resizes and/or moves the mapping at <paramref name="oldAddress"/>.</summary>
    /// <returns>The (possibly new) address of the mapping, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (nint Address, Errno? Error) Mremap(void* oldAddress, nuint oldSize, nuint newSize, int flags, void* newAddress)
    {
        nint p = MremapNative(oldAddress, oldSize, newSize, flags, newAddress);
        // MAP_FAILED is (void*)-1.
        return p == -1 ? (0, LastErrno()) : (p, null);
    }
}
