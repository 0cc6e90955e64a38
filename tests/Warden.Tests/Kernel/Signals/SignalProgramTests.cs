using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Signals;

/// <summary>
/// Static C programs about signals and time (in <c>native/</c>, built with <c>gcc -static</c>) print,
/// under Warden, exactly what they print natively, and end with the same status. Each prints only
/// what any correct kernel makes the same (yes/no and errno names, no times), and the test asserts
/// a few lines of the native run too, so that a program that went wrong natively is not the oracle.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class SignalProgramTests : IDisposable
{
    private static readonly NativeTestProgram s_restartSleep = new("restart_sleep.c", "the sleep restart program");
    private static readonly NativeTestProgram s_cpuTimers = new("itimer_cpu.c", "the CPU timer program");
    private static readonly NativeTestProgram s_rusage = new("rusage.c", "the resource usage program");

    private readonly string _dir = Directory.CreateTempSubdirectory("warden-signal-programs-").FullName;

    public SignalProgramTests() => KernelRunner.RequirePtrace();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // The native run's output, once Warden's is the same.
    private string Same(NativeTestProgram program)
    {
        var spec = new RunSpec(program.Path, [program.Path]) { WorkingDirectory = _dir };
        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);
        RunResult.AssertSame(native, warden);
        Assert.Equal(0, native.ShellStatus);
        Assert.EndsWith("done\n", native.StdoutText, StringComparison.Ordinal);
        return native.StdoutText;
    }

    /// <summary>
    /// A stopped and continued nanosleep or poll goes on to its first deadline through
    /// restart_syscall; a handler makes nanosleep fail with EINTR and write the time left;
    /// restart_syscall with nothing to restart is EINTR.
    /// </summary>
    [SkippableFact]
    public void StoppedSleepsEndAtTheirDeadline_AndHandlersMakeThemFailWithTheTimeLeft()
    {
        string output = Same(s_restartSleep);
        Assert.Contains("nanosleep stopped and continued: returns 0, ends by its deadline: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("poll stopped and continued: returns 0, ends by its deadline: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("nanosleep with a handler: returns -1 (EINTR), time left between 0.5 s and 1 s: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("restart_syscall with nothing to restart: -1 (EINTR)\n", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A program computing without system calls gets SIGVTALRM and SIGPROF every period, a sleeping
    /// one does not, and getitimer reads a setting (plus a tick) while armed and 0 once disarmed; the
    /// CPU-time clocks (process, thread, clock_getcpuclockid's) advance while it computes only.
    /// </summary>
    [SkippableFact]
    public void VirtualAndProfTimersAndCpuClocksCountTheProgramsCpuTime()
    {
        string output = Same(s_cpuTimers);
        Assert.Contains("ITIMER_VIRTUAL: three signals while computing: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("ITIMER_PROF: three signals while computing: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("ITIMER_VIRTUAL while asleep: expired: no\n", output, StringComparison.Ordinal);
        Assert.Contains("computing 0.2 s: the process, thread and pid clocks advance 0.1 to 0.5 s: yes yes yes\n", output, StringComparison.Ordinal);
        Assert.Contains("sleeping 0.2 s: the process clock advances less than 0.05 s: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("clock_getcpuclockid of no process: ESRCH\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain(": no\n", output.Replace("expired: no\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    /// <summary>
    /// getrusage (self, thread, children), wait4's struct rusage and times count the CPU time a
    /// program and its reaped child computed; an unknown <c>who</c> is EINVAL.
    /// </summary>
    [SkippableFact]
    public void ResourceUsageCountsOwnAndReapedChildrensCpuTime()
    {
        string output = Same(s_rusage);
        Assert.DoesNotContain(": no", output, StringComparison.Ordinal);
        Assert.Contains("wait4's rusage of a child that computed 0.2 s: 0.1 to 0.5 s: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("getrusage(5): -1 (EINVAL)\n", output, StringComparison.Ordinal);
    }
}
