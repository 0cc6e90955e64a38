using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "pread", SetLastError = true)]
    private static partial nint PreadNative(SafeFileHandle fd, byte* buf, nuint count, long offset);

    /// <summary>
    /// <c>pread(2)</c> into a managed buffer: reads up to <c>buffer.Length</c> bytes at
    /// <paramref name="offset"/> without moving the file's position; retries <c>EINTR</c>.
    /// </summary>
    /// <returns>The bytes read (fewer than asked at the end of the file, 0 past it), or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (int Count, Errno? Error) Pread(SafeFileHandle fd, Span<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = PreadNative(fd, p, (nuint)buffer.Length, offset);
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
