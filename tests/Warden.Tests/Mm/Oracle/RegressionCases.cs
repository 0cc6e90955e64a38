using Xunit;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// Seeds the oracle found Warden disagreeing with Linux 6.18 on, each named for the first mismatch it
/// showed when it was found (a seed may hold more behind it). Seeds without a prefix run the main
/// sequence against the in-process kernel; <c>Brk</c> seeds run the brk sequence against a child,
/// <c>Wide</c> seeds the wider op kinds against a child.
/// </summary>
[Collection(OracleCollection.Name)]
public class RegressionCases
{
    // A copy that faulted pages in part-way resumed at the start of the caller's buffer: reads of
    // several pages (some faulted, some not) returned wrong bytes.
    [Fact]
    public void Seed24_CopyThatFaultsMidwayKeepsItsOffset() => AssertAgrees(24);

    // A mapping placed by policy next to another merged in Warden only: the kernel's had been moved
    // there by the harness and kept the offset of its first place (now the kernel maps at Warden's hint).
    [Fact]
    public void Seed19_PlacedMappingMergesWithItsNeighbour() => AssertAgrees(19);

    // MREMAP_DONTUNMAP of a never-written vma: Linux gives the moved vma the offset of its new place,
    // so it merges with its neighbour there.
    [Fact]
    public void Seed20_UnwrittenAnonymousMemoryTakesItsNewOffset() => AssertAgrees(20);

    // A vma first read (zero page on Linux) and then written through an existing pma had no anon_vma
    // in Warden, so it took its new place's offset when moved and merged where Linux's did not.
    [Fact]
    public void Seed90_WriteAfterReadGivesTheVmaItsAnonVma() => AssertAgrees(90);

    // mprotect of never-written anonymous memory to read-only drops VM_ACCOUNT on Linux 6.x; Warden
    // kept it and so did not merge it with an equal neighbour.
    [Fact]
    public void Seed76_ReadOnlyUnwrittenMemoryIsUncharged() => AssertAgrees(76);

    // mmap with an invalid type and a huge length: Linux ENOMEM (longer than TASK_SIZE), Warden EINVAL.
    [Fact]
    public void Seed75_BadTypeWithAHugeLength() => AssertAgrees(75);

    // MAP_SHARED|MAP_GROWSDOWN placed by policy in a full window: Linux EINVAL (it found room
    // elsewhere, then refused the type), Warden ENOMEM (its window is full, and placement comes first).
    [Fact]
    public void Seed383_SharedGrowsDownIsInvalidWhateverTheRoom() => AssertAgrees(383);

    // mremap(MAYMOVE|FIXED) to a range overlapping the old one: Linux EINVAL, Warden EFAULT.
    [Fact]
    public void Seed1_MremapFixedOntoItsOwnRange() => AssertAgrees(1);

    // mremap(old, 0, n, MAYMOVE|FIXED, old): Linux EINVAL (overlap), Warden EFAULT.
    [Fact]
    public void Seed21_MremapOldSizeZeroOntoItself() => AssertAgrees(21);

    // mremap to a new size of 2^63 with MREMAP_FIXED: Linux EINVAL up front, Warden EFAULT.
    [Fact]
    public void Seed41_MremapFixedHugeNewSize() => AssertAgrees(41);

    // mremap(MAYMOVE) to a new size of 2^63: Linux EINVAL up front, Warden ENOMEM.
    [Fact]
    public void Seed5_MremapMayMoveHugeNewSize() => AssertAgrees(5);

    // mremap with an old size of 2^63: Linux EFAULT, Warden EINVAL.
    [Fact]
    public void Seed88_MremapHugeOldSize() => AssertAgrees(88);

    // mremap(MAYMOVE) growth with room after the mapping: Linux grows in place, Warden moved it.
    [Fact]
    public void Seed3_MremapMayMoveGrowsInPlaceWhenItCan() => AssertAgrees(3);

    // mremap growth without MREMAP_MAYMOVE: Linux grows in place, Warden returned another address.
    [Fact]
    public void Seed18_MremapGrowsInPlaceWithoutMayMove() => AssertAgrees(18);

