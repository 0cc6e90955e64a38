using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "symlinkat", SetLastError = true)]
    private static partial int SymlinkatNative(byte* target, SafeFileHandle newdirfd, byte* linkpath);

    [LibraryImport(LibraryName, EntryPoint = "linkat", SetLastError = true)]
    private static partial int LinkatNative(SafeFileHandle olddirfd, byte* oldpath, SafeFileHandle newdirfd, byte* newpath, int flags);

    [LibraryImport(LibraryName, EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UtimensatNative(int dirfd, string path, long* times, int flags);

    /// <summary><c>symlinkat(2)</c>: makes <paramref name="name"/> in <paramref name="dirfd"/> a link to <paramref name="target"/>.</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? Symlinkat(ReadOnlySpan<byte> target, SafeFileHandle dirfd, ReadOnlySpan<byte> name)
    {
        fixed (byte* t = Terminated(target))
        fixed (byte* n = Terminated(name))
        {
            return SymlinkatNative(t, dirfd, n) == 0 ? null : LastErrno();
        }
    }

    /// <summary><c>linkat(2)</c> of single components in two directories.</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? Linkat(SafeFileHandle olddirfd, ReadOnlySpan<byte> oldName, SafeFileHandle newdirfd, ReadOnlySpan<byte> newName, int flags)
    {
        fixed (byte* o = Terminated(oldName))
        fixed (byte* n = Terminated(newName))
        {
            return LinkatNative(olddirfd, o, newdirfd, n, flags) == 0 ? null : LastErrno();
        }
    }

    /// <summary>
    /// Sets the access and modification times of the file <paramref name="fd"/> refers to (through its
    /// <c>/proc/self/fd</c> link), as <c>utimensat(2)</c> with <paramref name="times"/> (two timespecs, or
    /// empty for "now").
    /// </summary>
    [SupportedOSPlatform("linux")]
    public static Errno? UtimensDescriptor(SafeFileHandle fd, ReadOnlySpan<long> times)
    {
        // The descriptor is named in a path, not passed as an argument the marshaller could hold a
        // reference for, so the reference is taken here until the call has resolved the path.
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            string link = "/proc/self/fd/" + fd.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture);
            fixed (long* t = times)
            {
                return UtimensatNative(AT_FDCWD, link, times.IsEmpty ? null : t, 0) == 0 ? null : LastErrno();
            }
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }
}
