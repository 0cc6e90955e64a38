using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static partial class Libc
{
    /// <summary><c>SEEK_SET</c>: the offset is absolute.</summary>
    public const int SEEK_SET = 0;

    /// <summary><c>SEEK_CUR</c>: the offset is relative to the current one.</summary>
    public const int SEEK_CUR = 1;

    /// <summary><c>SEEK_DATA</c>: the next offset at or after the one given that holds data.</summary>
    public const int SEEK_DATA = 3;

    /// <summary><c>SEEK_HOLE</c>: the next offset at or after the one given that is in a hole (or the end of the file).</summary>
    public const int SEEK_HOLE = 4;

    [LibraryImport(LibraryName, EntryPoint = "lseek", SetLastError = true)]
    private static partial long LseekNative(SafeFileHandle fd, long offset, int whence);

    /// <summary><c>lseek(2)</c>.</summary>
    /// <returns>The resulting offset, or the errno (<c>ENXIO</c> when <see cref="SEEK_DATA"/> finds no more data).</returns>
    [SupportedOSPlatform("linux")]
    public static (long Offset, Errno? Error) Lseek(SafeFileHandle fd, long offset, int whence)
    {
        long r = LseekNative(fd, offset, whence);
        return r < 0 ? (0, LastErrno()) : (r, null);
    }
}
