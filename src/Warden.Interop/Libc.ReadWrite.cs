using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadNative(SafeFileHandle fd, byte* buf, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteNative(SafeFileHandle fd, byte* buf, nuint count);

    /// <summary><c>read(2)</c> into <paramref name="buffer"/>, retrying <c>EINTR</c>.</summary>
    /// <returns>The bytes read (0 at end of file), or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (int Count, Errno? Error) Read(SafeFileHandle fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint r = ReadNative(fd, p, (nuint)buffer.Length);
                if (r >= 0)
                {
                    return ((int)r, null);
                }
                if (!LastCallWasInterrupted())
                {
                    return (0, LastErrno());
                }
            }
        }
    }

    /// <summary><c>write(2)</c> of <paramref name="buffer"/>, retrying <c>EINTR</c>.</summary>
    /// <returns>The bytes written, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (int Count, Errno? Error) Write(SafeFileHandle fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint r = WriteNative(fd, p, (nuint)buffer.Length);
                if (r >= 0)
                {
                    return ((int)r, null);
                }
                if (!LastCallWasInterrupted())
                {
                    return (0, LastErrno());
                }
            }
        }
    }
}
