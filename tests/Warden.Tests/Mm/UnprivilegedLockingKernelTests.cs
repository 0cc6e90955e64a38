using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.Platforms.SoftMmu;
using Warden.Tests.Infrastructure;
using Xunit;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>
/// RLIMIT_MEMLOCK and mmap_min_addr as they bind a process without CAP_IPC_LOCK and CAP_SYS_RAWIO:
/// a C program lowers its lock limit to 64 KiB, drops to the unprivileged user 65534 and makes each
/// call; Warden, without the right to lock (<see cref="MemoryManagerOptions.CanLockMemory"/> false)
/// and with the same limit, must answer each the same (issue 12: mlockall(MCL_FUTURE) then mmap and
/// brk, the order of mlock's checks, EPERM below mmap_min_addr).
/// </summary>
public sealed class UnprivilegedLockingKernelTests
{
    private const ulong Page = MmFixture.Page;
    private const ulong Limit = 64 << 10;

    // Prints "name<TAB>errno" (0 for success; brk cases print 0 when the break moved, 1 when refused).
    private const string Program = """
        static char out[1 << 16];
        setvbuf(stdout, out, _IOFBF, sizeof out); /* printf must not allocate once locking starts */
        unsigned long min_addr = 0;
        FILE *min_file = fopen("/proc/sys/vm/mmap_min_addr", "r");
        if (!min_file || fscanf(min_file, "%lu", &min_addr) != 1 || min_addr < 4096)
            return 4;
        fclose(min_file);
        struct rlimit limit = {64 << 10, 64 << 10};
        if (setrlimit(RLIMIT_MEMLOCK, &limit) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
            return 3;
        #define R(name, expr) do { errno = 0; long r_ = (long)(expr); printf("%s\t%d\n", name, r_ == -1 ? errno : 0); } while (0)
        #define M(name, addr, len, prot, flags) R(name, mmap((void *)(addr), len, prot, MAP_PRIVATE | MAP_ANONYMOUS | (flags), -1, 0) == MAP_FAILED ? -1 : 0)
        char *pre = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        M("fixed_below_mmap_min_addr", min_addr - 4096, 4096, PROT_READ, MAP_FIXED);
        R("mlock_over_limit", mlock(pre, 16 * 4096 + 4096));
        R("mlock_end_wraps_over_limit", mlock(pre, -(unsigned long)pre + 2 * 4096));
        R("munlock_end_wraps", munlock(pre, -(unsigned long)pre + 2 * 4096));
        R("mlock_within_limit", mlock(pre, 4 * 4096));
        R("mlock_again_counts_once", mlock(pre, 16 * 4096));
        R("munlock_pre", munlock(pre, 16 * 4096));
        R("mlockall_future", mlockall(MCL_FUTURE));
        char *a = mmap(NULL, 12 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        R("map_48k_locked_by_future", a == MAP_FAILED ? -1 : 0);
        M("map_8k_more", 0, 2 * 4096, PROT_READ | PROT_WRITE, 0);
        M("map_8k_prot_none_reaches_limit", 0, 2 * 4096, PROT_NONE, 0);
        M("map_past_limit", 0, 4096, PROT_READ, 0);
        M("fixed_over_locked_counts_in_full", a, 2 * 4096, PROT_READ | PROT_WRITE, MAP_FIXED);
        M("fixed_over_unlocked_past_limit", pre, 4096, PROT_READ | PROT_WRITE, MAP_FIXED);
        M("map_locked_past_limit", 0, 4096, PROT_READ | PROT_WRITE, MAP_LOCKED);
        unsigned long brk0 = syscall(SYS_brk, 0UL);
        printf("brk_grow_past_limit\t%d\n", syscall(SYS_brk, brk0 + 4096) == (long)brk0);
        R("mremap_grow_past_limit", mremap(a, 12 * 4096, 13 * 4096, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0);
        R("mlockall_current_past_limit", mlockall(MCL_CURRENT | MCL_FUTURE));
        R("munlockall", munlockall());
        M("map_after_munlockall", 0, 4096, PROT_READ, 0);
        printf("brk_grow_after_munlockall\t%d\n", syscall(SYS_brk, brk0 + 4096) == (long)brk0);
        limit.rlim_cur = 0;
        R("setrlimit_zero", setrlimit(RLIMIT_MEMLOCK, &limit));
        R("mlock_zero_length_no_right", mlock(pre, 0));
        R("munlock_zero_length_no_right", munlock(pre, 0));
        M("map_locked_no_right", 0, 4096, PROT_READ, MAP_LOCKED);
        R("mlockall_no_right", mlockall(MCL_FUTURE));
        """;

