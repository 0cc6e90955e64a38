using Warden.Errors;
using Warden.HostArch;

namespace Warden.RangeMap;

public sealed partial class RangeMap<TRange, TValue, TOps>
{
    /// <summary>Merges two adjacent segments into one if <typeparamref name="TOps"/> agrees.</summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> both are valid segments of this map obtained since its last
    /// mutation; <paramref name="second"/> is <c>first.NextSegment()</c> and <c>first.End ==
    /// second.Start</c> (else <see cref="ArgumentException"/>).</para>
    /// <para><b>Postconditions:</b> returns the merged segment, and iterators are invalidated; or, if
    /// TryMerge declines, returns an invalid iterator and nothing changes.</para>
    /// </remarks>
    public Segment Merge(Segment first, Segment second)
    {
        if (!first.IsValid || !second.IsValid)
        {
            ThrowHelper.ThrowInvalidOperation(InvalidSegmentMessage);
        }
        if (first.NextSegment() != second || first.End != second.Start)
        {
            ThrowHelper.ThrowArgument(
                nameof(second),
                "Cannot merge {0} with {1}: the second must be the next segment and abut the first.",
                first.Range.FormatRange(),
                second.Range.FormatRange());
        }
        return MergeCore(first, second);
    }

    /// <summary>Merges every pair of abutting segments that <typeparamref name="TOps"/> allows.</summary>
    /// <remarks><b>Postconditions:</b> no two abutting segments could be merged; iterators are invalidated.</remarks>
    public void MergeAll()
    {
        Segment segment = FirstSegment();
        while (segment.IsValid)
        {
            segment = MergeWithNextOrStep(segment);
        }
    }

    /// <summary>
    /// Merges every pair of abutting segments that both overlap <paramref name="range"/> and that
    /// <typeparamref name="TOps"/> allows to merge.
    /// </summary>
    /// <remarks><b>Postconditions:</b> iterators are invalidated. An empty range changes nothing.</remarks>
    public void MergeRange(TRange range)
    {
        ulong start = range.RangeStart;
        ulong end = range.RangeEnd;
        if (start >= end)
        {
            return;
        }
        Segment segment = LowerBoundSegment(start);
        while (segment.IsValid && segment.Start < end)
        {
            Segment next = segment.NextSegment();
            if (!next.IsValid || next.Start >= end)
            {
                return;
            }
            segment = MergeWithNextOrStep(segment);
        }
    }

    /// <summary>
    /// Tries to merge the segment containing <c>range.Start</c> with its predecessor, and then the
    /// segment containing <c>range.End - 1</c> with its successor: what is needed after the values
    /// of the segments within <paramref name="range"/> changed.
    /// </summary>
    /// <remarks><b>Postconditions:</b> iterators are invalidated. An empty range changes nothing.</remarks>
    public void MergeAdjacent(TRange range)
    {
        ulong start = range.RangeStart;
        ulong end = range.RangeEnd;
        if (start >= end)
        {
            return;
        }
        Segment first = FindSegment(start);
        if (first.IsValid)
        {
            Segment prev = first.PrevSegment();
            if (prev.IsValid && prev.End == first.Start)
            {
                MergeCore(prev, first);
            }
        }
        // Looked up afresh: the merge above may have moved segments.
        Segment last = FindSegment(end - 1);
        if (last.IsValid)
        {
            Segment next = last.NextSegment();
            if (next.IsValid && last.End == next.Start)
            {
                MergeCore(last, next);
            }
        }
    }

    /// <summary>
    /// Merges <paramref name="segment"/> with the next segment if they abut and may merge, returning
    /// the merged segment (to try again with its new successor); otherwise returns the next segment.
    /// </summary>
    private Segment MergeWithNextOrStep(Segment segment)
    {
        Segment next = segment.NextSegment();
        if (next.IsValid && segment.End == next.Start)
        {
            Segment merged = MergeCore(segment, next);
            if (merged.IsValid)
            {
                return merged;
            }
        }
        return next;
    }

    /// <summary>The merge itself, for segments known to be consecutive and abutting.</summary>
    private Segment MergeCore(Segment first, Segment second)
    {
        Node firstLeaf = first.Node;
        int f = first.Index;
        if (!TOps.TryMerge(first.Range, firstLeaf.Values[f], second.Range, second.Value, out TValue merged))
        {
            return default;
        }
        firstLeaf.Ends[f] = second.End;
        firstLeaf.Values[f] = merged;
        Node track = firstLeaf;
        int trackIndex = f;
        RemoveFromLeaf(second.Node, second.Index, ref track, ref trackIndex);
        return new Segment(track, trackIndex);
    }
}
