using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary><c>F_GETFL</c>.</summary>
    public const int F_GETFL = 3;

    /// <summary><c>F_SETFL</c>.</summary>
    public const int F_SETFL = 4;

    [LibraryImport(LibraryName, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FcntlNative(SafeFileHandle fd, int cmd, long arg);

    [LibraryImport(LibraryName, EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlNative(SafeFileHandle fd, ulong request, byte* arg);

    [LibraryImport(LibraryName, EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncNative(SafeFileHandle fd);

    [LibraryImport(LibraryName, EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FdatasyncNative(SafeFileHandle fd);

    [LibraryImport(LibraryName, EntryPoint = "sendfile", SetLastError = true)]
    private static partial nint SendfileNative(SafeFileHandle outFd, SafeFileHandle inFd, long* offset, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "isatty")]
    private static partial int IsattyNative(SafeFileHandle fd);

    [LibraryImport(LibraryName, EntryPoint = "dup", SetLastError = true)]
    private static partial int DupNative(SafeFileHandle fd);

    /// <summary><c>fcntl(2)</c> with an integer argument.</summary>
    /// <returns>The call's result, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (int Result, Errno? Error) Fcntl(SafeFileHandle fd, int cmd, long arg)
    {
        int r = FcntlNative(fd, cmd, arg);
        return r < 0 ? (0, LastErrno()) : (r, null);
    }

    /// <summary><c>ioctl(2)</c> whose argument is a buffer in Warden's memory.</summary>
    /// <returns>The call's result, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (int Result, Errno? Error) Ioctl(SafeFileHandle fd, ulong request, Span<byte> arg)
    {
        fixed (byte* p = arg)
        {
            int r = IoctlNative(fd, request, p);
            return r < 0 ? (0, LastErrno()) : (r, null);
        }
    }

    /// <summary><c>fsync(2)</c>.</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? Fsync(SafeFileHandle fd) => FsyncNative(fd) == 0 ? null : LastErrno();

    /// <summary><c>fdatasync(2)</c>.</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? Fdatasync(SafeFileHandle fd) => FdatasyncNative(fd) == 0 ? null : LastErrno();

    /// <summary><c>sendfile(2)</c> from the input's position (or from <paramref name="offset"/>, which is advanced).</summary>
    /// <returns>The bytes moved, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (long Count, Errno? Error) Sendfile(SafeFileHandle outFd, SafeFileHandle inFd, ref long offset, bool useOffset, long count)
    {
        while (true)
        {
            nint r;
            fixed (long* p = &offset)
            {
                r = SendfileNative(outFd, inFd, useOffset ? p : null, (nuint)count);
            }
            if (r >= 0)
            {
                return (r, null);
            }
            if (!LastCallWasInterrupted())
            {
                return (0, LastErrno());
            }
        }
    }

    /// <summary><c>isatty(3)</c>.</summary>
    [SupportedOSPlatform("linux")]
    public static bool Isatty(SafeFileHandle fd) => IsattyNative(fd) == 1;

    /// <summary><c>dup(2)</c>: a new descriptor for the same open file.</summary>
    [SupportedOSPlatform("linux")]
    public static (SafeFileHandle? Fd, Errno? Error) Dup(SafeFileHandle fd)
    {
        int r = DupNative(fd);
        return r < 0 ? (null, LastErrno()) : (new SafeFileHandle(r, ownsHandle: true), null);
    }
}
