using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Tasks;

/// <summary>
/// Scheduling and I/O priorities (nice, renice, ionice): native/priority.c and busybox's applets,
/// against the native run. The values are kept per task and inherited; Warden does not schedule by them.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class PriorityProgramTests
{
    private static readonly NativeTestProgram s_priority = new("priority.c", "the priority program");

    public PriorityProgramTests() => KernelRunner.RequirePtrace();

    [SkippableFact]
    public void Priorities_AreKeptAsOnLinux()
    {
        Skip.IfNot(Environment.IsPrivilegedProcess, "The priority program lowers its nice value, which needs root.");
        string program = s_priority.Path;
        var spec = new RunSpec(program, [program]);
        RunResult native = NativeRunner.Run(spec);
        Assert.Contains("child inherits nice 19 ioprio 16393", native.StdoutText, StringComparison.Ordinal);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }

    [SkippableFact]
    public void BusyboxReniceAndIonice_Work()
    {
        Busybox.Require();
        RunSpec spec = RunSpec.Busybox("sh", "-c",
            "busybox renice -n 3 $$ > /dev/null; echo $?; busybox ionice -c 3 busybox true; echo $?; busybox ionice -p $$");
        RunResult native = NativeRunner.Run(spec);
        Assert.StartsWith("0\n0\n", native.StdoutText, StringComparison.Ordinal);
        RunResult.AssertSame(native, KernelRunner.Run(spec));
    }
}
