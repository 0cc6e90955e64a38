using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static partial class Libc
{
    /// <summary><c>FALLOC_FL_KEEP_SIZE</c>: the file size does not change.</summary>
    public const int FALLOC_FL_KEEP_SIZE = 0x01;

    /// <summary><c>FALLOC_FL_PUNCH_HOLE</c>: deallocates the range (needs <see cref="FALLOC_FL_KEEP_SIZE"/>).</summary>
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;

    [LibraryImport(LibraryName, EntryPoint = "fallocate", SetLastError = true)]
    private static partial int FallocateNative(SafeFileHandle fd, int mode, long offset, long len);

    /// <summary><c>fallocate(2)</c>; retries <c>EINTR</c>.</summary>
    /// <returns><c>null</c>, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static Errno? Fallocate(SafeFileHandle fd, int mode, long offset, long len)
    {
        while (true)
        {
            if (FallocateNative(fd, mode, offset, len) == 0)
            {
                return null;
            }
            if (!LastCallWasInterrupted())
            {
                return LastErrno();
            }
        }
    }
}
