using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary><c>MAP_FIXED</c>: map exactly at the address given, replacing what is there.</summary>
    public const int MAP_FIXED = 0x10;

    /// <summary><c>MAP_NORESERVE</c>: reserve no swap space for the mapping.</summary>
    public const int MAP_NORESERVE = 0x4000;

    /// <summary><c>MAP_FIXED_NOREPLACE</c>: map exactly at the address given, failing with <c>EEXIST</c> if anything is there.</summary>
    public const int MAP_FIXED_NOREPLACE = 0x100000;

    /// <summary><c>MREMAP_MAYMOVE</c>: the mapping may move if it cannot be resized in place.</summary>
    public const int MREMAP_MAYMOVE = 1;

    /// <summary><c>MREMAP_FIXED</c>: move the mapping to the new address given (needs <see cref="MREMAP_MAYMOVE"/>).</summary>
    public const int MREMAP_FIXED = 2;

    /// <summary><c>MREMAP_DONTUNMAP</c>: leave the old range mapped (empty) after a move.</summary>
    public const int MREMAP_DONTUNMAP = 4;

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
