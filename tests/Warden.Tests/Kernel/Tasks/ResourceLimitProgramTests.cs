using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Tasks;

/// <summary>
/// RLIMIT_FSIZE and RLIMIT_CPU enforced as Linux enforces them, against the native run:
/// native/file_size_limit.c (cut-short writes, EFBIG and SIGXFSZ for writes and truncates), and
/// busybox shells under <c>ulimit -f</c> and <c>ulimit -t</c> (SIGXCPU each second past the soft
/// limit, SIGKILL at the hard one). The CPU-limit runs spin for one or two seconds each.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class ResourceLimitProgramTests : IDisposable
{
    private static readonly NativeTestProgram s_fileSizeLimit = new("file_size_limit.c", "the file size limit program");

    private readonly string _dir = Directory.CreateTempSubdirectory("warden-rlimit-").FullName;

    public ResourceLimitProgramTests() => KernelRunner.RequirePtrace();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private RunResult Same(RunSpec spec, string subdirectory)
    {
        string native = Directory.CreateDirectory(Path.Combine(_dir, subdirectory, "native")).FullName;
        string warden = Directory.CreateDirectory(Path.Combine(_dir, subdirectory, "warden")).FullName;
        RunResult expected = NativeRunner.Run(spec with { WorkingDirectory = native });
        RunResult.AssertSame(expected, KernelRunner.Run(spec with { WorkingDirectory = warden }));
        return expected;
    }

    [SkippableFact]
    public void FileSizeLimit_CutsWritesAndRaisesSigxfsz()
    {
        string program = s_fileSizeLimit.Path;
        RunResult native = Same(new RunSpec(program, [program]), "program");
        Assert.Contains("write 8192 across the limit: 1808", native.StdoutText, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void FileSizeLimit_KillsDdWithSigxfsz()
    {
        Busybox.Require();
        RunResult native = Same(RunSpec.Busybox("sh", "-c",
            "ulimit -f 1; busybox dd if=/dev/zero of=big bs=4096 count=2 2>/dev/null; echo $?; busybox stat -c %s big"), "dd");
        Assert.StartsWith("153\n", native.StdoutText, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void CpuLimit_SendsSigxcpuThenSigkill()
    {
        Busybox.Require();
        RunResult native = Same(RunSpec.Busybox("sh", "-c",
            "ulimit -S -t 1; ulimit -H -t 2; busybox sh -c 'trap \"echo xcpu\" XCPU; while :; do :; done'; echo $?"), "cpu");
        Assert.Equal("xcpu\n137\n", native.StdoutText);
    }
}
