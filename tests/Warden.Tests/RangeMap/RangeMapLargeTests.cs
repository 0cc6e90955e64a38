using Warden.HostArch;
using Xunit;
using IntMap = Warden.RangeMap.RangeMap<Warden.HostArch.FileRange, int, Warden.Tests.RangeMap.IntOps>;
using LongMap = Warden.RangeMap.RangeMap<Warden.HostArch.FileRange, long, Warden.Tests.RangeMap.NeverMergeOps>;

namespace Warden.Tests.RangeMap;

/// <summary>
/// Maps large enough for several tree levels with the default node sizes, and long runs of the
/// operations that move segments between nodes, each result checked against a fresh lookup.
/// </summary>
public class RangeMapLargeTests
{
    private static FileRange R(ulong start, ulong end) => new(start, end);

    private static void Shuffle<T>(T[] items, Random random)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    [Fact]
    public void HundredThousandSegments_InRandomOrder_ThenRemovedInRandomOrder()
    {
        const int n = 100_000;
        var random = new Random(12345);
        // Segment i is [10i, 10i + 5 + i % 4): gaps of 1 to 5 keys between all of them.
        int[] order = Enumerable.Range(0, n).ToArray();
        Shuffle(order, random);
        var map = new LongMap();
        for (int k = 0; k < n; k++)
        {
            int i = order[k];
            ulong start = (ulong)i * 10;
            Assert.True(map.Add(R(start, start + 5 + (ulong)(i % 4)), i));
            if (k % 20_000 == 0)
            {
                map.CheckInvariants(requireMerged: true);
            }
        }
        map.CheckInvariants(requireMerged: true);
        Assert.Equal(n, map.Count);

        // Every segment, in order, and lookups at and around every bound.
        int expected = 0;
        foreach (LongMap.Segment s in map)
        {
            Assert.Equal(expected, s.Value);
            expected++;
        }
        Assert.Equal(n, expected);
        for (int i = 0; i < n; i++)
        {
            ulong start = (ulong)i * 10;
            ulong end = start + 5 + (ulong)(i % 4);
            LongMap.Segment s = map.FindSegment(start);
            Assert.Equal(i, s.Value);
            Assert.Equal(s, map.FindSegment(end - 1));
            Assert.Equal(s, map.LowerBoundSegment(start == 0 ? 0 : start - 1));
            Assert.Equal(s, map.UpperBoundSegment(end));
            LongMap.Gap gap = map.FindGap(end);
            Assert.Equal(s.NextGap(), gap);
            Assert.Equal(R(end, i + 1 < n ? start + 10 : ulong.MaxValue), gap.Range);
            Assert.False(map.FindGap(start).IsValid);
        }
        Assert.Equal(R((n - 1) * 10UL, ((n - 1) * 10UL) + 5 + ((n - 1) % 4)), map.LastSegment().Range);

        Shuffle(order, random);
        for (int k = 0; k < n; k++)
        {
            int i = order[k];
            ulong start = (ulong)i * 10;
            LongMap.Segment s = map.FindSegment(start);
            Assert.Equal(i, s.Value);
            LongMap.Gap gap = map.Remove(s);
            Assert.Equal(gap, map.FindGap(start));
            Assert.True(gap.Start <= start && start < gap.End);
            if (k % 20_000 == 0)
            {
                map.CheckInvariants(requireMerged: true);
            }
        }
        map.CheckInvariants(requireMerged: true);
        Assert.True(map.IsEmpty);
        Assert.Equal(R(0, ulong.MaxValue), map.FirstGap().Range);
    }

    [Fact]
    public void AscendingAndDescendingInsertion_PackTheLeaves()
    {
        // Appending at the end and prepending at the start split full leaves unevenly, so that
        // sequential insertion fills leaves instead of leaving them half empty; either way the
        // tree must stay valid.
        var up = new LongMap();
        var down = new LongMap();
        for (int i = 0; i < 20_000; i++)
        {
            ulong s = (ulong)i * 2;
            up.AddWithoutMerging(R(s, s + 1), i);
            ulong d = (ulong)(20_000 - i) * 2;
            down.AddWithoutMerging(R(d, d + 1), i);
        }
        up.CheckInvariants(requireMerged: true);
        down.CheckInvariants(requireMerged: true);
        Assert.Equal(20_000, up.Count);
        Assert.Equal(20_000, down.Count);
        Assert.Equal(19_999L, up.FindSegment(39_998).Value);
        Assert.Equal(19_999L, down.FindSegment(2).Value);
    }

