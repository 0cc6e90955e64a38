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
        #define DROPPABLE 0x08 /* MAP_DROPPABLE, newer than these headers */
        #define M(name, flags) R(name, mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, (flags) | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0)
        M("droppable", DROPPABLE);
        M("droppable_locked", DROPPABLE | MAP_LOCKED);
        M("droppable_growsdown", DROPPABLE | MAP_GROWSDOWN);
        M("droppable_with_shared_bit", DROPPABLE | MAP_SHARED);
        M("droppable_with_private_bit", DROPPABLE | MAP_PRIVATE);
        M("droppable_populate_stack_noreserve", DROPPABLE | MAP_POPULATE | MAP_STACK | MAP_NORESERVE);
        M("hugetlb_private", MAP_PRIVATE | MAP_HUGETLB);
        M("hugetlb_shared", MAP_SHARED | MAP_HUGETLB);
        M("hugetlb_droppable", DROPPABLE | MAP_HUGETLB);
        M("hugetlb_bad_size", MAP_PRIVATE | MAP_HUGETLB | (22 << MAP_HUGE_SHIFT));
        M("hugetlb_1g", MAP_PRIVATE | MAP_HUGETLB | (30 << MAP_HUGE_SHIFT));
        char *big = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        R("collapse_unwritten", madvise(big, 8 << 20, 25));
        big[4096] = 1;
        R("collapse_written_once", madvise(big, 8 << 20, 25));
        for (int i = 0; i < 4; i++) big[i << 21] = 1;
        R("collapse_every_huge_page_written", madvise(big, 8 << 20, 25));
        char *shared = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        shared[0] = 1;
        R("collapse_shared", madvise(shared, 8 << 20, 25));
        char *reserved = mmap(NULL, 6 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        char *aligned = (char *)(((unsigned long)reserved + (2 << 20) - 1) & ~((2UL << 20) - 1));
        mmap(aligned, 4 << 20, PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        R("collapse_shared_within_one_from_a_bound", madvise(aligned, 0x1e000, 25));
        R("collapse_shared_within_one_off_a_bound", madvise(aligned + 4096, 0x1e000, 25));
        R("collapse_shared_whole_huge_page", madvise(aligned, 2 << 20, 25));
        /* Placement of huge-page-sized private anonymous mappings, as relations between addresses. */
        #define MAPLEN(len) (char *)mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        char *t1 = MAPLEN(4 << 20), *t2 = MAPLEN(4 << 20), *t3 = MAPLEN((4 << 20) + 4096), *t4 = MAPLEN(4 << 20);
        printf("thp_first_aligned\t%d\n", ((unsigned long)t1 & 0x1fffff) != 0);
        printf("thp_second_right_below\t%d\n", t2 + (4 << 20) != t1);
        printf("thp_odd_length_right_below\t%d\n", t3 + (4 << 20) + 4096 != t2);
        printf("thp_aligned_below_odd\t%d\n", ((unsigned long)t4 & 0x1fffff) != 0 || t4 + (4 << 20) > t3 || t3 - (t4 + (4 << 20)) >= (2 << 20));
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
        Error? M(int flags) => MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 2 * Page, PROT_READ | PROT_WRITE, (ulong)(flags | MAP_ANONYMOUS)).Error;
        R("droppable", M(MAP_DROPPABLE));
        R("droppable_locked", M(MAP_DROPPABLE | MAP_LOCKED));
        R("droppable_growsdown", M(MAP_DROPPABLE | MAP_GROWSDOWN));
        R("droppable_with_shared_bit", M(MAP_DROPPABLE | MAP_SHARED));
        R("droppable_with_private_bit", M(MAP_DROPPABLE | MAP_PRIVATE));
        R("droppable_populate_stack_noreserve", M(MAP_DROPPABLE | MAP_POPULATE | MAP_STACK | MAP_NORESERVE));
        R("hugetlb_private", M(MAP_PRIVATE | MAP_HUGETLB));
        R("hugetlb_shared", M(MAP_SHARED | MAP_HUGETLB));
        R("hugetlb_droppable", M(MAP_DROPPABLE | MAP_HUGETLB));
        R("hugetlb_bad_size", M(MAP_PRIVATE | MAP_HUGETLB | (22 << MAP_HUGE_SHIFT)));
        R("hugetlb_1g", M(MAP_PRIVATE | MAP_HUGETLB | (30 << MAP_HUGE_SHIFT)));
        ulong big = f.Map(8 << 20);
        R("collapse_unwritten", MemorySyscalls.Madvise(f.Ctx, f.Mm, big, 8 << 20, 25));
        f.Write(big + Page, [1]);
        R("collapse_written_once", MemorySyscalls.Madvise(f.Ctx, f.Mm, big, 8 << 20, 25));
        for (ulong i = 0; i < 4; i++)
        {
            f.Write(big + (i << 21), [1]);
        }
        R("collapse_every_huge_page_written", MemorySyscalls.Madvise(f.Ctx, f.Mm, big, 8 << 20, 25));
        ulong shared = f.Map(8 << 20, flags: MAP_SHARED | MAP_ANONYMOUS);
        f.Write(shared, [1]);
        R("collapse_shared", MemorySyscalls.Madvise(f.Ctx, f.Mm, shared, 8 << 20, 25));
        ulong reserved = f.Map(6 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
        ulong aligned = (reserved + (2 << 20) - 1) & ~((2UL << 20) - 1);
        f.Map(4 << 20, PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, aligned);
        R("collapse_shared_within_one_from_a_bound", MemorySyscalls.Madvise(f.Ctx, f.Mm, aligned, 0x1e000, 25));
        R("collapse_shared_within_one_off_a_bound", MemorySyscalls.Madvise(f.Ctx, f.Mm, aligned + Page, 0x1e000, 25));
        R("collapse_shared_whole_huge_page", MemorySyscalls.Madvise(f.Ctx, f.Mm, aligned, 2 << 20, 25));
        ulong t1 = f.Map(4 << 20, PROT_READ), t2 = f.Map(4 << 20, PROT_READ), t3 = f.Map((4 << 20) + Page, PROT_READ), t4 = f.Map(4 << 20, PROT_READ);
        answers["thp_first_aligned"] = (t1 & 0x1fffff) != 0 ? 1 : 0;
        answers["thp_second_right_below"] = t2 + (4 << 20) != t1 ? 1 : 0;
        answers["thp_odd_length_right_below"] = t3 + (4 << 20) + Page != t2 ? 1 : 0;
        answers["thp_aligned_below_odd"] = (t4 & 0x1fffff) != 0 || t4 + (4 << 20) > t3 || t3 - (t4 + (4 << 20)) >= (2 << 20) ? 1 : 0;
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