    private static Dictionary<string, int> Warden(ulong minAddress)
    {
        var options = new MemoryManagerOptions { CanLockMemory = false, Limits = ResourceLimits.Default with { MemLock = Limit } };
        using var f = new MmFixture(options, new SoftMmuOptions { MinUserAddress = new Addr(minAddress) });
        var answers = new Dictionary<string, int>();
        void R(string name, Error? error) => answers[name] = error is null ? 0 : ((Errno)error).Number;
        Error? M(ulong addr, ulong length, int prot, int flags) =>
            MemorySyscalls.Mmap(f.Ctx, f.Mm, addr, length, (ulong)prot, (ulong)(MAP_PRIVATE | MAP_ANONYMOUS | flags)).Error;
        int BrkRefused(ulong to) => MemorySyscalls.Brk(f.Ctx, f.Mm, to) == f.Mm.BrkStart.Value ? 1 : 0;

        ulong brk0 = 0x5555_0000_0000;
        f.Mm.BrkSetup(f.Ctx, new Addr(brk0));
        ulong pre = f.Map(16 * Page);
        R("fixed_below_mmap_min_addr", M(minAddress - Page, Page, PROT_READ, MAP_FIXED));
        R("mlock_over_limit", MemorySyscalls.Mlock(f.Ctx, f.Mm, pre, (16 * Page) + Page));
        R("mlock_end_wraps_over_limit", MemorySyscalls.Mlock(f.Ctx, f.Mm, pre, (0 - pre) + (2 * Page)));
        R("munlock_end_wraps", MemorySyscalls.Munlock(f.Ctx, f.Mm, pre, (0 - pre) + (2 * Page)));
        R("mlock_within_limit", MemorySyscalls.Mlock(f.Ctx, f.Mm, pre, 4 * Page));
        R("mlock_again_counts_once", MemorySyscalls.Mlock(f.Ctx, f.Mm, pre, 16 * Page));
        R("munlock_pre", MemorySyscalls.Munlock(f.Ctx, f.Mm, pre, 16 * Page));
        R("mlockall_future", MemorySyscalls.Mlockall(f.Ctx, f.Mm, MCL_FUTURE));
        (ulong a, Error? aError) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 12 * Page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
        R("map_48k_locked_by_future", aError);
        R("map_8k_more", M(0, 2 * Page, PROT_READ | PROT_WRITE, 0));
        R("map_8k_prot_none_reaches_limit", M(0, 2 * Page, PROT_NONE, 0));
        R("map_past_limit", M(0, Page, PROT_READ, 0));
        R("fixed_over_locked_counts_in_full", M(a, 2 * Page, PROT_READ | PROT_WRITE, MAP_FIXED));
        R("fixed_over_unlocked_past_limit", M(pre, Page, PROT_READ | PROT_WRITE, MAP_FIXED));
        R("map_locked_past_limit", M(0, Page, PROT_READ | PROT_WRITE, MAP_LOCKED));
        answers["brk_grow_past_limit"] = BrkRefused(brk0 + Page);
        R("mremap_grow_past_limit", MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 12 * Page, 13 * Page, MREMAP_MAYMOVE, 0).Error);
        R("mlockall_current_past_limit", MemorySyscalls.Mlockall(f.Ctx, f.Mm, MCL_CURRENT | MCL_FUTURE));
        R("munlockall", MemorySyscalls.Munlockall(f.Ctx, f.Mm));
        R("map_after_munlockall", M(0, Page, PROT_READ, 0));
        answers["brk_grow_after_munlockall"] = BrkRefused(brk0 + Page);
        f.Mm.Limits = f.Mm.Limits with { MemLock = 0 };
        answers["setrlimit_zero"] = 0;
        R("mlock_zero_length_no_right", MemorySyscalls.Mlock(f.Ctx, f.Mm, pre, 0));
        R("munlock_zero_length_no_right", MemorySyscalls.Munlock(f.Ctx, f.Mm, pre, 0));
        R("map_locked_no_right", M(0, Page, PROT_READ, MAP_LOCKED));
        R("mlockall_no_right", MemorySyscalls.Mlockall(f.Ctx, f.Mm, MCL_FUTURE));
        return answers;
    }

    [SkippableFact]
    public void EveryCase_AnswersAsThisMachinesKernelForAnUnprivilegedProcess()
    {
        Prerequisite.Require(Environment.UserName == "root", "root (the probe drops to user 65534 itself)");
        IReadOnlyDictionary<string, string> kernel = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["errno.h", "stdio.h", "sys/mman.h", "sys/resource.h", "sys/syscall.h", "unistd.h"], Program));
        // Warden's lowest address is this machine's vm.mmap_min_addr, as the ptrace platform's is.
        ulong minAddress = ulong.Parse(File.ReadAllText("/proc/sys/vm/mmap_min_addr").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Dictionary<string, int> warden = Warden(minAddress);

        Assert.Equal(kernel.Keys.Order(), warden.Keys.Order());
        var differences = kernel.Where(k => k.Value != warden[k.Key].ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Select(k => $"{k.Key}: kernel {k.Value}, Warden {warden[k.Key]}")
            .ToList();
        Assert.True(differences.Count == 0, string.Join("; ", differences));
    }
}
