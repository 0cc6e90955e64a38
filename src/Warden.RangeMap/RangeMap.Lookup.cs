using Warden.HostArch;

namespace Warden.RangeMap;

public sealed partial class RangeMap<TRange, TValue, TOps>
{
    /// <summary>The first segment, or an invalid iterator if the map is empty. O(1).</summary>
    public Segment FirstSegment() => _firstLeaf.Count > 0 ? new Segment(_firstLeaf, 0) : default;

    /// <summary>The last segment, or an invalid iterator if the map is empty. O(1).</summary>
    public Segment LastSegment() => _lastLeaf.Count > 0 ? new Segment(_lastLeaf, _lastLeaf.Count - 1) : default;

    /// <summary>The gap before the first segment (the whole key space if the map is empty); always valid. O(1).</summary>
    public Gap FirstGap() => new(_firstLeaf, 0);

    /// <summary>The gap after the last segment (the whole key space if the map is empty); always valid. O(1).</summary>
    public Gap LastGap() => new(_lastLeaf, _lastLeaf.Count);

    /// <summary>The segment containing <paramref name="key"/>, or an invalid iterator if the key lies in a gap.</summary>
    public Segment FindSegment(ulong key)
    {
        (Node leaf, int i) = LastStartingAtOrBefore(key);
        return i >= 0 && key < leaf.Ends[i] ? new Segment(leaf, i) : default;
    }

    /// <summary>The gap containing <paramref name="key"/>, or an invalid iterator if the key lies in a segment.</summary>
    public Gap FindGap(ulong key)
    {
        (Node leaf, int i) = LastStartingAtOrBefore(key);
        return i >= 0 && key < leaf.Ends[i] ? default : MakeGap(leaf, i + 1);
    }

    /// <summary>The segment or the gap containing <paramref name="key"/>.</summary>
    /// <remarks><b>Postcondition:</b> exactly one of the two iterators is valid.</remarks>
    public (Segment Segment, Gap Gap) Find(ulong key)
    {
        (Node leaf, int i) = LastStartingAtOrBefore(key);
        return i >= 0 && key < leaf.Ends[i]
            ? (new Segment(leaf, i), default)
            : (default, MakeGap(leaf, i + 1));
    }

    /// <summary>
    /// The first segment with <c>End &gt; key</c>: the one containing <paramref name="key"/> if any,
    /// else the first one after it; an invalid iterator if there is none.
    /// </summary>
    public Segment LowerBoundSegment(ulong key)
    {
        (Node leaf, int i) = LastStartingAtOrBefore(key);
        if (i >= 0 && key < leaf.Ends[i])
        {
            return new Segment(leaf, i);
        }
        return SegmentAt(leaf, i + 1);
    }

    /// <summary>The last segment with <c>Start &lt;= key</c>, or an invalid iterator if there is none.</summary>
    public Segment UpperBoundSegment(ulong key)
    {
        (Node leaf, int i) = LastStartingAtOrBefore(key);
        return i >= 0 ? new Segment(leaf, i) : default;
    }

    /// <summary>
    /// The first gap with <c>End &gt; key</c>: the gap containing <paramref name="key"/> if any, else
    /// the first one after it. Always valid (the last gap counts as containing <see cref="ulong.MaxValue"/>).
    /// </summary>
    public Gap LowerBoundGap(ulong key)
    {
        // The gap after the last segment starting at or before key ends after key (or is the last).
        (Node leaf, int i) = LastStartingAtOrBefore(key);
        return MakeGap(leaf, i + 1);
    }

    /// <summary>
    /// The last gap with <c>Start &lt;= key</c>: the gap containing <paramref name="key"/> if any,
    /// else the last one before it. Always valid (the first gap starts at 0).
    /// </summary>
    public Gap UpperBoundGap(ulong key)
    {
        // The gap before the first segment ending after key starts at or before key.
        Segment segment = LowerBoundSegment(key);
        return segment.IsValid ? segment.PrevGap() : LastGap();
    }

    /// <summary>Whether no segment overlaps <paramref name="range"/>. An empty range gives <see langword="true"/>.</summary>
    public bool IsEmptyRange(TRange range)
    {
        ulong start = range.RangeStart;
        ulong end = range.RangeEnd;
        if (start >= end)
        {
            return true;
        }
        Segment segment = LowerBoundSegment(start);
        return !segment.IsValid || segment.Start >= end;
    }

    /// <summary>
    /// The number of keys of <paramref name="range"/> that lie in segments. O(log n + k) for k
    /// segments overlapping the range.
    /// </summary>
    public ulong SpanRange(TRange range)
    {
        ulong start = range.RangeStart;
        ulong end = range.RangeEnd;
        ulong total = 0;
        if (start >= end)
        {
            return 0;
        }
        for (Segment segment = LowerBoundSegment(start); segment.IsValid && segment.Start < end; segment = segment.NextSegment())
        {
            total += Math.Min(segment.End, end) - Math.Max(segment.Start, start);
        }
        return total;
    }

    /// <summary>
    /// Finds the leaf that would hold <paramref name="key"/>'s segment and the index of the last
    /// segment in it starting at or before the key.
    /// </summary>
    /// <remarks>
    /// <b>Postcondition:</b> the index is -1 only when no segment starts at or before the key, and
    /// then the leaf is the first leaf. Otherwise the index denotes the last such segment of the
    /// whole map: internal keys are exact subtree minimums, so a child chosen for having a key at
    /// or before <paramref name="key"/> has such a segment.
    /// </remarks>
    private (Node Leaf, int Index) LastStartingAtOrBefore(ulong key)
    {
        Node node = _root;
        while (!node.IsLeaf)
        {
            int c = KeySearch.CountLessOrEqual(node.KeySpan, node.Count, key);
            node = node.Children[c > 0 ? c - 1 : 0];
        }
        return (node, KeySearch.CountLessOrEqual(node.KeySpan, node.Count, key) - 1);
    }

    /// <summary>The segment at <paramref name="index"/> of <paramref name="leaf"/>, where index may be one past its last (meaning the next leaf's first).</summary>
    private static Segment SegmentAt(Node leaf, int index)
    {
        if (index < leaf.Count)
        {
            return new Segment(leaf, index);
        }
        Node? next = leaf.Next;
        return next is null ? default : new Segment(next, 0);
    }

    /// <summary>
    /// The gap before the segment at <paramref name="index"/> of <paramref name="leaf"/>, in the
    /// canonical form (leaf, index &lt; Count), or (last leaf, Count) for the last gap, so that
    /// equal gaps have equal fields.
    /// </summary>
    private static Gap MakeGap(Node leaf, int index)
    {
        if (index == leaf.Count && leaf.Next is not null)
        {
            return new Gap(leaf.Next, 0);
        }
        return new Gap(leaf, index);
    }
}
