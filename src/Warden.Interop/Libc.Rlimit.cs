using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary><c>RLIM_INFINITY</c>.</summary>
    public const ulong RLIM_INFINITY = ulong.MaxValue;

    [LibraryImport(LibraryName, EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetrlimitNative(int resource, ulong* rlim);

    /// <summary><c>getrlimit(2)</c> of Warden's own process.</summary>
    /// <returns>The soft and hard limits, or the errno (EINVAL for an unknown resource).</returns>
    [SupportedOSPlatform("linux")]
    public static (ulong Current, ulong Maximum, Errno? Error) Getrlimit(int resource)
    {
        ulong* rlim = stackalloc ulong[2];
        return GetrlimitNative(resource, rlim) == 0 ? (rlim[0], rlim[1], null) : (0, 0, LastErrno());
    }
}