    // mremap(MAYMOVE|FIXED) of a range that is not one mapping: Linux EFAULT, Warden moved it.
    [Fact]
    public void Seed30_MremapFixedOfARangeAcrossMappings() => AssertAgrees(30);

    // mremap(MAYMOVE|FIXED) of (part of) one mapping: Linux moves it, Warden EFAULT.
    [Fact]
    public void Seed43_MremapFixedOfOneMapping() => AssertAgrees(43);

    // mremap(DONTUNMAP|FIXED) with a new size equal to the old one after page rounding: Linux moves, Warden EINVAL.
    [Fact]
    public void Seed8_MremapDontUnmapUnalignedNewSize() => AssertAgrees(8);

    // The same without MREMAP_FIXED (the kernel chooses the address): Linux moves, Warden EINVAL.
    [Fact]
    public void Seed22_MremapDontUnmapPlacedUnalignedNewSize() => AssertAgrees(22);

    // MAP_FIXED_NOREPLACE|MAP_SHARED_VALIDATE onto a mapping: Linux EEXIST, Warden EINVAL.
    [Fact]
    public void Seed12_FixedNoReplaceSharedValidateOntoAMapping() => AssertAgrees(12);

    // MAP_SHARED_VALIDATE with flag bit 0x400000: Linux 6.18 EINVAL, Warden EOPNOTSUPP.
    [Fact]
    public void Seed83_SharedValidateWithAnUnassignedFlag() => AssertAgrees(83);

    // A MAP_FIXED mmap over part of the window: afterwards Warden has pages unmapped that Linux keeps.
    [Fact]
    public void Seed65_FixedMmapReplacesOnlyItsRange() => AssertAgrees(65);

    // munmap of three pages: afterwards Warden has neighbouring pages unmapped that Linux keeps.
    [Fact]
    public void Seed63_MunmapLeavesItsNeighboursMapped() => AssertAgrees(63);

    // mprotect of one page of a mapping: Linux succeeds, Warden ENOMEM.
    [Fact]
    public void Seed34_MprotectOfPartOfAMapping() => AssertAgrees(34);

    // mprotect(PROT_GROWSUP) of an unmapped range: Linux checks the range first (ENOMEM), Warden the flag (EINVAL).
    [Fact]
    public void Seed55_MprotectGrowsUpOnAHole() => AssertAgrees(55);

    // madvise(MADV_DONTNEED) over mapped pages: Linux succeeds, Warden ENOMEM.
    [Fact]
    public void Seed6_MadviseDontNeedOverSeveralMappings() => AssertAgrees(6);

    // madvise(MADV_REMOVE) on a shared anonymous mapping: Linux frees the pages, Warden EINVAL.
    [Fact]
    public void Seed26_MadviseRemoveOnSharedMemory() => AssertAgrees(26);

    // madvise(MADV_REMOVE) over a range with a hole: Linux ENOMEM, Warden EINVAL.
    [Fact]
    public void Seed67_MadviseRemoveOverAHole() => AssertAgrees(67);

    // A read of written memory: Warden read zeros where Linux reads the bytes written.
    [Fact]
    public void Seed161_ReadSeesEarlierWrites() => AssertAgrees(161);

    // A private page's contents after a non-fixed mmap elsewhere: Warden's page reads as zeros.
    [Fact]
    public void Seed45_ContentsSurviveAPlacedMmap() => AssertAgrees(45);

    // A read across several mappings: Linux reads 25242 bytes, Warden 8858 (both EFAULT).
    [Fact]
    public void Seed25_ReadCountAcrossPages() => AssertAgrees(25);

    // A read across shared pages returns different bytes from the page boundary on.
    [Fact]
    public void Seed70_ReadOfSharedPages() => AssertAgrees(70);

    // A write Linux completes (4215 bytes): Warden wrote nothing (EFAULT).
    [Fact]
    public void Seed99_WriteThatLinuxAllows() => AssertAgrees(99);

    // brk shrinking over a range holding no heap mapping: Linux keeps the old break, Warden moves it.
    [SkippableFact]
    public void Brk6_BrkShrinkOverAHole() => AssertBrkAgrees(6);

