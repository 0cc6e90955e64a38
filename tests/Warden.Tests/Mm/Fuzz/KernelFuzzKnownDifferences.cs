using Warden.HostArch;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm.Fuzz;

/// <summary>
/// The differences between Warden and this machine's kernel that the fuzzer has found and that are
/// still to be fixed in Warden: each one a narrow predicate over the call and both answers, with the
/// kernel's answer, Warden's, and a minimal reproduction. A matched difference is counted, not failed.
/// Delete an entry when its difference is fixed.
/// </summary>
public static class KernelFuzzKnownDifferences
{
    private const long EPERM = -1, EBADF = -9, EAGAIN = -11, ENOMEM = -12, EACCES = -13, EEXIST = -17, ENODEV = -19, EINVAL = -22, EFAULT = -14, EOPNOTSUPP = -95, EOVERFLOW = -75;
    private const int MAP_DROPPABLE = 0x08;

    /// <summary>One known difference.</summary>
    /// <param name="Name">What differs.</param>
    /// <param name="Matches">Whether a call and its two answers (kernel, Warden) show this difference, given the run's state.</param>
    /// <param name="SidesStayEqual">
    /// Whether neither side's address space changes when it shows (else the run unmaps a mapping one
    /// side made, or ends the seed).
    /// </param>
    /// <param name="Avoid">
    /// Calls not sent at all, because the difference would leave the sides apart for good (a call
    /// Warden accepts and the kernel does not, which cannot be undone); <see langword="null"/> for none.
    /// </param>
    public sealed record Difference(string Name, Func<FuzzCall, long, long, KernelFuzzState, bool> Matches, bool SidesStayEqual = false,
        Func<FuzzCall, Func<List<FuzzMapsLine>>, KernelFuzzState, bool>? Avoid = null);

