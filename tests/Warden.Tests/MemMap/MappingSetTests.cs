using Warden.HostArch;
using Warden.MemMap;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.MemMap;

/// <summary>
/// <see cref="MappingSet"/>: what <c>AddMapping</c>/<c>RemoveMapping</c> return, how segments split
/// and merge, which <c>Invalidate</c> calls reach which space, and the checks on arguments.
/// </summary>
public class MappingSetTests
{
    private const ulong P = 0x1000;

    private readonly RecordingMappingSpace _a = new("A");
    private readonly RecordingMappingSpace _b = new("B");
    private readonly RecordingMappingSpace _c = new("C");
    private readonly MappingSet _set = new();

    /// <summary><paramref name="pages"/> pages of addresses from <paramref name="addr"/>.</summary>
    private static AddrRange At(ulong addr, ulong pages) => new(new Addr(addr), new Addr(addr + (pages * P)));

    /// <summary>The offsets of pages [<paramref name="start"/>, <paramref name="end"/>).</summary>
    private static MappableRange Pages(ulong start, ulong end) => new(start * P, end * P);

    private static MappingOfRange M(IMappingSpace ms, ulong addr, ulong pages, bool writable = false) => new(ms, At(addr, pages), writable);

    private static (MappableRange Range, MappingOfRange[] Mappings) Seg(MappableRange range, params MappingOfRange[] mappings) => (range, mappings);

    private List<MappableRange> Add(IMappingSpace ms, ulong addr, ulong firstPage, ulong pages, bool writable = false) =>
        _set.AddMapping(ms, At(addr, pages), firstPage * P, writable);

    private List<MappableRange> Remove(IMappingSpace ms, ulong addr, ulong firstPage, ulong pages, bool writable = false) =>
        _set.RemoveMapping(ms, At(addr, pages), firstPage * P, writable);

    private List<(MappableRange Range, HashSet<MappingOfRange> Mappings)> Snapshot() =>
        [.. _set.Segments().Select(s => (s.Range, new HashSet<MappingOfRange>(s.Mappings)))];

