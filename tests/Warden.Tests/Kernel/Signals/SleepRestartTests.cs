using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Signals;

/// <summary>
/// Sleeps a signal interrupts end as on Linux (<c>native/restart_sleep.c</c>, built with
/// <c>gcc -static</c>, run natively and under Warden): a stopped and continued nanosleep or poll goes
/// on to its first deadline through restart_syscall, a handler makes nanosleep fail with EINTR and
/// write the time left, and restart_syscall with nothing to restart is EINTR.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class SleepRestartTests : IDisposable
{
    private static readonly NativeTestProgram s_program = new("restart_sleep.c", "the sleep restart program");

    private readonly string _dir = Directory.CreateTempSubdirectory("warden-sleep-restart-").FullName;

    public SleepRestartTests() => KernelRunner.RequirePtrace();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void StoppedSleepsEndAtTheirDeadline_AndHandlersMakeThemFailWithTheTimeLeft()
    {
        var spec = new RunSpec(s_program.Path, [s_program.Path]) { WorkingDirectory = _dir };
        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);
        RunResult.AssertSame(native, warden);
        Assert.Equal(0, native.ShellStatus);
        string output = native.StdoutText;
        Assert.Contains("nanosleep stopped and continued: returns 0, ends by its deadline: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("poll stopped and continued: returns 0, ends by its deadline: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("nanosleep with a handler: returns -1 (EINTR), time left between 0.5 s and 1 s: yes\n", output, StringComparison.Ordinal);
        Assert.Contains("restart_syscall with nothing to restart: -1 (EINTR)\n", output, StringComparison.Ordinal);
        Assert.EndsWith("done\n", output, StringComparison.Ordinal);
    }
}
