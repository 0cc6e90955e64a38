using Warden.HostArch;
using Warden.RangeMap;
using Xunit;

namespace Warden.Tests.RangeMap;

/// <summary>
/// A naive reference for <see cref="RangeMap{TRange, TValue, TOps}"/>: a sorted list of
/// (start, end, value) with every operation written the obvious way, calling the same
/// <typeparamref name="TOps"/> in the same order as the map's documentation says the map does.
/// </summary>
public sealed class RangeMapModel<TRange, TValue, TOps>
    where TRange : struct, IRange<TRange>
    where TOps : IRangeMapOps<TRange, TValue>
{
    public List<(ulong Start, ulong End, TValue Value)> Segments { get; } = [];

    private static TRange R(ulong start, ulong end) => TRange.FromBounds(start, end);

    /// <summary>The gaps, first to last: n + 1 of them.</summary>
    public List<(ulong Start, ulong End)> Gaps()
    {
        var gaps = new List<(ulong, ulong)>(Segments.Count + 1);
        ulong start = 0;
        foreach ((ulong s, ulong e, _) in Segments)
        {
            gaps.Add((start, s));
            start = e;
        }
        gaps.Add((start, ulong.MaxValue));
        return gaps;
    }

    /// <summary>The index of the segment containing key, or -1.</summary>
    public int SegmentIndexOf(ulong key) => Segments.FindIndex(s => s.Start <= key && key < s.End);

    /// <summary>The index of the gap containing key (the last gap counts as containing ulong.MaxValue), or -1.</summary>
    public int GapIndexOf(ulong key)
    {
        if (SegmentIndexOf(key) >= 0)
        {
            return -1;
        }
        // The gap before the first segment starting after key.
        int i = Segments.FindIndex(s => s.Start > key);
        return i < 0 ? Segments.Count : i;
    }

    public int LowerBoundSegment(ulong key) => Segments.FindIndex(s => s.End > key);

    public int UpperBoundSegment(ulong key) => Segments.FindLastIndex(s => s.Start <= key);

    public int LowerBoundGap(ulong key)
    {
        List<(ulong Start, ulong End)> gaps = Gaps();
        int i = gaps.FindIndex(g => g.End > key);
        return i < 0 ? gaps.Count - 1 : i;
    }

    public int UpperBoundGap(ulong key) => Gaps().FindLastIndex(g => g.Start <= key);

    public bool Overlaps(ulong start, ulong end) => Segments.Any(s => s.Start < end && start < s.End);

    public ulong Span(ulong start, ulong end)
    {
        ulong total = 0;
        foreach ((ulong s, ulong e, _) in Segments)
        {
            ulong lo = Math.Max(s, start);
            ulong hi = Math.Min(e, end);
            if (lo < hi)
            {
                total += hi - lo;
            }
        }
        return total;
    }

    /// <summary>Add: false if it overlaps; otherwise insert into the gap, merging if asked.</summary>
    public bool Add(ulong start, ulong end, TValue value, bool merge)
    {
        if (Overlaps(start, end))
        {
            return false;
        }
        Insert(GapIndexOf(start), start, end, value, merge);
        return true;
    }

    /// <summary>Insert into gap <paramref name="gap"/>; returns the index of the segment containing the range.</summary>
    public int Insert(int gap, ulong start, ulong end, TValue value, bool merge)
    {
        if (merge && gap > 0)
        {
            (ulong ps, ulong pe, TValue pv) = Segments[gap - 1];
            if (pe == start && TOps.TryMerge(R(ps, pe), pv, R(start, end), value, out TValue merged))
            {
                if (gap < Segments.Count)
                {
                    (ulong ns, ulong ne, TValue nv) = Segments[gap];
                    if (ns == end && TOps.TryMerge(R(ps, end), merged, R(ns, ne), nv, out TValue all))
                    {
                        Segments[gap - 1] = (ps, ne, all);
                        Segments.RemoveAt(gap);
                        return gap - 1;
                    }
                }
                Segments[gap - 1] = (ps, end, merged);
                return gap - 1;
            }
        }
        if (merge && gap < Segments.Count)
        {
            (ulong ns, ulong ne, TValue nv) = Segments[gap];
            if (ns == end && TOps.TryMerge(R(start, end), value, R(ns, ne), nv, out TValue merged))
            {
                Segments[gap] = (start, ne, merged);
                return gap;
            }
        }
        Segments.Insert(gap, (start, end, value));
        return gap;
    }

    public void RemoveAt(int index) => Segments.RemoveAt(index);

    public void Split(int index, ulong key)
    {
        (ulong s, ulong e, TValue v) = Segments[index];
        (TValue first, TValue second) = TOps.Split(R(s, e), v, key);
        Segments[index] = (s, key, first);
        Segments.Insert(index + 1, (key, e, second));
    }

    /// <summary>Returns the index of the isolated part.</summary>
    public int Isolate(int index, ulong start, ulong end)
    {
        if (Segments[index].Start < start)
        {
            Split(index, start);
            index++;
        }
        if (Segments[index].End > end)
        {
            Split(index, end);
        }
        return index;
    }

    public void RemoveRange(ulong start, ulong end)
    {
        int i = LowerBoundSegment(start);
        if (i < 0)
        {
            return;
        }
        while (i < Segments.Count && Segments[i].Start < end)
        {
            i = Isolate(i, start, end);
            Segments.RemoveAt(i);
        }
    }

    /// <summary>Merges segment index with index + 1 if TryMerge agrees (they must abut).</summary>
    public bool Merge(int index)
    {
        (ulong s, ulong e, TValue v) = Segments[index];
        (ulong ns, ulong ne, TValue nv) = Segments[index + 1];
        if (!TOps.TryMerge(R(s, e), v, R(ns, ne), nv, out TValue merged))
        {
            return false;
        }
        Segments[index] = (s, ne, merged);
        Segments.RemoveAt(index + 1);
        return true;
    }

    private bool TryMergeAt(int index) =>
        index + 1 < Segments.Count && Segments[index].End == Segments[index + 1].Start && Merge(index);

    public void MergeAll()
    {
        int i = 0;
        while (i + 1 < Segments.Count)
        {
            if (!TryMergeAt(i))
            {
                i++;
            }
        }
    }

    public void MergeRange(ulong start, ulong end)
    {
        if (start >= end)
        {
            return;
        }
        int i = LowerBoundSegment(start);
        if (i < 0)
        {
            return;
        }
        while (i + 1 < Segments.Count && Segments[i].Start < end && Segments[i + 1].Start < end)
        {
            if (!TryMergeAt(i))
            {
                i++;
            }
        }
    }

    public void MergeAdjacent(ulong start, ulong end)
    {
        if (start >= end)
        {
            return;
        }
        int first = SegmentIndexOf(start);
        if (first > 0 && Segments[first - 1].End == Segments[first].Start)
        {
            Merge(first - 1);
        }
        int last = SegmentIndexOf(end - 1);
        if (last >= 0)
        {
            TryMergeAt(last);
        }
    }

    /// <summary>
    /// Asserts that <paramref name="map"/> holds exactly the model's segments and gaps, walked
    /// forwards and backwards, and answers every lookup for <paramref name="probes"/> as the model does.
    /// </summary>
    public void AssertMatches(RangeMap<TRange, TValue, TOps> map, IEnumerable<ulong> probes, bool requireMerged, string step)
    {
        try
        {
            map.CheckInvariants(requireMerged);
        }
        catch (InvalidOperationException e)
        {
            Assert.Fail($"after {step}: {e.Message}\nmodel: {this}");
        }

        Assert.Equal(Segments.Count, map.Count);
        Assert.Equal(Segments.Count == 0, map.IsEmpty);

        // Segments forwards (through the enumerator) and backwards.
        var segments = new List<RangeMap<TRange, TValue, TOps>.Segment>(Segments.Count);
        foreach (RangeMap<TRange, TValue, TOps>.Segment segment in map)
        {
            segments.Add(segment);
        }
        var actual = segments.Select(s => (s.Start, s.End, s.Value)).ToList();
        if (!actual.SequenceEqual(Segments))
        {
            Assert.Fail($"after {step}: map {Format(actual)}\nmodel {this}");
        }
        var backwards = new List<RangeMap<TRange, TValue, TOps>.Segment>();
        for (var s = map.LastSegment(); s.IsValid; s = s.PrevSegment())
        {
            backwards.Add(s);
        }
        backwards.Reverse();
        Assert.True(backwards.SequenceEqual(segments), $"after {step}: walking backwards gives other segments");
        if (segments.Count > 0)
        {
            Assert.Equal(segments[0], map.FirstSegment());
        }
        else
        {
            Assert.False(map.FirstSegment().IsValid);
            Assert.False(map.LastSegment().IsValid);
        }
        for (int i = 0; i < segments.Count; i++)
        {
            Assert.Equal(TRange.FromBounds(Segments[i].Start, Segments[i].End), segments[i].Range);
            Assert.Equal(Segments[i].End - Segments[i].Start, segments[i].Length);
        }

        // Gaps forwards and backwards, and their neighbours.
        List<(ulong Start, ulong End)> expectedGaps = Gaps();
        var gaps = new List<RangeMap<TRange, TValue, TOps>.Gap>(expectedGaps.Count);
        for (var g = map.FirstGap(); g.IsValid; g = g.NextGap())
        {
            gaps.Add(g);
            Assert.True(gaps.Count <= expectedGaps.Count, $"after {step}: more gaps than the model's {expectedGaps.Count}");
        }
        Assert.True(
            gaps.Select(g => (g.Start, g.End)).SequenceEqual(expectedGaps),
            $"after {step}: gaps {string.Join(" ", gaps.Select(g => $"[{g.Start},{g.End})"))} but model gaps {string.Join(" ", expectedGaps.Select(g => $"[{g.Start},{g.End})"))}");
        var gapsBackwards = new List<RangeMap<TRange, TValue, TOps>.Gap>();
        for (var g = map.LastGap(); g.IsValid; g = g.PrevGap())
        {
            gapsBackwards.Add(g);
        }
        gapsBackwards.Reverse();
        Assert.True(gapsBackwards.SequenceEqual(gaps), $"after {step}: walking gaps backwards gives other gaps");
        for (int i = 0; i < gaps.Count; i++)
        {
            RangeMap<TRange, TValue, TOps>.Gap g = gaps[i];
            Assert.Equal(TRange.FromBounds(expectedGaps[i].Start, expectedGaps[i].End), g.Range);
            Assert.Equal(expectedGaps[i].Start == expectedGaps[i].End, g.IsEmpty);
            Assert.Equal(i > 0 ? segments[i - 1] : default, g.PrevSegment());
            Assert.Equal(i < segments.Count ? segments[i] : default, g.NextSegment());
            if (i < segments.Count)
            {
                Assert.Equal(g, segments[i].PrevGap());
                Assert.Equal(gaps[i + 1], segments[i].NextGap());
            }
        }

        // Lookups.
        foreach (ulong key in probes)
        {
            int si = SegmentIndexOf(key);
            int gi = GapIndexOf(key);
            var expectedSegment = si >= 0 ? segments[si] : default;
            var expectedGap = gi >= 0 ? gaps[gi] : default;
            Assert.True(expectedSegment == map.FindSegment(key), $"after {step}: FindSegment(0x{key:x})");
            Assert.True(expectedGap == map.FindGap(key), $"after {step}: FindGap(0x{key:x})");
            var (fs, fg) = map.Find(key);
            Assert.True(fs == expectedSegment && fg == expectedGap, $"after {step}: Find(0x{key:x})");
            Assert.True(fs.IsValid != fg.IsValid, $"after {step}: Find(0x{key:x}) gave both or neither");

            int lb = LowerBoundSegment(key);
            Assert.True((lb >= 0 ? segments[lb] : default) == map.LowerBoundSegment(key), $"after {step}: LowerBoundSegment(0x{key:x})");
            int ub = UpperBoundSegment(key);
            Assert.True((ub >= 0 ? segments[ub] : default) == map.UpperBoundSegment(key), $"after {step}: UpperBoundSegment(0x{key:x})");
            Assert.True(gaps[LowerBoundGap(key)] == map.LowerBoundGap(key), $"after {step}: LowerBoundGap(0x{key:x})");
            Assert.True(gaps[UpperBoundGap(key)] == map.UpperBoundGap(key), $"after {step}: UpperBoundGap(0x{key:x})");

            foreach (ulong length in (ReadOnlySpan<ulong>)[0, 1, 3, 17])
            {
                ulong end = key + Math.Min(length, ulong.MaxValue - key);
                TRange range = TRange.FromBounds(key, end);
                Assert.Equal(end == key || !Overlaps(key, end), map.IsEmptyRange(range));
                Assert.Equal(Span(key, end), map.SpanRange(range));
            }
        }

        // Large-enough gaps, from a few starting gaps.
        for (int i = 0; i < gaps.Count; i += Math.Max(1, gaps.Count / 4))
        {
            foreach (ulong size in (ReadOnlySpan<ulong>)[0, 1, 2, 5])
            {
                int next = -1;
                for (int j = i + 1; j < gaps.Count; j++)
                {
                    if (expectedGaps[j].End - expectedGaps[j].Start >= size)
                    {
                        next = j;
                        break;
                    }
                }
                int prev = -1;
                for (int j = i - 1; j >= 0; j--)
                {
                    if (expectedGaps[j].End - expectedGaps[j].Start >= size)
                    {
                        prev = j;
                        break;
                    }
                }
                Assert.True((next >= 0 ? gaps[next] : default) == gaps[i].NextLargeEnoughGap(size), $"after {step}: NextLargeEnoughGap({size}) from gap {i}");
                Assert.True((prev >= 0 ? gaps[prev] : default) == gaps[i].PrevLargeEnoughGap(size), $"after {step}: PrevLargeEnoughGap({size}) from gap {i}");
            }
        }
    }

    // At most 80 segments, so that a failure in a map of thousands stays readable.
    private static string Format(IReadOnlyCollection<(ulong Start, ulong End, TValue Value)> segments) =>
        string.Join(" ", segments.Take(80).Select(s => $"[{s.Start},{s.End})={s.Value}"))
        + (segments.Count > 80 ? $" ... ({segments.Count} segments)" : "");

    public override string ToString() => Format(Segments);
}
