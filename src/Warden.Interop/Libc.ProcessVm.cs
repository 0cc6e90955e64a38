using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "process_vm_readv", SetLastError = true)]
    private static partial nint ProcessVmReadvNative(int pid, Iovec* localIov, nuint localCount, Iovec* remoteIov, nuint remoteCount, nuint flags);

    [LibraryImport(LibraryName, EntryPoint = "process_vm_writev", SetLastError = true)]
    private static partial nint ProcessVmWritevNative(int pid, Iovec* localIov, nuint localCount, Iovec* remoteIov, nuint remoteCount, nuint flags);

    /// <summary>
    /// <c>process_vm_readv(2)</c>: copies from the buffers <paramref name="remoteIov"/> of process
    /// <paramref name="pid"/> into <paramref name="localIov"/>; retries <c>EINTR</c>.
    /// </summary>
    /// <remarks>
    /// The kernel checks the remote pages' protections (a page without read permission stops the copy)
    /// and never faults the caller: an unmapped or inaccessible remote page ends the copy there.
    /// </remarks>
    /// <returns>The bytes copied (fewer than asked if a remote page stopped the copy), or the errno if none was.</returns>
    [SupportedOSPlatform("linux")]
    public static (long Count, Errno? Error) ProcessVmReadv(int pid, Iovec* localIov, nuint localCount, Iovec* remoteIov, nuint remoteCount) =>
        ProcessVmRetry(&ProcessVmReadvNative, pid, localIov, localCount, remoteIov, remoteCount);

    /// <summary>
    /// <c>process_vm_writev(2)</c>: copies <paramref name="localIov"/> into the buffers <paramref name="remoteIov"/>
    /// of process <paramref name="pid"/>; retries <c>EINTR</c>.
    /// </summary>
    /// <remarks>A remote page without write permission, or not mapped, ends the copy there.</remarks>
    /// <returns>The bytes copied (fewer than asked if a remote page stopped the copy), or the errno if none was.</returns>
    [SupportedOSPlatform("linux")]
    public static (long Count, Errno? Error) ProcessVmWritev(int pid, Iovec* localIov, nuint localCount, Iovec* remoteIov, nuint remoteCount) =>
        ProcessVmRetry(&ProcessVmWritevNative, pid, localIov, localCount, remoteIov, remoteCount);

    private static (long Count, Errno? Error) ProcessVmRetry(
        delegate*<int, Iovec*, nuint, Iovec*, nuint, nuint, nint> call, int pid, Iovec* localIov, nuint localCount, Iovec* remoteIov, nuint remoteCount)
    {
        while (true)
        {
            nint n = call(pid, localIov, localCount, remoteIov, remoteCount, 0);
            if (n >= 0)
            {
                return (n, null);
            }
            if (!LastCallWasInterrupted())
            {
                return (0, LastErrno());
            }
        }
    }
}
