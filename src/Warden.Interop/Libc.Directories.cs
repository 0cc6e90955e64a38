using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary>The <c>getdents64</c> system call number on x86-64.</summary>
    public const long SYS_getdents64 = 217;

    [LibraryImport(LibraryName, EntryPoint = "syscall", SetLastError = true)]
    private static partial long SyscallGetdents64(long number, SafeFileHandle fd, byte* buf, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "readlinkat", SetLastError = true)]
    private static partial nint ReadlinkatNative(SafeFileHandle dirfd, byte* path, byte* buf, nuint size);

    [LibraryImport(LibraryName, EntryPoint = "faccessat", SetLastError = true)]
    private static partial int FaccessatNative(SafeFileHandle dirfd, byte* path, int mode, int flags);

    [LibraryImport(LibraryName, EntryPoint = "mkdirat", SetLastError = true)]
    private static partial int MkdiratNative(SafeFileHandle dirfd, byte* path, uint mode);

    [LibraryImport(LibraryName, EntryPoint = "mknodat", SetLastError = true)]
    private static partial int MknodatNative(SafeFileHandle dirfd, byte* path, uint mode, ulong dev);

    [LibraryImport(LibraryName, EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int UnlinkatNative(SafeFileHandle dirfd, byte* path, int flags);

    [LibraryImport(LibraryName, EntryPoint = "renameat2", SetLastError = true)]
    private static partial int Renameat2Native(SafeFileHandle olddirfd, byte* oldpath, SafeFileHandle newdirfd, byte* newpath, uint flags);

    /// <summary><c>getdents64(2)</c>: reads directory entries (<c>struct linux_dirent64</c>) into <paramref name="buffer"/>.</summary>
    /// <returns>The bytes filled (0 at the end of the directory), or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (int Count, Errno? Error) Getdents64(SafeFileHandle fd, Span<byte> buffer)
    {
        fixed (byte* buf = buffer)
        {
            long r = SyscallGetdents64(SYS_getdents64, fd, buf, (nuint)buffer.Length);
            return r < 0 ? (0, LastErrno()) : ((int)r, null);
        }
    }

    /// <summary><c>readlinkat(2)</c> of <paramref name="fd"/> itself (an <c>O_PATH|O_NOFOLLOW</c> descriptor of a link).</summary>
    /// <returns>The bytes of the target placed in <paramref name="buffer"/> (truncated to it, no NUL), or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (int Count, Errno? Error) ReadlinkEmptyPath(SafeFileHandle fd, Span<byte> buffer)
    {
        byte empty = 0;
        fixed (byte* buf = buffer)
        {
            nint r = ReadlinkatNative(fd, &empty, buf, (nuint)buffer.Length);
            return r < 0 ? (0, LastErrno()) : ((int)r, null);
        }
    }

    /// <summary><c>faccessat(2)</c> of <paramref name="fd"/> itself (with <see cref="AT_EMPTY_PATH"/> added to <paramref name="flags"/>).</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? FaccessEmptyPath(SafeFileHandle fd, int mode, int flags)
    {
        byte empty = 0;
        return FaccessatNative(fd, &empty, mode, flags | AT_EMPTY_PATH) == 0 ? null : LastErrno();
    }

    /// <summary><c>mkdirat(2)</c>: makes directory <paramref name="name"/> (one component, no NUL) in <paramref name="dirfd"/>.</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? Mkdirat(SafeFileHandle dirfd, ReadOnlySpan<byte> name, uint mode)
    {
        fixed (byte* p = Terminated(name))
        {
            return MkdiratNative(dirfd, p, mode) == 0 ? null : LastErrno();
        }
    }

    /// <summary><c>mknodat(2)</c>: makes the node <paramref name="name"/> (one component, no NUL) in <paramref name="dirfd"/>.</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? Mknodat(SafeFileHandle dirfd, ReadOnlySpan<byte> name, uint mode, ulong dev)
    {
        fixed (byte* p = Terminated(name))
        {
            return MknodatNative(dirfd, p, mode, dev) == 0 ? null : LastErrno();
        }
    }

    /// <summary><c>unlinkat(2)</c>: removes <paramref name="name"/> (one component) from <paramref name="dirfd"/>.</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? Unlinkat(SafeFileHandle dirfd, ReadOnlySpan<byte> name, int flags)
    {
        fixed (byte* p = Terminated(name))
        {
            return UnlinkatNative(dirfd, p, flags) == 0 ? null : LastErrno();
        }
    }

    /// <summary><c>renameat2(2)</c> of single components in two directories.</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? Renameat2(SafeFileHandle olddirfd, ReadOnlySpan<byte> oldName, SafeFileHandle newdirfd, ReadOnlySpan<byte> newName, uint flags)
    {
        fixed (byte* o = Terminated(oldName))
        fixed (byte* n = Terminated(newName))
        {
            return Renameat2Native(olddirfd, o, newdirfd, n, flags) == 0 ? null : LastErrno();
        }
    }

    private static byte[] Terminated(ReadOnlySpan<byte> name)
    {
        byte[] bytes = new byte[name.Length + 1];
        name.CopyTo(bytes);
        return bytes;
    }
}
