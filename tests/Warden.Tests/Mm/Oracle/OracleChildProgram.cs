using Warden.Tests.Infrastructure;

namespace Warden.Tests.Mm.Oracle;

/// <summary><c>native/oracle_child.c</c>, built once per test run, for <see cref="ChildProcessKernelTarget"/>.</summary>
public static class OracleChildProgram
{
    private static readonly NativeTestProgram s_program = new("oracle_child.c", "the oracle's child process");

    /// <summary>The compiled program's path; skips the calling test without gcc (fails it in CI).</summary>
    public static string Path => s_program.Path;
}
