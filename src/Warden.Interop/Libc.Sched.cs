using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary>The size of glibc's <c>cpu_set_t</c> in bytes (1024 CPUs).</summary>
    public const int CpuSetSize = 128;

    [LibraryImport(LibraryName, EntryPoint = "getpriority")]
    private static partial int GetpriorityNative(int which, uint who);

    [LibraryImport(LibraryName, EntryPoint = "sched_getcpu", SetLastError = true)]
    private static partial int SchedGetcpuNative();

    [LibraryImport(LibraryName, EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetaffinityNative(int pid, nuint cpusetsize, ulong* mask);

    [LibraryImport(LibraryName, EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static partial int SchedGetaffinityNative(int pid, nuint cpusetsize, ulong* mask);

    /// <summary>The calling process's nice value (<c>getpriority(PRIO_PROCESS, 0)</c>, which cannot fail for the caller itself).</summary>
    [SupportedOSPlatform("linux")]
    public static int OwnNice() => GetpriorityNative(0, 0);

    /// <summary><c>sched_getcpu(3)</c>: the CPU the calling thread is running on (answered in user space where the vDSO allows).</summary>
    /// <returns>The CPU number, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (int Cpu, Errno? Error) SchedGetcpu()
    {
        int cpu = SchedGetcpuNative();
        return cpu < 0 ? (0, LastErrno()) : (cpu, null);
    }

    /// <summary><c>sched_getaffinity(2)</c>: the CPUs thread <paramref name="tid"/> (0: the caller) may run on, into <paramref name="mask"/>.</summary>
    /// <returns><c>null</c>, or the errno.</returns>
    /// <remarks><b>Preconditions:</b> <paramref name="mask"/> holds at least <see cref="CpuSetSize"/> bytes.</remarks>
    [SupportedOSPlatform("linux")]
    public static Errno? SchedGetaffinity(int tid, Span<ulong> mask)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mask.Length, CpuSetSize / sizeof(ulong));
        fixed (ulong* p = mask)
        {
            return SchedGetaffinityNative(tid, CpuSetSize, p) >= 0 ? null : LastErrno();
        }
    }

    /// <summary><c>sched_setaffinity(2)</c>: thread <paramref name="tid"/> (0: the caller) may run only on the CPUs in <paramref name="mask"/>.</summary>
    /// <returns><c>null</c>, or the errno.</returns>
    /// <remarks><b>Preconditions:</b> <paramref name="mask"/> holds at least <see cref="CpuSetSize"/> bytes.</remarks>
    [SupportedOSPlatform("linux")]
    public static Errno? SchedSetaffinity(int tid, ReadOnlySpan<ulong> mask)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mask.Length, CpuSetSize / sizeof(ulong));
        fixed (ulong* p = mask)
        {
            return SchedSetaffinityNative(tid, CpuSetSize, p) == 0 ? null : LastErrno();
        }
    }

    /// <summary><c>sched_setaffinity(2)</c> with a mask of the one CPU <paramref name="cpu"/>: thread <paramref name="tid"/> may run only there.</summary>
    /// <returns><c>null</c>, or the errno (<c>EINVAL</c> if the CPU is not allowed, e.g. outside the cpuset).</returns>
    /// <remarks><b>Preconditions:</b> 0 &lt;= <paramref name="cpu"/> &lt; 1024.</remarks>
    [SupportedOSPlatform("linux")]
    public static Errno? SchedSetaffinityToCpu(int tid, int cpu)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cpu, CpuSetSize * 8);
        ulong* mask = stackalloc ulong[CpuSetSize / sizeof(ulong)];
        new Span<ulong>(mask, CpuSetSize / sizeof(ulong)).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        return SchedSetaffinityNative(tid, CpuSetSize, mask) == 0 ? null : LastErrno();
    }
}
