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

        // Known before this fuzzer (issue 12): a huge MAP_SHARED|MAP_ANONYMOUS|MAP_NORESERVE
        // mapping succeeds in the kernel (shmem is not accounted under NORESERVE); Warden says ENOMEM.
        //   mmap(0, 2 TiB, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0).
        new("huge shared anonymous NORESERVE", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && (c.A3 & (MAP_ANONYMOUS | MAP_NORESERVE)) == (MAP_ANONYMOUS | MAP_NORESERVE) &&
            Type(c) is MAP_SHARED or MAP_SHARED_VALIDATE && c.A1 >= 1UL << 34 && kernel >= 0 && warden == ENOMEM),

        // Issue 12 lists it: mlock, mlock2 and munlock of a range that wraps past 2^64 (after the
        // length is rounded up to pages, so the rounded length is not 0): kernel EINVAL, Warden ENOMEM.
        //   mlock2(0x7ffff7ffd000, 0xffffffffffffdfc4, 0): kernel -EINVAL, Warden -ENOMEM.
        new("mlock of a wrapping range", (c, kernel, warden, _) =>
            IsLock(c) && LockRange(c) is (ulong start, ulong length) && length != 0 && start + length < start &&
            kernel == EINVAL && warden == ENOMEM, SidesStayEqual: true),

        // Issue 12 lists it: mlock, mlock2 and munlock of a length that rounds up to 0 pages (it
        // wraps exactly to 0): the kernel does nothing and answers 0, Warden ENOMEM.
        //   munlock(0x7ffffffff000, 0xffffffffffffff6b): kernel 0, Warden -ENOMEM.
        new("mlock of a length that rounds to 0", (c, kernel, warden, _) =>
            IsLock(c) && c.A1 != 0 && LockRange(c).Length == 0 && kernel == 0 && warden == ENOMEM, SidesStayEqual: true),

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

        // Found by this fuzzer: msync of a length that rounds up to 0 (it wraps exactly to 0) does
        // nothing and answers 0 in the kernel; Warden says ENOMEM (the msync twin of the mlock one).
        //   msync(0x7ffff7bf1000, 0xffffffffffffffde, MS_SYNC): kernel 0, Warden -ENOMEM.
        new("msync of a length that rounds to 0", (c, kernel, warden, _) =>
            c.Number == Sysno.Msync && c.A1 != 0 && ((c.A1 + Arch.PageMask) & ~(ulong)Arch.PageMask) == 0 && kernel == 0 && warden == ENOMEM,
            SidesStayEqual: true),

        // Found by this fuzzer: mlock's length is rounded up with the start's page offset added, and
        // that sum may wrap to a small length, which the kernel then locks (or unlocks) as asked;
        // Warden says ENOMEM. Not sent when the wrapped length is not 0: the kernel changes lock state.
        //   munlock(0x7ffff7fd96b3, 0xffffffffffffff58) with a page mapped at 0x7ffff7fd9000: kernel 0, Warden -ENOMEM.
        new("mlock of a length that wraps to a small one", (c, kernel, warden, _) => false,
            Avoid: (c, _, _) => IsLock(c) && c.A1 + (c.A0 & Arch.PageMask) + Arch.PageMask < c.A1 && LockRange(c).Length != 0),

        // Found by this fuzzer: mlock, mlock2 and munlock whose start is mapped but whose range has
        // a hole change the mapped vmas up to the hole (locking or unlocking them, so splitting them)
        // and only then answer ENOMEM; Warden answers ENOMEM having changed nothing. Not sent: the
        // lock state and the vma boundaries would differ from then on.
        //   mmap(p, 0x5000, PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0) with nothing mapped above;
        //   mlock(p + 0x2000, 0x1fff000): both -ENOMEM, but the kernel's maps now split p at p + 0x2000.
        new("mlock up to a hole", (c, kernel, warden, _) => false,
            Avoid: (c, maps, _) => IsLock(c) && LockRange(c) is (ulong start, ulong length) && length != 0 && start + length > start &&
                StartsMappedWithHole(maps(), start, start + length)),

        // Found by this fuzzer: MADV_GUARD_INSTALL (102) and MADV_GUARD_REMOVE (103), Linux 6.13:
        // Warden does not know them and answers EINVAL where the kernel checks the range (ENOMEM for
        // a hole) and installs or removes guard pages. GUARD_INSTALL is not sent where it could
        // succeed (guard pages would then differ); GUARD_REMOVE changes nothing here.
        //   madvise(0x10000, 0x5001, MADV_GUARD_INSTALL) with nothing mapped there: kernel -ENOMEM, Warden -EINVAL.
        new("MADV_GUARD_INSTALL and MADV_GUARD_REMOVE", (c, kernel, warden, _) =>
            c.Number == Sysno.Madvise && (int)c.A2 is 102 or 103 && warden == EINVAL && kernel != EINVAL, SidesStayEqual: true,
            Avoid: (c, maps, _) => c.Number == Sysno.Madvise && (int)c.A2 == 102 && maps().Exists(l => l.Intersects(c.A0, c.A0 + c.A1))),

        // Issue 12 lists it: MADV_COLLAPSE follows the host's answer. Here the kernel says EINVAL
        // (no transparent huge page can be made of these ranges) where Warden says 0 (or ENOMEM for
        // a hole, before the kernel's EINVAL). Neither changes a mapping.
        //   madvise(p, 0x1000, MADV_COLLAPSE) for a mapped private anonymous p: kernel -EINVAL, Warden 0.
        new("MADV_COLLAPSE", (c, kernel, warden, _) => c.Number == Sysno.Madvise && (int)c.A2 == 25 && kernel == EINVAL,
            SidesStayEqual: true),

        // Found by this fuzzer: madvise advice that changes vma flags (MADV_NORMAL, RANDOM, SEQUENTIAL,
        // DONTFORK, DOFORK, MERGEABLE, UNMERGEABLE, HUGEPAGE, NOHUGEPAGE, DONTDUMP, DODUMP, WIPEONFORK,
        // KEEPONFORK) over a range with a hole is applied by the kernel to every mapped part (so vmas
        // split) before it answers ENOMEM; Warden answers ENOMEM having changed nothing. Not sent.
        //   mmap(p, 0x7000, PROT_READ|PROT_EXEC, MAP_PRIVATE, 5, 0x1000) with nothing mapped above;
        //   madvise(p + 0x6000, 0x19000, MADV_HUGEPAGE): both -ENOMEM, but the kernel's maps split p at p + 0x6000.
        new("madvise of vma flags up to a hole", (c, kernel, warden, _) => false,
            Avoid: (c, maps, _) => c.Number == Sysno.Madvise && (int)c.A2 is (>= 0 and <= 2) or (>= 10 and <= 19) &&
                AlignedRange(c.A0, c.A1) is (ulong start, ulong end) && end > start && PartlyMapped(maps(), start, end)),

        // Found by this fuzzer: mlock of file pages past the end of the file (a mapping of the empty
        // file at an offset) locks the vmas, then fails to populate those pages (SIGBUS) and answers
        // ENOMEM; Warden locks and answers 0. Both end with the same vmas.
        //   mmap(p, 2, PROT_READ, MAP_PRIVATE|MAP_FIXED, 3 /* empty */, 0x2000); mlock(p, 0x1000):
        //   kernel -ENOMEM, Warden 0.
        // The kernel stops populating at the first such page, so the range's later pages stay
        // non-resident there and resident in Warden (see MincoreAfterAFailedPopulate).
        new("mlock populating past the end of a file", (c, kernel, warden, s) =>
            c.Number is Sysno.Mlock or Sysno.Mlock2 && kernel == ENOMEM && warden == 0 && s.NotePartlyPopulated(LockRange(c)),
            SidesStayEqual: true),

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

        // Found by this fuzzer: MADV_POPULATE_READ/WRITE over a range with a hole: the kernel answers
        // ENOMEM for the hole (having populated what comes before it), Warden EINVAL for memory it
        // may not access, before the hole. Over file pages past the end of the file then a hole, the
        // kernel's populate faults first (EFAULT), Warden finds the hole first (ENOMEM); over such
        // pages then a vma it may not access, the kernel faults (EFAULT), Warden refuses (EINVAL).
        //   mmap(p, 0xe000, PROT_NONE, ...); munmap(p - 0x2000, 0xc000); madvise(p + 0x3000, 0x1e000, MADV_POPULATE_READ):
        //   kernel -ENOMEM, Warden -EINVAL.
        // Over file pages past the end of the file alone, the kernel says EFAULT, having populated up
        // to them; Warden populates them (see MincorePastTheEndOfAFile) and says 0.
        //   mmap(p, 0xc000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED, 3 /* empty */, 0x800000001000);
        //   madvise(p + 0x9000, 0x2000, MADV_POPULATE_WRITE): kernel -EFAULT, Warden 0.
        new("MADV_POPULATE past the end of a file", (c, kernel, warden, s) =>
            c.Number == Sysno.Madvise && (int)c.A2 is 22 or 23 && kernel == EFAULT && warden == 0 &&
            s.NotePartlyPopulated((c.A0, RoundUp(c.A1))), SidesStayEqual: true),
        // Warden may have populated part of the range before its answer, the kernel none of it
        // (seen once fixed mappings in the low window were sent); the range is noted for mincore.
        new("MADV_POPULATE over a hole", (c, kernel, warden, s) =>
            c.Number == Sysno.Madvise && (int)c.A2 is 22 or 23 && (kernel, warden) is (ENOMEM, EINVAL) or (EFAULT, ENOMEM) or (EFAULT, EINVAL) &&
            s.NotePartlyPopulated((c.A0 & ~(ulong)Arch.PageMask, RoundUp(c.A1))),
            SidesStayEqual: true),

        // Issue 12 lists it: EAGAIN (MAP_LOCKED or MCL_FUTURE over RLIMIT_MEMLOCK) comes before a bad
        // mapping type's EINVAL in the kernel; Warden answers EINVAL. (Anonymous MAP_SHARED_VALIDATE is
        // a bad type for both.)
        //   mlockall(MCL_FUTURE); mmap(0, 0x10000, PROT_WRITE, MAP_NORESERVE|0x7, 4, 0x1000) as nobody
        //   under a 64 KiB limit: kernel -EAGAIN, Warden -EINVAL.
        new("EAGAIN before a bad type's EINVAL", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && kernel == EAGAIN && warden == EINVAL, SidesStayEqual: true),

        // Found by this fuzzer: under mlockall(MCL_FUTURE|MCL_ONFAULT) a MAP_LOCKED mapping is
        // lock-on-fault in the kernel (the future flags are added to the mapping's), so it merges
        // with its lock-on-fault neighbours; Warden makes it eagerly locked, and it does not. Not sent.
        //   mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT); mmap(0x10000, 0x12000, PROT_WRITE|PROT_EXEC,
        //   MAP_PRIVATE|MAP_ANONYMOUS|MAP_POPULATE, -1, 0); mmap(0x22000, 0x8000, PROT_READ|PROT_WRITE,
        //   MAP_PRIVATE|MAP_ANONYMOUS|MAP_LOCKED, -1, 0); mprotect(0x16000, 0xe000, PROT_WRITE|PROT_EXEC):
        //   the kernel has one vma 0x10000-0x24000, Warden two.
        new("MAP_LOCKED under MCL_FUTURE|MCL_ONFAULT", (c, kernel, warden, _) => false,
            Avoid: (c, _, s) => c.Number == Sysno.Mmap && (c.A3 & MAP_LOCKED) != 0 && s.FutureOnFault),

        // Found by this fuzzer: madvise walks the range a vma at a time, so advice a vma refuses
        // (EINVAL: MADV_FREE or MADV_DONTNEED on a locked vma, for one) is answered before a later
        // hole's ENOMEM; Warden looks for holes first.
        //   mlockall(MCL_FUTURE); mmap(p, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0);
        //   madvise(p, 0x10000, MADV_FREE) with nothing above p + 0x1000: kernel -EINVAL, Warden -ENOMEM.
        new("madvise's EINVAL before a hole's ENOMEM", (c, kernel, warden, _) =>
            c.Number == Sysno.Madvise && kernel == EINVAL && warden == ENOMEM, SidesStayEqual: true),

        // Found by this fuzzer: the kernel places a mapping of 2 MiB or more (a file's, here) at a
        // 2 MiB boundary (a file's so that address and offset agree modulo 2 MiB), so that
        // transparent huge pages can back it; Warden places it at the top of the highest gap.
        //   mmap(0, 0x7ff000, PROT_READ, MAP_SHARED_VALIDATE, 3, 0x1000): kernel 0x7ffff7601000, Warden 0x7ffff77f8000.
        //   mmap(0, 0x4000000, PROT_READ, MAP_SHARED, 5, 0): kernel 0x7ffff3e00000, Warden 0x7ffff3ff7000.
        new("2 MiB-aligned placement of large mappings", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && (c.A3 & (MAP_FIXED | MAP_FIXED_NOREPLACE)) == 0 && c.A1 >= 2UL << 20 &&
            kernel >= 0 && warden >= 0 && kernel != warden &&
            ((kernel - ((c.A3 & MAP_ANONYMOUS) != 0 ? 0 : (long)c.A5)) & ((2L << 20) - 1)) == 0),

        // Found by this fuzzer: MADV_FREE on a locked vma is EINVAL in the kernel (as COLD and PAGEOUT
        // are); Warden frees and answers 0.
        //   mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT); mmap(0, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = p;
        //   madvise(p, 2, MADV_FREE): kernel -EINVAL, Warden 0.
        new("MADV_FREE on a locked vma", (c, kernel, warden, _) =>
            c.Number == Sysno.Madvise && (int)c.A2 == 8 && kernel == EINVAL && warden == 0, SidesStayEqual: true),

        // Issue 12 lists it (overcommit): vm.overcommit_memory 0 refuses one mapping larger than the
        // machine's RAM and swap (ENOMEM); Warden maps it.
        //   mmap(0, 0x20000000000 /* 2 TiB */, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0): kernel -ENOMEM, Warden an address.
        new("overcommit heuristic", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && kernel == ENOMEM && warden >= 0 && RoundUp(c.A1) > s_ramAndSwap),

        // Issue 12 lists it: a bad mapping type is EINVAL only after placement, so with no room the
        // kernel says ENOMEM; Warden says EINVAL.
        //   brk(0xdb380000); mmap(0x7fffffffe000, 0x1b000, PROT_READ|PROT_EXEC, MAP_SHARED_VALIDATE|MAP_ANONYMOUS|MAP_32BIT, -1, 0)
        //   (the 32-bit window full): kernel -ENOMEM, Warden -EINVAL.
        new("a bad type's EINVAL after placement's ENOMEM", (c, kernel, warden, _) =>
            c.Number == Sysno.Mmap && kernel == ENOMEM && warden == EINVAL, SidesStayEqual: true),

        // Found by this fuzzer: mremap with an old length that rounds up to 0 (it wraps) of a private
        // mapping is EINVAL in the kernel; Warden says EFAULT.
        //   mremap(0x5c0000, 0xffffffffffffef8f, 0xf000, MREMAP_MAYMOVE|MREMAP_FIXED, 0x7ffff7f62000): kernel -EINVAL, Warden -EFAULT.
        new("mremap of an old length that rounds to 0", (c, kernel, warden, _) =>
            c.Number == Sysno.Mremap && c.A1 != 0 && RoundUp(c.A1) == 0 && kernel == EINVAL && warden == EFAULT, SidesStayEqual: true),

        // Found by this fuzzer (suspected from a shrunk sequence): mlockall without MCL_FUTURE ends an
        // earlier MCL_FUTURE in the kernel; Warden's stays, so later mappings are locked there only
        // (msync MS_INVALIDATE then says EBUSY in Warden, ENOMEM over a hole in the kernel). Not sent.
        //   mlockall(MCL_FUTURE); mlockall(MCL_CURRENT|MCL_ONFAULT); mmap(0x27000, 0xe000, PROT_NONE,
        //   MAP_SHARED|MAP_NORESERVE|MAP_FIXED_NOREPLACE, 5, 0); msync(0x31000, 0x5000, MS_INVALIDATE):
        //   kernel -ENOMEM, Warden -EBUSY.
        new("mlockall without MCL_FUTURE keeps MCL_FUTURE", (c, kernel, warden, _) => false,
            Avoid: (c, _, s) => c.Number == Sysno.Mlockall && s.Future && ((int)c.A0 & MCL_FUTURE) == 0),
    ];

    private static readonly ulong s_ramAndSwap = ReadRamAndSwap();

    private static ulong ReadRamAndSwap()
    {
        ulong total = 0;
        foreach (string line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal) || line.StartsWith("SwapTotal:", StringComparison.Ordinal))
            {
                total += ulong.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        return total;
    }

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

    /// <summary>
    /// Found by this fuzzer (issue 12, once fixed mappings in [vm.mmap_min_addr, 65536) were sent):
    /// mincore of shared anonymous memory answers, in the kernel, whether the shmem object holds the
    /// page, which it keeps after MADV_DONTNEED (or the populate of an mlock that then failed) took
    /// this mapping's page table entry away; Warden answers whether this mapping has the page. This
    /// matches a mincore byte of 1 in the kernel and 0 in Warden for a page of such a line.
    ///   mmap(0, 0x2000, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0) = p; p[0] = 1;
    ///   madvise(p, 0x2000, MADV_DONTNEED); mincore(p, 0x2000, v): kernel v[0] = 1, Warden 0.
    /// </summary>
    public static bool MincoreOfSharedAnonymousPage(FuzzMapsLine? line, byte kernel, byte warden) =>
        line is { Name: "/dev/zero (deleted)" } && kernel == 1 && warden == 0;

    /// <summary>
    /// Found by this fuzzer: mlock (or MADV_POPULATE_READ/WRITE) of a file mapping's pages past the
    /// end of the file makes them resident in Warden (mincore 1), where the kernel's populate fails
    /// there (mincore 0). This
    /// matches a mincore byte of 0 in the kernel and 1 in Warden for a page of a file-backed line
    /// that lies past the end of its file.
    ///   mmap(0, 0x7000, PROT_READ, MAP_SHARED, 6 /* 3.5 pages */, 0x3000) = p; mlock(p, 0x7000);
    ///   mincore(p + 0x3000, 0x1000, v): kernel v[0] = 0, Warden 1.
    /// </summary>
    public static bool MincorePastTheEndOfAFile(FuzzMapsLine? line, ulong page, byte kernel, byte warden) =>
        line is { Inode: not 0, Name: not "/dev/zero (deleted)" } && kernel == 0 && warden == 1 &&
        File.Exists(line.Name) && line.Offset + (page - line.Start) >= (ulong)new FileInfo(line.Name).Length;

    /// <summary>
    /// The other half of "mlock populating past the end of a file": a page of such an mlock's range
    /// after the first page past the end of a file is resident in Warden (1), not in the kernel (0).
    ///   mmap(q, 0x401000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); munmap(q + 0x3000, 0xe000);
    ///   mmap(0, 0x7000, PROT_READ, MAP_SHARED, 6, 0x3000) = p (in the hole, p + 0x7000 = q + 0x11000);
    ///   mlock(p + 0x4000, 0xb000); mincore(p + 0x7000, 0x1000, v): kernel v[0] = 0, Warden 1.
    /// </summary>
    public static bool MincoreAfterAFailedPopulate(ulong page, byte kernel, byte warden, KernelFuzzState s) =>
        kernel == 0 && warden == 1 && s.PartlyPopulated.Exists(r => r.Start <= page && page < r.End);

    /// <summary>
    /// Found by this fuzzer (not yet understood): as nobody, an mlock both sides refuse with ENOMEM
    /// (over RLIMIT_MEMLOCK, or over PROT_NONE memory) leaves pages of its range resident in Warden
    /// that are not resident in the kernel. Records such a call's range (when it is one).
    ///   (10 calls; see the report of issue 12's fuzzer) ... mlock(0x7ffff7c04000, 0xb000): both -ENOMEM;
    ///   mincore(0x7ffff7c04000, 0x8001, v): kernel v[5] = 0, Warden 1.
    /// </summary>
    public static void NoteRefusedLock(FuzzCall c, long kernel, long warden, KernelFuzzState s)
    {
        if (!s.Privileged && c.Number is Sysno.Mlock or Sysno.Mlock2 && kernel == ENOMEM && warden == ENOMEM)
        {
            s.NotePartlyPopulated(LockRange(c));
        }
        // Likewise MADV_POPULATE_READ/WRITE that both refuse (a hole first, say): Warden has
        // populated the range's mapped pages, the kernel has not.
        //   mmap(0x2c000, 0x12000, PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0);
        //   madvise(0x2b000, 0x17000, MADV_POPULATE_WRITE): both -ENOMEM; mincore(0x39000, 2, v): kernel 0, Warden 1.
        if (c.Number == Sysno.Madvise && (int)c.A2 is 22 or 23 && kernel < 0 && kernel == warden)
        {
            s.NotePartlyPopulated((c.A0 & ~(ulong)Arch.PageMask, RoundUp(c.A1)));
        }
    }

    /// <summary>The page-aligned range madvise works on, or (0, 0) for an unaligned start; the end may wrap.</summary>
    private static (ulong Start, ulong End) AlignedRange(ulong addr, ulong length) =>
        (addr & Arch.PageMask) != 0 ? (0, 0) : (addr, addr + ((length + Arch.PageMask) & ~(ulong)Arch.PageMask));

    /// <summary>Whether [start, end) meets a vma but is not wholly mapped.</summary>
    private static bool PartlyMapped(List<FuzzMapsLine> maps, ulong start, ulong end)
    {
        ulong mapped = 0;
        foreach (FuzzMapsLine line in maps)
        {
            if (line.Intersects(start, end))
            {
                mapped += Math.Min(line.End, end) - Math.Max(line.Start, start);
            }
        }
        return mapped != 0 && mapped != end - start;
    }

    /// <summary>Whether a vma holds <paramref name="start"/> and [start, end) is not wholly mapped.</summary>
    private static bool StartsMappedWithHole(List<FuzzMapsLine> maps, ulong start, ulong end)
    {
        int at = maps.FindIndex(l => l.Start <= start && start < l.End);
        if (at < 0)
        {
            return false;
        }
        for (ulong reached = maps[at].End; reached < end; at++)
        {
            if (at + 1 >= maps.Count || maps[at + 1].Start != reached)
            {
                return true;
            }
            reached = maps[at + 1].End;
        }
        return false;
    }

    private static int Type(FuzzCall c) => c.Number == Sysno.Mmap ? (int)c.A3 & MAP_TYPE : -1;

    private static bool IsLock(FuzzCall c) => c.Number is Sysno.Mlock or Sysno.Mlock2 or Sysno.Munlock;

    private static bool IsAnonymousHugetlb(FuzzCall c) =>
        c.Number == Sysno.Mmap && (c.A3 & (MAP_ANONYMOUS | MAP_HUGETLB)) == (MAP_ANONYMOUS | MAP_HUGETLB);

    /// <summary>The range mlock works on: the start rounded down, the length (with the start's offset) rounded up, wrapping as Linux's does.</summary>
    private static (ulong Start, ulong Length) LockRange(FuzzCall c)
    {
        ulong offset = c.A0 & Arch.PageMask;
        return (c.A0 - offset, (c.A1 + offset + Arch.PageMask) & ~(ulong)Arch.PageMask);
    }
}
