using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Warden.Mm;
using static Warden.Benchmarks.MemoryManagerBenchLinux;

namespace Warden.Benchmarks;

/// <summary>
/// mmap+munmap of 4 KiB anonymous memory (no platform effect), and mprotect of one page inside a populated
/// 64-page mapping, with <see cref="Vmas"/> other vmas in the address space: through the
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
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _env.Dispose();
        _ = Munmap(_linuxMapping, (nuint)(Pages * Page));
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
}
