using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary><c>SYS_futex</c> on x86-64.</summary>
    public const long SYS_futex = 202;

    /// <summary><c>FUTEX_WAIT</c>: sleep while the word holds the expected value.</summary>
    public const int FUTEX_WAIT = 0;

    /// <summary><c>FUTEX_WAKE</c>: wake up to the given number of waiters.</summary>
    public const int FUTEX_WAKE = 1;

    /// <summary><c>FUTEX_PRIVATE_FLAG</c>: the word is not shared with other processes.</summary>
    public const int FUTEX_PRIVATE_FLAG = 128;

    // glibc's syscall() is variadic, but it only moves its integer arguments into registers, so a
    // fixed signature with integer arguments calls it correctly on x86-64.
    [LibraryImport(LibraryName, EntryPoint = "syscall", SetLastError = true)]
    private static partial long FutexNative(long number, int* uaddr, int op, int val, void* timeout, int* uaddr2, int val3);

    /// <summary>
    /// <c>futex(FUTEX_WAIT | FUTEX_PRIVATE_FLAG)</c> with no timeout: sleeps while
    /// <c>*<paramref name="uaddr"/> == <paramref name="expected"/></c>, until woken.
    /// </summary>
    /// <returns>
    /// <c>null</c> when woken; <c>EAGAIN</c> if the word did not hold <paramref name="expected"/>;
    /// <c>EINTR</c> if a signal interrupted the wait (the caller re-checks its condition and waits again).
    /// </returns>
    /// <remarks><b>Preconditions:</b> <paramref name="uaddr"/> is 4-byte aligned and stays valid (pinned) during the call.</remarks>
    [SupportedOSPlatform("linux")]
    public static Errno? FutexWait(int* uaddr, int expected) =>
        FutexNative(SYS_futex, uaddr, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, expected, null, null, 0) == 0 ? null : LastErrno();

    /// <summary><c>futex(FUTEX_WAKE | FUTEX_PRIVATE_FLAG)</c>: wakes up to <paramref name="count"/> threads waiting on <paramref name="uaddr"/>.</summary>
    /// <returns>How many were woken, or the errno.</returns>
    /// <remarks><b>Preconditions:</b> <paramref name="uaddr"/> is 4-byte aligned.</remarks>
    [SupportedOSPlatform("linux")]
    public static (int Woken, Errno? Error) FutexWake(int* uaddr, int count)
    {
        long r = FutexNative(SYS_futex, uaddr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, count, null, null, 0);
        return r < 0 ? (0, LastErrno()) : ((int)r, null);
    }
}
