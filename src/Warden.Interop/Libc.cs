using System.Runtime.InteropServices;
using Warden.Errors;

namespace Warden.Interop;

/// <summary>
/// The Linux C library calls Warden makes, one family per file (<c>Libc.*.cs</c>). Each wrapper keeps
/// the native name and argument order, retries <c>EINTR</c>, and returns the <see cref="Errno"/>
/// read right after the call instead of throwing.
/// </summary>
internal static partial class Libc
{
    private const string LibraryName = "libc";

    private const int EintrNumber = 4;

    /// <summary>Returns the errno of the last P/Invoke made with <c>SetLastError = true</c> on this thread.</summary>
    private static Errno LastErrno() => Errno.FromNumber(Marshal.GetLastPInvokeError());

    private static bool LastCallWasInterrupted() => Marshal.GetLastPInvokeError() == EintrNumber;
}
