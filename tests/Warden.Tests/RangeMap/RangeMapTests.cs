using Warden.HostArch;
using Warden.RangeMap;
using Xunit;
using IntMap = Warden.RangeMap.RangeMap<Warden.HostArch.FileRange, int, Warden.Tests.RangeMap.IntOps>;
using OffsetMap = Warden.RangeMap.RangeMap<Warden.HostArch.FileRange, ulong, Warden.Tests.RangeMap.OffsetOps>;
using StringMap = Warden.RangeMap.RangeMap<Warden.HostArch.AddrRange, string, Warden.Tests.RangeMap.StringOps>;

namespace Warden.Tests.RangeMap;

/// <summary>Each public member of <see cref="RangeMap{TRange, TValue, TOps}"/> on small, hand-made maps.</summary>
public class RangeMapTests
{
    private static FileRange R(ulong start, ulong end) => new(start, end);

    private static List<(ulong Start, ulong End, ulong Value)> Dump(OffsetMap map)
    {
        var list = new List<(ulong, ulong, ulong)>();
        foreach (OffsetMap.Segment s in map)
        {
            list.Add((s.Start, s.End, s.Value));
        }
        return list;
    }

    private static List<(ulong Start, ulong End, int Value)> Dump(IntMap map)
    {
        var list = new List<(ulong, ulong, int)>();
        foreach (IntMap.Segment s in map)
        {
            list.Add((s.Start, s.End, s.Value));
        }
        return list;
    }

    /// <summary>[10, 20) = 100, [20, 30) = 500 (does not continue 100), [40, 50) = 400.</summary>
    private static OffsetMap ThreeSegments()
    {
        var map = new OffsetMap();
        Assert.True(map.Add(R(10, 20), 100));
        Assert.True(map.Add(R(20, 30), 500));
        Assert.True(map.Add(R(40, 50), 400));
        map.CheckInvariants(requireMerged: true);
        return map;
    }

    // ---- Construction and counts ----------------------------------------------------------------

    [Fact]
    public void NewMap_IsEmptyWithOneGapOverTheWholeKeySpace()
    {
        var map = new OffsetMap();
        Assert.Equal(0, map.Count);
        Assert.True(map.IsEmpty);
        Assert.False(map.FirstSegment().IsValid);
        Assert.False(map.LastSegment().IsValid);
        OffsetMap.Gap gap = map.FirstGap();
        Assert.True(gap.IsValid);
        Assert.Equal(gap, map.LastGap());
        Assert.Equal(R(0, ulong.MaxValue), gap.Range);
        Assert.False(gap.NextGap().IsValid);
        Assert.False(gap.PrevGap().IsValid);
        Assert.False(gap.NextSegment().IsValid);
        Assert.False(gap.PrevSegment().IsValid);
        map.CheckInvariants(requireMerged: true);
        Assert.Empty(Dump(map));
    }

    [Fact]
    public void Count_FollowsAddsRemovesAndMerges()
    {
        OffsetMap map = ThreeSegments();
        Assert.Equal(3, map.Count);
        Assert.False(map.IsEmpty);
        Assert.True(map.Add(R(30, 35), 510)); // continues [20, 30) = 500: merges
        Assert.Equal(3, map.Count);
        map.Remove(map.FindSegment(45));
        Assert.Equal(2, map.Count);
        map.RemoveAll();
        Assert.Equal(0, map.Count);
        Assert.True(map.IsEmpty);
    }

