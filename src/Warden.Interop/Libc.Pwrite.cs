using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint PwriteNative(SafeFileHandle fd, byte* buf, nuint count, long offset);

    /// <summary>
    /// <c>pwrite(2)</c> from a managed buffer: writes up to <c>data.Length</c> bytes at
    /// <paramref name="offset"/> without moving the file's position; retries <c>EINTR</c>.
    /// </summary>
    /// <returns>The bytes written (possibly fewer than given), or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (int Count, Errno? Error) Pwrite(SafeFileHandle fd, ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* p = data)
        {
            while (true)
            {
                nint n = PwriteNative(fd, p, (nuint)data.Length, offset);
                if (n >= 0)
                {
                    return ((int)n, null);
                }
                if (!LastCallWasInterrupted())
                {
                    return (0, LastErrno());
                }
            }
        }
    }
}
