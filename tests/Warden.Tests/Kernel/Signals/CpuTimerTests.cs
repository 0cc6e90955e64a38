using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Signals;

/// <summary>
/// ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time as on Linux
/// (<c>native/itimer_cpu.c</c>, built with <c>gcc -static</c>, run natively and under Warden): a
/// program computing without system calls gets SIGVTALRM and SIGPROF every period, a sleeping one
/// does not, and getitimer reads a setting (plus a tick) while armed and 0 once disarmed; the
/// CPU-time clocks (process, thread, clock_getcpuclockid's) advance while it computes only.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class CpuTimerTests : IDisposable
{
    private static readonly NativeTestProgram s_program = new("itimer_cpu.c", "the CPU timer program");

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
}
