using System.Globalization;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.Tests.Infrastructure;
using Xunit;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>
/// Linux's overcommit heuristic (vm.overcommit_memory 0): one charge larger than RAM plus swap is
/// refused, whatever is charged already. Each case is made on this machine's kernel by a C program
/// and on Warden with its default <see cref="MemoryManagerOptions.OvercommitLimit"/> (this host's
/// RAM plus swap); the answers must be the same. Nothing here touches the memory it maps.
/// </summary>
public sealed class OvercommitKernelTests
{
    private const ulong Page = MmFixture.Page;
    private const ulong GiB = 1UL << 30;

    // Prints "name<TAB>0" on success, the errno on failure (brk: 0 grown, 1 refused).
    private const string Program = """
        unsigned long ram = 0, swap = 0;
        char line[256];
        FILE *meminfo = fopen("/proc/meminfo", "r");
        while (fgets(line, sizeof line, meminfo)) {
            sscanf(line, "MemTotal: %lu kB", &ram);
            sscanf(line, "SwapTotal: %lu kB", &swap);
        }
        fclose(meminfo);
        unsigned long host = (ram + swap) * 1024, G = 1UL << 30, under = (host - G) & ~4095UL, over = (host + G) & ~4095UL;
        #define T(name, expr) do { errno = 0; void *r_ = (void *)(expr); printf("%s\t%d\n", name, r_ == MAP_FAILED ? errno : 0); } while (0)
        #define M(len, prot, flags) mmap(NULL, len, prot, (flags) | MAP_ANONYMOUS, -1, 0)
        T("private_rw_under", M(under, PROT_READ | PROT_WRITE, MAP_PRIVATE));
        T("private_rw_over", M(over, PROT_READ | PROT_WRITE, MAP_PRIVATE));
        T("private_rw_over_noreserve", M(over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE));
        T("private_ro_over", M(over, PROT_READ, MAP_PRIVATE));
        T("shared_rw_over", M(over, PROT_READ | PROT_WRITE, MAP_SHARED));
        T("shared_ro_over", M(over, PROT_READ, MAP_SHARED));
        T("shared_rw_over_noreserve", M(over, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE));
        T("shared_2t_noreserve", M(2048 * G, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE));
        T("private_2t", M(2048 * G, PROT_READ | PROT_WRITE, MAP_PRIVATE));
        T("droppable_over", M(over, PROT_READ | PROT_WRITE, 0x08));
        T("second_private_rw_under", M(under, PROT_READ | PROT_WRITE, MAP_PRIVATE));
        char *small = M(4096, PROT_READ | PROT_WRITE, MAP_PRIVATE);
        T("mremap_grow_over", mremap(small, 4096, over + 4096, MREMAP_MAYMOVE));
        T("mremap_grow_under", mremap(small, 4096, under + 4096, MREMAP_MAYMOVE));
        char *none = M(over, PROT_NONE, MAP_PRIVATE);
        T("mprotect_writable_over", mprotect(none, over, PROT_READ | PROT_WRITE) == 0 ? (void *)0 : MAP_FAILED);
        T("mprotect_writable_under", mprotect(none, under, PROT_READ | PROT_WRITE) == 0 ? (void *)0 : MAP_FAILED);
        /* A move that shrinks an accounted mapping is charged the shrink (inside a reserved area, so
           that the shrink's unmap takes nothing else). */
        for (int i = 0; i < 2; i++) {
            unsigned long from = i == 0 ? over : under;
            char *area = M(from + G, PROT_NONE, MAP_PRIVATE | MAP_NORESERVE);
            mmap(area, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            char *target = M(2 * 4096, PROT_NONE, MAP_PRIVATE);
            T(i == 0 ? "mremap_fixed_shrink_from_over" : "mremap_fixed_shrink_from_under",
              syscall(SYS_mremap, area, from, 2 * 4096UL, MREMAP_MAYMOVE | MREMAP_FIXED, target));
        }
        /* A fixed mapping is charged less what the mappings it replaces were charged. */
        char *reserve = M(3 * over, PROT_NONE, MAP_PRIVATE | MAP_NORESERVE);
        mmap(reserve, under, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        T("fixed_over_replacing_charged", mmap(reserve, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
        T("fixed_over_replacing_uncharged", mmap(reserve + over + G, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
        unsigned long brk0 = syscall(SYS_brk, 0UL);
        printf("brk_over\t%d\n", syscall(SYS_brk, brk0 + over) == (long)brk0);
        printf("brk_under\t%d\n", syscall(SYS_brk, brk0 + under) == (long)brk0);
        """;

    private static Dictionary<string, int> Warden()
    {
        var answers = new Dictionary<string, int>();
        using var f = new MmFixture();
        ulong host = new MemoryManagerOptions().OvercommitLimit;
        ulong under = (host - GiB) & ~(Page - 1), over = (host + GiB) & ~(Page - 1);
        void T(string name, Error? error) => answers[name] = error is null ? 0 : ((Errno)error).Number;
        Error? M(ulong length, int prot, int flags) => MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, length, (ulong)prot, (ulong)(flags | MAP_ANONYMOUS)).Error;

