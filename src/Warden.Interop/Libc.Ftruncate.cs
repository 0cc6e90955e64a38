using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int FtruncateNative(SafeFileHandle fd, long length);

    /// <summary><c>ftruncate(2)</c>; retries <c>EINTR</c>.</summary>
    /// <returns><c>null</c>, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static Errno? Ftruncate(SafeFileHandle fd, long length)
    {
        while (true)
        {
            if (FtruncateNative(fd, length) == 0)
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
