using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary>Bytes reserved for a <c>struct stat</c> (larger than it is on every 64-bit Linux ABI).</summary>
    internal const int StatBufferSize = 256;

    /// <summary>The offset of <c>st_size</c> in <c>struct stat</c> (the same on x86-64 and arm64).</summary>
    public const int StatSizeOffset = 48;

    /// <summary>The offset of <c>st_blocks</c> in <c>struct stat</c> (the same on x86-64 and arm64).</summary>
    public const int StatBlocksOffset = 64;

    [LibraryImport(LibraryName, EntryPoint = "fstat", SetLastError = true)]
    private static partial int FstatNative(SafeFileHandle fd, byte* buf);

    /// <summary><c>fstat(2)</c>, returning the two fields Warden uses.</summary>
    /// <returns>The file's size and its allocated 512-byte blocks (<c>st_blocks</c>), or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (long Size, long Blocks, Errno? Error) Fstat(SafeFileHandle fd)
    {
        byte* buf = stackalloc byte[StatBufferSize];
        if (FstatNative(fd, buf) != 0)
        {
            return (0, 0, LastErrno());
        }
        return (*(long*)(buf + StatSizeOffset), *(long*)(buf + StatBlocksOffset), null);
    }

    /// <summary><c>st_dev</c>'s offset in x86-64's <c>struct stat</c>.</summary>
    public const int StatDevOffset = 0;

    /// <summary><c>st_ino</c>'s offset in x86-64's <c>struct stat</c>.</summary>
    public const int StatInoOffset = 8;

    /// <summary><c>st_mtim</c>'s and <c>st_ctim</c>'s offsets in x86-64's <c>struct stat</c> (seconds, then nanoseconds).</summary>
    public const int StatMtimeOffset = 88, StatCtimeOffset = 104;

    /// <summary>
    /// <c>fstat(2)</c>, returning the file's identity and what changes whenever its contents may
    /// have: size, modification and status-change times (in nanoseconds).
    /// </summary>
    [SupportedOSPlatform("linux")]
    public static (FileIdentity Identity, FileVersion Version, Errno? Error) FstatVersion(SafeFileHandle fd)
    {
        byte* buf = stackalloc byte[StatBufferSize];
        if (FstatNative(fd, buf) != 0)
        {
            return (default, default, LastErrno());
        }
        var identity = new FileIdentity(*(ulong*)(buf + StatDevOffset), *(ulong*)(buf + StatInoOffset));
        var version = new FileVersion(
            *(long*)(buf + StatSizeOffset),
            (*(long*)(buf + StatMtimeOffset) * 1_000_000_000) + *(long*)(buf + StatMtimeOffset + 8),
            (*(long*)(buf + StatCtimeOffset) * 1_000_000_000) + *(long*)(buf + StatCtimeOffset + 8));
        return (identity, version, null);
    }
}