        ulong brk0 = 0x5555_0000_0000;
        f.Mm.BrkSetup(f.Ctx, new Addr(brk0));
        T("private_rw_under", M(under, PROT_READ | PROT_WRITE, MAP_PRIVATE));
        T("private_rw_over", M(over, PROT_READ | PROT_WRITE, MAP_PRIVATE));
        T("private_rw_over_noreserve", M(over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE));
        T("private_ro_over", M(over, PROT_READ, MAP_PRIVATE));
        T("shared_rw_over", M(over, PROT_READ | PROT_WRITE, MAP_SHARED));
        T("shared_ro_over", M(over, PROT_READ, MAP_SHARED));
        T("shared_rw_over_noreserve", M(over, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE));
        T("shared_2t_noreserve", M(2048 * GiB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE));
        T("private_2t", M(2048 * GiB, PROT_READ | PROT_WRITE, MAP_PRIVATE));
        T("droppable_over", M(over, PROT_READ | PROT_WRITE, MAP_DROPPABLE));
        T("second_private_rw_under", M(under, PROT_READ | PROT_WRITE, MAP_PRIVATE));
        ulong small = f.Map(Page);
        T("mremap_grow_over", MemorySyscalls.Mremap(f.Ctx, f.Mm, small, Page, over + Page, MREMAP_MAYMOVE, 0).Error);
        T("mremap_grow_under", MemorySyscalls.Mremap(f.Ctx, f.Mm, small, Page, under + Page, MREMAP_MAYMOVE, 0).Error);
        ulong none = f.Map(over, PROT_NONE);
        T("mprotect_writable_over", MemorySyscalls.Mprotect(f.Ctx, f.Mm, none, over, PROT_READ | PROT_WRITE));
        T("mprotect_writable_under", MemorySyscalls.Mprotect(f.Ctx, f.Mm, none, under, PROT_READ | PROT_WRITE));
        foreach ((string name, ulong from) in new[] { ("mremap_fixed_shrink_from_over", over), ("mremap_fixed_shrink_from_under", under) })
        {
            ulong area = f.Map(from + GiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
            f.Map(4 * Page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, area);
            ulong target = f.Map(2 * Page, PROT_NONE);
            T(name, MemorySyscalls.Mremap(f.Ctx, f.Mm, area, from, 2 * Page, MREMAP_MAYMOVE | MREMAP_FIXED, target).Error);
        }
        ulong reserve = f.Map(3 * over, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
        f.Map(under, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, reserve);
        Error? Fixed(ulong at) => MemorySyscalls.Mmap(f.Ctx, f.Mm, at, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED).Error;
        T("fixed_over_replacing_charged", Fixed(reserve));
        T("fixed_over_replacing_uncharged", Fixed(reserve + over + GiB));
        answers["brk_over"] = MemorySyscalls.Brk(f.Ctx, f.Mm, brk0 + over) == brk0 ? 1 : 0;
        answers["brk_under"] = MemorySyscalls.Brk(f.Ctx, f.Mm, brk0 + under) == brk0 ? 1 : 0;
        return answers;
    }

    [SkippableFact]
    public void EveryCharge_AnswersAsThisMachinesKernel()
    {
        Prerequisite.Require(File.ReadAllText("/proc/sys/vm/overcommit_memory").Trim() == "0", "vm.overcommit_memory = 0 (the heuristic Warden models)");
        IReadOnlyDictionary<string, string> kernel = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["errno.h", "stdio.h", "sys/mman.h", "sys/syscall.h", "unistd.h"], Program));
        Dictionary<string, int> warden = Warden();

        Assert.Equal(kernel.Keys.Order(), warden.Keys.Order());
        var differences = kernel.Where(k => k.Value != warden[k.Key].ToString(CultureInfo.InvariantCulture))
            .Select(k => $"{k.Key}: kernel {k.Value}, Warden {warden[k.Key]}")
            .ToList();
        Assert.True(differences.Count == 0, string.Join("; ", differences));
    }

    [Fact]
    public void AHugeNoReserveSharedMapping_CostsOnlyWhatIsTouched()
    {
        using var f = new MmFixture();
        ulong before = f.Usage();
        ulong length = 2048 * GiB;
        ulong addr = f.Map(length, flags: MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE);
        f.Write(addr, [1, 2, 3]);
        f.Write(addr + length - Page, [4, 5, 6]);
        Assert.Equal([1, 2, 3], f.Read(addr, 3));
        Assert.Equal([4, 5, 6], f.Read(addr + length - Page, 3));
        Assert.Equal([0], f.Read(addr + (length / 2), 1));
        Assert.True(f.Usage() - before <= 16 * Page, $"usage grew by {f.Usage() - before} bytes");
        Assert.Null(MemorySyscalls.Madvise(f.Ctx, f.Mm, addr, Page, MADV_REMOVE));
        Assert.Equal([0, 0, 0], f.Read(addr, 3));
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, addr, length));
    }
}
