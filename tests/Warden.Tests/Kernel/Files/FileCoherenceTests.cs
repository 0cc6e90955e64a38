using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Files;

/// <summary>
/// A mapped file and read(2), write(2), pwrite(2), O_APPEND writes and ftruncate(2) of it, through
/// the open that mapped it and through others, from a forked child too: one page cache, as Linux's.
/// The expected output is the native run's.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class FileCoherenceTests : IDisposable
{
    private static readonly NativeTestProgram s_program = new("file_coherence.c", "the file coherence test program");

    private readonly string _dir = Directory.CreateTempSubdirectory("warden-file-coherence-").FullName;

    public FileCoherenceTests() => KernelRunner.RequirePtrace();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void ReadsWritesAndTruncationSeeTheMappingsAndTheyThem()
    {
        var spec = new RunSpec(s_program.Path, [s_program.Path]) { WorkingDirectory = _dir };
        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);
        RunResult.AssertSame(native, warden);
        Assert.Equal(0, native.ShellStatus);
        Assert.Contains("after pwrite, other open: bbaa\n", native.StdoutText, StringComparison.Ordinal);
    }
}
