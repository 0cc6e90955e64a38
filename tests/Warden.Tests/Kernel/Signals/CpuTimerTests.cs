using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Signals;

/// <summary>
/// ITIMER_VIRTUAL, ITIMER_PROF, the CPU-time clocks and resource usage count the program's CPU time as on Linux
/// (<c>native/itimer_cpu.c</c>, built with <c>gcc -static</c>, run natively and under Warden): a
/// program computing without system calls gets SIGVTALRM and SIGPROF every period, a sleeping one
/// does not, and getitimer reads a setting (plus a tick) while armed and 0 once disarmed; the
/// CPU-time clocks (process, thread, clock_getcpuclockid's) advance while it computes only.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class CpuTimerTests : IDisposable
{
    private static readonly NativeTestProgram s_program = new("itimer_cpu.c", "the CPU timer program");
    private static readonly NativeTestProgram s_rusage = new("rusage.c", "the resource usage program");

    private readonly string _dir = Directory.CreateTempSubdirectory("warden-cpu-timers-").FullName;

    public CpuTimerTests() => KernelRunner.RequirePtrace();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void VirtualAndProfTimersAndCpuClocksCountTheProgramsCpuTime()
    {
        var spec = new RunSpec(s_program.Path, [s_program.Path]) { WorkingDirectory = _dir };
        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);
        RunResult.AssertSame(native, warden);
        Assert.Equal(0, native.ShellStatus);
        string output = native.StdoutText;
        Assert.Contains("ITIMER_VIRTUAL: three signals while computing: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("ITIMER_PROF: three signals while computing: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("ITIMER_VIRTUAL while asleep: expired: no\n", output, StringComparison.Ordinal);
        Assert.Contains("computing 0.2 s: the process, thread and pid clocks advance 0.1 to 0.5 s: yes yes yes\n", output, StringComparison.Ordinal);
        Assert.Contains("sleeping 0.2 s: the process clock advances less than 0.05 s: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("clock_getcpuclockid of no process: ESRCH\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain(": no\n", output.Replace("expired: no\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.EndsWith("done\n", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// getrusage (self, thread, children), wait4's struct rusage and times count the CPU time a
    /// program and its reaped child computed, as on Linux; an unknown <c>who</c> is EINVAL.
    /// </summary>
    [SkippableFact]
    public void ResourceUsageCountsOwnAndReapedChildrensCpuTime()
    {
        var spec = new RunSpec(s_rusage.Path, [s_rusage.Path]) { WorkingDirectory = _dir };
        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);
        RunResult.AssertSame(native, warden);
        Assert.Equal(0, native.ShellStatus);
        string output = native.StdoutText;
        Assert.DoesNotContain(": no", output, StringComparison.Ordinal);
        Assert.Contains("wait4's rusage of a child that computed 0.2 s: 0.1 to 0.5 s: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("getrusage(5): -1 (EINVAL)\n", output, StringComparison.Ordinal);
        Assert.EndsWith("done\n", output, StringComparison.Ordinal);
    }
}