    private void AssertSegments(params (MappableRange Range, MappingOfRange[] Mappings)[] expected)
    {
        var actual = Snapshot();
        string Describe() => string.Join("; ", actual.Select(s => $"{s.Range}: {{{string.Join(", ", s.Mappings)}}}"));
        Assert.True(expected.Length == actual.Count, $"expected {expected.Length} segments, got {Describe()}");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Range, actual[i].Range);
            Assert.True(actual[i].Mappings.SetEquals(expected[i].Mappings), $"segment {i}: got {Describe()}");
        }
        Assert.Equal(expected.Length, _set.SegmentCount);
        Assert.Equal(expected.Length == 0, _set.IsEmpty);
        _set.CheckInvariants();
    }

    private static void AssertSameSnapshot(
        List<(MappableRange Range, HashSet<MappingOfRange> Mappings)> before, List<(MappableRange Range, HashSet<MappingOfRange> Mappings)> after)
    {
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Range, after[i].Range);
            Assert.True(before[i].Mappings.SetEquals(after[i].Mappings));
        }
    }

    // ---- An empty set.

    [Fact]
    public void NewSet_IsEmpty()
    {
        Assert.True(_set.IsEmpty);
        Assert.Equal(0, _set.SegmentCount);
        Assert.Empty(_set.Segments());
        _set.CheckInvariants();
    }

    [Fact]
    public void InvalidatingAnEmptySet_CallsNothing()
    {
        _set.Invalidate(Pages(0, 16), default);
        _set.InvalidateAll(default);
        Assert.Empty(_a.Calls);
    }

    // ---- AddMapping.

    [Fact]
    public void AddToEmpty_ReturnsTheWholeRange()
    {
        Assert.Equal([Pages(0, 4)], Add(_a, 0x10000, 0, 4));
        AssertSegments(Seg(Pages(0, 4), M(_a, 0x10000, 4)));
    }

    [Fact]
    public void AddAtAnOffset_ReturnsThoseOffsets()
    {
        Assert.Equal([Pages(5, 7)], Add(_a, 0x10000, 5, 2, writable: true));
        AssertSegments(Seg(Pages(5, 7), M(_a, 0x10000, 2, writable: true)));
    }

    [Fact]
    public void OverlappingAddFromAnotherSpace_ReturnsOnlyTheNewlyMappedPart()
    {
        Add(_a, 0x10000, 0, 4);
        Assert.Equal([Pages(4, 6)], Add(_b, 0x50000, 2, 4));
        AssertSegments(
            Seg(Pages(0, 2), M(_a, 0x10000, 2)),
            Seg(Pages(2, 4), M(_a, 0x12000, 2), M(_b, 0x50000, 2)),
            Seg(Pages(4, 6), M(_b, 0x52000, 2)));
    }

    [Fact]
    public void OverlappingAddBelowAnExistingMapping_ReturnsTheLowerPart()
    {
        Add(_a, 0x10000, 4, 4);
        Assert.Equal([Pages(2, 4)], Add(_b, 0x50000, 2, 4));
        AssertSegments(
            Seg(Pages(2, 4), M(_b, 0x50000, 2)),
            Seg(Pages(4, 6), M(_a, 0x10000, 2), M(_b, 0x52000, 2)),
            Seg(Pages(6, 8), M(_a, 0x12000, 2)));
    }

    [Fact]
    public void AddOverSeveralMappings_ReturnsEveryGap_InIncreasingOrder()
    {
        Add(_a, 0x10000, 1, 1);
        Add(_a, 0x30000, 4, 1);
        Assert.Equal([Pages(0, 1), Pages(2, 4), Pages(5, 6)], Add(_b, 0x50000, 0, 6));
        AssertSegments(
            Seg(Pages(0, 1), M(_b, 0x50000, 1)),
            Seg(Pages(1, 2), M(_a, 0x10000, 1), M(_b, 0x51000, 1)),
            Seg(Pages(2, 4), M(_b, 0x52000, 2)),
            Seg(Pages(4, 5), M(_a, 0x30000, 1), M(_b, 0x54000, 1)),
            Seg(Pages(5, 6), M(_b, 0x55000, 1)));
    }

    [Fact]
    public void AddEntirelyOverAMappedRange_ReturnsNothing()
    {
        Add(_a, 0x10000, 0, 8);
        Assert.Empty(Add(_b, 0x50000, 2, 3));
        Assert.Empty(Add(_a, 0x90000, 0, 8, writable: true));
    }

    [Fact]
    public void NestedMapping_SplitsTheOuterOne_InThree()
    {
        Add(_a, 0x10000, 0, 8);
        Assert.Empty(Add(_b, 0x50000, 2, 2));
        AssertSegments(
            Seg(Pages(0, 2), M(_a, 0x10000, 2)),
            Seg(Pages(2, 4), M(_a, 0x12000, 2), M(_b, 0x50000, 2)),
            Seg(Pages(4, 8), M(_a, 0x14000, 4)));
    }

    [Fact]
    public void AbuttingMappings_AtContinuingAddresses_MergeIntoOneSegment()
    {
        Assert.Equal([Pages(0, 2)], Add(_a, 0x10000, 0, 2));
        Assert.Equal([Pages(2, 4)], Add(_a, 0x12000, 2, 2));
        AssertSegments(Seg(Pages(0, 4), M(_a, 0x10000, 4)));
    }

    [Fact]
    public void AbuttingMappings_AddedHighFirst_AlsoMerge()
    {
        Add(_a, 0x12000, 2, 2, writable: true);
        Add(_a, 0x10000, 0, 2, writable: true);
        AssertSegments(Seg(Pages(0, 4), M(_a, 0x10000, 4, writable: true)));
    }

    [Fact]
    public void AbuttingMappings_AtNonContinuingAddresses_StayApart()
    {
        Add(_a, 0x10000, 0, 2);
        Assert.Equal([Pages(2, 4)], Add(_a, 0x30000, 2, 2));
        AssertSegments(Seg(Pages(0, 2), M(_a, 0x10000, 2)), Seg(Pages(2, 4), M(_a, 0x30000, 2)));
    }

    [Fact]
    public void AbuttingMappings_WithDifferentWritability_StayApart()
    {
        Add(_a, 0x10000, 0, 2, writable: false);
        Add(_a, 0x12000, 2, 2, writable: true);
        AssertSegments(Seg(Pages(0, 2), M(_a, 0x10000, 2)), Seg(Pages(2, 4), M(_a, 0x12000, 2, writable: true)));
    }

    [Fact]
    public void AbuttingMappings_InDifferentSpaces_StayApart()
    {
        Add(_a, 0x10000, 0, 2);
        Add(_b, 0x12000, 2, 2);
        AssertSegments(Seg(Pages(0, 2), M(_a, 0x10000, 2)), Seg(Pages(2, 4), M(_b, 0x12000, 2)));
    }

    [Fact]
    public void AMappingFillingAHole_MergesWithBothNeighbours()
    {
        Add(_a, 0x10000, 0, 2);
        Add(_a, 0x14000, 4, 2);
        Assert.Equal(2, _set.SegmentCount);
        Assert.Equal([Pages(2, 4)], Add(_a, 0x12000, 2, 2));
        AssertSegments(Seg(Pages(0, 6), M(_a, 0x10000, 6)));
    }

    // ---- RemoveMapping.

    [Fact]
    public void RemovingTheOnlyMapping_ReturnsItsRange_AndEmptiesTheSet()
    {
        Add(_a, 0x10000, 3, 5, writable: true);
        Assert.Equal([Pages(3, 8)], Remove(_a, 0x10000, 3, 5, writable: true));
        AssertSegments();
    }

    [Fact]
    public void RemovingAnOuterMapping_ReturnsTheRangesNoLongerMapped_InIncreasingOrder()
    {
        Add(_a, 0x10000, 0, 8);
        Add(_b, 0x50000, 2, 2);
        Assert.Equal([Pages(0, 2), Pages(4, 8)], Remove(_a, 0x10000, 0, 8));
        AssertSegments(Seg(Pages(2, 4), M(_b, 0x50000, 2)));
        Assert.Equal([Pages(2, 4)], Remove(_b, 0x50000, 2, 2));
        AssertSegments();
    }

    [Fact]
    public void RemovingAnInnerMapping_UnmapsNothing_AndTheOuterOneMergesBack()
    {
        Add(_a, 0x10000, 0, 8);
        Add(_b, 0x50000, 2, 2);
        Assert.Empty(Remove(_b, 0x50000, 2, 2));
        AssertSegments(Seg(Pages(0, 8), M(_a, 0x10000, 8)));
    }

    [Fact]
    public void UnmappedRanges_AreCoalesced_AcrossFormerSplits()
    {
        Add(_a, 0x10000, 0, 4);
        Add(_b, 0x50000, 1, 1);
        Add(_c, 0x70000, 2, 1);
        Remove(_b, 0x50000, 1, 1);
        Remove(_c, 0x70000, 2, 1);
        Assert.Equal([Pages(0, 4)], Remove(_a, 0x10000, 0, 4));
        AssertSegments();
    }

    [Fact]
    public void RemovingASubRange_OfAMapping_SplitsIt()
    {
        Add(_a, 0x10000, 0, 4);
        Assert.Equal([Pages(1, 2)], Remove(_a, 0x11000, 1, 1));
        AssertSegments(Seg(Pages(0, 1), M(_a, 0x10000, 1)), Seg(Pages(2, 4), M(_a, 0x12000, 2)));
        // Putting the page back makes the mapping whole again.
        Assert.Equal([Pages(1, 2)], Add(_a, 0x11000, 1, 1));
        AssertSegments(Seg(Pages(0, 4), M(_a, 0x10000, 4)));
    }

    [Fact]
    public void RemovingPartOfTheOverlap_OfTwoMappings()
    {
        Add(_a, 0x10000, 0, 4);
        Add(_b, 0x50000, 2, 4);
        // A's pages 2..4 are also mapped by B, so only page 1 becomes unmapped.
        Assert.Equal([Pages(1, 2)], Remove(_a, 0x11000, 1, 3));
        AssertSegments(
            Seg(Pages(0, 1), M(_a, 0x10000, 1)),
            Seg(Pages(2, 6), M(_b, 0x50000, 4)));
    }

    [Fact]
    public void RemovingWithTheOtherWritableFlag_RemovesNothing()
    {
        Add(_a, 0x10000, 0, 4, writable: true);
        Add(_b, 0x50000, 2, 4, writable: false);
        var before = Snapshot();
        Assert.Empty(Remove(_a, 0x10000, 0, 4, writable: false));
        Assert.Empty(Remove(_b, 0x50000, 2, 4, writable: true));
        AssertSameSnapshot(before, Snapshot());
        _set.CheckInvariants();
    }

    [Fact]
    public void RemovingAMappingThatDoesNotMatch_RemovesNothing()
    {
        Add(_a, 0x10000, 0, 4);
        var before = Snapshot();
        Assert.Empty(Remove(_a, 0x20000, 0, 4));      // other addresses
        Assert.Empty(Remove(_b, 0x10000, 0, 4));      // other space
        Assert.Empty(Remove(_a, 0x10000, 1, 2));      // same addresses, other offsets
        AssertSameSnapshot(before, Snapshot());
        Assert.Equal(1, _set.SegmentCount);
        _set.CheckInvariants();
    }

    [Fact]
    public void RemovingFromAnEmptySet_Throws() =>
        Assert.Throws<InvalidOperationException>(() => Remove(_a, 0x10000, 0, 1));

    [Fact]
    public void RemovingWhereNoOffsetIsMapped_Throws_AndChangesNothing()
    {
        Add(_a, 0x10000, 4, 4);
        var before = Snapshot();
        Assert.Throws<InvalidOperationException>(() => Remove(_a, 0x10000, 0, 4));
        Assert.Throws<InvalidOperationException>(() => Remove(_a, 0x10000, 8, 2));
        AssertSameSnapshot(before, Snapshot());
    }

    /// <summary>
    /// As gVisor's <c>RemoveMapping</c> (which panics when no segment contains <c>mr.Start</c>), a
    /// removal whose first offset is unmapped is refused, even if later offsets are mapped: the
    /// mapping cannot exist, so the call breaks the precondition.
    /// </summary>
    [Fact]
    public void RemovingWhereTheFirstOffsetIsUnmapped_Throws()
    {
        Add(_a, 0x12000, 2, 2);
        var before = Snapshot();
        Assert.Throws<InvalidOperationException>(() => Remove(_a, 0x10000, 0, 4));
        AssertSameSnapshot(before, Snapshot());
    }

    [Fact]
    public void RemovingEverything_LeavesTheSetEmpty()
    {
        Add(_a, 0x10000, 0, 4, writable: true);
        Add(_b, 0x50000, 2, 6);
        Add(_c, 0x90000, 10, 2);
        Add(_a, 0x20000, 1, 1);
        Remove(_b, 0x50000, 2, 6);
        Remove(_a, 0x20000, 1, 1);
        Remove(_c, 0x90000, 10, 2);
        Remove(_a, 0x10000, 0, 4, writable: true);
        AssertSegments();
        Assert.True(_set.IsEmpty);
    }

    [Fact]
    public void Segments_MergeBack_AfterSplits()
    {
        Add(_a, 0x10000, 0, 8);
        Add(_b, 0x50000, 2, 1);
        Add(_c, 0x70000, 5, 1);
        Assert.Equal(5, _set.SegmentCount);
        _set.CheckInvariants();
        Remove(_b, 0x50000, 2, 1);
        Assert.Equal(3, _set.SegmentCount);
        Remove(_c, 0x70000, 5, 1);
        Assert.Equal(1, _set.SegmentCount);
        _set.CheckInvariants();
        AssertSegments(Seg(Pages(0, 8), M(_a, 0x10000, 8)));
    }

    [Fact]
    public void Segments_MergeBack_AfterAFailedRemoval()
    {
        // A removal that matches nothing still cuts segments at its bounds; they must merge again.
        Add(_a, 0x10000, 0, 8);
        Assert.Empty(Remove(_a, 0x13000, 3, 2, writable: true));
        AssertSegments(Seg(Pages(0, 8), M(_a, 0x10000, 8)));
    }

    // ---- Arguments.

    public static TheoryData<ulong, ulong, ulong> BadArguments => new()
    {
        { 0x10800, 0x12000, 0 },                        // unaligned start
        { 0x10000, 0x11800, 0 },                        // unaligned end
        { 0x10000, 0x12000, 0x800 },                    // unaligned offset
        { 0x10000, 0x10000, 0 },                        // empty
        { 0x12000, 0x10000, 0 },                        // ill-formed
        { 0x10000, 0x12000, 0xFFFF_FFFF_FFFF_F000 },    // offset + length overflows
        { 0x10000, 0x11000, 0xFFFF_FFFF_FFFF_F000 },    // ends exactly at 2^64: not representable
        { 0, 0xFFFF_FFFF_FFFF_F000, 0x2000 },           // huge length overflows
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void AddMapping_WithBadArguments_Throws(ulong start, ulong end, ulong offset)
    {
        var ar = new AddrRange(new Addr(start), new Addr(end));
        Assert.Throws<ArgumentException>(() => _set.AddMapping(_a, ar, offset, false));
        Assert.True(_set.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void RemoveMapping_WithBadArguments_Throws(ulong start, ulong end, ulong offset)
    {
        Add(_a, 0x10000, 0, 4);
        var before = Snapshot();
        var ar = new AddrRange(new Addr(start), new Addr(end));
        Assert.Throws<ArgumentException>(() => _set.RemoveMapping(_a, ar, offset, false));
        AssertSameSnapshot(before, Snapshot());
    }

    [Fact]
    public void NullSpace_Throws()
    {
        Assert.ThrowsAny<ArgumentException>(() => _set.AddMapping(null!, At(0x10000, 1), 0, false));
        Assert.ThrowsAny<ArgumentException>(() => _set.RemoveMapping(null!, At(0x10000, 1), 0, false));
    }

    [Fact]
    public void AMappingEndingJustBelowTheTopOfTheOffsetSpace_Works()
    {
        const ulong offset = 0xFFFF_FFFF_FFFF_D000;
        Assert.Equal([new MappableRange(offset, offset + (2 * P))], _set.AddMapping(_a, At(0x10000, 2), offset, false));
        _set.InvalidateAll(default);
        Assert.Equal([At(0x10000, 2)], _a.Ranges);
        Assert.Equal([new MappableRange(offset, offset + (2 * P))], _set.RemoveMapping(_a, At(0x10000, 2), offset, false));
        Assert.True(_set.IsEmpty);
    }

    // ---- Invalidate.

    [Fact]
    public void Invalidate_CallsEachSpaceOncePerMapping_WithTheAddressesThatMapTheRange()
    {
        Add(_a, 0x10000, 0, 4);
        Add(_b, 0x50000, 1, 1);
        Assert.Equal(3, _set.SegmentCount); // A is cut in three by B.
        _set.Invalidate(Pages(0, 3), default);
        Assert.Equal([At(0x10000, 3)], _a.Ranges);
        Assert.Equal([At(0x50000, 1)], _b.Ranges);
    }

    [Fact]
    public void Invalidate_ClipsToTheRange()
    {
        Add(_a, 0x10000, 0, 8, writable: true);
        _set.Invalidate(Pages(3, 5), default);
        Assert.Equal([At(0x13000, 2)], _a.Ranges);
    }

    [Fact]
    public void Invalidate_OfARangeStartingAndEndingInGaps()
    {
        Add(_a, 0x10000, 2, 2);
        Add(_b, 0x50000, 6, 2);
        _set.Invalidate(Pages(0, 10), default);
        Assert.Equal([At(0x10000, 2)], _a.Ranges);
        Assert.Equal([At(0x50000, 2)], _b.Ranges);
    }

    [Fact]
    public void Invalidate_OfAnUnmappedRange_CallsNothing()
    {
        Add(_a, 0x10000, 2, 2);
        _set.Invalidate(Pages(0, 2), default);
        _set.Invalidate(Pages(4, 100), default);
        Assert.Empty(_a.Calls);
    }

    [Fact]
    public void Invalidate_ReachesEveryMappingOfTheRange_InEverySpace()
    {
        Add(_a, 0x10000, 0, 4);
        Add(_a, 0x30000, 2, 2, writable: true);     // A maps pages 2..4 a second time, elsewhere.
        Add(_b, 0x50000, 1, 4);
        Add(_c, 0x70000, 6, 2);                     // outside the range.
        _set.Invalidate(Pages(1, 4), default);
        Assert.Equal(
            new[] { At(0x11000, 3), At(0x30000, 2) }.OrderBy(r => r.Start),
            _a.Ranges.OrderBy(r => r.Start));
        Assert.Equal([At(0x50000, 3)], _b.Ranges);
        Assert.Empty(_c.Calls);
    }

    [Fact]
    public void Invalidate_DoesNotJoinMappingsWithDifferentWritability()
    {
        Add(_a, 0x10000, 0, 2, writable: false);
        Add(_a, 0x12000, 2, 2, writable: true);
        _set.Invalidate(Pages(0, 4), default);
        Assert.Equal(
            new[] { At(0x10000, 2), At(0x12000, 2) },
            _a.Ranges.OrderBy(r => r.Start));
    }

    [Fact]
    public void Invalidate_PassesTheOptionsThrough()
    {
        Add(_a, 0x10000, 0, 4);
        Add(_b, 0x50000, 2, 4);
        var opts = new InvalidateOpts { InvalidatePrivate = true };
        _set.Invalidate(Pages(0, 6), opts);
        Assert.All(_a.Calls.Concat(_b.Calls), call => Assert.Equal(opts, call.Opts));
        Assert.Equal(2, _a.Calls.Count + _b.Calls.Count);

        _a.Clear();
        _set.Invalidate(Pages(0, 1), default);
        Assert.Equal([(At(0x10000, 1), default(InvalidateOpts))], _a.Calls);
    }

    [Fact]
    public void Invalidate_LeavesTheSetUnchanged()
    {
        Add(_a, 0x10000, 0, 4);
        Add(_b, 0x50000, 1, 1);
        var before = Snapshot();
        _set.Invalidate(Pages(0, 2), default);
        _set.InvalidateAll(new InvalidateOpts { InvalidatePrivate = true });
        AssertSameSnapshot(before, Snapshot());
        _set.CheckInvariants();
    }

    [Fact]
    public void InvalidateAll_CallsEveryMappingOnce_WithItsWholeRange()
    {
        Add(_a, 0x10000, 0, 4);
        Add(_b, 0x50000, 1, 1, writable: true);
        Add(_c, 0x70000, 9, 3);
        Add(_c, 0x90000, 20, 1);
        var opts = new InvalidateOpts { InvalidatePrivate = true };
        _set.InvalidateAll(opts);
        Assert.Equal([(At(0x10000, 4), opts)], _a.Calls);
        Assert.Equal([(At(0x50000, 1), opts)], _b.Calls);
        Assert.Equal(new[] { At(0x70000, 3), At(0x90000, 1) }, _c.Ranges.OrderBy(r => r.Start));
    }
}
