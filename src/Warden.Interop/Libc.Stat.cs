using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary><c>AT_SYMLINK_NOFOLLOW</c>: act on a final symbolic link itself.</summary>
    public const int AT_SYMLINK_NOFOLLOW = 0x100;

    /// <summary><c>AT_REMOVEDIR</c>: <c>unlinkat</c> removes a directory.</summary>
    public const int AT_REMOVEDIR = 0x200;

    /// <summary><c>AT_EACCESS</c>: <c>faccessat</c> checks with the effective IDs.</summary>
    public const int AT_EACCESS = 0x200;

    /// <summary><c>AT_EMPTY_PATH</c>: an empty path means the descriptor itself.</summary>
    public const int AT_EMPTY_PATH = 0x1000;

    /// <summary>The size of x86-64's <c>struct stat</c>.</summary>
    public const int StatSize = 144;

    /// <summary>The size of <c>struct statx</c>.</summary>
    public const int StatxSize = 256;

    /// <summary>The size of x86-64's <c>struct statfs</c>.</summary>
    public const int StatfsSize = 120;

    [LibraryImport(LibraryName, EntryPoint = "fstatat", SetLastError = true)]
    private static partial int FstatatNative(SafeFileHandle dirfd, byte* path, byte* buf, int flags);

    [LibraryImport(LibraryName, EntryPoint = "statx", SetLastError = true)]
    private static partial int StatxNative(SafeFileHandle dirfd, byte* path, int flags, uint mask, byte* buf);

    [LibraryImport(LibraryName, EntryPoint = "fstatfs", SetLastError = true)]
    private static partial int FstatfsNative(SafeFileHandle fd, byte* buf);

    /// <summary><c>fstatat(2)</c> of <paramref name="fd"/> itself (<see cref="AT_EMPTY_PATH"/>), into <paramref name="stat"/> (<see cref="StatSize"/> bytes).</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? FstatEmptyPath(SafeFileHandle fd, Span<byte> stat)
    {
        CheckSize(stat, StatSize);
        byte empty = 0;
        fixed (byte* buf = stat)
        {
            return FstatatNative(fd, &empty, buf, AT_EMPTY_PATH) == 0 ? null : LastErrno();
        }
    }

    /// <summary><c>statx(2)</c> of <paramref name="fd"/> itself, into <paramref name="statx"/> (<see cref="StatxSize"/> bytes).</summary>
    /// <param name="fd">The file.</param>
    /// <param name="flags">Extra <c>AT_STATX_*</c> flags (<see cref="AT_EMPTY_PATH"/> is added).</param>
    /// <param name="mask">The <c>STATX_*</c> fields wanted.</param>
    /// <param name="statx">Where the result goes.</param>
    [SupportedOSPlatform("linux")]
    public static Errno? StatxEmptyPath(SafeFileHandle fd, int flags, uint mask, Span<byte> statx)
    {
        CheckSize(statx, StatxSize);
        byte empty = 0;
        fixed (byte* buf = statx)
        {
            return StatxNative(fd, &empty, flags | AT_EMPTY_PATH, mask, buf) == 0 ? null : LastErrno();
        }
    }

    /// <summary><c>fstatfs(2)</c> into <paramref name="statfs"/> (<see cref="StatfsSize"/> bytes).</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? Fstatfs(SafeFileHandle fd, Span<byte> statfs)
    {
        CheckSize(statfs, StatfsSize);
        fixed (byte* buf = statfs)
        {
            return FstatfsNative(fd, buf) == 0 ? null : LastErrno();
        }
    }

    private static void CheckSize(ReadOnlySpan<byte> buffer, int size)
    {
        if (buffer.Length < size)
        {
            ThrowHelper.ThrowArgument(nameof(buffer), "The buffer must hold at least {0} bytes.", size);
        }
    }
}
