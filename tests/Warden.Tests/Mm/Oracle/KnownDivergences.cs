using Warden.HostArch;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// Where Warden is known to answer otherwise than Linux 6.18 and the oracle lets it, each until
/// Warden is fixed: the kernel's answer, Warden's, and a minimal repro. Every exclusion is as narrow
/// as the difference: the op, the arguments and the exact pair of answers. Differences that would
/// make the two states drift apart cannot be accepted after the fact; the generator steers around
/// those instead (see <see cref="OracleOpGenerator"/>: "known divergence").
/// </summary>
/// <remarks>
/// Steered around by the generator (wide sequences):
/// <list type="bullet">
/// <item><b>mlockall without MCL_FUTURE keeps future locking.</b> <c>mlockall(MCL_FUTURE);
/// mlockall(MCL_CURRENT); mmap(...)</c>: Linux's new mapping is not locked (each mlockall sets the
/// future mode anew), Warden's is (so is brk's growth). The generator keeps MCL_FUTURE in every
/// mlockall while future locking is on.</item>
/// <item><b>MREMAP_DONTUNMAP of locked memory.</b> <c>mmap(a, 8 pages, rw); mlock(a, 8 pages);
/// mremap(a, 2 pages, 2 pages, MAYMOVE|DONTUNMAP|FIXED, b)</c>: Linux 6.18 clears VM_LOCKED on the
/// whole source vma (all 8 pages: smaps "rd wr mr mw me ac", no lo), Warden keeps it locked. Wide
/// sequences make no DONTUNMAP once they have locked anything.</item>
/// <item><b>MAP_POPULATE under mlockall(MCL_FUTURE|MCL_ONFAULT).</b> <c>mmap(a, 8 pages, rw); write
/// a..a+8 pages; mlockall(MCL_FUTURE|MCL_ONFAULT); mmap(a + 2 pages, 1 page, rw, MAP_FIXED|MAP_POPULATE);
/// munlockall()</c>: Linux has one vma a..a+8 pages again, Warden three (the populated page's vma
/// does not merge back; without MCL_ONFAULT, or with MAP_LOCKED, both merge). The generator drops
/// MAP_POPULATE while such future locking is on.</item>
/// <item><b>mlock/munlock from a mapping into a hole.</b> <c>mmap(a, 2 pages); mlock(a, 3 pages)</c>:
/// both ENOMEM, but Linux has locked the mapped vmas up to the hole (splitting the vma the range
/// starts in), Warden nothing; munlock likewise. The generator stops such a range at the hole (as far
/// as its page model, resynchronised every 20 ops, knows the holes).</item>
/// </list>
/// <para>
/// Not steered around yet (14 of 1,000 long-run wide seeds, 30000-30999: 12 vma merges, 2 mincore; none of the CI seeds): vma merges after
/// lock changes. Repro: <c>mmap(a, 1 page, rw, fixed); mremap(a, 1 page, 9 pages, 0); mlock(a + 1
/// page, 3 pages); madvise(a + 8 pages, 4 pages, MADV_POPULATE_READ); munlockall()</c>: Linux has one
/// vma a..a+9 pages again, Warden a..a+4 pages and a+4..a+9 pages. Also the mincore case of locked
/// memory made writable (above) once it is unlocked again: <c>mlockall(MCL_FUTURE); mmap(a, n pages,
/// PROT_NONE, fixed); mprotect(a, 1 page, rw); munlockall(); mincore(a, 1 page)</c>: Linux 1, Warden 0.
/// </para>
/// </remarks>
public static class KnownDivergences
{
    private const int EINVAL = 22;
    private const int ENOMEM = 12;
    private const int EFAULT = 14;