    /// <summary>The known differences, in the order they are tried.</summary>
    public static IReadOnlyList<Difference> All { get; } =
    [
        // Known before this fuzzer (issue 12): MAP_DROPPABLE (Linux 6.11+) is a mapping type the
        // kernel accepts for private anonymous memory; Warden answers EINVAL.
        //   mmap(0, 0x1000, PROT_READ|PROT_WRITE, MAP_DROPPABLE|MAP_ANONYMOUS, -1, 0): kernel an address, Warden -EINVAL.
        new("MAP_DROPPABLE", (c, kernel, warden, _) => Type(c) == MAP_DROPPABLE && warden == EINVAL,
            Avoid: (c, _, _) => Type(c) == MAP_DROPPABLE && (c.A3 & MAP_FIXED) != 0 && (c.A3 & MAP_FIXED_NOREPLACE) == 0),

        // Found by this fuzzer: mmap of a file with an offset that is not page-aligned is EINVAL
        // before the descriptor is looked at (x86-64's sys_mmap checks the offset first); Warden's
        // Sys.Mmap looks the descriptor up first, so a closed one is EBADF (a pipe's ENODEV).
        //   mmap(0, 0x1000, PROT_READ, MAP_SHARED, 10 /* not open */, 0x80e): kernel -EINVAL, Warden -EBADF.
        new("unaligned offset checked after the descriptor", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && (c.A3 & MAP_ANONYMOUS) == 0 && (c.A5 & Arch.PageMask) != 0 &&
            kernel == EINVAL && warden is EBADF or ENODEV, SidesStayEqual: true),

        // Found by this fuzzer: mremap's flags are an unsigned long; the kernel refuses any unknown
        // bit, bits 32 to 63 too (EINVAL), where Warden's Sys.Mremap reads the flags as an int and
        // drops them.
        //   mremap(p, 0x1000, 0x1000, 1UL << 55, 0) for a mapped p: kernel -EINVAL, Warden p.
        new("mremap flags above bit 31", (c, kernel, warden, _) => false,
            Avoid: (c, _, _) => c.Number == Sysno.Mremap && c.A3 >> 32 != 0 && ((uint)c.A3 & ~7u) == 0),

        // Found by this fuzzer: mprotect's prot is an unsigned long; the kernel refuses bits 32 to 63
        // (EINVAL), where Warden's Sys.Mprotect reads an int and drops them.
        //   mprotect(p, 0x1000, 0x100000001) for a mapped p: kernel -EINVAL, Warden 0.
        new("mprotect prot above bit 31", (c, kernel, warden, _) => false,
            Avoid: (c, _, _) => c.Number == Sysno.Mprotect && c.A2 >> 32 != 0),

        // Found by this fuzzer: anonymous MAP_HUGETLB takes huge pages from the hugetlb pool, which is
        // empty on this machine (vm.nr_hugepages 0), so the kernel says ENOMEM (EINVAL for a MAP_HUGE_
        // size it does not have); Warden ignores MAP_HUGETLB and maps small pages.
        //   mmap(0, 1, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB, -1, 0): kernel -ENOMEM, Warden an address.
        // With MAP_NORESERVE the kernel needs no pool and makes a hugetlb mapping (2 MiB-aligned,
        // its length rounded up to 2 MiB), which Warden has no notion of; those calls are not sent.
        //   mmap(0, 0x17000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_NORESERVE, -1, 0):
        //   kernel 0x7ffff7400000, Warden 0x7ffff7fe8000.
        // MAP_HUGETLB on a file that is not on hugetlbfs is EINVAL as soon as the descriptor is
        // found, where Warden ignores the flag.
        //   mmap(0, 0x1000, PROT_READ, MAP_PRIVATE|MAP_HUGETLB, 4 /* a regular file */, 0): kernel -EINVAL, Warden an address.
        new("MAP_HUGETLB without a hugetlb pool or hugetlbfs", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && (c.A3 & MAP_HUGETLB) != 0 && kernel is ENOMEM or EINVAL or EOVERFLOW && warden != kernel,
            Avoid: (c, _, _) => c.Number == Sysno.Mmap && (c.A3 & MAP_HUGETLB) != 0 &&
                ((IsAnonymousHugetlb(c) && (c.A3 & MAP_NORESERVE) != 0) || ((c.A3 & MAP_FIXED) != 0 && (c.A3 & MAP_FIXED_NOREPLACE) == 0))),

        // Found by this fuzzer: mmap of a descriptor whose file cannot be mapped (here the child's
        // pipes, 0 to 2) checks the mapping type (EINVAL) and the access mode (EACCES: 1 and 2 are
        // write-only) before the file's lack of an mmap (ENODEV); Warden's Sys.Mmap asks the file for
        // its mmap source first and answers ENODEV.
        //   mmap(0, 0x1000, PROT_READ, MAP_PRIVATE, 1 /* a pipe's write end */, 0): kernel -EACCES, Warden -ENODEV.
        //   mmap(0, 0x1000, PROT_READ, 0x5 /* no such type */, 0 /* a pipe */, 0): kernel -EINVAL, Warden -ENODEV.
        //   mmap(0, 0x1000, PROT_READ, MAP_SHARED_VALIDATE|0x2000000, 1, 0): kernel -EOPNOTSUPP, Warden -ENODEV.
        new("mmap of a pipe is ENODEV first", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && (c.A3 & MAP_ANONYMOUS) == 0 && (uint)c.A4 < 3 && kernel is EACCES or EINVAL or EOPNOTSUPP && warden == ENODEV,
            SidesStayEqual: true),

        // Found by this fuzzer: for a file, the kernel chooses the address (ENOMEM when nothing fits
        // or a fixed range passes TASK_SIZE, EEXIST for MAP_FIXED_NOREPLACE over a mapping) and checks
        // MAP_LOCKED (EPERM, EAGAIN) before it looks at the file: its access mode (EACCES), its mmap
        // (ENODEV) and MAP_SHARED_VALIDATE's unknown flags (EOPNOTSUPP). Warden checks the file first.
        //   mmap(0x7ffff7fd6000, 0xffffffffffffdfb9, PROT_WRITE, MAP_SHARED, 4 /* O_RDONLY */, 0):
        //   kernel -ENOMEM, Warden -EACCES.
        //   mmap(p, 0x1000, PROT_READ, MAP_SHARED_VALIDATE|MAP_FIXED_NOREPLACE|0x200, 5, 0) over a
        //   mapping at p: kernel -EEXIST, Warden -EOPNOTSUPP.
        //   mmap(0x12000, 0x12000, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_SHARED|MAP_FIXED|MAP_ANONYMOUS, -1, 0);
        //   mmap(0x11000, 0x7000, PROT_READ|PROT_EXEC, 0x791b2d91 /* MAP_SHARED|MAP_FIXED_NOREPLACE|MAP_GROWSDOWN|... */, 5, 0x2000):
        //   kernel -EEXIST, Warden -EINVAL.
        new("mmap checks the file before placement", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && (c.A3 & MAP_ANONYMOUS) == 0 &&
            (kernel is ENOMEM or EEXIST or EPERM or EAGAIN || (kernel == EINVAL && (c.A0 & Arch.PageMask) != 0 && (c.A3 & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0)) &&
            (warden is EACCES or EOPNOTSUPP or ENODEV || (warden == EINVAL && kernel is EEXIST or ENOMEM)), SidesStayEqual: true),

        // Found by this fuzzer: the kernel's MAP_FIXED may go down to vm.mmap_min_addr (4096 here),
        // though hints and searches stop at CONFIG_LSM_MMAP_MIN_ADDR (65536); Warden has one minimum
        // (65536 here) for both, so the kernel maps [4096, 65536) and Warden refuses. Not sent: a
        // MAP_FIXED there replaces, which cannot be undone.
        //   mmap(0x1000, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) as nobody:
        //   kernel 0x1000, Warden an errno.
        new("MAP_FIXED between vm.mmap_min_addr and the LSM minimum", (c, kernel, warden, _) => false,
            Avoid: (c, _, _) => c.Number == Sysno.Mmap && (c.A3 & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0 && InLowWindow(c.A0) ||
                c.Number == Sysno.Mremap && (c.A3 & MREMAP_FIXED) != 0 && InLowWindow(c.A4)),

        // Found by this fuzzer: MADV_GUARD_INSTALL (102), Linux 6.13, installs guard pages (an
        // access is SIGSEGV) where Warden, which has none, refuses (EINVAL, as both answer for a
        // locked vma); over holes only both say ENOMEM, and MADV_GUARD_REMOVE answers alike. Not
        // sent where it meets a mapping (guard pages would then differ).
        //   madvise(p, 0x1000, MADV_GUARD_INSTALL) for a mapped private anonymous p: kernel 0, Warden -EINVAL.
        new("MADV_GUARD_INSTALL", (c, kernel, warden, _) => false,
            Avoid: (c, maps, _) => c.Number == Sysno.Madvise && (int)c.A2 == 102 && maps().Exists(l => l.Intersects(c.A0, c.A0 + c.A1))),

        // Found by this fuzzer: a hint below mmap_min_addr is raised to it (to 0x10000) before the
        // kernel tries it, so a free 0x10000 is where the mapping goes; Warden ignores such a hint
        // and searches top-down.
        //   mmap(0x1000, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) with 0x10000 free:
        //   kernel 0x10000, Warden 0x7ffff7ff6000.
        new("a low hint is raised to mmap_min_addr", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && (c.A3 & (MAP_FIXED | MAP_FIXED_NOREPLACE)) == 0 && c.A0 != 0 &&
            c.A0 < KernelFuzzRunner.MmapMinAddr && kernel == (long)KernelFuzzRunner.MmapMinAddr && warden != kernel),

        // Found by this fuzzer: mincore works a vma at a time, copying each part of the vector out
        // before looking further, so a vector it cannot write is EFAULT before a hole later in the
        // range is ENOMEM; Warden's Sys.Mincore checks the whole chunk's mapping first (ENOMEM).
        // (With a writable vector the kernel has also written the mapped prefix's bytes when it
        // answers ENOMEM; Warden has written none.)
        //   mmap(0x10000, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
        //   mincore(0x10000, 0x2000, NULL): kernel -EFAULT, Warden -ENOMEM.
        new("mincore faults on the vector before it finds a hole", (c, kernel, warden, _) =>
            c.Number == Sysno.Mincore && kernel == EFAULT && warden == ENOMEM, SidesStayEqual: true),

        // Found by this fuzzer: MAP_SHARED_VALIDATE accepts MAP_HUGE_2MB and MAP_HUGE_1GB (the size
        // bits 26 to 31 set to 21 or 30) as known flags; Warden's list of known flags lacks them and
        // answers EOPNOTSUPP.
        //   mmap(0, 0x1000, PROT_READ, MAP_SHARED_VALIDATE|MAP_HUGE_2MB, 3, 0): kernel an address, Warden -EOPNOTSUPP.
        //   mmap(0, 0x1000, PROT_READ, MAP_SHARED_VALIDATE|MAP_HUGE_2MB, 7 /* O_WRONLY */, 0): kernel -EACCES, Warden -EOPNOTSUPP.
        new("MAP_SHARED_VALIDATE with MAP_HUGE_2MB or MAP_HUGE_1GB", (c, kernel, warden, _) =>
            Type(c) == MAP_SHARED_VALIDATE && ((c.A3 >> 26) & 0x3f) is 21 or 30 && warden == EOPNOTSUPP && kernel != warden,
            Avoid: (c, _, _) => Type(c) == MAP_SHARED_VALIDATE && ((c.A3 >> 26) & 0x3f) is 21 or 30 &&
                (c.A3 & MAP_FIXED) != 0 && (c.A3 & MAP_FIXED_NOREPLACE) == 0),

        // Found by this fuzzer: MADV_MERGEABLE, UNMERGEABLE, HUGEPAGE, NOHUGEPAGE, DONTDUMP and DODUMP
        // set or clear a vma flag in the kernel, splitting a vma the range covers only in part (and
        // merging again when undone); Warden accepts them and changes no vma. Not sent where they
        // meet a mapping.
        //   mmap(p, 0xe000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
        //   madvise(p + 0x3000, 0x8000, MADV_MERGEABLE): both 0; the kernel's maps split p at p + 0x3000 and p + 0xb000.
        new("madvise flags Warden does not keep", (c, kernel, warden, _) => false,
            Avoid: (c, maps, _) => c.Number == Sysno.Madvise && (int)c.A2 is >= 12 and <= 17 &&
                AlignedRange(c.A0, c.A1) is (ulong start, ulong end) && end > start && maps().Exists(l => l.Intersects(start, end))),

        // Known before this fuzzer (issue 12): after mlockall(MCL_FUTURE) without CAP_IPC_LOCK, the
        // kernel holds later mmaps to RLIMIT_MEMLOCK (EAGAIN) and refuses to grow brk past it; Warden
        // maps and grows.
        //   mlockall(MCL_FUTURE|MCL_ONFAULT); mmap(0, 0x1d000, PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
        //   as nobody under a 64 KiB limit: kernel -EAGAIN, Warden an address.
        new("MCL_FUTURE ignores RLIMIT_MEMLOCK", (c, kernel, warden, _) =>
            (c.Number == Sysno.Mmap && kernel == EAGAIN && warden >= 0) ||
            (c.Number == Sysno.Brk && kernel != warden && (ulong)warden == c.A0)),

        // Found by this fuzzer: MAP_SHARED_VALIDATE knows only the legacy flags, and MAP_FIXED_NOREPLACE
        // is not one of them, so the kernel answers EOPNOTSUPP (before the file's access mode is
        // checked); Warden counts MAP_FIXED_NOREPLACE as known.
        //   mmap(0, 0x1000, PROT_READ, MAP_SHARED_VALIDATE|MAP_FIXED_NOREPLACE, 5, 0) with 0 free:
        //   kernel -EOPNOTSUPP, Warden an address.
        new("MAP_SHARED_VALIDATE with MAP_FIXED_NOREPLACE", (c, kernel, warden, _) =>
            Type(c) == MAP_SHARED_VALIDATE && (c.A3 & MAP_ANONYMOUS) == 0 && (c.A3 & MAP_FIXED_NOREPLACE) != 0 && kernel == EOPNOTSUPP && warden != kernel),

        // Found by this fuzzer: a file offset whose end passes the largest file size (MAX_LFS_FILESIZE)
        // is EOVERFLOW in the kernel, checked after placement; Warden accepts an offset whose byte
        // count does not wrap, and checks a wrapping one (EOVERFLOW) before placement.
        //   mmap(0x10000, 0x17000, PROT_NONE, MAP_PRIVATE|MAP_NONBLOCK|MAP_STACK, 4, 1UL << 63):
        //   kernel -EOVERFLOW, Warden 0x10000.
        //   mmap(0xffffffff, 0x20000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_32BIT, 4, 0xfffffffffffff000):
        //   kernel -EINVAL (the unaligned fixed address), Warden -EOVERFLOW.
        //   mmap(0xffffffff, 0xffffffffffffefe8, PROT_EXEC, MAP_SHARED, 6, 0x3000): kernel -ENOMEM (no room), Warden -EOVERFLOW.
        new("file offsets past the largest file", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && (c.A3 & MAP_ANONYMOUS) == 0 && (c.A5 >= 1UL << 62 || c.A1 >= 1UL << 62 || c.A5 + c.A1 >= 1UL << 62) &&
            (kernel == EOVERFLOW || warden == EOVERFLOW) && kernel != warden,
            Avoid: (c, _, _) => c.Number == Sysno.Mmap && (c.A3 & MAP_ANONYMOUS) == 0 && c.A5 >= 1UL << 62 &&
                (c.A3 & MAP_FIXED) != 0 && (c.A3 & MAP_FIXED_NOREPLACE) == 0),

        // Found by this fuzzer: MAP_SYNC on a file mapping that is not MAP_SHARED_VALIDATE is
        // EOPNOTSUPP in this kernel; Warden ignores MAP_SYNC there.
        //   mmap(0, 0x1000, PROT_READ, MAP_PRIVATE|MAP_SYNC, 5, 0): kernel -EOPNOTSUPP, Warden an address.
        new("MAP_SYNC on a file", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && (c.A3 & (MAP_SYNC | MAP_ANONYMOUS)) == MAP_SYNC && kernel == EOPNOTSUPP && warden != kernel,
            Avoid: (c, _, _) => c.Number == Sysno.Mmap && (c.A3 & (MAP_SYNC | MAP_ANONYMOUS)) == MAP_SYNC &&
                (c.A3 & MAP_FIXED) != 0 && (c.A3 & MAP_FIXED_NOREPLACE) == 0),

        // Issue 12 lists it: EAGAIN (MAP_LOCKED or MCL_FUTURE over RLIMIT_MEMLOCK) comes before a bad
        // mapping type's EINVAL in the kernel; Warden answers EINVAL. (Anonymous MAP_SHARED_VALIDATE is
        // a bad type for both.)
        //   mlockall(MCL_FUTURE); mmap(0, 0x10000, PROT_WRITE, MAP_NORESERVE|0x7, 4, 0x1000) as nobody
        //   under a 64 KiB limit: kernel -EAGAIN, Warden -EINVAL.
        new("EAGAIN before a bad type's EINVAL", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && kernel == EAGAIN && warden == EINVAL, SidesStayEqual: true),

        // Found by this fuzzer: top-down placement when the highest free gap lies within the stack
        // guard gap (1 MiB) below a MAP_GROWSDOWN vma: the kernel then searches only below that guard
        // gap, passing over lower gaps between other vmas that are outside it; Warden takes the
        // highest gap that fits outside the guard gap. (Matched when Warden's answer lies within two
        // guard gaps of where a grows-down mapping was made, and the kernel's is lower.)
        //   mmap(0, 0x1f000, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS|MAP_GROWSDOWN, -1, 0) = g;
        //   mmap(g - 0xc000, 0x1000, PROT_READ, MAP_PRIVATE|MAP_FIXED, 3, 0x2000);
        //   mmap(0, 0x2000, PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0): kernel g - 1 MiB - 0x2000, Warden g - 0xe000.
        // mremap's moves place the same way (and cannot be undone, so the seed ends there):
        //   12 calls, ending with mremap(0x7ffff76ba000, 0x1000, 0xb000, MREMAP_MAYMOVE, 0x1000):
        //   kernel 0x7ffff76af000, Warden 0x7ffff7fb7000 (within the guard gap below a grows-down vma at 0x7ffff7fd8000).
        new("placement below a grows-down vma's guard gap", (c, kernel, warden, s) =>
            c.Number is Sysno.Mmap or Sysno.Mremap && kernel >= 0 && warden >= 0 && kernel < warden &&
            s.GrowsDown.Exists(g => (ulong)warden + RoundUp(c.Number == Sysno.Mmap ? c.A1 : c.A2) > g - (2 * MemoryManagerOptionsGap) &&
                (ulong)warden < g + (2 * MemoryManagerOptionsGap))),

        // Found by this fuzzer: mincore checks its vector's address even for 0 pages, so a vector
        // above the user address space is EFAULT; Warden's Sys.Mincore checks it only when it has
        // pages to write.
        //   mincore(0x11000, 0, 0x3b60306589e1d680): kernel -EFAULT, Warden 0.
        new("mincore of 0 pages checks the vector", (c, kernel, warden, _) =>
            c.Number == Sysno.Mincore && c.A1 == 0 && kernel == EFAULT && warden == 0, SidesStayEqual: true),

        // Found by this fuzzer: mmap's flags are an unsigned long, and MAP_SHARED_VALIDATE refuses
        // unknown bits above bit 31 too (EOPNOTSUPP); Warden's Sys.Mmap reads an int and drops them.
        //   mmap(0, 0x1000, PROT_READ, MAP_SHARED_VALIDATE | 1UL << 49, 5, 0): kernel -EOPNOTSUPP, Warden an address.
        new("MAP_SHARED_VALIDATE flags above bit 31", (c, kernel, warden, _) =>
            Type(c) == MAP_SHARED_VALIDATE && c.A3 >> 32 != 0 && kernel == EOPNOTSUPP && warden != kernel,
            Avoid: (c, _, _) => Type(c) == MAP_SHARED_VALIDATE && c.A3 >> 32 != 0 && (c.A3 & MAP_FIXED) != 0 && (c.A3 & MAP_FIXED_NOREPLACE) == 0),

        // Found by this fuzzer: the kernel places a mapping of 2 MiB or more (a file's, here) at a
        // 2 MiB boundary (a file's so that address and offset agree modulo 2 MiB), so that
        // transparent huge pages can back it; Warden places it at the top of the highest gap.
        //   mmap(0, 0x7ff000, PROT_READ, MAP_SHARED_VALIDATE, 3, 0x1000): kernel 0x7ffff7601000, Warden 0x7ffff77f8000.
        //   mmap(0, 0x4000000, PROT_READ, MAP_SHARED, 5, 0): kernel 0x7ffff3e00000, Warden 0x7ffff3ff7000.
        new("2 MiB-aligned placement of large mappings", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && (c.A3 & (MAP_FIXED | MAP_FIXED_NOREPLACE)) == 0 && c.A1 >= 2UL << 20 &&
            kernel >= 0 && warden >= 0 && kernel != warden &&
            ((kernel - ((c.A3 & MAP_ANONYMOUS) != 0 ? 0 : (long)c.A5)) & ((2L << 20) - 1)) == 0),

        // Found by this fuzzer: anonymous MAP_SYNC is accepted by both, but the kernel gives the vma
        // VM_SYNC, so it never merges with a neighbour without it; Warden ignores the flag and merges.
        // Not sent (the vma boundaries would differ from then on).
        //   mmap(0, 0xf000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_SYNC, -1, 0) = p;
        //   mmap(0, 0x7000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = p - 0x7000: the kernel keeps two vmas, Warden one.
        new("anonymous MAP_SYNC", (c, kernel, warden, _) => false,
            Avoid: (c, _, _) => c.Number == Sysno.Mmap && (c.A3 & (MAP_SYNC | MAP_ANONYMOUS)) == (MAP_SYNC | MAP_ANONYMOUS)),

        // Found by this fuzzer: a fixed address in the last page below 2^64 is returned by the kernel's
        // placement as it is, and then taken for an errno (it lies in [-4095, -1]): mmap "fails" with
        // errno -addr (EPERM for 0xffffffffffffffff, ENOENT for 0xfffffffffffffffe); Warden answers ENOMEM.
        //   mmap(0xffffffffffffffff, 0x1000, PROT_READ, MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED, -1, 0): kernel -EPERM, Warden -ENOMEM.
        new("a fixed address in the top page comes back as an errno", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && (c.A3 & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0 && c.A0 >= unchecked((ulong)-4095L) &&
            kernel == (long)c.A0 && warden != kernel, SidesStayEqual: true),

        // Issue 12 lists it: a bad mapping type is EINVAL only after placement, so with no room the
        // kernel says ENOMEM; Warden says EINVAL.
        //   brk(0xdb380000); mmap(0x7fffffffe000, 0x1b000, PROT_READ|PROT_EXEC, MAP_SHARED_VALIDATE|MAP_ANONYMOUS|MAP_32BIT, -1, 0)
        //   (the 32-bit window full): kernel -ENOMEM, Warden -EINVAL.
        new("a bad type's EINVAL after placement's ENOMEM", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && kernel == ENOMEM && warden == EINVAL, SidesStayEqual: true),
    ];

    /// <summary>
    /// Found by this fuzzer: a fault (or a populate) in Warden gives memory to the whole aligned
    /// fault-around window around the page (MemoryManager.FaultAroundBytes, or the platform's map
    /// unit if larger: 2 MiB on SoftMmu), within the vma; Linux's anonymous faults give memory to one
    /// page. So mincore says 1 in Warden and 0 in the kernel for untouched neighbours of a touched
    /// page. The run matches a mincore byte of 0 in the kernel and 1 in Warden when the kernel has
    /// a resident page in this window.
    ///   mmap(0x1ffffffd000, 0x15000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0);
    ///   madvise(0x20000002000, 2, MADV_POPULATE_WRITE); mincore(0x20000000000, 0x9000, v): kernel v[0] = 0, Warden 1.
    /// </summary>
    public static (ulong Start, ulong End) FaultAroundWindow(FuzzMapsLine line, ulong page)
    {
        const ulong Window = 2UL << 20;
        ulong start = Math.Max(line.Start, page & ~(Window - 1));
        ulong end = Math.Min(line.End, (page & ~(Window - 1)) + Window);
        return (start, end);
    }

    /// <summary>
    /// Found by this fuzzer: MADV_POPULATE_WRITE on part of a MAP_GROWSDOWN mapping makes, in Warden,
    /// the page below the range resident too (mincore says 1 there; the kernel 0). This matches a
    /// mincore byte of 0 in the kernel and 1 in Warden for a page of a mapping made with MAP_GROWSDOWN.
    ///   mmap(0x10000, 0x1f000, PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS|MAP_GROWSDOWN|MAP_STACK, -1, 0);
    ///   madvise(0x14000, 0x8fff, MADV_POPULATE_WRITE); mincore(0x13000, 0x1000, v): kernel v[0] = 0, Warden 1.
    /// </summary>
    public static bool MincoreBelowPopulatedGrowsDown(FuzzMapsLine? line, byte kernel, byte warden, KernelFuzzState s) =>
        line is not null && kernel == 0 && warden == 1 && s.GrowsDown.Exists(g => line.Start <= g && g < line.End);

    private static ulong RoundUp(ulong length) => (length + Arch.PageMask) & ~(ulong)Arch.PageMask;

    /// <summary>
    /// Found by this fuzzer: a mapping that starts exactly at the program break (above the heap) is
    /// named [heap] in Warden's maps, not in the kernel's. This says whether two maps lines differ in
    /// that name only.
    ///   mmap(brk, 0x4000, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) with brk
    ///   page-aligned: kernel "... 00:00 0", Warden "... 00:00 0  [heap]".
    /// </summary>
    public static bool HeapNameAtTheBreak(FuzzMapsLine kernel, FuzzMapsLine warden, KernelFuzzState s) =>
        warden.Name == "[heap]" && kernel.Name.Length == 0 && warden.Start >= s.Brk &&
        kernel.Start == warden.Start && kernel.End == warden.End && kernel.Perms == warden.Perms && kernel.Inode == 0 && warden.Inode == 0;

    private const ulong MemoryManagerOptionsGap = Warden.Mm.MemoryManagerOptions.DefaultStackGuardGap;

    /// <summary>The known difference that keeps <paramref name="c"/> from being sent, or <see langword="null"/>.</summary>
    /// <param name="c">The call.</param>
    /// <param name="kernelMaps">The child's maps now (read only if needed).</param>
    /// <param name="s">The run's state.</param>
    public static string? Avoided(FuzzCall c, Func<List<FuzzMapsLine>> kernelMaps, KernelFuzzState s)
    {
        foreach (Difference d in All)
        {
            if (d.Avoid?.Invoke(c, kernelMaps, s) == true)
            {
                return d.Name;
            }
        }
        return null;
    }

    /// <summary>The known difference the answers show, or <see langword="null"/>.</summary>
    public static Difference? Match(FuzzCall c, long kernel, long warden, KernelFuzzState s)
    {
        foreach (Difference d in All)
        {
            if (d.Matches(c, kernel, warden, s))
            {
                return d;
            }
        }
        return null;
    }

    /// <summary>
    /// Found by this fuzzer: mincore of a page of a file mapping answers, in the kernel, whether the
    /// file's page is in the host's page cache (it is, for these small files just written), whether
    /// or not this process touched it; Warden answers whether it has read the page into its own
    /// cache, so 0 for a page not touched yet. This matches a mincore byte of 1 in the kernel and 0
    /// in Warden for a page of a file-backed line.
    ///   mmap(0, 0x1000, PROT_READ, MAP_SHARED, 4, 0) = p; mincore(p, 0x1000, v): kernel v[0] = 1, Warden v[0] = 0.
    /// </summary>
    public static bool MincoreOfFilePage(FuzzMapsLine? line, byte kernel, byte warden) =>
        line is { Inode: not 0, Name: not "/dev/zero (deleted)" } && kernel == 1 && warden == 0;

    /// <summary>The page-aligned range madvise works on, or (0, 0) for an unaligned start; the end may wrap.</summary>
    private static (ulong Start, ulong End) AlignedRange(ulong addr, ulong length) =>
        (addr & Arch.PageMask) != 0 ? (0, 0) : (addr, addr + ((length + Arch.PageMask) & ~(ulong)Arch.PageMask));

    private static bool InLowWindow(ulong addr) => addr >= KernelFuzzRunner.DacMmapMinAddr && addr < KernelFuzzRunner.MmapMinAddr;

    private static int Type(FuzzCall c) => c.Number == Sysno.Mmap ? (int)c.A3 & MAP_TYPE : -1;

    private static bool IsAnonymousHugetlb(FuzzCall c) =>
        c.Number == Sysno.Mmap && (c.A3 & (MAP_ANONYMOUS | MAP_HUGETLB)) == (MAP_ANONYMOUS | MAP_HUGETLB);
}
