using Warden.Errors;
using Warden.HostArch;

namespace Warden.RangeMap;

public sealed partial class RangeMap<TRange, TValue, TOps>
{
    /// <summary>
    /// Maps <paramref name="range"/> to <paramref name="value"/> if no segment overlaps it, merging
    /// with the segments before and after when they abut and <typeparamref name="TOps"/> agrees.
    /// </summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="range"/> is non-empty (else
    /// <see cref="ArgumentException"/>).</para>
    /// <para><b>Postconditions:</b> returns <see langword="false"/> and changes nothing if a segment
    /// overlaps the range; otherwise the range is mapped and iterators are invalidated.</para>
    /// </remarks>
    /// <returns>Whether the range was added.</returns>
    public bool Add(TRange range, TValue value)
    {
        Gap gap = GapToAdd(range);
        if (!gap.IsValid)
        {
            return false;
        }
        InsertCore(gap.Node, gap.Index, range.RangeStart, range.RangeEnd, value);
        return true;
    }

    /// <summary>
    /// Like <see cref="Add(TRange, TValue)"/>, but the new segment is never merged with its neighbours.
    /// </summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="range"/> is non-empty (else <see cref="ArgumentException"/>).</para>
    /// <para><b>Postconditions:</b> returns <see langword="false"/> and changes nothing if a segment
    /// overlaps the range; otherwise a segment of exactly <paramref name="range"/> exists.</para>
    /// </remarks>
    /// <returns>Whether the range was added.</returns>
    public bool AddWithoutMerging(TRange range, TValue value)
    {
        Gap gap = GapToAdd(range);
        if (!gap.IsValid)
        {
            return false;
        }
        InsertInLeaf(gap.Node, gap.Index, range.RangeStart, range.RangeEnd, value);
        return true;
    }

    /// <summary>
    /// Maps <paramref name="range"/>, which lies in <paramref name="gap"/>, to
    /// <paramref name="value"/>, merging with the segment before the gap and then with the one after
    /// it when they abut the range and <typeparamref name="TOps"/> agrees.
    /// </summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="gap"/> is a valid gap of this map obtained since
    /// its last mutation; <paramref name="range"/> is non-empty and within <c>gap.Range</c> (else
    /// <see cref="ArgumentException"/>).</para>
    /// <para><b>Postconditions:</b> returns the segment now containing <paramref name="range"/>
    /// (larger than it if merged); other iterators are invalidated.</para>
    /// </remarks>
    public Segment Insert(Gap gap, TRange range, TValue value)
    {
        CheckInsert(gap, range);
        return InsertCore(gap.Node, gap.Index, range.RangeStart, range.RangeEnd, value);
    }

    /// <summary>
    /// Maps <paramref name="range"/>, which lies in <paramref name="gap"/>, to
    /// <paramref name="value"/> as a segment of its own, never merged with its neighbours.
    /// </summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> as for <see cref="Insert(Gap, TRange, TValue)"/>.</para>
    /// <para><b>Postconditions:</b> returns the new segment, whose range is exactly
    /// <paramref name="range"/>; other iterators are invalidated.</para>
    /// </remarks>
    public Segment InsertWithoutMerging(Gap gap, TRange range, TValue value)
    {
        CheckInsert(gap, range);
        (Node leaf, int index) = InsertInLeaf(gap.Node, gap.Index, range.RangeStart, range.RangeEnd, value);
        return new Segment(leaf, index);
    }

    /// <summary>
    /// The gap a non-empty range could be added to, or an invalid gap if a segment overlaps it.
    /// </summary>
    private Gap GapToAdd(TRange range)
    {
        ulong start = range.RangeStart;
        ulong end = range.RangeEnd;
        if (start >= end)
        {
            ThrowHelper.ThrowArgument(nameof(range), "The range to add must be non-empty; got {0}.", range.FormatRange());
        }
        (Node leaf, int i) = LastStartingAtOrBefore(start);
        if (i >= 0 && start < leaf.Ends[i])
        {
            return default;
        }
        Gap gap = MakeGap(leaf, i + 1);
        return end <= gap.End ? gap : default;
    }

    private static void CheckInsert(Gap gap, TRange range)
    {
        if (!gap.IsValid)
        {
            ThrowHelper.ThrowInvalidOperation(InvalidGapMessage);
        }
        ulong start = range.RangeStart;
        ulong end = range.RangeEnd;
        if (start >= end || start < gap.Start || end > gap.End)
        {
            ThrowHelper.ThrowArgument(
                nameof(range),
                "The range to insert must be non-empty and within the gap {0}; got {1}.",
                gap.Range.FormatRange(),
                range.FormatRange());
        }
    }

    /// <summary>Inserts into the gap before index <paramref name="index"/> of <paramref name="leaf"/>, merging where allowed.</summary>
    private Segment InsertCore(Node leaf, int index, ulong start, ulong end, TValue value)
    {
        TRange range = TRange.FromBounds(start, end);
        Segment prev = new Gap(leaf, index).PrevSegment();
        Segment next = index < leaf.Count ? new Segment(leaf, index) : default;

        if (prev.IsValid)
        {
            Node prevLeaf = prev.Node;
            int p = prev.Index;
            if (prevLeaf.Ends[p] == start
                && TOps.TryMerge(prev.Range, prevLeaf.Values[p], range, value, out TValue merged))
            {
                if (next.IsValid
                    && next.Start == end
                    && TOps.TryMerge(TRange.FromBounds(prevLeaf.Keys[p], end), merged, next.Range, next.Value, out TValue all))
                {
                    // The new range fills the whole gap and joins both neighbours: the previous
                    // segment grows over it and the next, and the next goes.
                    prevLeaf.Ends[p] = next.End;
                    prevLeaf.Values[p] = all;
                    Node track = prevLeaf;
                    int trackIndex = p;
                    RemoveFromLeaf(next.Node, next.Index, ref track, ref trackIndex);
                    return new Segment(track, trackIndex);
                }
                prevLeaf.Ends[p] = end;
                prevLeaf.Values[p] = merged;
                return prev;
            }
        }

        if (next.IsValid && next.Start == end
            && TOps.TryMerge(range, value, next.Range, next.Value, out TValue mergedNext))
        {
            Node nextLeaf = next.Node;
            int n = next.Index;
            nextLeaf.Keys[n] = start;
            nextLeaf.Values[n] = mergedNext;
            if (n == 0)
            {
                PropagateMinKey(nextLeaf);
            }
            return next;
        }

        (Node newLeaf, int newIndex) = InsertInLeaf(leaf, index, start, end, value);
        return new Segment(newLeaf, newIndex);
    }
}
