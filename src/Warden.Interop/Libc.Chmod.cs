using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ChmodNative(string path, uint mode);

    /// <summary>
    /// Changes the mode of the file <paramref name="fd"/> refers to, even an <c>O_PATH</c> descriptor
    /// (through its <c>/proc/self/fd</c> link, which names that very file and cannot lead elsewhere).
    /// </summary>
    [SupportedOSPlatform("linux")]
    public static Errno? ChmodDescriptor(SafeFileHandle fd, uint mode)
    {
        // The descriptor is named in a path, not passed as an argument the marshaller could hold a
        // reference for, so the reference is taken here until the call has resolved the path.
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            string link = "/proc/self/fd/" + fd.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ChmodNative(link, mode) == 0 ? null : LastErrno();
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }

    [LibraryImport(LibraryName, EntryPoint = "fchownat", SetLastError = true)]
    private static partial int FchownatNative(SafeFileHandle dirfd, byte* path, uint owner, uint group, int flags);

    /// <summary>
    /// <c>fchownat(fd, "", owner, group, AT_EMPTY_PATH)</c>: changes the owner of the file (or link)
    /// <paramref name="fd"/> refers to; <c>uint.MaxValue</c> leaves an ID unchanged.
    /// </summary>
    [SupportedOSPlatform("linux")]
    public static Errno? ChownDescriptor(SafeFileHandle fd, uint owner, uint group)
    {
        byte empty = 0;
        return FchownatNative(fd, &empty, owner, group, AT_EMPTY_PATH) == 0 ? null : LastErrno();
    }
}
