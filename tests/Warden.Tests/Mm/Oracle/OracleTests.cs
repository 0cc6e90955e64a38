using Xunit;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// Linux as oracle (issue 5): seeded sequences of mmap, munmap, mprotect, mremap, madvise, writes
/// and reads applied to a Warden <c>MemoryManager</c> and to the real kernel (in a reserved window of
/// this process) must give the same results, errnos, per-page states and contents; the brk
/// sequences do the same against a child process, whose break is its own.
/// </summary>
[Collection(OracleCollection.Name)]
public class OracleTests
{
    /// <summary>How many seeds each theory runs in CI (<see cref="OracleSettings"/> names the variables that change it).</summary>
    public const int SeedCount = 100;

    public const int BrkSeedCount = 20;

    public static TheoryData<int> Seeds() => OracleSettings.Seeds("WARDEN_ORACLE_SEEDS", SeedCount);

    public static TheoryData<int> BrkSeeds() => OracleSettings.Seeds("WARDEN_ORACLE_BRK_SEEDS", BrkSeedCount);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void WardenMatchesTheKernel(int seed)
    {
        string? report = Run(seed);
        Assert.True(report is null, report);
    }

    /// <summary>Seeds of the wider sequences (mincore, mlock family, more madvise, vma lists compared) against a child, with brk.</summary>
    public const int WideSeedCount = 20;

    public static TheoryData<int> WideSeeds() => OracleSettings.Seeds("WARDEN_ORACLE_WIDE_SEEDS", WideSeedCount);

    [SkippableTheory]
    [MemberData(nameof(WideSeeds))]
    public void WardenMatchesTheKernelWithTheWiderOps(int seed)
    {
        string? report = RunWide(seed);
        Assert.True(report is null, report);
    }

    /// <summary>Runs wider sequence <paramref name="seed"/> against a child process; <c>null</c> or the mismatch report.</summary>
    public static string? RunWide(int seed) => RunWide(seed, OracleCollection.OpsPerSeed);

    public static string? RunWide(int seed, int opCount)
    {
        using var kernel = ChildProcessKernelTarget.Start(OracleWindow.Default);
        using var warden = new WardenTarget(kernel.Window, kernel.InitialBrk, kernel.HeapStart);
        return OracleRunner.Run(seed, opCount, kernel, warden, kernel.InitialBrk, wide: true);
    }

    [SkippableTheory]
    [MemberData(nameof(BrkSeeds))]
    public void WardenMatchesTheKernelWithBrk(int seed)
    {
        string? report = RunBrk(seed);
        Assert.True(report is null, report);
    }

    /// <summary>Runs sequence <paramref name="seed"/> against the in-process kernel; <c>null</c> or the mismatch report.</summary>
    public static string? Run(int seed) => Run(seed, OracleCollection.OpsPerSeed);

    public static string? Run(int seed, int opCount)
    {
        using var kernel = new KernelTarget(OracleWindow.Default);
        using var warden = new WardenTarget(OracleWindow.Default);
        return OracleRunner.Run(seed, opCount, kernel, warden);
    }

    /// <summary>Runs brk sequence <paramref name="seed"/> against a child process; <c>null</c> or the mismatch report.</summary>
    public static string? RunBrk(int seed) => RunBrk(seed, OracleCollection.OpsPerSeed);

    public static string? RunBrk(int seed, int opCount)
    {
        using var kernel = ChildProcessKernelTarget.Start(OracleWindow.Default);
        using var warden = new WardenTarget(kernel.Window, kernel.InitialBrk, kernel.HeapStart);
        return OracleRunner.Run(seed, opCount, kernel, warden, kernel.InitialBrk);
    }
}
