using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "readv", SetLastError = true)]
    private static partial nint ReadvNative(SafeFileHandle fd, Iovec* iov, int iovcnt);

    [LibraryImport(LibraryName, EntryPoint = "writev", SetLastError = true)]
    private static partial nint WritevNative(SafeFileHandle fd, Iovec* iov, int iovcnt);

    [LibraryImport(LibraryName, EntryPoint = "preadv", SetLastError = true)]
    private static partial nint PreadvNative(SafeFileHandle fd, Iovec* iov, int iovcnt, long offset);

    [LibraryImport(LibraryName, EntryPoint = "pwritev", SetLastError = true)]
    private static partial nint PwritevNative(SafeFileHandle fd, Iovec* iov, int iovcnt, long offset);

    /// <summary><c>readv(2)</c>: reads into <paramref name="iovcnt"/> buffers at the file's position.</summary>
    /// <returns>The bytes read (0 at end of file), or the errno.</returns>
    public static (long Count, Errno? Error) Readv(SafeFileHandle fd, Iovec* iov, int iovcnt) =>
        RetryOnEintr(&ReadvIgnoringOffset, fd, iov, iovcnt, 0);

    /// <summary><c>writev(2)</c>: writes <paramref name="iovcnt"/> buffers at the file's position.</summary>
    /// <returns>The bytes written (possibly fewer than asked), or the errno.</returns>
    public static (long Count, Errno? Error) Writev(SafeFileHandle fd, Iovec* iov, int iovcnt) =>
        RetryOnEintr(&WritevIgnoringOffset, fd, iov, iovcnt, 0);

    /// <summary><c>preadv(2)</c>: reads into <paramref name="iovcnt"/> buffers at <paramref name="offset"/>.</summary>
    /// <returns>The bytes read (0 at end of file), or the errno.</returns>
    public static (long Count, Errno? Error) Preadv(SafeFileHandle fd, Iovec* iov, int iovcnt, long offset) =>
        RetryOnEintr(&PreadvNative, fd, iov, iovcnt, offset);

    /// <summary><c>pwritev(2)</c>: writes <paramref name="iovcnt"/> buffers at <paramref name="offset"/>.</summary>
    /// <returns>The bytes written (possibly fewer than asked), or the errno.</returns>
    public static (long Count, Errno? Error) Pwritev(SafeFileHandle fd, Iovec* iov, int iovcnt, long offset) =>
        RetryOnEintr(&PwritevNative, fd, iov, iovcnt, offset);

    private static nint ReadvIgnoringOffset(SafeFileHandle fd, Iovec* iov, int iovcnt, long offset) => ReadvNative(fd, iov, iovcnt);

    private static nint WritevIgnoringOffset(SafeFileHandle fd, Iovec* iov, int iovcnt, long offset) => WritevNative(fd, iov, iovcnt);

    private static (long Count, Errno? Error) RetryOnEintr(
        delegate*<SafeFileHandle, Iovec*, int, long, nint> call, SafeFileHandle fd, Iovec* iov, int iovcnt, long offset)
    {
        while (true)
        {
            nint n = call(fd, iov, iovcnt, offset);
            if (n >= 0)
            {
                return (n, null);
            }
            if (!LastCallWasInterrupted())
            {
                return (0, LastErrno());
            }
        }
    }
}