    [Fact]
    public void InternalConstructor_RejectsTinyCapacities()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OffsetMap(3, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OffsetMap(4, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OffsetMap(33, 32));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OffsetMap(32, 33));
        Assert.Equal(1, new OffsetMap(32, 32).FirstGap().IsValid ? 1 : 0);
    }

    // ---- Lookups --------------------------------------------------------------------------------

    [Fact]
    public void FirstAndLastSegment()
    {
        OffsetMap map = ThreeSegments();
        Assert.Equal(R(10, 20), map.FirstSegment().Range);
        Assert.Equal(R(40, 50), map.LastSegment().Range);
    }

    [Fact]
    public void FirstAndLastGap()
    {
        OffsetMap map = ThreeSegments();
        Assert.Equal(R(0, 10), map.FirstGap().Range);
        Assert.Equal(R(50, ulong.MaxValue), map.LastGap().Range);
    }

    [Fact]
    public void FirstGap_IsEmptyWhenASegmentStartsAtZero()
    {
        var map = new OffsetMap();
        map.Add(R(0, 5), 0);
        Assert.True(map.FirstGap().IsEmpty);
        Assert.Equal(map.FirstSegment(), map.FirstGap().NextSegment());
    }

    [Theory]
    [InlineData(0UL, -1L)]
    [InlineData(9UL, -1L)]
    [InlineData(10UL, 10L)]
    [InlineData(19UL, 10L)]
    [InlineData(20UL, 20L)]
    [InlineData(29UL, 20L)]
    [InlineData(30UL, -1L)]
    [InlineData(49UL, 40L)]
    [InlineData(50UL, -1L)]
    [InlineData(ulong.MaxValue, -1L)]
    public void FindSegment_FindsTheSegmentContainingTheKey(ulong key, long expectedStart)
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Segment segment = map.FindSegment(key);
        Assert.Equal(expectedStart >= 0, segment.IsValid);
        if (segment.IsValid)
        {
            Assert.Equal((ulong)expectedStart, segment.Start);
        }
    }

    [Theory]
    [InlineData(0UL, 0UL, 10UL)]
    [InlineData(9UL, 0UL, 10UL)]
    [InlineData(10UL, 1UL, 0UL)] // in a segment: no gap
    [InlineData(30UL, 30UL, 40UL)]
    [InlineData(39UL, 30UL, 40UL)]
    [InlineData(50UL, 50UL, ulong.MaxValue)]
    [InlineData(ulong.MaxValue - 1, 50UL, ulong.MaxValue)]
    [InlineData(ulong.MaxValue, 50UL, ulong.MaxValue)]
    public void FindGap_FindsTheGapContainingTheKey(ulong key, ulong start, ulong end)
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Gap gap = map.FindGap(key);
        if (start > end)
        {
            Assert.False(gap.IsValid); // the key is in a segment
            return;
        }
        Assert.True(gap.IsValid);
        Assert.Equal(R(start, end), gap.Range);
    }

    [Fact]
    public void FindGap_IsInvalidInsideASegment()
    {
        OffsetMap map = ThreeSegments();
        Assert.False(map.FindGap(10).IsValid);
        Assert.False(map.FindGap(25).IsValid);
        Assert.False(map.FindGap(49).IsValid);
    }

    [Fact]
    public void Find_GivesExactlyOneOfSegmentAndGap()
    {
        OffsetMap map = ThreeSegments();
        for (ulong key = 0; key < 60; key++)
        {
            (OffsetMap.Segment segment, OffsetMap.Gap gap) = map.Find(key);
            Assert.NotEqual(segment.IsValid, gap.IsValid);
            Assert.Equal(map.FindSegment(key), segment);
            Assert.Equal(map.FindGap(key), gap);
        }
    }

    [Theory]
    [InlineData(0UL, 10L)]
    [InlineData(10UL, 10L)]
    [InlineData(19UL, 10L)]
    [InlineData(20UL, 20L)]
    [InlineData(30UL, 40L)]
    [InlineData(45UL, 40L)]
    [InlineData(50UL, -1L)]
    [InlineData(ulong.MaxValue, -1L)]
    public void LowerBoundSegment_IsTheFirstSegmentEndingAfterTheKey(ulong key, long expectedStart)
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Segment segment = map.LowerBoundSegment(key);
        Assert.Equal(expectedStart >= 0, segment.IsValid);
        if (segment.IsValid)
        {
            Assert.Equal((ulong)expectedStart, segment.Start);
        }
    }

    [Theory]
    [InlineData(0UL, -1L)]
    [InlineData(9UL, -1L)]
    [InlineData(10UL, 10L)]
    [InlineData(25UL, 20L)]
    [InlineData(35UL, 20L)]
    [InlineData(40UL, 40L)]
    [InlineData(ulong.MaxValue, 40L)]
    public void UpperBoundSegment_IsTheLastSegmentStartingAtOrBeforeTheKey(ulong key, long expectedStart)
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Segment segment = map.UpperBoundSegment(key);
        Assert.Equal(expectedStart >= 0, segment.IsValid);
        if (segment.IsValid)
        {
            Assert.Equal((ulong)expectedStart, segment.Start);
        }
    }

    [Theory]
    [InlineData(0UL, 0UL, 10UL)]
    [InlineData(10UL, 20UL, 20UL)] // the empty gap between [10, 20) and [20, 30)
    [InlineData(20UL, 30UL, 40UL)]
    [InlineData(35UL, 30UL, 40UL)]
    [InlineData(40UL, 50UL, ulong.MaxValue)]
    [InlineData(ulong.MaxValue, 50UL, ulong.MaxValue)]
    public void LowerBoundGap_IsTheFirstGapEndingAfterTheKey(ulong key, ulong start, ulong end)
    {
        OffsetMap map = ThreeSegments();
        Assert.Equal(R(start, end), map.LowerBoundGap(key).Range);
    }

    [Theory]
    [InlineData(0UL, 0UL, 10UL)]
    [InlineData(15UL, 0UL, 10UL)]
    [InlineData(20UL, 20UL, 20UL)] // the empty gap starts at 20
    [InlineData(25UL, 20UL, 20UL)]
    [InlineData(30UL, 30UL, 40UL)]
    [InlineData(45UL, 30UL, 40UL)]
    [InlineData(50UL, 50UL, ulong.MaxValue)]
    public void UpperBoundGap_IsTheLastGapStartingAtOrBeforeTheKey(ulong key, ulong start, ulong end)
    {
        OffsetMap map = ThreeSegments();
        Assert.Equal(R(start, end), map.UpperBoundGap(key).Range);
    }

    [Fact]
    public void IsEmptyRange()
    {
        OffsetMap map = ThreeSegments();
        Assert.True(map.IsEmptyRange(R(0, 10)));
        Assert.False(map.IsEmptyRange(R(0, 11)));
        Assert.True(map.IsEmptyRange(R(30, 40)));
        Assert.False(map.IsEmptyRange(R(29, 40)));
        Assert.False(map.IsEmptyRange(R(30, 41)));
        Assert.True(map.IsEmptyRange(R(50, ulong.MaxValue)));
        Assert.True(map.IsEmptyRange(R(15, 15))); // empty ranges are empty, even inside a segment
    }

    [Fact]
    public void SpanRange_CountsTheKeysInSegments()
    {
        OffsetMap map = ThreeSegments();
        Assert.Equal(30UL, map.SpanRange(R(0, ulong.MaxValue)));
        Assert.Equal(0UL, map.SpanRange(R(0, 10)));
        Assert.Equal(5UL + 10 + 2, map.SpanRange(R(15, 42)));
        Assert.Equal(0UL, map.SpanRange(R(15, 15)));
        Assert.Equal(1UL, map.SpanRange(R(49, 60)));
    }

    // ---- Adding and inserting -------------------------------------------------------------------

    [Fact]
    public void Add_MergesWithNeighboursThatContinue()
    {
        var map = new OffsetMap();
        Assert.True(map.Add(R(10, 20), 1000));
        Assert.True(map.Add(R(30, 40), 1020));
        Assert.True(map.Add(R(20, 30), 1010)); // continues the first and is continued by the second
        Assert.Equal([(10UL, 40UL, 1000UL)], Dump(map));
        Assert.True(map.Add(R(40, 45), 7)); // does not continue
        Assert.Equal([(10UL, 40UL, 1000UL), (40UL, 45UL, 7UL)], Dump(map));
        map.CheckInvariants(requireMerged: true);
    }

    [Fact]
    public void Add_RefusesOverlapsAndChangesNothing()
    {
        OffsetMap map = ThreeSegments();
        var before = Dump(map);
        Assert.False(map.Add(R(5, 11), 0));
        Assert.False(map.Add(R(19, 21), 0));
        Assert.False(map.Add(R(29, 41), 0));
        Assert.False(map.Add(R(30, 41), 0));
        Assert.False(map.Add(R(0, 100), 0));
        Assert.Equal(before, Dump(map));
        Assert.True(map.Add(R(30, 40), 0));
    }

    [Fact]
    public void Add_RejectsEmptyRanges()
    {
        var map = new OffsetMap();
        Assert.Throws<ArgumentException>(() => map.Add(R(5, 5), 0));
        Assert.Throws<ArgumentException>(() => map.Add(R(6, 5), 0));
        Assert.Throws<ArgumentException>(() => map.AddWithoutMerging(R(5, 5), 0));
    }

    [Fact]
    public void Add_AtTheTopOfTheKeySpace()
    {
        var map = new OffsetMap();
        Assert.True(map.Add(R(ulong.MaxValue - 10, ulong.MaxValue), 0));
        Assert.True(map.LastGap().IsEmpty);
        Assert.Equal(R(0, ulong.MaxValue - 10), map.FirstGap().Range);
        Assert.False(map.Add(R(ulong.MaxValue - 1, ulong.MaxValue), 0));
    }

    [Fact]
    public void AddWithoutMerging_KeepsSegmentsApart()
    {
        var map = new OffsetMap();
        Assert.True(map.AddWithoutMerging(R(10, 20), 1000));
        Assert.True(map.AddWithoutMerging(R(20, 30), 1010));
        Assert.False(map.AddWithoutMerging(R(15, 25), 0));
        Assert.Equal([(10UL, 20UL, 1000UL), (20UL, 30UL, 1010UL)], Dump(map));
        map.CheckInvariants(requireMerged: false);
        Assert.Throws<InvalidOperationException>(() => map.CheckInvariants(requireMerged: true));
    }

    [Fact]
    public void Insert_MergesWithPreviousThenNext()
    {
        var map = new OffsetMap();
        map.Add(R(0, 10), 100);
        map.Add(R(20, 30), 120);
        OffsetMap.Gap gap = map.FindGap(10);
        OffsetMap.Segment segment = map.Insert(gap, R(10, 20), 110);
        Assert.Equal(R(0, 30), segment.Range);
        Assert.Equal(100UL, segment.Value);
        Assert.Equal(1, map.Count);
    }

    [Fact]
    public void Insert_MergesWithNextOnly()
    {
        var map = new OffsetMap();
        map.Add(R(0, 10), 100);
        map.Add(R(20, 30), 120);
        OffsetMap.Segment segment = map.Insert(map.FindGap(15), R(15, 20), 115);
        Assert.Equal(R(15, 30), segment.Range);
        Assert.Equal(115UL, segment.Value);
        Assert.Equal([(0UL, 10UL, 100UL), (15UL, 30UL, 115UL)], Dump(map));
    }

    [Fact]
    public void Insert_MergesWithPreviousOnly()
    {
        var map = new OffsetMap();
        map.Add(R(0, 10), 100);
        map.Add(R(20, 30), 999);
        OffsetMap.Segment segment = map.Insert(map.FindGap(10), R(10, 20), 110);
        Assert.Equal(R(0, 20), segment.Range);
        Assert.Equal([(0UL, 20UL, 100UL), (20UL, 30UL, 999UL)], Dump(map));
    }

    [Fact]
    public void Insert_WithoutAdjacentNeighboursMakesANewSegment()
    {
        var map = new OffsetMap();
        map.Add(R(0, 10), 100);
        OffsetMap.Segment segment = map.Insert(map.FindGap(50), R(50, 60), 150);
        Assert.Equal(R(50, 60), segment.Range);
        Assert.Equal(2, map.Count);
        Assert.Equal(segment, map.LastSegment());
    }

    [Fact]
    public void Insert_ChecksItsPreconditions()
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Gap gap = map.FindGap(35); // [30, 40)
        Assert.Throws<ArgumentException>(() => map.Insert(gap, R(29, 35), 0));
        Assert.Throws<ArgumentException>(() => map.Insert(gap, R(35, 41), 0));
        Assert.Throws<ArgumentException>(() => map.Insert(gap, R(35, 35), 0));
        Assert.Throws<ArgumentException>(() => map.InsertWithoutMerging(gap, R(39, 41), 0));
        Assert.Throws<InvalidOperationException>(() => map.Insert(default, R(35, 36), 0));
        Assert.Equal(3, map.Count);
    }

    [Fact]
    public void InsertWithoutMerging_KeepsTheExactRange()
    {
        var map = new OffsetMap();
        map.Add(R(0, 10), 100);
        map.Add(R(20, 30), 120);
        OffsetMap.Segment segment = map.InsertWithoutMerging(map.FindGap(10), R(10, 20), 110);
        Assert.Equal(R(10, 20), segment.Range);
        Assert.Equal(3, map.Count);
        Assert.Equal(map.FindSegment(15), segment);
    }

    // ---- Removing -------------------------------------------------------------------------------

    [Fact]
    public void Remove_ReturnsTheJoinedGap()
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Gap gap = map.Remove(map.FindSegment(25));
        Assert.Equal(R(20, 40), gap.Range);
        Assert.Equal(map.FindGap(25), gap);
        gap = map.Remove(map.FindSegment(10));
        Assert.Equal(R(0, 40), gap.Range);
        gap = map.Remove(map.FindSegment(40));
        Assert.Equal(R(0, ulong.MaxValue), gap.Range);
        Assert.True(map.IsEmpty);
        Assert.Throws<InvalidOperationException>(() => map.Remove(default));
    }

    [Fact]
    public void RemoveRange_SplitsAtTheBoundsAndRemovesTheMiddle()
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Gap gap = map.RemoveRange(R(15, 45));
        Assert.Equal(R(15, 45), gap.Range);
        // The upper remnant of [40, 50) = 400 keeps its offsets: 405 at 45.
        Assert.Equal([(10UL, 15UL, 100UL), (45UL, 50UL, 405UL)], Dump(map));
        map.CheckInvariants(requireMerged: true);
    }

    [Fact]
    public void RemoveRange_InsideOneSegment()
    {
        var map = new OffsetMap();
        map.Add(R(0, 100), 1000);
        OffsetMap.Gap gap = map.RemoveRange(R(40, 60));
        Assert.Equal(R(40, 60), gap.Range);
        Assert.Equal([(0UL, 40UL, 1000UL), (60UL, 100UL, 1060UL)], Dump(map));
    }

    [Fact]
    public void RemoveRange_OfAGapReturnsThatGap()
    {
        OffsetMap map = ThreeSegments();
        Assert.Equal(R(30, 40), map.RemoveRange(R(31, 39)).Range);
        Assert.Equal(3, map.Count);
    }

    [Fact]
    public void RemoveRange_OfAnEmptyRangeChangesNothing()
    {
        OffsetMap map = ThreeSegments();
        Assert.False(map.RemoveRange(R(15, 15)).IsValid);
        Assert.Equal(R(30, 40), map.RemoveRange(R(35, 35)).Range);
        Assert.Equal(3, map.Count);
    }

    [Fact]
    public void RemoveAll_EmptiesTheMapAndItCanBeReused()
    {
        var map = new OffsetMap();
        for (ulong i = 0; i < 1000; i++)
        {
            map.AddWithoutMerging(R(i * 2, (i * 2) + 1), i);
        }
        map.RemoveAll();
        map.CheckInvariants(requireMerged: true);
        Assert.True(map.IsEmpty);
        Assert.Equal(R(0, ulong.MaxValue), map.FirstGap().Range);
        Assert.True(map.Add(R(5, 6), 0));
        Assert.Equal(1, map.Count);
        map.CheckInvariants(requireMerged: true);
    }

    // ---- Splitting ------------------------------------------------------------------------------

    [Fact]
    public void Split_UsesTheOpsForBothValues()
    {
        var map = new OffsetMap();
        map.Add(R(10, 20), 1000);
        (OffsetMap.Segment first, OffsetMap.Segment second) = map.Split(map.FindSegment(10), 13);
        Assert.Equal(R(10, 13), first.Range);
        Assert.Equal(1000UL, first.Value);
        Assert.Equal(R(13, 20), second.Range);
        Assert.Equal(1003UL, second.Value);
        Assert.Equal(second, first.NextSegment());
        Assert.True(first.NextGap().IsEmpty);
        map.CheckInvariants(requireMerged: false);
    }

    [Fact]
    public void Split_RejectsKeysOutsideTheSegmentsInterior()
    {
        var map = new OffsetMap();
        map.Add(R(10, 20), 1000);
        OffsetMap.Segment segment = map.FindSegment(10);
        Assert.Throws<ArgumentException>(() => map.Split(segment, 10));
        Assert.Throws<ArgumentException>(() => map.Split(segment, 20));
        Assert.Throws<ArgumentException>(() => map.Split(segment, 5));
        Assert.Throws<InvalidOperationException>(() => map.Split(default, 15));
        Assert.Equal(1, map.Count);
    }

    [Fact]
    public void SplitAt_SplitsOnlyInsideASegment()
    {
        var map = new OffsetMap();
        map.Add(R(10, 20), 1000);
        Assert.False(map.SplitAt(5));
        Assert.False(map.SplitAt(10));
        Assert.False(map.SplitAt(20));
        Assert.True(map.SplitAt(15));
        Assert.False(map.SplitAt(15));
        Assert.Equal([(10UL, 15UL, 1000UL), (15UL, 20UL, 1005UL)], Dump(map));
    }

    [Fact]
    public void Isolate_ReturnsThePartWithinTheRange()
    {
        var map = new OffsetMap();
        map.Add(R(10, 20), 1000);
        OffsetMap.Segment middle = map.Isolate(map.FindSegment(10), R(12, 15));
        Assert.Equal(R(12, 15), middle.Range);
        Assert.Equal(1002UL, middle.Value);
        Assert.Equal([(10UL, 12UL, 1000UL), (12UL, 15UL, 1002UL), (15UL, 20UL, 1005UL)], Dump(map));

        // Already within: nothing to split.
        OffsetMap.Segment same = map.Isolate(map.FindSegment(12), R(0, 100));
        Assert.Equal(R(12, 15), same.Range);
        Assert.Equal(3, map.Count);

        Assert.Throws<ArgumentException>(() => map.Isolate(map.FindSegment(12), R(15, 20)));
    }

    // ---- Merging --------------------------------------------------------------------------------

    [Fact]
    public void Merge_JoinsWhenTheOpsAgree()
    {
        var map = new OffsetMap();
        map.AddWithoutMerging(R(10, 20), 1000);
        map.AddWithoutMerging(R(20, 30), 1010);
        OffsetMap.Segment first = map.FirstSegment();
        OffsetMap.Segment merged = map.Merge(first, first.NextSegment());
        Assert.True(merged.IsValid);
        Assert.Equal(R(10, 30), merged.Range);
        Assert.Equal(1000UL, merged.Value);
        Assert.Equal(1, map.Count);
    }

    [Fact]
    public void Merge_DeclinedChangesNothing()
    {
        var map = new OffsetMap();
        map.AddWithoutMerging(R(10, 20), 1000);
        map.AddWithoutMerging(R(20, 30), 5);
        OffsetMap.Segment first = map.FirstSegment();
        Assert.False(map.Merge(first, first.NextSegment()).IsValid);
        Assert.Equal(2, map.Count);
        // Nothing changed, so the iterators are still good.
        Assert.Equal(R(10, 20), first.Range);
    }

    [Fact]
    public void Merge_ChecksItsPreconditions()
    {
        var map = new OffsetMap();
        map.AddWithoutMerging(R(10, 20), 1000);
        map.AddWithoutMerging(R(25, 30), 1015);
        map.AddWithoutMerging(R(30, 40), 1020);
        OffsetMap.Segment a = map.FirstSegment();
        OffsetMap.Segment b = a.NextSegment();
        OffsetMap.Segment c = b.NextSegment();
        Assert.Throws<ArgumentException>(() => map.Merge(a, b)); // not adjacent
        Assert.Throws<ArgumentException>(() => map.Merge(a, c)); // not consecutive
        Assert.Throws<ArgumentException>(() => map.Merge(c, b)); // wrong order
        Assert.Throws<InvalidOperationException>(() => map.Merge(default, b));
        Assert.Equal(3, map.Count);
    }

    [Fact]
    public void MergeAll_MergesEveryMergeablePair()
    {
        var map = new IntMap();
        int[] values = [1, 1, 1, 2, 2, 1, 3, 3, 3, 3];
        for (int i = 0; i < values.Length; i++)
        {
            map.AddWithoutMerging(R((ulong)i * 10, ((ulong)i * 10) + 10), values[i]);
        }
        map.AddWithoutMerging(R(105, 110), 3); // same value, not adjacent
        map.MergeAll();
        Assert.Equal([(0UL, 30UL, 1), (30UL, 50UL, 2), (50UL, 60UL, 1), (60UL, 100UL, 3), (105UL, 110UL, 3)], Dump(map));
        map.CheckInvariants(requireMerged: true);
    }

    [Fact]
    public void MergeRange_MergesOnlyPairsOverlappingTheRange()
    {
        var map = new IntMap();
        for (int i = 0; i < 10; i++)
        {
            map.AddWithoutMerging(R((ulong)i * 10, ((ulong)i * 10) + 10), 7);
        }
        map.MergeRange(R(25, 55)); // overlaps [20, 30) .. [50, 60)
        Assert.Equal(
            [(0UL, 10UL, 7), (10UL, 20UL, 7), (20UL, 60UL, 7), (60UL, 70UL, 7), (70UL, 80UL, 7), (80UL, 90UL, 7), (90UL, 100UL, 7)],
            Dump(map));
        map.MergeRange(R(0, 0));
        Assert.Equal(7, map.Count);
    }

    [Fact]
    public void MergeAdjacent_MergesAtTheRangesEdges()
    {
        var map = new IntMap();
        for (int i = 0; i < 6; i++)
        {
            map.AddWithoutMerging(R((ulong)i * 10, ((ulong)i * 10) + 10), 7);
        }
        // The segment containing 20 merges with its predecessor, the one containing 39 with its successor;
        // [20, 30) and [30, 40) are left alone.
        map.MergeAdjacent(R(20, 40));
        Assert.Equal([(0UL, 10UL, 7), (10UL, 30UL, 7), (30UL, 50UL, 7), (50UL, 60UL, 7)], Dump(map));
        map.MergeAdjacent(R(5, 5));
        Assert.Equal(4, map.Count);
        map.MergeAdjacent(R(1000, 2000)); // nothing there
        Assert.Equal(4, map.Count);
    }

    // ---- SetRangeUnchecked ----------------------------------------------------------------------

    [Fact]
    public void SetRangeUnchecked_MovesTheBoundsBetweenTheNeighbours()
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Segment middle = map.FindSegment(25);
        map.SetRangeUnchecked(middle, R(22, 38));
        Assert.Equal(R(22, 38), middle.Range); // iterators stay valid
        Assert.Equal(500UL, middle.Value);
        map.SetRangeUnchecked(middle, R(20, 40));
        map.CheckInvariants(requireMerged: false);
        Assert.Equal(map.FindSegment(20), middle);
        Assert.Equal(map.FindSegment(39), middle);
    }

    [Fact]
    public void SetRangeUnchecked_UpdatesTheSearchKeysWhenTheStartMoves()
    {
        // Small nodes, so segments are first of their leaves and the new start must reach the parents.
        var map = new OffsetMap(4, 4);
        for (ulong i = 0; i < 100; i++)
        {
            map.AddWithoutMerging(R(i * 10, (i * 10) + 5), 0);
        }
        for (OffsetMap.Segment s = map.FirstSegment(); s.IsValid; s = s.NextSegment())
        {
            map.SetRangeUnchecked(s, R(s.Start - Math.Min(s.Start, 3), s.End));
        }
        map.CheckInvariants(requireMerged: false);
        for (ulong i = 1; i < 100; i++)
        {
            Assert.Equal((i * 10) - 3, map.FindSegment((i * 10) - 3).Start);
        }
    }

    [Fact]
    public void SetRangeUnchecked_RejectsOverlapsAndEmptyRanges()
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Segment middle = map.FindSegment(25);
        Assert.Throws<ArgumentException>(() => map.SetRangeUnchecked(middle, R(19, 30)));
        Assert.Throws<ArgumentException>(() => map.SetRangeUnchecked(middle, R(20, 41)));
        Assert.Throws<ArgumentException>(() => map.SetRangeUnchecked(middle, R(25, 25)));
        Assert.Throws<InvalidOperationException>(() => map.SetRangeUnchecked(default, R(25, 26)));
        Assert.Equal(R(20, 30), middle.Range);
    }

    // ---- Enumeration and invariants -------------------------------------------------------------

    [Fact]
    public void Enumerator_VisitsSegmentsInOrder()
    {
        var map = new OffsetMap(4, 4);
        var random = new Random(7);
        var starts = Enumerable.Range(0, 200).Select(i => (ulong)i * 3).OrderBy(_ => random.Next()).ToList();
        foreach (ulong s in starts)
        {
            map.AddWithoutMerging(R(s, s + 2), s);
        }
        var seen = new List<ulong>();
        foreach (OffsetMap.Segment s in map)
        {
            seen.Add(s.Start);
        }
        Assert.Equal(starts.Order(), seen);

        OffsetMap.Enumerator e = new OffsetMap().GetEnumerator();
        Assert.False(e.MoveNext());
        Assert.False(e.MoveNext());
    }

    [Fact]
    public void CheckInvariants_ReportsMergeableNeighbours()
    {
        var map = new IntMap();
        map.Add(R(0, 10), 1);
        map.Add(R(10, 20), 2);
        map.CheckInvariants(requireMerged: true);
        map.FindSegment(10).Value = 1; // now both are 1
        map.CheckInvariants(requireMerged: false);
        var e = Assert.Throws<InvalidOperationException>(() => map.CheckInvariants(requireMerged: true));
        Assert.Contains("mergeable neighbours merged", e.Message);
    }

    [Fact]
    public void CheckInvariants_ReportsBrokenOrderAndKeys()
    {
        var map = new OffsetMap(4, 4);
        for (ulong i = 0; i < 50; i++)
        {
            map.AddWithoutMerging(R(i * 10, (i * 10) + 5), 0);
        }
        map.CheckInvariants(requireMerged: false);

        // Reach into a leaf (internal access) and break the order.
        OffsetMap.Segment s = map.FindSegment(200);
        s.Node.Ends[s.Index] = 215;
        var e = Assert.Throws<InvalidOperationException>(() => map.CheckInvariants(requireMerged: false));
        Assert.Contains("sorted and non-overlapping", e.Message);
        s.Node.Ends[s.Index] = 205;

        // Break a leaf's first start, which its parent's key must equal.
        Span<ulong> lastLeafStarts = map.LastSegment().Node.KeySpan;
        lastLeafStarts[0]--;
        e = Assert.Throws<InvalidOperationException>(() => map.CheckInvariants(requireMerged: false));
        Assert.Contains("internal keys", e.Message);
        lastLeafStarts[0]++;
        map.CheckInvariants(requireMerged: false);

        s.Node.Ends[s.Index] = s.Node.Keys[s.Index];
        e = Assert.Throws<InvalidOperationException>(() => map.CheckInvariants(requireMerged: false));
        Assert.Contains("segments non-empty", e.Message);
    }

    // ---- Iterators ------------------------------------------------------------------------------

    [Fact]
    public void Segment_StepsAndNeighbouringGaps()
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Segment a = map.FirstSegment();
        OffsetMap.Segment b = a.NextSegment();
        OffsetMap.Segment c = b.NextSegment();
        Assert.False(c.NextSegment().IsValid);
        Assert.False(a.PrevSegment().IsValid);
        Assert.Equal(b, c.PrevSegment());
        Assert.Equal(a, b.PrevSegment());

        Assert.Equal(R(0, 10), a.PrevGap().Range);
        Assert.Equal(R(20, 20), a.NextGap().Range);
        Assert.True(a.NextGap().IsEmpty);
        Assert.Equal(a.NextGap(), b.PrevGap());
        Assert.Equal(R(30, 40), b.NextGap().Range);
        Assert.Equal(map.LastGap(), c.NextGap());

        Assert.Equal(10UL, a.Length);
        Assert.Equal(10UL, a.Start);
        Assert.Equal(20UL, a.End);
    }

    [Fact]
    public void Segment_ValueIsARefIntoTheMap()
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Segment b = map.FindSegment(25);
        b.Value = 12345;
        ref ulong v = ref map.FindSegment(20).Value;
        Assert.Equal(12345UL, v);
        v++;
        Assert.Equal(12346UL, b.Value);
    }

    [Fact]
    public void Segment_InvalidThrowsOnUse()
    {
        OffsetMap.Segment invalid = default;
        Assert.False(invalid.IsValid);
        Assert.Throws<InvalidOperationException>(() => invalid.Start);
        Assert.Throws<InvalidOperationException>(() => invalid.End);
        Assert.Throws<InvalidOperationException>(() => invalid.Range);
        Assert.Throws<InvalidOperationException>(() => invalid.Value);
        Assert.Throws<InvalidOperationException>(() => invalid.NextSegment());
        Assert.Throws<InvalidOperationException>(() => invalid.PrevGap());
        Assert.Equal("invalid segment", invalid.ToString());
    }

    [Fact]
    public void Segment_Equality()
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Segment a = map.FindSegment(10);
        OffsetMap.Segment a2 = map.FirstSegment();
        OffsetMap.Segment b = map.FindSegment(20);
        Assert.True(a == a2);
        Assert.False(a != a2);
        Assert.True(a.Equals(a2));
        Assert.True(a.Equals((object)a2));
        Assert.Equal(a.GetHashCode(), a2.GetHashCode());
        Assert.True(a != b);
        Assert.True(default(OffsetMap.Segment) == default);
        Assert.True(a != default);
        Assert.False(a.Equals("a"));
        Assert.Equal("segment [0xa, 0x14)", a.ToString());

        // The same position in another map is another segment.
        OffsetMap other = ThreeSegments();
        Assert.True(a != other.FirstSegment());
    }

    [Fact]
    public void Gap_StepsAndNeighbours()
    {
        OffsetMap map = ThreeSegments();
        OffsetMap.Gap g0 = map.FirstGap();
        OffsetMap.Gap g1 = g0.NextGap();
        OffsetMap.Gap g2 = g1.NextGap();
        OffsetMap.Gap g3 = g2.NextGap();
        Assert.False(g3.NextGap().IsValid);
        Assert.Equal(map.LastGap(), g3);
        Assert.Equal(R(0, 10), g0.Range);
        Assert.Equal(R(20, 20), g1.Range);
        Assert.Equal(R(30, 40), g2.Range);
        Assert.Equal(R(50, ulong.MaxValue), g3.Range);
        Assert.Equal(10UL, g2.Length);
        Assert.True(g1.IsEmpty);
        Assert.False(g2.IsEmpty);

        Assert.Equal(g2, g3.PrevGap());
        Assert.Equal(g0, g1.PrevGap());
        Assert.False(g0.PrevGap().IsValid);

        Assert.False(g0.PrevSegment().IsValid);
        Assert.Equal(map.FirstSegment(), g0.NextSegment());
        Assert.Equal(map.LastSegment(), g3.PrevSegment());
        Assert.False(g3.NextSegment().IsValid);
        Assert.Equal(20UL, g1.NextSegment().Start);
        Assert.Equal(10UL, g1.PrevSegment().Start);
    }

    [Fact]
    public void Gap_LargeEnoughGaps()
    {
        var map = new OffsetMap();
        // Gaps: [0, 10) 10, [12, 15) 3, [16, 16) 0, [18, 30) 12, [31, max).
        map.Add(R(10, 12), 0);
        map.Add(R(15, 16), 0);
        map.AddWithoutMerging(R(16, 18), 0);
        map.Add(R(30, 31), 0);
        OffsetMap.Gap first = map.FirstGap();
        Assert.Equal(R(12, 15), first.NextLargeEnoughGap(1).Range);
        Assert.Equal(R(12, 15), first.NextLargeEnoughGap(3).Range);
        Assert.Equal(R(18, 30), first.NextLargeEnoughGap(4).Range);
        Assert.Equal(R(31, ulong.MaxValue), first.NextLargeEnoughGap(13).Range);
        Assert.Equal(R(12, 15), first.NextLargeEnoughGap(0).Range);
        Assert.Equal(R(16, 16), map.FindGap(13).NextLargeEnoughGap(0).Range);
        Assert.False(map.LastGap().NextLargeEnoughGap(0).IsValid);

        OffsetMap.Gap last = map.LastGap();
        Assert.Equal(R(18, 30), last.PrevLargeEnoughGap(12).Range);
        Assert.Equal(R(18, 30), last.PrevLargeEnoughGap(10).Range);
        Assert.False(last.PrevLargeEnoughGap(13).IsValid);
        Assert.Equal(R(0, 10), map.FindGap(20).PrevLargeEnoughGap(4).Range);
        Assert.Equal(R(12, 15), map.FindGap(20).PrevLargeEnoughGap(2).Range);
        Assert.Equal(R(16, 16), map.FindGap(20).PrevLargeEnoughGap(0).Range);
        Assert.False(last.PrevLargeEnoughGap(100).IsValid);
        Assert.False(first.PrevLargeEnoughGap(0).IsValid);
    }

    [Fact]
    public void Gap_InvalidThrowsOnUse()
    {
        OffsetMap.Gap invalid = default;
        Assert.False(invalid.IsValid);
        Assert.Throws<InvalidOperationException>(() => invalid.Start);
        Assert.Throws<InvalidOperationException>(() => invalid.End);
        Assert.Throws<InvalidOperationException>(() => invalid.Range);
        Assert.Throws<InvalidOperationException>(() => invalid.IsEmpty);
        Assert.Throws<InvalidOperationException>(() => invalid.NextGap());
        Assert.Throws<InvalidOperationException>(() => invalid.PrevSegment());
        Assert.Equal("invalid gap", invalid.ToString());
    }

    [Fact]
    public void Gap_EqualityIsCanonicalAcrossLeaves()
    {
        // With 4-segment leaves, the gap after one leaf's last segment is also the gap before the
        // next leaf's first: reached either way, the iterators must be equal.
        var map = new OffsetMap(4, 4);
        for (ulong i = 0; i < 40; i++)
        {
            map.AddWithoutMerging(R(i * 10, (i * 10) + 5), 0);
        }
        for (OffsetMap.Segment s = map.FirstSegment(); s.NextSegment().IsValid; s = s.NextSegment())
        {
            OffsetMap.Gap after = s.NextGap();
            OffsetMap.Gap before = s.NextSegment().PrevGap();
            Assert.True(after == before);
            Assert.Equal(after.GetHashCode(), before.GetHashCode());
            Assert.Equal(after, map.FindGap(s.End));
            Assert.True(after.Equals((object)before));
            Assert.True(after != map.LastGap());
        }
        Assert.Equal("gap [0x5, 0xa)", map.FirstSegment().NextGap().ToString());
    }

    // ---- Other value and range types ------------------------------------------------------------

    [Fact]
    public void ReferenceValues_AreReleasedWhenRemoved()
    {
        var map = new StringMap(4, 4);
        for (ulong i = 0; i < 100; i++)
        {
            map.Add(new AddrRange(new Addr(i * 10), new Addr((i * 10) + 5)), $"v{i % 3}");
        }
        for (ulong i = 0; i < 100; i += 2)
        {
            map.RemoveRange(new AddrRange(new Addr(i * 10), new Addr((i * 10) + 10)));
        }
        // CheckInvariants verifies that every slot past a leaf's count was cleared.
        map.CheckInvariants(requireMerged: true);
        Assert.Equal(50, map.Count);
        Assert.Equal("v1", map.FindSegment(10).Value);
        map.RemoveAll();
        map.CheckInvariants(requireMerged: true);
    }
}
