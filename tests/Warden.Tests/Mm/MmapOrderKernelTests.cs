using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.Platforms.SoftMmu;
using Warden.Tests.Infrastructure;
using Xunit;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>
/// The mmap(2) family's order of checks and argument decoding (issue 12): single calls made on this
/// machine's kernel (a small C program, with raw syscall(2) so that every argument is a full
/// unsigned long) and on Warden through <see cref="MemorySyscalls"/>, which must answer the same.
/// </summary>
/// <remarks>
/// The scenario's files are a temporary file of two pages (opened for reading and writing, for
/// reading only and for writing only) and a pipe (its read and its write end), as Warden's kernel
/// describes them (<see cref="HostFileMappable"/>, <see cref="UnmappableMmapSource"/>). The MAP_SYNC
/// cases assume the temporary directory is on ext4 or xfs, as Warden's host files do.
/// </remarks>
public sealed class MmapOrderKernelTests
{
    private const ulong Page = MmFixture.Page;
    private const ulong TaskSize = Arch.TaskSize;

    // Each case prints "name<TAB>value": the errno (0 for success) or, where said, a relation.
    private const string Program = """
        #define R(name, expr) do { errno = 0; long r_ = (long)(expr); printf("%s\t%d\n", name, r_ == -1 ? errno : 0); } while (0)
        #define MM(a, l, p, f, fd, o) syscall(SYS_mmap, (unsigned long)(a), (unsigned long)(l), (unsigned long)(p), (unsigned long)(f), (long)(fd), (unsigned long)(o))
        int rw = open(PATH, O_RDWR), ro = open(PATH, O_RDONLY), wo = open(PATH, O_WRONLY);
        int pf[2];
        pipe(pf);
        /* 1: the offset before the descriptor. */
        R("unaligned_offset_closed_fd", MM(0, 4096, PROT_READ, MAP_SHARED, 99, 0x80e));
        R("closed_fd", MM(0, 4096, PROT_READ, MAP_SHARED, 99, 0));
        /* 2: placement and locking before the file. */
        R("pipe_read_private", MM(0, 4096, PROT_READ, MAP_PRIVATE, pf[0], 0));
        R("pipe_write_private", MM(0, 4096, PROT_READ, MAP_PRIVATE, pf[1], 0));
        R("pipe_bad_type", MM(0, 4096, PROT_READ, 5, pf[0], 0));
        R("pipe_validate_unknown", MM(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | 0x2000000, pf[1], 0));
        R("pipe_too_long", MM(0, 1UL << 50, PROT_READ, MAP_PRIVATE, pf[0], 0));
        R("pipe_offset_2_63", MM(0, 4096, PROT_READ, MAP_PRIVATE, pf[0], 1UL << 63));
        R("pipe_exec", MM(0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, pf[0], 0));
        R("pipe_write_only_exec", MM(0, 4096, PROT_EXEC, MAP_PRIVATE, pf[1], 0));
        R("read_only_shared_write_too_long", MM(0x7ffff7fd6000UL, 0xffffffffffffdfb9UL, PROT_WRITE, MAP_SHARED, ro, 0));
        R("read_only_shared_write", MM(0, 4096, PROT_WRITE, MAP_SHARED, ro, 0));
        R("write_only_private", MM(0, 4096, PROT_READ, MAP_PRIVATE, wo, 0));
        char *p = (char *)MM(0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        R("noreplace_over_mapping_validate_unknown", MM(p, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE | 0x200, rw, 0));
        R("noreplace_over_mapping_growsdown", MM(p, 4096, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_GROWSDOWN, rw, 0));
        R("unaligned_fixed_file_growsdown", MM(p + 1, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_GROWSDOWN, rw, 0));
        R("file_growsdown", MM(0, 4096, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, rw, 0));
        /* 3: unsigned long flags and prot. */
        R("validate_bit_49", MM(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | (1UL << 49), rw, 0));
        R("shared_bit_49", MM(0, 4096, PROT_READ, MAP_SHARED | (1UL << 49), rw, 0));
        R("validate_above_4g", MM(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | 0x80, rw, 0));
        R("validate_0x400", MM(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | 0x400, rw, 0));
        R("mprotect_bit_32", syscall(SYS_mprotect, p, 4096, 0x100000001UL));
        R("mremap_bit_55", syscall(SYS_mremap, p, 4096, 4096, 1UL << 55, 0));
        /* 4: MAP_SHARED_VALIDATE's known flags. */
        R("validate_huge_2mb", MM(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | (21UL << 26), rw, 0));
        R("validate_huge_1gb", MM(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | (30UL << 26), rw, 0));
        R("validate_huge_31", MM(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | (31UL << 26), rw, 0));
        R("validate_huge_63", MM(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | (63UL << 26), rw, 0));
        R("validate_huge_2mb_write_only", MM(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | (21UL << 26), wo, 0));
        char *hole = (char *)MM(0, 4 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(hole, 4 * 4096);
        R("validate_noreplace", MM(hole, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, rw, 0));
        R("validate_noreplace_write_only", MM(hole, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, wo, 0));
        /* 5: MAP_SYNC. */
        R("validate_sync", MM(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, rw, 0));
        R("validate_sync_write_only", MM(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, wo, 0));
        R("shared_sync", MM(0, 4096, PROT_READ, MAP_SHARED | MAP_SYNC, rw, 0));
        R("private_sync", MM(0, 4096, PROT_READ, MAP_PRIVATE | MAP_SYNC, rw, 0));
        R("private_sync_write_only", MM(0, 4096, PROT_READ, MAP_PRIVATE | MAP_SYNC, wo, 0));
        R("private_sync_pipe", MM(0, 4096, PROT_READ, MAP_PRIVATE | MAP_SYNC, pf[0], 0));
        R("private_sync_growsdown", MM(0, 4096, PROT_READ, MAP_PRIVATE | MAP_SYNC | MAP_GROWSDOWN, rw, 0));
        unsigned char probe[4];
        long fixed_sync = MM(p, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_SYNC, rw, 0);
        printf("fixed_private_sync_keeps_the_old_mapping\t%d\n", fixed_sync == -1 && syscall(SYS_mincore, p, 4096, probe) == 0 ? 0 : 1);
        R("anonymous_sync", MM(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_SYNC, -1, 0));
        R("anonymous_validate_sync", MM(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | MAP_SYNC, -1, 0));
        char *two = (char *)MM(0, 2 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        MM(two, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_SYNC, -1, 0);
        /* Two vmas (VM_SYNC keeps them apart): mremap of both is EFAULT. */
        R("anonymous_sync_does_not_merge", syscall(SYS_mremap, two, 2 * 4096, 2 * 4096, 0, 0));
        /* 6: offsets past the largest file. */
        R("offset_2_63", MM(0, 4096, PROT_READ, MAP_PRIVATE, rw, 1UL << 63));
        R("offset_2_63_too_long", MM(0, 1UL << 50, PROT_READ, MAP_PRIVATE, rw, 1UL << 63));
        R("offset_end_past_2_63", MM(0, 0x20000, PROT_READ, MAP_PRIVATE, rw, (1UL << 63) - 0x10000));
        R("offset_wraps_unaligned_fixed", MM(0xffffffffUL, 0x20000, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_32BIT, rw, 0xfffffffffffff000UL));
        R("offset_wraps_too_long", MM(0xffffffffUL, 0xffffffffffffefe8UL, PROT_EXEC, MAP_SHARED, rw, 0x3000));
        R("anonymous_offset_wraps", MM(0, 0x20000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0xfffffffffffff000UL));
        /* 7: a fixed address in the top page. */
        R("fixed_minus_1", MM(-1L, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
        R("fixed_minus_2", MM(-2L, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
        R("fixed_minus_4095", MM(-4095L, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
        R("fixed_minus_4096", MM(-4096L, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
        R("noreplace_minus_1", MM(-1L, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
        R("fixed_minus_1_pipe", MM(-1L, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, pf[0], 0));
        /* 8 and 9: the two minimums (this process has 0x1000 to 0x20000 free). */
        unsigned long low = MM(0x2000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("low_hint_raised_to_the_minimum\t%d\n", low == LSM_MIN ? 0 : 1);
        munmap((void *)low, 4096);
        R("fixed_between_the_minimums", MM(0x3000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
        R("mremap_fixed_between_the_minimums", syscall(SYS_mremap, 0x3000, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, 0x5000));
        munmap((void *)0x5000, 4096);
        /* 10: top-down placement below a grows-down vma's guard gap. */
        char *r = (char *)MM(0, 64 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(r, 64 << 20);
        char *g = (char *)MM(r + (64 << 20) - 0x1f000, 0x1f000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE, -1, 0);
        MM(g - 0xc000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        /* Fill every hole above g first (a top-down search takes them before it comes near g). */
        char *x = (char *)MM(0, 0x2000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        for (int i = 0; i < 100000 && x > g; i++) x = (char *)MM(0, 0x2000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("placed_below_the_guard_gap\t%d\n", x + 0x2000 + (1 << 20) == g ? 0 : (x + 0x2000 == g - 0xc000 ? 1 : 2));
        /* 10, mremap: a move of private anonymous memory to a multiple of 2 MiB lands on a 2 MiB boundary. */
        char *small = (char *)MM(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        char *moved = (char *)syscall(SYS_mremap, small, 4096, 4 << 20, MREMAP_MAYMOVE, 0);
        printf("mremap_move_huge_aligned\t%d\n", ((unsigned long)moved & ((2 << 20) - 1)) == 0 ? 0 : 1);
        /* 10b: a hint in the first page is none; a file (on ext4 or xfs) places its mappings so that
           address and offset agree modulo 2 MiB when an aligned 2 MiB of the file fits, mremap's moves too. */
        unsigned long lowHint = MM(0xfff, 4 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("first_page_hint_huge_aligned\t%d\n", (lowHint & ((2 << 20) - 1)) == 0 ? 0 : 1);
        unsigned long fileMap = MM(0, 4 << 20, PROT_READ, MAP_PRIVATE, rw, 0x1000);
        printf("file_mmap_huge_aligned\t%d\n", ((fileMap - 0x1000) & ((2 << 20) - 1)) == 0 ? 0 : 1);
        unsigned long fileSmall = MM(0, 4096, PROT_READ, MAP_SHARED, rw, 0x1000);
        unsigned long fileMoved = syscall(SYS_mremap, fileSmall, 4096, 4 << 20, MREMAP_MAYMOVE, 0);
        printf("file_mremap_huge_aligned\t%d\n", ((fileMoved - 0x1000) & ((2 << 20) - 1)) == 0 ? 0 : 1);
        unsigned long fileShort = MM(0, (2 << 20) + 4096, PROT_READ, MAP_PRIVATE, rw, 0x1000);
        printf("file_mmap_without_an_aligned_huge_page\t%d\n", ((fileShort - 0x1000) & ((2 << 20) - 1)) == 0 ? 0 : 1);
        /* 11: mincore. */
        R("mincore_zero_pages_bad_vector", syscall(SYS_mincore, p, 0, 0x3b60306589e1d680UL));
        R("mincore_zero_pages_vector_at_the_top", syscall(SYS_mincore, p, 0, TASK_SIZE));
        R("mincore_zero_pages_vector_past_the_top", syscall(SYS_mincore, p, 0, TASK_SIZE + 1));
        R("mincore_start_at_the_top", syscall(SYS_mincore, TASK_SIZE, 0, p));
        R("mincore_start_past_the_top", syscall(SYS_mincore, TASK_SIZE + 4096, 0, p));
        char *one = (char *)MM(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(one + 4096, 4096);
        one[0] = 1;
        R("mincore_hole_null_vector", syscall(SYS_mincore, one, 2 * 4096, 0));
        unsigned char *vec = (unsigned char *)p + 3 * 4096;
        vec[0] = 0xee;
        R("mincore_hole_after_a_page", syscall(SYS_mincore, one, 2 * 4096, vec));
        printf("mincore_hole_after_a_page_wrote_its_byte\t%d\n", vec[0]);
        """;

