using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "mmap", SetLastError = true)]
    private static partial nint MmapNative(void* addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(LibraryName, EntryPoint = "munmap", SetLastError = true)]
    private static partial int MunmapNative(void* addr, nuint length);

    [LibraryImport(LibraryName, EntryPoint = "madvise", SetLastError = true)]
    private static partial int MadviseNative(void* addr, nuint length, int advice);

    [LibraryImport(LibraryName, EntryPoint = "msync", SetLastError = true)]
    private static partial int MsyncNative(void* addr, nuint length, int flags);

    [LibraryImport(LibraryName, EntryPoint = "mincore", SetLastError = true)]
    private static partial int MincoreNative(void* addr, nuint length, byte* vec);

    // The file form: the marshaller holds a reference on the handle for the call, so the descriptor
    // cannot be closed, and its number reused, while mmap runs.
    [LibraryImport(LibraryName, EntryPoint = "mmap", SetLastError = true)]
    private static partial nint MmapFileNative(void* addr, nuint length, int prot, int flags, SafeFileHandle fd, long offset);

    /// <summary><c>mmap(2)</c> of the file <paramref name="fd"/>.</summary>
    /// <returns>The address of the mapping, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (nint Address, Errno? Error) Mmap(void* addr, nuint length, int prot, int flags, SafeFileHandle fd, long offset)
    {
        ArgumentNullException.ThrowIfNull(fd);
        nint p = MmapFileNative(addr, length, prot, flags, fd, offset);
        // MAP_FAILED is (void*)-1.
        return p == -1 ? (0, LastErrno()) : (p, null);
    }

    /// <summary><c>mmap(2)</c> with no file (<see cref="LinuxMman.MAP_ANONYMOUS"/>; the descriptor passed is -1).</summary>
    /// <returns>The address of the mapping, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (nint Address, Errno? Error) MmapAnonymous(void* addr, nuint length, int prot, int flags, long offset) =>
        MmapRaw(addr, length, prot, flags | LinuxMman.MAP_ANONYMOUS, -1, offset);

    private static (nint Address, Errno? Error) MmapRaw(void* addr, nuint length, int prot, int flags, int fd, long offset)
    {
        nint p = MmapNative(addr, length, prot, flags, fd, offset);
        // MAP_FAILED is (void*)-1.
        return p == -1 ? (0, LastErrno()) : (p, null);
    }

    /// <summary><c>munmap(2)</c>.</summary>
    /// <returns><c>null</c>, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static Errno? Munmap(void* addr, nuint length) => MunmapNative(addr, length) == 0 ? null : LastErrno();

    /// <summary><c>madvise(2)</c>; retries <c>EINTR</c> (which <see cref="LinuxMman.MADV_POPULATE_WRITE"/> can return).</summary>
    /// <returns><c>null</c>, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static Errno? Madvise(void* addr, nuint length, int advice)
    {
        while (true)
        {
            if (MadviseNative(addr, length, advice) == 0)
            {
                return null;
            }
            if (!LastCallWasInterrupted())
            {
                return LastErrno();
            }
        }
    }

    /// <summary><c>msync(2)</c>.</summary>
    /// <returns><c>null</c>, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static Errno? Msync(void* addr, nuint length, int flags) => MsyncNative(addr, length, flags) == 0 ? null : LastErrno();

    /// <summary><c>mincore(2)</c>: one byte per page of <paramref name="length"/> into <paramref name="vec"/>; bit 0 set if resident.</summary>
    /// <returns><c>null</c>, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static Errno? Mincore(void* addr, nuint length, byte* vec) => MincoreNative(addr, length, vec) == 0 ? null : LastErrno();
}
