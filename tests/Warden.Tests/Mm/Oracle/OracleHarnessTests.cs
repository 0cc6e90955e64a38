using Warden.HostArch;
using Warden.Interop;
using Warden.Mm;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// Checks of the oracle harness itself: the kernel agrees with itself across two windows and across
/// processes (so a Warden mismatch is Warden's, not the harness's), the generator is deterministic,
/// and the kernel targets refuse anything that could touch memory outside their window.
/// </summary>
[Collection(OracleCollection.Name)]
public class OracleHarnessTests
{
    public static TheoryData<int> Seeds(int count)
    {
        var data = new TheoryData<int>();
        for (int seed = 0; seed < count; seed++)
        {
            data.Add(seed);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds), 8)]
    public void KernelAgreesWithItselfAcrossTwoWindows(int seed)
    {
        using var a = new KernelTarget(OracleWindow.Default);
        using var b = new KernelTarget(OracleCollection.SecondWindow);
        string? report = OracleRunner.Run(seed, OracleCollection.OpsPerSeed, a, b);
        Assert.True(report is null, report);
    }

    [SkippableTheory]
    [MemberData(nameof(Seeds), 4)]
    public void ChildProcessAgreesWithTheInProcessKernel(int seed)
    {
        using var child = ChildProcessKernelTarget.Start(OracleWindow.Default, withBrk: false);
        using var kernel = new KernelTarget(OracleCollection.SecondWindow);
        string? report = OracleRunner.Run(seed, OracleCollection.OpsPerSeed, child, kernel);
        Assert.True(report is null, report);
    }

    /// <summary>The wider kinds (no mlockall: one side is this process) agree between a child and this process.</summary>
    [SkippableTheory]
    [MemberData(nameof(Seeds), 4)]
    public void ChildProcessAgreesWithTheInProcessKernelOnTheWiderOps(int seed)
    {
        using var child = ChildProcessKernelTarget.Start(OracleWindow.Default, withBrk: false);
        using var kernel = new KernelTarget(OracleCollection.SecondWindow);
        string? report = OracleRunner.Run(seed, OracleCollection.OpsPerSeed, child, kernel, wide: true);
        Assert.True(report is null, report);
    }

    [SkippableTheory]
    [MemberData(nameof(Seeds), 4)]
    public void BrkSequencesRepeatAcrossTwoChildren(int seed)
    {
        using var a = ChildProcessKernelTarget.Start(OracleWindow.Default);
        using var b = ChildProcessKernelTarget.Start(OracleWindow.Default);
        Assert.Equal(a.InitialBrk, b.InitialBrk);
        string? report = OracleRunner.Run(seed, OracleCollection.OpsPerSeed, a, b, a.InitialBrk);
        Assert.True(report is null, report);
    }

    [Fact]
    public void TheSameSeedAndResultsGiveTheSameOps()
    {
        Assert.Equal(Generate(7, 0), Generate(7, 0));
        Assert.Equal(Generate(7, 0x4c_8123), Generate(7, 0x4c_8123));
        Assert.NotEqual(Generate(7, 0), Generate(8, 0));
    }

    [Fact]
    public void TheSameSeedAgainstTheKernelGivesTheSameOps()
    {
        List<OracleOp> first;
        List<OracleOp> second;
        using (var a = new KernelTarget(OracleWindow.Default))
        using (var b = new KernelTarget(OracleCollection.SecondWindow))
        {
            Assert.Null(OracleRunner.Run(3, 100, a, b, out first));
        }
        using (var a = new KernelTarget(OracleWindow.Default))
        using (var b = new KernelTarget(OracleCollection.SecondWindow))
        {
            Assert.Null(OracleRunner.Run(3, 100, a, b, out second));
        }
        Assert.Equal(first, second);
    }

    [Fact]
    public void GeneratedSequencesCoverTheEdgeCases()
    {
        List<OracleOp> ops = [];
        for (int seed = 0; seed < 20; seed++)
        {
            ops.AddRange(Generate(seed, 0));
        }
        Assert.Contains(ops, op => op is OracleOp.Mmap { Flags: var f } && (f & LinuxMman.MAP_FIXED_NOREPLACE) != 0);
        Assert.Contains(ops, op => op is OracleOp.Mmap { Flags: var f } && (f & LinuxMman.MAP_GROWSDOWN) != 0);
        Assert.Contains(ops, op => op is OracleOp.Mmap { Flags: var f } && (f & LinuxMman.MAP_TYPE) is 0 or 4 or 0xf);
        Assert.Contains(ops, op => op is OracleOp.Mprotect { Prot: var p } && (p & LinuxMman.PROT_GROWSDOWN) != 0);
        Assert.Contains(ops, op => op is OracleOp.Munmap { Addr: var a } && (a & 0xfff) != 0);
        Assert.Contains(ops, op => op is OracleOp.Munmap { Len: 0 });
        Assert.Contains(ops, op => op is OracleOp.Mprotect { Len: > (1UL << 60) });
        Assert.Contains(ops, op => op is OracleOp.Mremap { OldLen: 0 });
        Assert.Contains(ops, op => op is OracleOp.Mremap { Flags: var f } && (f & LinuxMman.MREMAP_DONTUNMAP) != 0);
        Assert.Contains(ops, op => op is OracleOp.Mremap { Flags: LinuxMman.MREMAP_MAYMOVE | LinuxMman.MREMAP_FIXED });
        Assert.Contains(ops, op => op is OracleOp.Mremap m && m.NewLen < m.OldLen);
        Assert.Contains(ops, op => op is OracleOp.Madvise { Advice: LinuxMman.MADV_DONTNEED });
        Assert.Contains(ops, op => op is OracleOp.Write);
        Assert.Contains(ops, op => op is OracleOp.Read);
        Assert.Contains(Generate(1, 0x4c_8123), op => op is OracleOp.Brk);
    }

    [Fact]
    public void WideSequencesCoverTheWiderKinds()
    {
        List<OracleOp> ops = [];
        for (int seed = 0; seed < 20; seed++)
        {
            ops.AddRange(Generate(seed, 0x4c_8123, wide: true));
        }
        Assert.Contains(ops, op => op is OracleOp.Mincore);
        Assert.Contains(ops, op => op is OracleOp.Mlock { Flags: 0 });
        Assert.Contains(ops, op => op is OracleOp.Mlock { Flags: LinuxMman.MLOCK_ONFAULT });
        Assert.Contains(ops, op => op is OracleOp.Munlock);
        Assert.Contains(ops, op => op is OracleOp.Mlockall { Flags: var f } && (f & LinuxMman.MCL_FUTURE) != 0);
        Assert.Contains(ops, op => op is OracleOp.Mlockall { Flags: var f } && (f & LinuxMman.MCL_ONFAULT) != 0);
        Assert.Contains(ops, op => op is OracleOp.Munlockall);
        Assert.Contains(ops, op => op is OracleOp.Madvise { Advice: LinuxMman.MADV_FREE });
        Assert.Contains(ops, op => op is OracleOp.Madvise { Advice: LinuxMman.MADV_POPULATE_READ });
        Assert.Contains(ops, op => op is OracleOp.Madvise { Advice: LinuxMman.MADV_POPULATE_WRITE });
        Assert.Contains(ops, op => op is OracleOp.Madvise { Advice: LinuxMman.MADV_REMOVE });
        Assert.Contains(ops, op => op is OracleOp.Mmap { PlacedByPolicy: true, Flags: var f } && (f & LinuxMman.MAP_32BIT) != 0);
        Assert.Contains(ops, op => op is OracleOp.Mmap { Flags: var f } && (f & LinuxMman.MAP_FIXED_NOREPLACE) != 0);
        Assert.Contains(ops, op => op is OracleOp.Mmap { Flags: var f } && (f & LinuxMman.MAP_TYPE) == LinuxMman.MAP_SHARED && (f & LinuxMman.MAP_ANONYMOUS) != 0);
    }

    [Fact]
    public void SeedVariablesNameACountOrARange()
    {
        Assert.Equal((0, 100), OracleSettings.ParseSeeds(null, 100));
        Assert.Equal((0, 1000), OracleSettings.ParseSeeds("1000", 100));
        Assert.Equal((10000, 11000), OracleSettings.ParseSeeds("10000-11000", 100));
        Assert.Throws<FormatException>(() => OracleSettings.ParseSeeds("11000-10000", 100));
        Assert.Throws<FormatException>(() => OracleSettings.ParseSeeds("many", 100));
        Assert.Equal(OracleSettings.DefaultOpsPerSeed, OracleSettings.ParseOps(""));
        Assert.Equal(5000, OracleSettings.ParseOps("5000"));
        Assert.Throws<FormatException>(() => OracleSettings.ParseOps("0"));
    }

    [Fact]
    public void KernelTargetRefusesOpsThatReachOutsideTheWindow()
    {
        using var target = new KernelTarget(OracleWindow.Default);
        ulong start = OracleWindow.DefaultStart;
        Assert.Throws<InvalidOperationException>(() => target.Munmap(start - 0x1000, 0x2000));
        Assert.Throws<InvalidOperationException>(() => target.Mmap(start - 0x1000, 0x1000, 0, LinuxMman.MAP_PRIVATE | LinuxMman.MAP_ANONYMOUS | LinuxMman.MAP_FIXED));
        // Over the guards is inside the window but outside the op area.
        Assert.Throws<InvalidOperationException>(() => target.Munmap(start, 0x1000));
        // madvise and mprotect walk every mapping up to the end of a long range that does not wrap.
        Assert.Throws<InvalidOperationException>(() => target.Madvise(start + (2UL << 20), 1UL << 50, LinuxMman.MADV_DONTNEED));
        Assert.Throws<InvalidOperationException>(() => target.Mprotect(start + (2UL << 20), 1UL << 63, LinuxMman.PROT_READ));
        Assert.Throws<InvalidOperationException>(() => target.Write(start + OracleWindow.DefaultSize - 1, new byte[2]));
        // Lengths the kernel rejects up front are allowed, and fail as Linux says.
        Assert.Equal(22, target.Munmap(start + (2UL << 20), 1UL << 63).Errno);
        Assert.Equal(12, target.Mprotect(start + (2UL << 20), ulong.MaxValue, LinuxMman.PROT_READ).Errno);
        Assert.Equal(22, target.Madvise(start + (2UL << 20), ulong.MaxValue, LinuxMman.MADV_DONTNEED).Errno);
    }

    [Fact]
    public void ReadsSeeWriteOnlyPagesAsX86Does()
    {
        using var target = new KernelTarget(OracleWindow.Default);
        ulong at = OracleWindow.Default.OpStart;
        int rw = LinuxMman.PROT_READ | LinuxMman.PROT_WRITE;
        Assert.Equal((long)at, target.Mmap(at, 0x3000, rw, LinuxMman.MAP_PRIVATE | LinuxMman.MAP_ANONYMOUS | LinuxMman.MAP_FIXED).Result);
        Assert.Equal((0x3000L, 0), target.Write(at, Enumerable.Repeat((byte)0x5a, 0x3000).ToArray()));
        Assert.Equal(0, target.Mprotect(at + 0x1000, 0x1000, LinuxMman.PROT_WRITE).Errno);
        Assert.Equal(0, target.Mprotect(at + 0x2000, 0x1000, LinuxMman.PROT_NONE).Errno);
        var buffer = new byte[0x3000];
        // process_vm_readv alone would stop at the write-only page; copy_from_user reads it.
        Assert.Equal((0x2000L, 14), target.Read(at + 0, buffer));
        Assert.All(buffer[..0x2000], b => Assert.Equal(0x5a, b));
        Assert.Equal((0x1000L, 14), target.Write(at + 0x1000, new byte[0x2000]));
    }

    [SkippableFact]
    public void InteropConstantsMatchTheHeaders()
    {
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["stdio.h", "sys/mman.h"],
            """
            printf("MAP_FIXED\t%d\n", MAP_FIXED);
            printf("MAP_NORESERVE\t%d\n", MAP_NORESERVE);
            printf("MAP_FIXED_NOREPLACE\t%d\n", MAP_FIXED_NOREPLACE);
            printf("MREMAP_MAYMOVE\t%d\n", MREMAP_MAYMOVE);
            printf("MREMAP_FIXED\t%d\n", MREMAP_FIXED);
            printf("MREMAP_DONTUNMAP\t%d\n", MREMAP_DONTUNMAP);
            """));
        Assert.Equal(header["MAP_FIXED"], LinuxMman.MAP_FIXED.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(header["MAP_NORESERVE"], LinuxMman.MAP_NORESERVE.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(header["MAP_FIXED_NOREPLACE"], LinuxMman.MAP_FIXED_NOREPLACE.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(header["MREMAP_MAYMOVE"], LinuxMman.MREMAP_MAYMOVE.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(header["MREMAP_FIXED"], LinuxMman.MREMAP_FIXED.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(header["MREMAP_DONTUNMAP"], LinuxMman.MREMAP_DONTUNMAP.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A sequence from a generator shown made-up results: every op succeeds, placements land at the op area's start.</summary>
    private static List<OracleOp> Generate(int seed, ulong initialBrk, bool wide = false)
    {
        OracleWindow window = initialBrk == 0 ? OracleWindow.Default : OracleWindow.Default with { BrkBase = (initialBrk + 0xfff) & ~0xfffUL };
        var generator = new OracleOpGenerator(seed, window, initialBrk, wide);
        var ops = new List<OracleOp>();
        for (int i = 0; i < OracleCollection.OpsPerSeed; i++)
        {
            OracleOp op = generator.Next();
            ops.Add(op);
            long result = op switch
            {
                OracleOp.Mmap { PlacedByPolicy: true } => (long)window.OpStart,
                OracleOp.Mmap m => (long)m.Addr,
                OracleOp.Mremap { PlacedByPolicy: true } => (long)window.OpStart,
                OracleOp.Mremap m when (m.Flags & LinuxMman.MREMAP_FIXED) != 0 => (long)m.NewAddr,
                OracleOp.Mremap m => (long)m.Old,
                OracleOp.Brk b => (long)b.Addr,
                _ => 0,
            };
            generator.Observe(op, result, 0);
        }
        return ops;
    }
}
