using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Warden.HostArch;
using Warden.Mm;
using static Warden.Benchmarks.MemoryManagerBenchLinux;

namespace Warden.Benchmarks;

/// <summary>
/// mmap+munmap of 4 KiB anonymous memory (no platform effect); mprotect, madvise(DONTFORK/DOFORK) and
/// mlock/munlock of part of a populated 64-page mapping; and mremap moving that mapping away and back; with <see cref="Vmas"/> other vmas in the address space: through the
/// <see cref="MemoryManager"/> (<see cref="MemorySyscalls"/>, raw syscall arguments) and as real system
/// calls on this process (the category's baseline).
/// </summary>
/// <remarks>
/// The filler vmas lie at low addresses; the non-fixed mmap is placed top-down, so it finds its gap at once
/// and the cost measured is the vma tree's, not the search's. Linux's filler is capped at
/// <see cref="MaxLinuxFillerVmas"/> (vm.max_map_count is 65530 here); setup prints both map counts.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class MemoryManagerMapBenchmarks
{
    private const int Pages = 64;
    private const ulong Page = 4096;

    private MemoryManagerBenchEnv _env = null!;
    private ulong _wardenMapping;
    private nint _linuxMapping;
    private ulong _wardenTarget;
    private nint _linuxTarget;
    private (nint Address, nuint Length) _linuxFiller;

    /// <summary>Vmas added before measuring (Linux: at most <see cref="MaxLinuxFillerVmas"/>).</summary>
    [Params(100, 100_000)]
    public int Vmas { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _env = MemoryManagerBenchEnv.Create(activate: true);
        _env.AddFillerVmas(Vmas);
        // The 64-page mapping, written and mapped into the SoftMmu address space as a running program's would be.
        _wardenMapping = _env.MapAnonymous(0, Pages * Page, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE);
        _env.Populate(_wardenMapping, Pages * Page);
        _env.FaultIn(_wardenMapping, Pages * Page);

        int linuxBefore = MapCount();
        _linuxFiller = AddFillerVmas(Math.Min(Vmas, MaxLinuxFillerVmas));
        _linuxMapping = Mmap(0, (nuint)(Pages * Page), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        Check(_linuxMapping != -1, "mmap");
        Touch(_linuxMapping, (nuint)(Pages * Page));
        // The ranges mremap moves the mapping to and back. They stay mapped throughout (MREMAP_DONTUNMAP
        // leaves the old range mapped and empty): a range left free would be taken by the runtime's
        // own allocations in this process, and MREMAP_FIXED would then move over them.
        _wardenTarget = _env.MapAnonymous(0, Pages * Page, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE);
        _linuxTarget = Mmap(0, (nuint)(Pages * Page), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        Check(_linuxTarget != -1, "mmap");
        VerifyOnce();
        Console.WriteLine($"// MemoryManagerMapBenchmarks Vmas={Vmas}: Warden MapCount {_env.Mm.MapCount}; " +
            $"Linux process vmas {linuxBefore} before the filler, {MapCount()} after");
    }

    // The measured methods ignore results; check once here that every call succeeds.
    private void VerifyOnce()
    {
        (ulong addr, Errors.Error? error) = MemorySyscalls.Mmap(_env.Ctx, _env.Mm, 0, Page, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE,
            LinuxMman.MAP_PRIVATE | LinuxMman.MAP_ANONYMOUS);
        MemoryManagerBenchEnv.Check(error, "mmap");
        MemoryManagerBenchEnv.Check(MemorySyscalls.Munmap(_env.Ctx, _env.Mm, addr, Page), "munmap");
        MemoryManagerBenchEnv.Check(MemorySyscalls.Mprotect(_env.Ctx, _env.Mm, _wardenMapping + Pages / 2 * Page, Page, LinuxMman.PROT_READ), "mprotect");
        MemoryManagerBenchEnv.Check(MemorySyscalls.Mprotect(_env.Ctx, _env.Mm, _wardenMapping + Pages / 2 * Page, Page, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE), "mprotect");
        nint p = Mmap(0, (nuint)Page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        Check(p != -1 && Munmap(p, (nuint)Page) == 0, "mmap+munmap");
        Check(MemoryManagerBenchLinux.Mprotect(_linuxMapping + (nint)(Pages / 2 * Page), (nuint)Page, PROT_READ) == 0, "mprotect");
        Check(MemoryManagerBenchLinux.Mprotect(_linuxMapping + (nint)(Pages / 2 * Page), (nuint)Page, PROT_READ | PROT_WRITE) == 0, "mprotect");
        MemoryManagerBenchEnv.Check(_env.Mm.MAdvise(_env.Ctx, (HostArch.Addr)(_wardenMapping + Page), 4 * Page, LinuxMman.MADV_DONTFORK), "madvise");
        MemoryManagerBenchEnv.Check(_env.Mm.MAdvise(_env.Ctx, (HostArch.Addr)(_wardenMapping + Page), 4 * Page, LinuxMman.MADV_DOFORK), "madvise");
        Check(Madvise(_linuxMapping + (nint)Page, 4 * (nuint)Page, MADV_DONTFORK) == 0, "madvise");
        Check(Madvise(_linuxMapping + (nint)Page, 4 * (nuint)Page, MADV_DOFORK) == 0, "madvise");
        MemoryManagerBenchEnv.Check(MemorySyscalls.Mlock(_env.Ctx, _env.Mm, _wardenMapping + Page, 4 * Page), "mlock");
        MemoryManagerBenchEnv.Check(MemorySyscalls.Munlock(_env.Ctx, _env.Mm, _wardenMapping + Page, 4 * Page), "munlock");
        Check(Mlock(_linuxMapping + (nint)Page, 4 * (nuint)Page) == 0 && Munlock(_linuxMapping + (nint)Page, 4 * (nuint)Page) == 0, "mlock+munlock");
        const int moveFlags = LinuxMman.MREMAP_MAYMOVE | LinuxMman.MREMAP_FIXED | LinuxMman.MREMAP_DONTUNMAP;
        Check(MemorySyscalls.Mremap(_env.Ctx, _env.Mm, _wardenMapping, Pages * Page, Pages * Page, moveFlags, _wardenTarget).Result == _wardenTarget &&
            MemorySyscalls.Mremap(_env.Ctx, _env.Mm, _wardenTarget, Pages * Page, Pages * Page, moveFlags, _wardenMapping).Result == _wardenMapping, "Warden mremap");
        Check(Mremap(_linuxMapping, Pages * (nuint)Page, Pages * (nuint)Page, moveFlags, _linuxTarget) == _linuxTarget &&
            Mremap(_linuxTarget, Pages * (nuint)Page, Pages * (nuint)Page, moveFlags, _linuxMapping) == _linuxMapping, "mremap");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _env.Dispose();
        _ = Munmap(_linuxMapping, (nuint)(Pages * Page));
        _ = Munmap(_linuxTarget, (nuint)(Pages * Page));
        _ = Munmap(_linuxFiller.Address, _linuxFiller.Length);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("MmapMunmap4KiB")]
    public void LinuxMmapMunmap()
    {
        nint p = Mmap(0, (nuint)Page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        _ = Munmap(p, (nuint)Page);
    }

    [Benchmark]
    [BenchmarkCategory("MmapMunmap4KiB")]
    public void WardenMmapMunmap()
    {
        (ulong addr, _) = MemorySyscalls.Mmap(_env.Ctx, _env.Mm, 0, Page, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE,
            LinuxMman.MAP_PRIVATE | LinuxMman.MAP_ANONYMOUS);
        _ = MemorySyscalls.Munmap(_env.Ctx, _env.Mm, addr, Page);
    }

    /// <summary>Per mprotect: the middle page to read-only (a split into three vmas), then back (a merge into one).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = 2)]
    [BenchmarkCategory("Mprotect1Of64")]
    public void LinuxMprotect()
    {
        nint page = _linuxMapping + (nint)(Pages / 2 * Page);
        _ = MemoryManagerBenchLinux.Mprotect(page, (nuint)Page, PROT_READ);
        _ = MemoryManagerBenchLinux.Mprotect(page, (nuint)Page, PROT_READ | PROT_WRITE);
    }

    /// <summary>Per mprotect: as <see cref="LinuxMprotect"/>.</summary>
    [Benchmark(OperationsPerInvoke = 2)]
    [BenchmarkCategory("Mprotect1Of64")]
    public void WardenMprotect()
    {
        ulong page = _wardenMapping + Pages / 2 * Page;
        _ = MemorySyscalls.Mprotect(_env.Ctx, _env.Mm, page, Page, LinuxMman.PROT_READ);
        _ = MemorySyscalls.Mprotect(_env.Ctx, _env.Mm, page, Page, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE);
    }

    /// <summary>Per madvise: DONTFORK on 4 pages of the 64 (a split into three vmas), then DOFORK (a merge into one).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = 2)]
    [BenchmarkCategory("MadviseDontfork4Of64")]
    public void LinuxMadviseDontfork()
    {
        _ = Madvise(_linuxMapping + (nint)Page, 4 * (nuint)Page, MADV_DONTFORK);
        _ = Madvise(_linuxMapping + (nint)Page, 4 * (nuint)Page, MADV_DOFORK);
    }

    /// <summary>Per madvise: as <see cref="LinuxMadviseDontfork"/>.</summary>
    [Benchmark(OperationsPerInvoke = 2)]
    [BenchmarkCategory("MadviseDontfork4Of64")]
    public void WardenMadviseDontfork()
    {
        _ = _env.Mm.MAdvise(_env.Ctx, (HostArch.Addr)(_wardenMapping + Page), 4 * Page, LinuxMman.MADV_DONTFORK);
        _ = _env.Mm.MAdvise(_env.Ctx, (HostArch.Addr)(_wardenMapping + Page), 4 * Page, LinuxMman.MADV_DOFORK);
    }

    /// <summary>Per call: mlock of 4 resident pages of the 64, then munlock.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = 2)]
    [BenchmarkCategory("MlockMunlock4Of64")]
    public void LinuxMlockMunlock()
    {
        _ = Mlock(_linuxMapping + (nint)Page, 4 * (nuint)Page);
        _ = Munlock(_linuxMapping + (nint)Page, 4 * (nuint)Page);
    }

    /// <summary>Per call: as <see cref="LinuxMlockMunlock"/>.</summary>
    [Benchmark(OperationsPerInvoke = 2)]
    [BenchmarkCategory("MlockMunlock4Of64")]
    public void WardenMlockMunlock()
    {
        _ = MemorySyscalls.Mlock(_env.Ctx, _env.Mm, _wardenMapping + Page, 4 * Page);
        _ = MemorySyscalls.Munlock(_env.Ctx, _env.Mm, _wardenMapping + Page, 4 * Page);
    }

    /// <summary>
    /// Per mremap: the populated 64-page mapping's pages moved to another mapping (MREMAP_FIXED with
    /// MREMAP_DONTUNMAP, which leaves the old range mapped and empty), then back.
    /// </summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = 2)]
    [BenchmarkCategory("MremapMove64Pages")]
    public void LinuxMremapMove()
    {
        const int flags = MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP;
        _ = Mremap(_linuxMapping, Pages * (nuint)Page, Pages * (nuint)Page, flags, _linuxTarget);
        _ = Mremap(_linuxTarget, Pages * (nuint)Page, Pages * (nuint)Page, flags, _linuxMapping);
    }

    /// <summary>Per mremap: as <see cref="LinuxMremapMove"/>.</summary>
    [Benchmark(OperationsPerInvoke = 2)]
    [BenchmarkCategory("MremapMove64Pages")]
    public void WardenMremapMove()
    {
        const int flags = LinuxMman.MREMAP_MAYMOVE | LinuxMman.MREMAP_FIXED | LinuxMman.MREMAP_DONTUNMAP;
        _ = MemorySyscalls.Mremap(_env.Ctx, _env.Mm, _wardenMapping, Pages * Page, Pages * Page, flags, _wardenTarget);
        _ = MemorySyscalls.Mremap(_env.Ctx, _env.Mm, _wardenTarget, Pages * Page, Pages * Page, flags, _wardenMapping);
    }
}