    private static Dictionary<string, int> Warden(string path)
    {
        var layout = new MmapLayout
        {
            MinAddress = 0x1_0000,
            FixedMinAddress = 0x1000,
            MaxAddress = TaskSize,
            TopDownBase = 0x7fff_f7ff_f000,
            BottomUpBase = Arch.PageRoundUp(TaskSize / 3).Rounded,
        };
        var f = new MmFixture(new MemoryManagerOptions { Layout = layout, CanLockMemory = true }, new SoftMmuOptions { MinUserAddress = new Addr(0x1000) });
        HostFileMappable rw = Open(f, path, FileAccess.ReadWrite), ro = Open(f, path, FileAccess.Read), wo = Open(f, path, FileAccess.Write);
        try
        {
            return Cases(f, rw, ro, wo);
        }
        finally
        {
            f.Mm.Dispose();
            rw.DecRef(f.Ctx);
            ro.DecRef(f.Ctx);
            wo.DecRef(f.Ctx);
            f.File.Dispose();
        }
    }

    private static Dictionary<string, int> Cases(MmFixture f, IMmapSource rw, IMmapSource ro, IMmapSource wo)
    {
        var answers = new Dictionary<string, int>();
        var pipeRead = new UnmappableMmapSource(readable: true, writable: false);
        var pipeWrite = new UnmappableMmapSource(readable: false, writable: true);
        void R(string name, Error? error) => answers[name] = error is null ? 0 : ((Errno)error).Number;
        // A result in the top page reads as an errno, as the C library reads it.
        void M(string name, (ulong Result, Error? Error) r) =>
            answers[name] = r.Error is not null ? ((Errno)r.Error).Number : r.Result >= unchecked((ulong)-4095L) ? (int)(0 - r.Result) : 0;
        (ulong Result, Error? Error) MM(ulong a, ulong l, ulong p, ulong fl, IMmapSource? file, ulong o) =>
            MemorySyscalls.Mmap(f.Ctx, f.Mm, a, l, p, fl, file, o);

        M("unaligned_offset_closed_fd", MM(0, Page, PROT_READ, MAP_SHARED, null, 0x80e));
        M("closed_fd", MM(0, Page, PROT_READ, MAP_SHARED, null, 0));
        M("pipe_read_private", MM(0, Page, PROT_READ, MAP_PRIVATE, pipeRead, 0));
        M("pipe_write_private", MM(0, Page, PROT_READ, MAP_PRIVATE, pipeWrite, 0));
        M("pipe_bad_type", MM(0, Page, PROT_READ, 5, pipeRead, 0));
        M("pipe_validate_unknown", MM(0, Page, PROT_READ, MAP_SHARED_VALIDATE | 0x2000000, pipeWrite, 0));
        M("pipe_too_long", MM(0, 1UL << 50, PROT_READ, MAP_PRIVATE, pipeRead, 0));
        M("pipe_offset_2_63", MM(0, Page, PROT_READ, MAP_PRIVATE, pipeRead, 1UL << 63));
        M("pipe_exec", MM(0, Page, PROT_READ | PROT_EXEC, MAP_PRIVATE, pipeRead, 0));
        M("pipe_write_only_exec", MM(0, Page, PROT_EXEC, MAP_PRIVATE, pipeWrite, 0));
        M("read_only_shared_write_too_long", MM(0x7ffff7fd6000, 0xffffffffffffdfb9, PROT_WRITE, MAP_SHARED, ro, 0));
        M("read_only_shared_write", MM(0, Page, PROT_WRITE, MAP_SHARED, ro, 0));
        M("write_only_private", MM(0, Page, PROT_READ, MAP_PRIVATE, wo, 0));
        ulong p = f.Map(4 * Page);
        M("noreplace_over_mapping_validate_unknown", MM(p, Page, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE | 0x200, rw, 0));
        M("noreplace_over_mapping_growsdown", MM(p, Page, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_GROWSDOWN, rw, 0));
        M("unaligned_fixed_file_growsdown", MM(p + 1, Page, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_GROWSDOWN, rw, 0));
        M("file_growsdown", MM(0, Page, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, rw, 0));
        M("validate_bit_49", MM(0, Page, PROT_READ, MAP_SHARED_VALIDATE | (1UL << 49), rw, 0));
        M("shared_bit_49", MM(0, Page, PROT_READ, MAP_SHARED | (1UL << 49), rw, 0));
        M("validate_above_4g", MM(0, Page, PROT_READ, MAP_SHARED_VALIDATE | 0x80, rw, 0));
        M("validate_0x400", MM(0, Page, PROT_READ, MAP_SHARED_VALIDATE | 0x400, rw, 0));
        R("mprotect_bit_32", MemorySyscalls.Mprotect(f.Ctx, f.Mm, p, Page, 0x1_0000_0001));
        M("mremap_bit_55", MemorySyscalls.Mremap(f.Ctx, f.Mm, p, Page, Page, 1UL << 55, 0));
        M("validate_huge_2mb", MM(0, Page, PROT_READ, MAP_SHARED_VALIDATE | (21UL << 26), rw, 0));
        M("validate_huge_1gb", MM(0, Page, PROT_READ, MAP_SHARED_VALIDATE | (30UL << 26), rw, 0));
        M("validate_huge_31", MM(0, Page, PROT_READ, MAP_SHARED_VALIDATE | (31UL << 26), rw, 0));
        M("validate_huge_63", MM(0, Page, PROT_READ, MAP_SHARED_VALIDATE | (63UL << 26), rw, 0));
        M("validate_huge_2mb_write_only", MM(0, Page, PROT_READ, MAP_SHARED_VALIDATE | (21UL << 26), wo, 0));
        ulong hole = f.Map(4 * Page, PROT_NONE);
        R("munmap", MemorySyscalls.Munmap(f.Ctx, f.Mm, hole, 4 * Page));
        M("validate_noreplace", MM(hole, Page, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, rw, 0));
        M("validate_noreplace_write_only", MM(hole, Page, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, wo, 0));
        answers.Remove("munmap");
        M("validate_sync", MM(0, Page, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, rw, 0));
        M("validate_sync_write_only", MM(0, Page, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, wo, 0));
        M("shared_sync", MM(0, Page, PROT_READ, MAP_SHARED | MAP_SYNC, rw, 0));
        M("private_sync", MM(0, Page, PROT_READ, MAP_PRIVATE | MAP_SYNC, rw, 0));
        M("private_sync_write_only", MM(0, Page, PROT_READ, MAP_PRIVATE | MAP_SYNC, wo, 0));
        M("private_sync_pipe", MM(0, Page, PROT_READ, MAP_PRIVATE | MAP_SYNC, pipeRead, 0));
        M("private_sync_growsdown", MM(0, Page, PROT_READ, MAP_PRIVATE | MAP_SYNC | MAP_GROWSDOWN, rw, 0));
        Error? fixedSync = MM(p, Page, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_SYNC, rw, 0).Error;
        answers["fixed_private_sync_keeps_the_old_mapping"] = fixedSync is not null && MemorySyscalls.Mincore(f.Ctx, f.Mm, p, Page, p + Page) is null ? 0 : 1;
        M("anonymous_sync", MM(0, Page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_SYNC, null, 0));
        M("anonymous_validate_sync", MM(0, Page, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | MAP_SYNC, null, 0));
        ulong two = f.Map(2 * Page, PROT_READ);
        Assert.Null(MM(two, Page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_SYNC, null, 0).Error);
        M("anonymous_sync_does_not_merge", MemorySyscalls.Mremap(f.Ctx, f.Mm, two, 2 * Page, 2 * Page, 0, 0));
        M("offset_2_63", MM(0, Page, PROT_READ, MAP_PRIVATE, rw, 1UL << 63));
        M("offset_2_63_too_long", MM(0, 1UL << 50, PROT_READ, MAP_PRIVATE, rw, 1UL << 63));
        M("offset_end_past_2_63", MM(0, 0x20000, PROT_READ, MAP_PRIVATE, rw, (1UL << 63) - 0x10000));
        M("offset_wraps_unaligned_fixed", MM(0xffffffff, 0x20000, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_32BIT, rw, 0xfffffffffffff000));
        M("offset_wraps_too_long", MM(0xffffffff, 0xffffffffffffefe8, PROT_EXEC, MAP_SHARED, rw, 0x3000));
        M("anonymous_offset_wraps", MM(0, 0x20000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, null, 0xfffffffffffff000));
        M("fixed_minus_1", MM(ulong.MaxValue, Page, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, null, 0));
        M("fixed_minus_2", MM(ulong.MaxValue - 1, Page, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, null, 0));
        M("fixed_minus_4095", MM(unchecked((ulong)-4095L), Page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, null, 0));
        M("fixed_minus_4096", MM(unchecked((ulong)-4096L), Page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, null, 0));
        M("noreplace_minus_1", MM(ulong.MaxValue, Page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, null, 0));
        M("fixed_minus_1_pipe", MM(ulong.MaxValue, Page, PROT_READ, MAP_PRIVATE | MAP_FIXED, pipeRead, 0));
        (ulong low, _) = MM(0x2000, Page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
        answers["low_hint_raised_to_the_minimum"] = low == f.Mm.Layout.MinAddress ? 0 : 1;
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, low, Page));
        M("fixed_between_the_minimums", MM(0x3000, Page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, null, 0));
        M("mremap_fixed_between_the_minimums", MemorySyscalls.Mremap(f.Ctx, f.Mm, 0x3000, Page, Page, MREMAP_MAYMOVE | MREMAP_FIXED, 0x5000));
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, 0x5000, Page));
        ulong r = f.Map(64 << 20, PROT_NONE);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, r, 64 << 20));
        ulong g = MM(r + (64 << 20) - 0x1f000, 0x1f000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE, null, 0).Result;
        Assert.Null(MM(g - 0xc000, Page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, null, 0).Error);
        ulong x = f.Map(0x2000, PROT_NONE);
        for (int i = 0; i < 100000 && x > g; i++)
        {
            x = f.Map(0x2000, PROT_NONE);
        }
        answers["placed_below_the_guard_gap"] = x + 0x2000 + (1 << 20) == g ? 0 : x + 0x2000 == g - 0xc000 ? 1 : 2;
        ulong small = f.Map(Page, PROT_READ);
        (ulong moved, _) = MemorySyscalls.Mremap(f.Ctx, f.Mm, small, Page, 4 << 20, MREMAP_MAYMOVE, 0);
        answers["mremap_move_huge_aligned"] = (moved & ((2 << 20) - 1)) == 0 ? 0 : 1;
        const ulong HugeMask = (2 << 20) - 1;
        ulong lowHint = MM(0xfff, 4 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, null, 0).Result;
        answers["first_page_hint_huge_aligned"] = (lowHint & HugeMask) == 0 ? 0 : 1;
        ulong fileMap = MM(0, 4 << 20, PROT_READ, MAP_PRIVATE, rw, 0x1000).Result;
        answers["file_mmap_huge_aligned"] = ((fileMap - 0x1000) & HugeMask) == 0 ? 0 : 1;
        ulong fileSmall = MM(0, Page, PROT_READ, MAP_SHARED, rw, 0x1000).Result;
        (ulong fileMoved, _) = MemorySyscalls.Mremap(f.Ctx, f.Mm, fileSmall, Page, 4 << 20, MREMAP_MAYMOVE, 0);
        answers["file_mremap_huge_aligned"] = ((fileMoved - 0x1000) & HugeMask) == 0 ? 0 : 1;
        ulong fileShort = MM(0, (2 << 20) + Page, PROT_READ, MAP_PRIVATE, rw, 0x1000).Result;
        answers["file_mmap_without_an_aligned_huge_page"] = ((fileShort - 0x1000) & HugeMask) == 0 ? 0 : 1;
        R("mincore_zero_pages_bad_vector", MemorySyscalls.Mincore(f.Ctx, f.Mm, p, 0, 0x3b60306589e1d680));
        R("mincore_zero_pages_vector_at_the_top", MemorySyscalls.Mincore(f.Ctx, f.Mm, p, 0, TaskSize));
        R("mincore_zero_pages_vector_past_the_top", MemorySyscalls.Mincore(f.Ctx, f.Mm, p, 0, TaskSize + 1));
        R("mincore_start_at_the_top", MemorySyscalls.Mincore(f.Ctx, f.Mm, TaskSize, 0, p));
        R("mincore_start_past_the_top", MemorySyscalls.Mincore(f.Ctx, f.Mm, TaskSize + Page, 0, p));
        ulong one = f.Map(2 * Page);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, one + Page, Page));
        f.Write(one, [1]);
        R("mincore_hole_null_vector", MemorySyscalls.Mincore(f.Ctx, f.Mm, one, 2 * Page, 0));
        ulong vec = p + (3 * Page);
        f.Write(vec, [0xee]);
        R("mincore_hole_after_a_page", MemorySyscalls.Mincore(f.Ctx, f.Mm, one, 2 * Page, vec));
        answers["mincore_hole_after_a_page_wrote_its_byte"] = f.Read(vec, 1)[0];
        return answers;
    }

    private static HostFileMappable Open(MmFixture f, string path, FileAccess access)
    {
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, access);
        (HostFileMappable? mappable, Error? error) = HostFileMappable.Create(handle, path, f.File, access != FileAccess.Write, access != FileAccess.Read);
        Assert.Null(error);
        return mappable!;
    }

    [SkippableFact]
    public void EveryCase_AnswersAsThisMachinesKernel()
    {
        string dir = Directory.CreateTempSubdirectory("warden-mmap-order-").FullName;
        try
        {
            string path = Path.Combine(dir, "two-pages");
            File.WriteAllBytes(path, new byte[2 * Page]);
            ulong lsmMin = Math.Max(ulong.Parse(File.ReadAllText("/proc/sys/vm/mmap_min_addr").Trim(), System.Globalization.CultureInfo.InvariantCulture), 0x1_0000);
            Skip.If(lsmMin != 0x1_0000 || File.ReadAllText("/proc/sys/vm/mmap_min_addr").Trim() != "4096",
                "The cases between the two minimums assume vm.mmap_min_addr 4096 and CONFIG_LSM_MMAP_MIN_ADDR 65536.");
            string body = $"#define PATH {CHeaderProbe.Literal(path)}\n#define LSM_MIN 0x{lsmMin:x}UL\n#define TASK_SIZE 0x{TaskSize:x}UL\n" + Program;
            IReadOnlyDictionary<string, string> kernel = CHeaderProbe.RunKeyValues(
                CHeaderProbe.Program(["errno.h", "fcntl.h", "stdio.h", "unistd.h", "sys/mman.h", "sys/syscall.h"], body));
            Dictionary<string, int> warden = Warden(path);

            Assert.Equal(kernel.Keys.Order(), warden.Keys.Order());
            var differences = kernel.Where(k => k.Value != warden[k.Key].ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Select(k => $"{k.Key}: kernel {k.Value}, Warden {warden[k.Key]}")
                .ToList();
            Assert.True(differences.Count == 0, string.Join("; ", differences));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