    /// <summary>
    /// Why a pair of different results of <paramref name="op"/> is accepted, or <c>null</c> if it is a
    /// difference the oracle reports.
    /// </summary>
    public static string? AcceptedResult(OracleOp op, (long Result, int Errno) kernel, (long Result, int Errno) warden)
    {
        switch (op)
        {
            // madvise(MADV_FREE) of locked memory: Linux EINVAL, Warden 0 (it keeps the pages either
            // way, so nothing drifts). Repro: mmap(a, 3 pages, rw, private anon); mlock(a, 3 pages);
            // madvise(a, 3 pages, MADV_FREE). With a hole in the range too, Linux's EINVAL for the
            // locked vma still wins (a hole's ENOMEM only comes at the end) and Warden says ENOMEM:
            // mlockall(MCL_FUTURE); mmap(a, 2 pages, rw); madvise(a + 1 page, 39 pages, MADV_FREE).
            case OracleOp.Madvise { Advice: LinuxMman.MADV_FREE } when kernel.Errno == EINVAL && (warden == (0, 0) || warden.Errno == ENOMEM):
                return "MADV_FREE of locked memory (Linux EINVAL, Warden 0 or ENOMEM)";

            // madvise(MADV_POPULATE_READ/WRITE) over a hole and then a vma without the access: Linux
            // stops at the hole (ENOMEM), having populated what came before it; Warden checks every
            // vma's access first (EINVAL). Repro: mmap(a, 8 pages, rw); munmap(a + 2 pages, 2 pages);
            // mprotect(a + 4 pages, 4 pages, PROT_NONE); madvise(a, 8 pages, MADV_POPULATE_WRITE).
            case OracleOp.Madvise { Advice: LinuxMman.MADV_POPULATE_READ or LinuxMman.MADV_POPULATE_WRITE } when kernel.Errno == ENOMEM && warden.Errno == EINVAL:
                return "MADV_POPULATE_* over a hole before a vma without the access (Linux ENOMEM, Warden EINVAL)";

            // mlock(2) (eager) whose population faults, over a shared anonymous mapping longer than its
            // object: Linux locks the vmas and then answers ENOMEM, Warden locks them and answers 0
            // (the same state). Repro: a = mmap(1 page, rw, shared anon); b = mremap(a, 0, 7 pages,
            // MREMAP_MAYMOVE); mlock(b, 7 pages).
            case OracleOp.Mlock { Flags: 0 } when kernel.Errno == ENOMEM && warden == (0, 0):
                return "eager mlock of a shared mapping past its object's end (Linux ENOMEM, Warden 0)";

            // madvise(MADV_POPULATE_READ/WRITE) that faults on a page of a shared mapping past its
            // object's end: Linux stops there with EFAULT; Warden goes on (0, or the ENOMEM/EINVAL of
            // something later in the range). Repro: a = mmap(1 page, rw, shared anon); b = mremap(a,
            // 0, 7 pages, MREMAP_MAYMOVE); madvise(b + 2 pages, 1 page, MADV_POPULATE_READ).
            case OracleOp.Madvise { Advice: LinuxMman.MADV_POPULATE_READ or LinuxMman.MADV_POPULATE_WRITE } when kernel.Errno == EFAULT && warden.Errno != EFAULT:
                return "MADV_POPULATE_* past a shared object's end (Linux EFAULT, Warden goes on)";

            // mlock/mlock2/munlock of a range whose page-rounded end wraps: Linux EINVAL, Warden ENOMEM.
            // Repro: mlock(mapped page, 0xfffffffffffff000).
            case OracleOp.Mlock l when RoundedEndWraps(l.Addr, l.Len) && kernel.Errno == EINVAL && warden.Errno == ENOMEM:
            case OracleOp.Munlock u when RoundedEndWraps(u.Addr, u.Len) && kernel.Errno == EINVAL && warden.Errno == ENOMEM:
                return "mlock/munlock of a wrapping range (Linux EINVAL, Warden ENOMEM)";

            // mlock/munlock of a length that rounds (with the address's offset) to 0: Linux 0, Warden
            // ENOMEM. Repro: munlock(any page, 0xffffffffffffffff).
            case OracleOp.Mlock l when RoundsToZero(l.Addr, l.Len) && kernel == (0, 0) && warden.Errno == ENOMEM:
            case OracleOp.Munlock u when RoundsToZero(u.Addr, u.Len) && kernel == (0, 0) && warden.Errno == ENOMEM:
                return "mlock/munlock of a length that rounds to 0 (Linux 0, Warden ENOMEM)";
        }
        return null;
    }

    /// <summary>
    /// Whether mincore's byte for one page may differ as it does: Linux 0 (nothing was ever faulted
    /// there), Warden 1. Warden backs private anonymous memory in chunks larger than the page a
    /// fault or copy touched, and reports the whole chunk. Repro: <c>mmap(a, 13 pages, PROT_READ,
    /// private anon); read 1 byte at page 11; mincore(page 3, 1 page)</c>: Linux 0, Warden 1. The other
    /// way round (Warden 0 where Linux 1) is always reported.
    /// </summary>
    /// <remarks>
    /// <para>
    /// With <paramref name="shared"/> (the page is in a shared mapping) the other way round is
    /// accepted too: Linux reports the pages of the shared object that are in memory, however they
    /// got there; Warden only the ones this mapping has faulted. Repro: <c>mmap(a, 6 pages, rw,
    /// shared anon); b = mremap(a + 3 pages, 0, 3 pages, MREMAP_MAYMOVE); write(a + 4 pages, 1 page);
    /// mincore(b, 3 pages)</c>: Linux 0 1 0, Warden 0 0 0.
    /// </para>
    /// </remarks>
    /// <para>
    /// With <paramref name="locked"/> (the page is in a locked vma) it is accepted too: Linux populates
    /// a locked private vma that mprotect makes writable, Warden does not. Repro: <c>mmap(a, 9 pages,
    /// PROT_NONE, private anon); mlock(a, 9 pages); mprotect(a + 6 pages, 5 pages, rw); mincore(a + 9
    /// pages, 1 page)</c>: Linux 1, Warden 0.
    /// </para>
    public static bool AcceptedMincoreByte(byte kernel, byte warden, bool shared, bool locked) =>
        (kernel == 0 && warden == 1) || ((shared || locked) && kernel == 1 && warden == 0);

    private static bool RoundedEndWraps(ulong addr, ulong len)
    {
        ulong offset = addr & Arch.PageMask;
        ulong? rounded = KernelTargetBase.AlignedLength(unchecked(len + offset));
        return len <= ulong.MaxValue - offset && rounded is { } r && r != 0 && r > ulong.MaxValue - Arch.PageRoundDown(addr);
    }

    private static bool RoundsToZero(ulong addr, ulong len)
    {
        ulong offset = addr & Arch.PageMask;
        return len != 0 && unchecked(len + offset + Arch.PageMask) < Arch.PageSize;
    }
}
