using Warden.Tests.Infrastructure;

namespace Warden.Tests.Mm.Fuzz;

/// <summary><c>native/fuzz_child.c</c>, built once per test run, for <see cref="FuzzChild"/>.</summary>
public static class FuzzChildProgram
{
    private static readonly NativeTestProgram s_program = new("fuzz_child.c", "the kernel fuzzer's child process");

    /// <summary>The compiled program's path; skips the calling test without gcc (fails it in CI).</summary>
    public static string Path => s_program.Path;
}
