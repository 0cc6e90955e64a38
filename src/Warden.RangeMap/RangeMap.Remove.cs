using Warden.Errors;
using Warden.HostArch;

namespace Warden.RangeMap;

public sealed partial class RangeMap<TRange, TValue, TOps>
{
    /// <summary>Removes a segment.</summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="segment"/> is a valid segment of this map obtained
    /// since its last mutation.</para>
    /// <para><b>Postconditions:</b> returns the gap that now covers the removed range (joined with
    /// the gaps that were on either side of it); other iterators are invalidated.</para>
    /// </remarks>
    public Gap Remove(Segment segment)
    {
        if (!segment.IsValid)
        {
            ThrowHelper.ThrowInvalidOperation(InvalidSegmentMessage);
        }
        Node leaf = segment.Node;
        int index = segment.Index;
        // Track the position after the removed segment: the gap before it is the one we return.
        Node track = leaf;
        int trackIndex = index + 1;
        RemoveFromLeaf(leaf, index, ref track, ref trackIndex);
        return MakeGap(track, trackIndex);
    }

    /// <summary>
    /// Removes every key of <paramref name="range"/> from the map: segments straddling its bounds are
    /// split there (with <typeparamref name="TOps"/>'s Split) and the parts within it removed.
    /// </summary>
    /// <remarks>
    /// <para><b>Postconditions:</b> no segment overlaps <paramref name="range"/>; segments outside it
    /// are unchanged except for the parts cut off at its bounds. Returns the gap containing
    /// <c>range.Start</c>. For an empty range nothing changes and the result is
    /// <c>FindGap(range.Start)</c>, which is invalid if that key lies in a segment. Iterators are
    /// invalidated. O((k + 1) log n) for k segments overlapping the range.</para>
    /// </remarks>
    public Gap RemoveRange(TRange range)
    {
        ulong start = range.RangeStart;
        ulong end = range.RangeEnd;
        if (start >= end)
        {
            return FindGap(start);
        }
        Gap gap = default;
        Segment segment = LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            if (segment.Start < start)
            {
                segment = Split(segment, start).Second;
            }
            if (segment.End > end)
            {
                segment = Split(segment, end).First;
            }
            gap = Remove(segment);
            segment = gap.NextSegment();
        }
        // With nothing removed, range.Start was already in a gap (a segment containing it would
        // have been removed in part).
        return gap.IsValid ? gap : FindGap(start);
    }

    /// <summary>Removes every segment.</summary>
    /// <remarks><b>Postconditions:</b> the map is empty; iterators are invalidated.</remarks>
    public void RemoveAll()
    {
        // Keep one leaf as the empty root; the rest of the tree becomes garbage. Its values are
        // cleared so that iterators still holding it keep nothing else alive.
        Node leaf = _firstLeaf;
        if (ValuesNeedClearing)
        {
            leaf.ValueSpan.Slice(0, leaf.Count).Clear();
        }
        leaf.Count = 0;
        leaf.Parent = null;
        leaf.IndexInParent = 0;
        leaf.Prev = null;
        leaf.Next = null;
        _root = leaf;
        _firstLeaf = leaf;
        _lastLeaf = leaf;
        _count = 0;
    }
}
