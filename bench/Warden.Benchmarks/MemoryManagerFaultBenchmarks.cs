using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Warden.HostArch;
using Warden.Mm;
using static Warden.Benchmarks.MemoryManagerBenchLinux;

namespace Warden.Benchmarks;

/// <summary>
/// Page-fault handling: MADV_DONTNEED then a write fault on the same memory, so every operation is a
/// first touch. Per page, and per 2 MiB chunk; through the <see cref="MemoryManager"/> (on an activated
/// SoftMmu address space, so the fault also maps into it) and on real Linux memory (the baselines).
/// </summary>
/// <remarks>
/// <para>Each operation includes its madvise: Warden's DONTNEED drops the pma and the SoftMmu mapping and
/// frees the memory-file pages; Linux's zaps the page-table entries and frees the pages.</para>
/// <para><c>WardenFault*</c> is <c>HandleUserFault</c> alone: it allocates memory-file pages and maps them, but
/// does not touch host memory (the memfd pages are first touched when written). <c>...Touch</c> adds that
/// first write, one byte per page through <c>CopyOut</c>, so it compares with Linux's touch.</para>
/// <para>Per page: one page in the middle of a populated 2 MiB mapping; the gap left is one page, so the fault
/// allocates exactly one page. Per chunk: a 2 MiB-aligned 2 MiB mapping, all of it dropped; one fault allocates
/// the whole chunk (the MemoryManager faults in huge-page-sized pieces) and maps it (map unit 2 MiB). Linux per
/// chunk: a THP-eligible region (MADV_HUGEPAGE; one touch faults a 2 MiB huge page, which the kernel zeroes),
/// and a MADV_NOHUGEPAGE region with all 512 pages touched (512 faults).</para>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public unsafe class MemoryManagerFaultBenchmarks
{
    private const ulong Chunk = Arch.HugePageSize;
    private const ulong Page = Arch.PageSize;
    private const ulong WardenPageRegion = 0x2000_0000_0000;
    private const ulong WardenChunkRegion = 0x2000_0080_0000;
    private const ulong MiddlePage = Chunk / 2;

    private static readonly byte[] OneByte = [1];

    private MemoryManagerBenchEnv _env = null!;
    private nint _linuxPageRegion;
    private nint _linuxThpRegion;
    private nint _linuxSmallPagesRegion;

    [GlobalSetup]
    public void Setup()
    {
        _env = MemoryManagerBenchEnv.Create(activate: true);
        foreach (ulong region in (ReadOnlySpan<ulong>)[WardenPageRegion, WardenChunkRegion])
        {
            _ = _env.MapAnonymous(region, Chunk, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE);
            _env.Populate(region, Chunk);
            _env.FaultIn(region, Chunk);
        }
        _linuxPageRegion = MapAligned((nuint)Chunk, (nuint)Chunk);
        _linuxThpRegion = MapAligned((nuint)Chunk, (nuint)Chunk);
        _linuxSmallPagesRegion = MapAligned((nuint)Chunk, (nuint)Chunk);
        Check(Madvise(_linuxPageRegion, (nuint)Chunk, MADV_NOHUGEPAGE) == 0, "madvise");
        Check(Madvise(_linuxThpRegion, (nuint)Chunk, MADV_HUGEPAGE) == 0, "madvise");
        Check(Madvise(_linuxSmallPagesRegion, (nuint)Chunk, MADV_NOHUGEPAGE) == 0, "madvise");
        foreach (nint region in (ReadOnlySpan<nint>)[_linuxPageRegion, _linuxThpRegion, _linuxSmallPagesRegion])
        {
            Touch(region, (nuint)Chunk);
        }
        VerifyOnce();
        LinuxFault2MiBThp();
        Console.WriteLine($"// MemoryManagerFaultBenchmarks: AnonHugePages of the THP region after a fault: {AnonHugePagesKiB(_linuxThpRegion)} kB " +
            $"(2048 = a huge page); of the 4 KiB-page region: {AnonHugePagesKiB(_linuxSmallPagesRegion)} kB");
    }

    // The measured methods ignore results; check once here that every call succeeds.
    private void VerifyOnce()
    {
        MemoryManagerBenchEnv.Check(MemorySyscalls.Madvise(_env.Ctx, _env.Mm, WardenPageRegion + MiddlePage, Page, LinuxMman.MADV_DONTNEED), "madvise");
        MemoryManagerBenchEnv.Check(_env.Mm.HandleUserFault(_env.Ctx, (Addr)(WardenPageRegion + MiddlePage), AccessType.WriteOnly, default), "fault");
        MemoryManagerBenchEnv.Check(MemorySyscalls.Madvise(_env.Ctx, _env.Mm, WardenChunkRegion, Chunk, LinuxMman.MADV_DONTNEED), "madvise");
        MemoryManagerBenchEnv.Check(_env.Mm.HandleUserFault(_env.Ctx, (Addr)WardenChunkRegion, AccessType.WriteOnly, default), "fault");
        (int n, Errors.Error? error) = _env.Mm.CopyOut(_env.Ctx, (Addr)(WardenChunkRegion + Chunk - Page), OneByte, default);
        MemoryManagerBenchEnv.Check(error, "CopyOut");
        Check(n == 1, "CopyOut");
        Check(Madvise(_linuxPageRegion + (nint)MiddlePage, (nuint)Page, MADV_DONTNEED) == 0, "madvise");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _env.Dispose();
        foreach (nint region in (ReadOnlySpan<nint>)[_linuxPageRegion, _linuxThpRegion, _linuxSmallPagesRegion])
        {
            _ = Munmap(region, (nuint)Chunk);
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("FaultPage")]
    public void LinuxFaultPage()
    {
        nint page = _linuxPageRegion + (nint)MiddlePage;
        _ = Madvise(page, (nuint)Page, MADV_DONTNEED);
        *(byte*)page = 1;
    }

    [Benchmark]
    [BenchmarkCategory("FaultPage")]
    public void WardenFaultPage()
    {
        ulong page = WardenPageRegion + MiddlePage;
        _ = MemorySyscalls.Madvise(_env.Ctx, _env.Mm, page, Page, LinuxMman.MADV_DONTNEED);
        _ = _env.Mm.HandleUserFault(_env.Ctx, (Addr)page, AccessType.WriteOnly, default);
    }

    [Benchmark]
    [BenchmarkCategory("FaultPage")]
    public void WardenFaultPageTouch()
    {
        ulong page = WardenPageRegion + MiddlePage;
        _ = MemorySyscalls.Madvise(_env.Ctx, _env.Mm, page, Page, LinuxMman.MADV_DONTNEED);
        _ = _env.Mm.HandleUserFault(_env.Ctx, (Addr)page, AccessType.WriteOnly, default);
        _ = _env.Mm.CopyOut(_env.Ctx, (Addr)page, OneByte, default);
    }

    /// <summary>One touch of a dropped THP-eligible 2 MiB region: one huge-page fault.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Fault2MiB")]
    public void LinuxFault2MiBThp()
    {
        _ = Madvise(_linuxThpRegion, (nuint)Chunk, MADV_DONTNEED);
        *(byte*)_linuxThpRegion = 1;
    }

    /// <summary>All 512 pages of a dropped MADV_NOHUGEPAGE 2 MiB region: 512 page faults.</summary>
    [Benchmark]
    [BenchmarkCategory("Fault2MiB")]
    public void LinuxFault2MiBSmallPages()
    {
        _ = Madvise(_linuxSmallPagesRegion, (nuint)Chunk, MADV_DONTNEED);
        Touch(_linuxSmallPagesRegion, (nuint)Chunk);
    }

    [Benchmark]
    [BenchmarkCategory("Fault2MiB")]
    public void WardenFault2MiB()
    {
        _ = MemorySyscalls.Madvise(_env.Ctx, _env.Mm, WardenChunkRegion, Chunk, LinuxMman.MADV_DONTNEED);
        _ = _env.Mm.HandleUserFault(_env.Ctx, (Addr)WardenChunkRegion, AccessType.WriteOnly, default);
    }

    /// <summary><see cref="WardenFault2MiB"/>, then a one-byte CopyOut into each of the 512 pages (their host first touch).</summary>
    [Benchmark]
    [BenchmarkCategory("Fault2MiB")]
    public void WardenFault2MiBTouch()
    {
        _ = MemorySyscalls.Madvise(_env.Ctx, _env.Mm, WardenChunkRegion, Chunk, LinuxMman.MADV_DONTNEED);
        _ = _env.Mm.HandleUserFault(_env.Ctx, (Addr)WardenChunkRegion, AccessType.WriteOnly, default);
        for (ulong off = 0; off < Chunk; off += Page)
        {
            _ = _env.Mm.CopyOut(_env.Ctx, (Addr)(WardenChunkRegion + off), OneByte, default);
        }
    }
}
