using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static partial class Libc
{
    /// <summary><c>MFD_CLOEXEC</c>: the memfd is closed on <c>execve</c>.</summary>
    public const uint MFD_CLOEXEC = 0x1;

    [LibraryImport(LibraryName, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreateNative(string name, uint flags);

    /// <summary><c>memfd_create(2)</c>: creates an anonymous memory-backed file.</summary>
    /// <returns>The owned file descriptor, or <c>null</c> and the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (SafeFileHandle? Fd, Errno? Error) MemfdCreate(string name, uint flags)
    {
        int fd = MemfdCreateNative(name, flags);
        if (fd < 0)
        {
            return (null, LastErrno());
        }
        return (new SafeFileHandle(fd, ownsHandle: true), null);
    }
}