    // The same, to the initial break.
    [SkippableFact]
    public void Brk35_BrkShrinkOverAHole() => AssertBrkAgrees(35);

    // Pages above the initial break: Linux has rw-p heap pages that Warden does not map.
    [SkippableFact]
    public void Brk9_HeapPagesAfterBrk() => AssertBrkAgrees(9);

    // mremap of a heap range that is not one mapping: Linux EFAULT, Warden grows it.
    [SkippableFact]
    public void Brk14_MremapOfTheHeapAcrossMappings() => AssertBrkAgrees(14);

    // mprotect(addr, 0, PROT_GROWSUP): Linux returns 0 (zero length first), Warden EINVAL.
    [SkippableFact]
    public void Brk16_MprotectZeroLengthWithGrowsUp() => AssertBrkAgrees(16);

    // Contents after an mremap of heap pages: Warden reads zeros where Linux has data.
    [SkippableFact]
    public void Brk0_ContentsAfterMremapNearTheHeap() => AssertBrkAgrees(0);

    // mprotect of a locked private vma to writable: Linux populates it (breaking copy-on-write),
    // Warden left its pages non-resident (mincore differed).
    [SkippableFact]
    public void Wide30966_MprotectOfLockedMemoryToWritablePopulates() => AssertWideAgrees(30966);

    // The same populate happens after the vma merged with its neighbour: Warden populated first, so
    // the vma had its own anonymous memory and did not merge.
    [SkippableFact]
    public void Wide30678_MprotectPopulatesAfterMerging() => AssertWideAgrees(30678);

    // mprotect to writable of memory that was writable already (the stack) does not charge it:
    // Warden set VM_ACCOUNT ("ac").
    [SkippableFact]
    public void Wide30575_AlreadyWritableMemoryIsNotChargedAgain() => AssertWideAgrees(30575);

    // A first write fault reuses the next vma's anon_vma before the previous one's (Linux's
    // find_mergeable_anon_vma), so the vma later merges with that neighbour.
    [SkippableFact]
    public void Wide30762_AnonVmaIsTakenFromTheNextVmaFirst() => AssertWideAgrees(30762);

    // MADV_POPULATE_READ of private writable memory takes read faults (the zero page, no anon_vma):
    // Warden took write faults, so the vma kept VM_ACCOUNT after mprotect(PROT_NONE) and did not merge.
    [SkippableFact]
    public void Wide30048_PopulateReadTakesReadFaults() => AssertWideAgrees(30048);

    // A harness case: MREMAP_DONTUNMAP of locked memory that Warden had no room to move in its full
    // window. The kernel moved it outside and the harness undid the move, but the kernel had cleared
    // VM_LOCKED on the whole old vma; the harness now locks it again as it was.
    [SkippableFact]
    public void Wide31495_UndoneDontUnmapMoveKeepsTheLock() => AssertWideAgrees(31495);

    // A harness case: shared memory MADV_PAGEOUT dropped (never written), then moved by mremap. The
    // accepted mincore difference of paged-out shared pages was forgotten at the move; the pages
    // are now followed to their new place.
    [SkippableFact]
    public void Wide32869_PagedOutSharedPagesKeepTheirStateWhenMoved() => AssertWideAgrees(32869);

    // A harness case: MADV_PAGEOUT over shared memory and then a locked vma fails with EINVAL, but
    // Linux has paged out the vmas before the locked one (a never-written shared page read by the
    // harness's own contents check was dropped); they now count as paged out.
    [SkippableFact]
    public void Wide33545_PageoutStoppedByALockedVmaPagedOutWhatCameBefore() => AssertWideAgrees(33545);

    private static void AssertWideAgrees(int seed)
    {
        string? report = OracleTests.RunWide(seed);
        Assert.True(report is null, report);
    }

    private static void AssertAgrees(int seed)
    {
        string? report = OracleTests.Run(seed);
        Assert.True(report is null, report);
    }

    private static void AssertBrkAgrees(int seed)
    {
        string? report = OracleTests.RunBrk(seed);
        Assert.True(report is null, report);
    }
}
