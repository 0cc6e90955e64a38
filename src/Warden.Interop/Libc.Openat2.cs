using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary>The <c>openat2</c> system call number on x86-64 (glibc 2.36 has no wrapper).</summary>
    public const long SYS_openat2 = 437;

    /// <summary><c>AT_FDCWD</c>: a directory argument meaning "the current directory".</summary>
    public const int AT_FDCWD = -100;

    /// <summary><c>RESOLVE_NO_MAGICLINKS</c>: refuse <c>/proc/*/fd</c>-style links.</summary>
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02;

    /// <summary><c>RESOLVE_IN_ROOT</c>: resolve as if the directory were the root (<c>..</c> and absolute links stay inside).</summary>
    public const ulong RESOLVE_IN_ROOT = 0x10;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [LibraryImport(LibraryName, EntryPoint = "syscall", SetLastError = true)]
    private static partial long SyscallOpenat2(long number, SafeFileHandle dirfd, byte* path, OpenHow* how, nuint size);

    /// <summary>
    /// <c>openat2(2)</c>: opens <paramref name="path"/> relative to <paramref name="dirfd"/> with the
    /// <c>RESOLVE_*</c> restrictions in <paramref name="resolve"/>.
    /// </summary>
    /// <param name="dirfd">The directory paths are resolved from; with <see cref="RESOLVE_IN_ROOT"/>, the root.</param>
    /// <param name="path">The path, as bytes without a NUL (one is added).</param>
    /// <param name="flags">The <c>O_*</c> flags.</param>
    /// <param name="mode">The mode for a created file.</param>
    /// <param name="resolve">The <c>RESOLVE_*</c> flags.</param>
    /// <returns>The new descriptor, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (SafeFileHandle? Fd, Errno? Error) Openat2(SafeFileHandle dirfd, ReadOnlySpan<byte> path, ulong flags, ulong mode, ulong resolve)
    {
        ArgumentNullException.ThrowIfNull(dirfd);
        Span<byte> terminated = path.Length < 512 ? stackalloc byte[path.Length + 1] : new byte[path.Length + 1];
        path.CopyTo(terminated);
        terminated[^1] = 0;
        var how = new OpenHow { Flags = flags, Mode = mode, Resolve = resolve };
        fixed (byte* p = terminated)
        {
            while (true)
            {
                long r = SyscallOpenat2(SYS_openat2, dirfd, p, &how, (nuint)sizeof(OpenHow));
                if (r >= 0)
                {
                    return (new SafeFileHandle((nint)r, ownsHandle: true), null);
                }
                if (!LastCallWasInterrupted())
                {
                    return (null, LastErrno());
                }
            }
        }
    }
}
