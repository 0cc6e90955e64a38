using System.Globalization;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace Warden.Tests.Mm.Fuzz;

/// <summary>
/// Raw memory system calls applied to Warden and to the real kernel in a disposable child process
/// (issue 12, item 1): results, errnos, placements, mincore vectors and maps must match, and Warden
/// must never throw. CI runs <see cref="CiSeeds"/> seeds of <see cref="CiCalls"/> generated calls, each
/// as root and as nobody (about 20,000 calls reach both sides; the guard keeps back the rest); WARDEN_KFUZZ_SEEDS (a count, or <c>first-last</c>) and WARDEN_KFUZZ_CALLS
/// (calls per seed) make the long run; WARDEN_KFUZZ_SHRINK=1 shrinks a failing seed's calls to a
/// short sequence that still fails.
/// </summary>
public sealed class KernelFuzzTests(ITestOutputHelper output)
{
    /// <summary>CI's seeds (each run as root and as nobody).</summary>
    public const int CiSeeds = 6;

    /// <summary>CI's calls per seed and mode.</summary>
    public const int CiCalls = 3000;

    public static TheoryData<int, bool> Seeds()
    {
        (int first, int last) = SeedRange();
        var data = new TheoryData<int, bool>();
        for (int seed = first; seed <= last; seed++)
        {
            data.Add(seed, true);
            data.Add(seed, false);
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Seeds))]
    public void WardenAnswersAsTheKernelDoes(int seed, bool root) => Check(seed, root, CallsPerSeed());

    /// <summary>Seeds that once found a difference, each kept as a regression case (what it found in the comment).</summary>
    [SkippableTheory]
    // Seed 0 is where the differences of KernelFuzzKnownDifferences were first shrunk from: as
    // root, wrapping mlock and msync lengths, MADV_GUARD_*, MADV_COLLAPSE, madvise flags splitting
    // vmas, MAP_SYNC, MAP_HUGETLB, file-check order, offsets past the largest file, 2 MiB placement,
    // placement near a grows-down vma, top-page fixed addresses; as nobody, the same and
    // RLIMIT_MEMLOCK under MCL_FUTURE and refused mlocks leaving pages resident.
    [InlineData(0, true)]
    [InlineData(0, false)]
    // Seed 5 as nobody: mlock2(MLOCK_ONFAULT) of PROT_NONE MAP_DROPPABLE memory is ENOMEM, since
    // the vma cannot become lock-on-fault and Linux then populates it (and fails).
    [InlineData(5, false)]
    // Seed 1118: MADV_COLLAPSE of a range within one huge page touching neither of its bounds is
    // EINVAL (Linux's rounded start passes its rounded end). Seed 1285: MADV_POPULATE_READ made
    // the whole huge page around the range resident, so after an munmap a page outside the range
    // stayed resident that the kernel never touched (populate is now exact).
    // Seed 1092: MADV_REMOVE of a file mapping at an offset past the largest file is EFBIG (it
    // punches a hole in the file, now in Warden too).
    [InlineData(1092, true)]
    [InlineData(1118, true)]
    [InlineData(1285, false)]
    // Seed 1069: a copy into fresh memory (mincore's vector) made the whole huge page around it
    // resident, so after a fixed mmap replaced the touched page its untouched neighbours stayed
    // resident (copies now fault in exactly their range). Seed 1276: MAP_DROPPABLE memory mapped
    // under mlockall(MCL_FUTURE) is populated, though not locked.
    // Seed 1122: MREMAP_DONTUNMAP of a locked page unlocks its whole vma, unsplit. Seed 1021: the
    // mirror's data segment had no anonymous identity, so pieces split off by mlock did not merge
    // again after munlockall (a harness fault).
    // Seed 1181: a stack grown by a copy has an anonymous identity, so a piece moved off it does
    // not merge back.
    [InlineData(1181, false)]
    // Seed 1280: MREMAP_DONTUNMAP leaves the old vmas unmerged, and a later munlockall, changing
    // none of them, merges nothing (mlock and madvise merge only the vmas they change).
    [InlineData(1280, false)]
    // Seeds 1109 and 1177: a mremap move of an ext4 file's mapping is placed so that address and
    // offset agree modulo 2 MiB. Seed 1054: an anonymous mapping's hint inside the first page
    // rounds to none, so the mapping is 2 MiB-aligned.
    [InlineData(1109, true)]
    [InlineData(1177, false)]
    [InlineData(1054, true)]
    // Seed 2105: a MREMAP_FIXED move that shrinks from a huge old length is charged the shrink
    // (ENOMEM from the overcommit heuristic, the shrink done). Seed 2225: MREMAP_DONTUNMAP's hint
    // is tried down to vm.mmap_min_addr.
    [InlineData(2105, true)]
    [InlineData(2225, false)]
    // Seeds 2195 and 2060: mprotect merges and populates vma by vma, so a locked piece made
    // writable gets its own anonymous identity before the next piece is merged with it.
    [InlineData(2195, true)]
    [InlineData(2060, true)]
    // Seed 3003: a MAP_FIXED mmap refused by the overcommit heuristic leaves the mappings it would
    // have replaced split at its ends. Seed 3164: MAP_DROPPABLE memory mapped under
    // mlockall(MCL_FUTURE) merges with no neighbour.
    [InlineData(3003, true)]
    [InlineData(3164, false)]
    // Seed 5002: a stack grown up to the vma below it is not merged with it. Seed 5189: MADV_PAGEOUT
    // drops clean file pages (a known difference, matched).
    [InlineData(5002, false)]
    [InlineData(5189, true)]
    // Seed 6009: brk's first growth does not merge with the data below the heap's start, but
    // mlockall merges the two, so a later mremap's vma check sees one vma (the mirror's data was
    // NORESERVE to keep brk from merging it, and so never merged at all).
    [InlineData(6009, true)]
    // Seed 6268: a MAP_HUGETLB hint is rounded up to a huge page before it is tried, so the lock
    // limit's EAGAIN comes before the empty hugetlb pool's ENOMEM.
    [InlineData(6268, false)]
    // Seed 7016: MADV_COLLAPSE takes shared anonymous memory (whatever shmem_enabled says), so a
    // range inside its first huge page, from the bound, succeeds.
    [InlineData(7016, true)]
    // Seed 6069: that shared memory must sit at an address congruent to its offset modulo a huge page.
    [InlineData(6069, true)]
    // Seed 11210 (nobody): mremap(MREMAP_MAYMOVE|MREMAP_FIXED) growing past what overcommit allows
    // fails with ENOMEM only after unmapping its destination, as Linux's move charges after it.
    [InlineData(11210, false)]
    // Seed 11284 (root): MADV_PAGEOUT that stops with EINVAL at a locked vma has paged out the
    // shared pages before it (a harness allowance; Warden keeps them resident).
    [InlineData(11284, true)]
    // Seed 12437 (root): MADV_REMOVE through a read-write open's shared mapping punched the page a
    // read-only open's mapping showed, which Warden kept: the opens had separate page caches.
    [InlineData(12437, true)]
    // Seed 12254 (root): mremap moved a paged-out shared page (a harness allowance it lost).
    [InlineData(12254, true)]
    // Seed 13408 (root): private mappings of two opens of one file (adjacent, offsets following)
    // merged once the opens shared a page cache: the vma's identity is the open's, as in Linux.
    [InlineData(13408, true)]
    // Seed 22831 (nobody): a fixed shared anonymous mapping that overcommit refuses (ENOMEM) leaves
    // the range it replaces unmapped: Linux charges shmem after taking the old mappings down.
    [InlineData(22831, false)]
    // Seed 22008 (nobody): a MREMAP_FIXED move to below vm.mmap_min_addr is EPERM even when the
    // overcommit heuristic would refuse its charge, which Linux checks later, in move_vma.
    // Seed 22273: MADV_PAGEOUT after MADV_FREE kept the page resident when the child had moved to
    // another CPU in between (the lazy-free batch was on the old one): the child now stays on one.
    // Seed 22082 (root): mlockall(MCL_CURRENT|MCL_ONFAULT) populates a droppable mapping, which it
    // cannot lock; the guard kept a 20 GB one back only without MCL_ONFAULT.
    [InlineData(22008, false)]
    [InlineData(22273, true)]
    [InlineData(22082, true)]
    [InlineData(1122, true)]
    [InlineData(1021, false)]
    [InlineData(1069, true)]
    [InlineData(1276, true)]
    public void RegressionSeed(int seed, bool root) => Check(seed, root, CiCalls);

    private void Check(int seed, bool root, int calls)
    {
        Skip.If(root && !Environment.IsPrivilegedProcess, "The root half of the kernel fuzzer needs root.");
        KernelFuzzResult result = KernelFuzzRunner.Run(seed, calls, root);
        var summary = new StringBuilder();
        summary.Append(CultureInfo.InvariantCulture, $"seed {seed} ({(root ? "root" : "nobody")}): {result.Sent} calls sent");
        foreach ((string why, int n) in result.Skipped)
        {
            summary.Append(CultureInfo.InvariantCulture, $"; {n} skipped ({why})");
        }
        foreach ((string what, int n) in result.Known)
        {
            summary.Append(CultureInfo.InvariantCulture, $"; {n} known difference(s): {what}");
        }
        if (result.EndedEarly is not null)
        {
            summary.Append(CultureInfo.InvariantCulture, $"; ended early at {result.EndedEarly}");
        }
        output.WriteLine(summary.ToString());
        if (result.Failure is not null && Environment.GetEnvironmentVariable("WARDEN_KFUZZ_SHRINK") == "1")
        {
            (IReadOnlyList<FuzzCall> shortest, string failure) = KernelFuzzRunner.Shrink(result.Calls, root);
            Assert.Fail($"{result.Failure}\n\nshrunk to {shortest.Count} call(s):\n  {string.Join("\n  ", shortest)}\n{failure}");
        }
        Assert.True(result.Failure is null, result.Failure);
    }

    private static int CallsPerSeed() =>
        int.TryParse(Environment.GetEnvironmentVariable("WARDEN_KFUZZ_CALLS"), out int calls) && calls > 0 ? calls : CiCalls;

    private static (int First, int Last) SeedRange()
    {
        string? text = Environment.GetEnvironmentVariable("WARDEN_KFUZZ_SEEDS");
        if (text is not null)
        {
            int dash = text.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && int.TryParse(text.AsSpan(0, dash), out int first) && int.TryParse(text.AsSpan(dash + 1), out int last) && first <= last)
            {
                return (first, last);
            }
            if (int.TryParse(text, out int count) && count > 0)
            {
                return (1, count);
            }
        }
        return (1, CiSeeds);
    }
}
