using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary>The size of <c>struct utsname</c>: six fields of 65 bytes.</summary>
    public const int UtsnameSize = 390;

    /// <summary>The size of x86-64's <c>struct sysinfo</c>.</summary>
    public const int SysinfoSize = 112;

    [LibraryImport(LibraryName, EntryPoint = "uname", SetLastError = true)]
    private static partial int UnameNative(byte* buf);

    [LibraryImport(LibraryName, EntryPoint = "sysinfo", SetLastError = true)]
    private static partial int SysinfoNative(byte* buf);

    [LibraryImport(LibraryName, EntryPoint = "getrandom", SetLastError = true)]
    private static partial nint GetrandomNative(byte* buf, nuint length, uint flags);

    [LibraryImport(LibraryName, EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGettimeNative(int clock, long* ts);

    [LibraryImport(LibraryName, EntryPoint = "clock_getres", SetLastError = true)]
    private static partial int ClockGetresNative(int clock, long* ts);

    [LibraryImport(LibraryName, EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static partial int SchedGetaffinityNative(int pid, nuint size, byte* mask);

    /// <summary><c>uname(2)</c> into <paramref name="utsname"/> (<see cref="UtsnameSize"/> bytes).</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? Uname(Span<byte> utsname)
    {
        CheckSize(utsname, UtsnameSize);
        fixed (byte* p = utsname)
        {
            return UnameNative(p) == 0 ? null : LastErrno();
        }
    }

    /// <summary><c>sysinfo(2)</c> into <paramref name="info"/> (<see cref="SysinfoSize"/> bytes).</summary>
    [SupportedOSPlatform("linux")]
    public static Errno? Sysinfo(Span<byte> info)
    {
        CheckSize(info, SysinfoSize);
        fixed (byte* p = info)
        {
            return SysinfoNative(p) == 0 ? null : LastErrno();
        }
    }

    /// <summary><c>getrandom(2)</c>.</summary>
    /// <returns>The bytes filled, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (int Count, Errno? Error) Getrandom(Span<byte> buffer, uint flags)
    {
        fixed (byte* p = buffer)
        {
            nint r = GetrandomNative(p, (nuint)buffer.Length, flags);
            return r < 0 ? (0, LastErrno()) : ((int)r, null);
        }
    }

    /// <summary><c>clock_gettime(2)</c>.</summary>
    /// <returns>Seconds and nanoseconds, or the errno (<c>EINVAL</c> for an unknown clock).</returns>
    [SupportedOSPlatform("linux")]
    public static (long Seconds, long Nanoseconds, Errno? Error) ClockGettime(int clock)
    {
        long* ts = stackalloc long[2];
        return ClockGettimeNative(clock, ts) == 0 ? (ts[0], ts[1], null) : (0, 0, LastErrno());
    }

    /// <summary><c>clock_getres(2)</c>.</summary>
    /// <returns>The resolution in seconds and nanoseconds, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (long Seconds, long Nanoseconds, Errno? Error) ClockGetres(int clock)
    {
        long* ts = stackalloc long[2];
        return ClockGetresNative(clock, ts) == 0 ? (ts[0], ts[1], null) : (0, 0, LastErrno());
    }

    /// <summary><c>sched_getaffinity(2)</c> of the calling thread into <paramref name="mask"/>.</summary>
    /// <returns>The bytes of the mask the kernel filled, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (int Count, Errno? Error) SchedGetaffinity(Span<byte> mask)
    {
        fixed (byte* p = mask)
        {
            // glibc's wrapper returns 0 and zero-fills the rest; the size the kernel used is what callers want.
            int r = SchedGetaffinityNative(0, (nuint)mask.Length, p);
            return r < 0 ? (0, LastErrno()) : (mask.Length, null);
        }
    }
}