    /// <summary>
    /// Merging random abutting pairs until one segment is left: every merge removes a segment,
    /// often the first of a leaf next to a leaf that gives or takes segments, and the merged
    /// segment must be where the result says.
    /// </summary>
    [Theory]
    [InlineData(4, 4, 1)]
    [InlineData(5, 4, 2)]
    [InlineData(8, 6, 3)]
    [InlineData(32, 32, 4)]
    public void RandomMerges_ReturnTheMergedSegment(int leafCapacity, int internalCapacity, int seed)
    {
        const int n = 3000;
        var random = new Random(seed);
        var map = new IntMap(leafCapacity, internalCapacity);
        for (ulong i = 0; i < n; i++)
        {
            map.AddWithoutMerging(R(i, i + 1), 0);
        }
        var starts = new List<ulong>(Enumerable.Range(0, n).Select(i => (ulong)i));
        for (int step = 0; map.Count > 1; step++)
        {
            int k = random.Next(starts.Count - 1);
            IntMap.Segment first = map.FindSegment(starts[k]);
            IntMap.Segment second = first.NextSegment();
            Assert.Equal(starts[k + 1], second.Start);
            ulong end = second.End;
            IntMap.Segment merged = map.Merge(first, second);
            starts.RemoveAt(k + 1);
            Assert.Equal(R(starts[k], end), merged.Range);
            Assert.Equal(merged, map.FindSegment(starts[k]));
            Assert.Equal(merged, map.FindSegment(end - 1));
            Assert.Equal(starts.Count, map.Count);
            if (step % 97 == 0 || map.Count < 50)
            {
                map.CheckInvariants(requireMerged: false);
            }
        }
        map.CheckInvariants(requireMerged: true);
        Assert.Equal(R(0, n), map.FirstSegment().Range);
    }

    /// <summary>
    /// Filling random gaps exactly, so that each insert merges with both neighbours and removes
    /// one of them.
    /// </summary>
    [Theory]
    [InlineData(4, 4, 1)]
    [InlineData(6, 5, 2)]
    [InlineData(32, 32, 3)]
    public void RandomGapFills_ReturnTheMergedSegment(int leafCapacity, int internalCapacity, int seed)
    {
        const int n = 3000;
        var random = new Random(seed);
        var map = new IntMap(leafCapacity, internalCapacity);
        for (ulong i = 0; i < n; i++)
        {
            map.Add(R(i * 3, (i * 3) + 2), 0);
        }
        ulong[] holes = Enumerable.Range(0, n - 1).Select(i => ((ulong)i * 3) + 2).ToArray();
        Shuffle(holes, random);
        for (int k = 0; k < holes.Length; k++)
        {
            IntMap.Gap gap = map.FindGap(holes[k]);
            Assert.Equal(R(holes[k], holes[k] + 1), gap.Range);
            ulong start = gap.PrevSegment().Start;
            ulong end = gap.NextSegment().End;
            IntMap.Segment merged = map.Insert(gap, gap.Range, 0);
            Assert.Equal(R(start, end), merged.Range);
            Assert.Equal(merged, map.FindSegment(start));
            Assert.Equal(n - k - 1, map.Count);
            if (k % 97 == 0 || map.Count < 50)
            {
                map.CheckInvariants(requireMerged: true);
            }
        }
        Assert.Equal(R(0, (n * 3) - 1), map.FirstSegment().Range);
    }

    /// <summary>Removing random ranges spanning several segments from a deep tree.</summary>
    [Theory]
    [InlineData(4, 4, 1)]
    [InlineData(32, 32, 2)]
    public void RandomRangeRemovals(int leafCapacity, int internalCapacity, int seed)
    {
        const ulong space = 50_000;
        var random = new Random(seed);
        var map = new IntMap(leafCapacity, internalCapacity);
        var present = new bool[space];
        for (ulong i = 0; i < space; i += 5)
        {
            int v = random.Next(3);
            map.Add(R(i, i + 4), v);
            for (ulong j = i; j < i + 4; j++)
            {
                present[j] = true;
            }
        }
        for (int step = 0; step < 400; step++)
        {
            ulong start = (ulong)random.NextInt64((long)space);
            ulong end = Math.Min(space, start + 1 + (ulong)random.Next(300));
            IntMap.Gap gap = map.RemoveRange(R(start, end));
            Array.Fill(present, false, (int)start, (int)(end - start));
            Assert.True(gap.Start <= start && end <= gap.End);
            Assert.Equal(gap, map.FindGap(start));
            Assert.True(map.IsEmptyRange(R(start, end)));
            if (step % 50 == 0)
            {
                map.CheckInvariants(requireMerged: true);
            }
        }
        map.CheckInvariants(requireMerged: true);
        ulong total = 0;
        for (ulong k = 0; k < space; k++)
        {
            Assert.Equal(present[k], map.FindSegment(k).IsValid);
            total += present[k] ? 1UL : 0;
        }
        Assert.Equal(total, map.SpanRange(R(0, space)));
    }
}
