namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// Where Warden is known to answer otherwise than Linux 6.18 and the oracle lets it: the kernel's
/// answer, Warden's, and a minimal repro. Every exclusion is as narrow as the difference. Every
/// result difference the oracle once accepted, and every divergence its generator once steered
/// around (mlockall without MCL_FUTURE, MREMAP_DONTUNMAP of locked memory, MAP_POPULATE under
/// mlockall(MCL_FUTURE|MCL_ONFAULT), mlock from a mapping into a hole, MADV_FREE then
/// MADV_PAGEOUT), is fixed in Warden; two mincore differences of shared memory remain.
/// </summary>
public static class KnownDivergences
{
    /// <summary>
    /// Whether mincore's byte for one page of a shared mapping may differ as it does. Linux 1 and
    /// Warden 0: Linux reports the pages of the shared object that are in memory, however they got
    /// there; Warden only the ones this mapping has faulted. Repro: <c>mmap(a, 6 pages, rw, shared
    /// anon); b = mremap(a + 3 pages, 0, 3 pages, MREMAP_MAYMOVE); write(a + 4 pages, 1 page);
    /// mincore(b, 3 pages)</c>: Linux 0 1 0, Warden 0 0 0. Linux 0 and Warden 1 for a page that
    /// MADV_PAGEOUT covered (<paramref name="pagedOut"/>, followed where mremap moves it) and nothing wrote since: Linux drops a
    /// shared page never written (it holds zeros), Warden keeps no dirty state for shared memory
    /// and keeps it. Repro: <c>mmap(a, 4 pages, PROT_NONE, shared anon, fixed); mprotect(a, 4
    /// pages, rw); mlockall(MCL_CURRENT|MCL_FUTURE); munlockall(); madvise(a, 4 pages,
    /// MADV_PAGEOUT); mincore(a, 4 pages)</c>: Linux 0 0 0 0, Warden 1 1 1 1 (wide seed 31297).
    /// Every other difference of a mincore byte is reported.
    /// </summary>
    public static bool AcceptedMincoreByte(byte kernel, byte warden, bool shared, bool pagedOut) =>
        shared && ((kernel == 1 && warden == 0) || (pagedOut && kernel == 0 && warden == 1));
}
