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
        // Found by this fuzzer: anonymous MAP_HUGETLB maps a hugetlbfs file, whose huge pages come
        // from the hugetlb pool, empty on this machine (vm.nr_hugepages 0). Warden answers every such
        // call as the kernel does with an empty pool, in the kernel's order of checks (ENOMEM,
        // EINVAL, EOVERFLOW, EAGAIN; seed 6268 and the seeds of 6000-6099). With MAP_NORESERVE the kernel needs no pool
        // and makes a hugetlb mapping (2 MiB-aligned, its length rounded up to 2 MiB), which Warden
        // has no notion of (it has no hugetlbfs): those calls are not sent, and neither are fixed
        // ones (which would unmap what they cover on one side only).
        //   mmap(0, 0x17000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_NORESERVE, -1, 0):
        //   kernel 0x7ffff7400000, Warden -ENOMEM.
        new("MAP_HUGETLB without a hugetlb pool or hugetlbfs", (c, kernel, warden, _) => false,
            Avoid: (c, _, _) => c.Number == Sysno.Mmap && (c.A3 & MAP_HUGETLB) != 0 &&
                ((IsAnonymousHugetlb(c) && (c.A3 & MAP_NORESERVE) != 0) || ((c.A3 & MAP_FIXED) != 0 && (c.A3 & MAP_FIXED_NOREPLACE) == 0))),

        // Found by this fuzzer: MADV_GUARD_INSTALL (102), Linux 6.13, installs guard pages (an
        // access is SIGSEGV) where Warden, which has none, refuses (EINVAL, as both answer for a
        // locked vma); over holes only both say ENOMEM, and MADV_GUARD_REMOVE answers alike. Not
        // sent where it meets a mapping (guard pages would then differ).
        //   madvise(p, 0x1000, MADV_GUARD_INSTALL) for a mapped private anonymous p: kernel 0, Warden -EINVAL.
        new("MADV_GUARD_INSTALL", (c, kernel, warden, _) => false,
            Avoid: (c, maps, _) => c.Number == Sysno.Madvise && (int)c.A2 == 102 && maps().Exists(l => l.Intersects(c.A0, c.A0 + c.A1))),
    ];

    /// <summary>
    /// Found by this fuzzer: a fault (or a populate) in Warden gives memory to the whole aligned
    /// fault-around window around the page (MemoryManager.FaultAroundBytes, or the platform's map
    /// unit if larger: 2 MiB on SoftMmu), within the vma; Linux's anonymous faults give memory to one
    /// page. So mincore says 1 in Warden and 0 in the kernel for untouched neighbours of a touched
    /// page. The run matches a mincore byte of 0 in the kernel and 1 in Warden when the kernel has
    /// a resident page in this window. The vma of the fault may since have been split (by mlock or
    /// mprotect, say), so the window spans the run of adjacent lines that could have been one vma.
    ///   mmap(0x1ffffffd000, 0x15000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0);
    ///   madvise(0x20000002000, 2, MADV_POPULATE_WRITE); mincore(0x20000000000, 0x9000, v): kernel v[0] = 0, Warden 1.
    ///   mmap(0, 0x18000, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0) = p; mincore(q, 0x2000, p + 0xa000);
    ///   mlock(p + 0xb000, 1); mincore(p + 0x14000, 0x1000, v): kernel v[0] = 0, Warden 1 (p + 0xc000 is a vma of its own now).
    /// </summary>
    public static (ulong Start, ulong End) FaultAroundWindow(List<FuzzMapsLine> maps, FuzzMapsLine line, ulong page)
    {
        const ulong Window = 2UL << 20;
        int at = maps.IndexOf(line);
        int first = at, last = at;
        while (first > 0 && CouldBeOneVma(maps[first - 1], maps[first]))
        {
            first--;
        }
        while (last + 1 < maps.Count && CouldBeOneVma(maps[last], maps[last + 1]))
        {
            last++;
        }
        ulong start = Math.Max(maps[first].Start, page & ~(Window - 1));
        ulong end = Math.Min(maps[last].End, (page & ~(Window - 1)) + Window);
        return (start, end);
    }

    // Whether two maps lines, the first below the second, could be pieces of one earlier vma.
    private static bool CouldBeOneVma(FuzzMapsLine below, FuzzMapsLine above) =>
        below.End == above.Start && below.Device == above.Device && below.Inode == above.Inode && below.Name == above.Name &&
        (below.Inode == 0 || below.Offset + (below.End - below.Start) == above.Offset);

    /// <summary>
    /// Found by this fuzzer: MADV_PAGEOUT reclaims the clean pages of shared anonymous memory (read
    /// but never written: the kernel can drop them, as they are zeros) and of files (the page cache's
    /// clean pages), so they are no longer resident; written anonymous ones stay (this machine has
    /// no swap). Warden keeps no per-page dirty state for shared memory and leaves them all resident.
    /// This matches a mincore byte of 0 in the kernel and 1 in Warden for a shared anonymous or file
    /// page that a MADV_PAGEOUT has covered.
    ///   mmap(0, 0x10000, PROT_READ, MAP_SHARED|MAP_ANONYMOUS|MAP_LOCKED, -1, 0) = p; munlockall();
    ///   madvise(p, 0x10000, MADV_PAGEOUT); mincore(p, 0x1000, v): kernel v[0] = 0, Warden 1.
    ///   mmap(0x40000000, 0x3000, PROT_WRITE, MAP_SHARED, 5, 0); mlockall(MCL_CURRENT); munlockall();
    ///   madvise(0x40000000, 0x3000, MADV_PAGEOUT); mincore(0x40000000, 0x1000, v): kernel v[0] = 0, Warden 1.
    /// </summary>
    public static bool MincoreOfPagedOutSharedPage(FuzzMapsLine? line, ulong page, byte kernel, byte warden, KernelFuzzState s) =>
        line is { Inode: not 0 } && kernel == 0 && warden == 1 && s.PagedOut.Exists(r => r.Start <= page && page < r.End);

    /// <summary>
    /// Found by this fuzzer: MADV_POPULATE_WRITE on part of a MAP_GROWSDOWN mapping makes, in Warden,
    /// the page below the range resident too (mincore says 1 there; the kernel 0). This matches a
    /// mincore byte of 0 in the kernel and 1 in Warden for a page of a mapping made with MAP_GROWSDOWN.
    ///   mmap(0x10000, 0x1f000, PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS|MAP_GROWSDOWN|MAP_STACK, -1, 0);
    ///   madvise(0x14000, 0x8fff, MADV_POPULATE_WRITE); mincore(0x13000, 0x1000, v): kernel v[0] = 0, Warden 1.
    /// </summary>
    public static bool MincoreBelowPopulatedGrowsDown(FuzzMapsLine? line, byte kernel, byte warden, KernelFuzzState s) =>
        line is not null && kernel == 0 && warden == 1 && s.GrowsDown.Exists(g => line.Start <= g && g < line.End);

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

    private static int Type(FuzzCall c) => c.Number == Sysno.Mmap ? (int)c.A3 & MAP_TYPE : -1;

    private static bool IsAnonymousHugetlb(FuzzCall c) =>
        c.Number == Sysno.Mmap && (c.A3 & (MAP_ANONYMOUS | MAP_HUGETLB)) == (MAP_ANONYMOUS | MAP_HUGETLB);
}
