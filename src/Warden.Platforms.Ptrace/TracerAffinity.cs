using System.Diagnostics;
using System.Runtime.Versioning;
using Warden.Errors;
using Warden.Interop;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// Keeps a tracer thread on one CPU while it runs a stub thread, so that the stub's stops wake it
/// there (see <see cref="TracedThread.BindToCurrentCpu"/>, which puts the stub thread on the same CPU).
/// </summary>
/// <remarks>
/// <para>
/// Without it the kernel, waking a tracer whose CPU is still busy with the stopping stub thread,
/// prefers an idle CPU, and each round trip then crosses CPUs twice (measured on a 2-vCPU VM: 22 to
/// 39 µs per system call round trip unpinned, 11 to 13 µs pinned). Setting a thread's affinity costs
/// a few microseconds, so it is not done per switch: the thread stays bound to its CPU, and at the end
/// of the first switch after <see cref="Lease"/> has passed its own CPU set is given back, letting the
/// scheduler move it before it binds again. A thread that stops switching stays bound until its
/// next switch. Threads whose affinity cannot be read or set are left alone.
/// </para>
/// <para>Every member acts on the calling thread only.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal static class TracerAffinity
{
    /// <summary>How long a thread keeps its CPU before the scheduler gets a chance to move it.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMilliseconds(100);

    private static readonly long s_leaseTicks = (long)(Lease.TotalSeconds * Stopwatch.Frequency);

    // The thread's own CPU set while it is bound (null when not bound), the CPU it is bound to, when
    // it was bound, and whether binding failed for good.
    [ThreadStatic]
    private static ulong[]? t_original;

    [ThreadStatic]
    private static bool t_bound;

    [ThreadStatic]
    private static int t_cpu;

    [ThreadStatic]
    private static long t_boundAt;

    [ThreadStatic]
    private static bool t_unavailable;

    /// <summary>Binds the calling thread to the CPU it is on, unless it is bound there already.</summary>
    public static void Enter()
    {
        if (t_unavailable)
        {
            return;
        }
        (int cpu, Errno? error) = Libc.SchedGetcpu();
        if (error is not null || (t_bound && cpu == t_cpu))
        {
            return;
        }
        ulong[] original = t_original ??= new ulong[Libc.CpuSetSize / sizeof(ulong)];
        if (!t_bound && Libc.SchedGetaffinity(0, original) is not null)
        {
            t_unavailable = true;
            return;
        }
        if (cpu >= Libc.CpuSetSize * 8 || Libc.SchedSetaffinityToCpu(0, cpu) is not null)
        {
            t_unavailable = true;
            return;
        }
        t_bound = true;
        t_cpu = cpu;
        t_boundAt = Stopwatch.GetTimestamp();
    }

    /// <summary>Gives the calling thread its own CPU set back if it has been bound for longer than <see cref="Lease"/>.</summary>
    public static void Leave()
    {
        if (t_bound && Stopwatch.GetTimestamp() - t_boundAt > s_leaseTicks)
        {
            Release();
        }
    }

    /// <summary>Gives the calling thread its own CPU set back now, if it is bound.</summary>
    public static void Release()
    {
        if (t_bound)
        {
            t_bound = false;
            _ = Libc.SchedSetaffinity(0, t_original);
        }
    }
}
