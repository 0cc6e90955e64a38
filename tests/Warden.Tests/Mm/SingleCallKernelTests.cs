using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.Tests.Infrastructure;
using Xunit;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>
/// Single calls whose answer Linux decides by its order of checks, made on this machine's kernel (a
/// small C program, run by the test) and on Warden, which must answer the same (issue 12's list).
/// </summary>
public sealed class SingleCallKernelTests
{
    private const ulong Page = MmFixture.Page;

    // Each case prints "name<TAB>errno" (0 for success); the scenario is the same on both sides.
    private const string Program = """
        #define R(name, expr) do { errno = 0; long r_ = (long)(expr); printf("%s\t%d\n", name, r_ == -1 ? errno : 0); } while (0)
        char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        R("fixed_noreplace_over_mapping", mmap(p, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_FIXED_NOREPLACE, -1, 0));
        R("mlock_zero", mlock(p, 0));
        R("mlock_zero_unaligned", mlock(p + 1, 0));
        R("mlock_end_wraps", mlock(p, -(unsigned long)p + 2 * 4096));
        R("mlock2_end_wraps", mlock2(p, -(unsigned long)p + 2 * 4096, MLOCK_ONFAULT));
        R("munlock_end_wraps", munlock(p, -(unsigned long)p + 2 * 4096));
        R("mlock_length_rounds_to_zero", mlock(p + 1, (unsigned long)-100));
        R("munlock_length_rounds_to_zero", munlock(p, (unsigned long)-100));
        char *n = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        R("mlock_prot_none", mlock(n, 4096));
        R("populate_read_prot_none", madvise(n, 4096, MADV_POPULATE_READ));
        char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        R("populate_write_read_only", madvise(ro, 4096, MADV_POPULATE_WRITE));
        R("populate_read_read_only", madvise(ro, 4096, MADV_POPULATE_READ));
        char *l = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        R("mlock_two_pages", mlock(l, 2 * 4096));
        R("cold_locked", madvise(l, 4096, MADV_COLD));
        R("pageout_locked", madvise(l, 4096, MADV_PAGEOUT));
        munmap(l, 4096);
        R("msync_invalidate_hole_then_locked", msync(l, 2 * 4096, MS_INVALIDATE));
        R("no_type_huge", mmap(NULL, 1UL << 47, PROT_READ, MAP_ANONYMOUS, -1, 0));
        R("no_type", mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0));
        R("both_types_huge", mmap(NULL, 1UL << 47, PROT_READ, MAP_ANONYMOUS | MAP_SHARED | MAP_PRIVATE, -1, 0));
        void *low = mmap((void *)(8UL << 30), 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
        printf("map32_high_hint_lands_below_2g\t%d\n", low != MAP_FAILED && (unsigned long)low < (2UL << 30) ? 0 : 1);
        """;

    private static Dictionary<string, int> Warden()
    {
        using var f = new MmFixture(new MemoryManagerOptions { CanLockMemory = true });
        var answers = new Dictionary<string, int>();
        void R(string name, Error? error) => answers[name] = error is null ? 0 : ((Errno)error).Number;

        ulong p = f.Map(4 * Page);
        R("fixed_noreplace_over_mapping", MemorySyscalls.Mmap(f.Ctx, f.Mm, p, Page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_FIXED_NOREPLACE).Error);
        R("mlock_zero", MemorySyscalls.Mlock(f.Ctx, f.Mm, p, 0));
        R("mlock_zero_unaligned", MemorySyscalls.Mlock(f.Ctx, f.Mm, p + 1, 0));
        R("mlock_end_wraps", MemorySyscalls.Mlock(f.Ctx, f.Mm, p, (0 - p) + (2 * Page)));
        R("mlock2_end_wraps", MemorySyscalls.Mlock(f.Ctx, f.Mm, p, (0 - p) + (2 * Page), MLOCK_ONFAULT));
        R("munlock_end_wraps", MemorySyscalls.Munlock(f.Ctx, f.Mm, p, (0 - p) + (2 * Page)));
        R("mlock_length_rounds_to_zero", MemorySyscalls.Mlock(f.Ctx, f.Mm, p + 1, unchecked((ulong)-100)));
        R("munlock_length_rounds_to_zero", MemorySyscalls.Munlock(f.Ctx, f.Mm, p, unchecked((ulong)-100)));
        ulong n = f.Map(Page, prot: PROT_NONE);
        R("mlock_prot_none", MemorySyscalls.Mlock(f.Ctx, f.Mm, n, Page));
        R("populate_read_prot_none", MemorySyscalls.Madvise(f.Ctx, f.Mm, n, Page, MADV_POPULATE_READ));
        ulong ro = f.Map(Page, prot: PROT_READ);
        R("populate_write_read_only", MemorySyscalls.Madvise(f.Ctx, f.Mm, ro, Page, MADV_POPULATE_WRITE));
        R("populate_read_read_only", MemorySyscalls.Madvise(f.Ctx, f.Mm, ro, Page, MADV_POPULATE_READ));
        ulong l = f.Map(2 * Page);
        R("mlock_two_pages", MemorySyscalls.Mlock(f.Ctx, f.Mm, l, 2 * Page));
        R("cold_locked", MemorySyscalls.Madvise(f.Ctx, f.Mm, l, Page, MADV_COLD));
        R("pageout_locked", MemorySyscalls.Madvise(f.Ctx, f.Mm, l, Page, MADV_PAGEOUT));
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, l, Page));
        R("msync_invalidate_hole_then_locked", MemorySyscalls.Msync(f.Ctx, f.Mm, l, 2 * Page, MS_INVALIDATE));
        R("no_type_huge", MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 1UL << 47, PROT_READ, MAP_ANONYMOUS).Error);
        R("no_type", MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, Page, PROT_READ, MAP_ANONYMOUS).Error);
        R("both_types_huge", MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 1UL << 47, PROT_READ, MAP_ANONYMOUS | MAP_SHARED | MAP_PRIVATE).Error);
        (ulong low, Error? lowError) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 8UL << 30, Page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT);
        answers["map32_high_hint_lands_below_2g"] = lowError is null && low < (2UL << 30) ? 0 : 1;
        return answers;
    }

    [SkippableFact]
    public void EveryCase_AnswersAsThisMachinesKernel()
    {
        IReadOnlyDictionary<string, string> kernel = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(["errno.h", "stdio.h", "sys/mman.h"], Program));
        Dictionary<string, int> warden = Warden();

        Assert.Equal(kernel.Keys.Order(), warden.Keys.Order());
        var differences = kernel.Where(k => k.Value != warden[k.Key].ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Select(k => $"{k.Key}: kernel errno {k.Value}, Warden {warden[k.Key]}")
            .ToList();
        Assert.True(differences.Count == 0, string.Join("; ", differences));
    }
}
