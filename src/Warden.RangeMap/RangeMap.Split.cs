using Warden.Errors;
using Warden.HostArch;

namespace Warden.RangeMap;

public sealed partial class RangeMap<TRange, TValue, TOps>
{
    /// <summary>
    /// Splits a segment in two at <paramref name="key"/>, with values from <typeparamref name="TOps"/>'s Split.
    /// </summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="segment"/> is a valid segment of this map obtained
    /// since its last mutation, and <c>segment.Range.CanSplitAt(key)</c> (<c>Start &lt; key &lt;
    /// End</c>; else <see cref="ArgumentException"/>).</para>
    /// <para><b>Postconditions:</b> returns the segments <c>[Start, key)</c> and <c>[key, End)</c>;
    /// other iterators are invalidated.</para>
    /// </remarks>
    public (Segment First, Segment Second) Split(Segment segment, ulong key)
    {
        if (!segment.IsValid)
        {
            ThrowHelper.ThrowInvalidOperation(InvalidSegmentMessage);
        }
        Node leaf = segment.Node;
        int index = segment.Index;
        ulong start = leaf.Keys[index];
        ulong end = leaf.Ends[index];
        if (key <= start || key >= end)
        {
            ThrowHelper.ThrowArgument(nameof(key), "Cannot split {0} at 0x{1:x}: the key must lie strictly inside the segment.", segment.Range.FormatRange(), key);
        }
        (TValue first, TValue second) = TOps.Split(TRange.FromBounds(start, end), leaf.Values[index], key);
        leaf.Ends[index] = key;
        leaf.Values[index] = first;
        // Inserting at index + 1 (never 0) keeps the upper part from becoming the first of a new
        // leaf, so the lower part is right before it, in the same leaf or the previous one.
        (Node upperLeaf, int upperIndex) = InsertInLeaf(leaf, index + 1, key, end, second);
        Segment upper = new(upperLeaf, upperIndex);
        return (upper.PrevSegment(), upper);
    }

    /// <summary>
    /// Splits the segment containing <paramref name="key"/> at it, if there is one and the key is
    /// not its start.
    /// </summary>
    /// <remarks><b>Postconditions:</b> when it returns <see langword="true"/>, a segment starts at
    /// <paramref name="key"/> and iterators are invalidated; otherwise nothing changed.</remarks>
    /// <returns>Whether a segment was split.</returns>
    public bool SplitAt(ulong key)
    {
        (Node leaf, int i) = LastStartingAtOrBefore(key);
        if (i < 0 || key == leaf.Keys[i] || key >= leaf.Ends[i])
        {
            return false;
        }
        Split(new Segment(leaf, i), key);
        return true;
    }

    /// <summary>
    /// Splits <paramref name="segment"/> at the bounds of <paramref name="range"/> that fall inside
    /// it, and returns the part within <paramref name="range"/>.
    /// </summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="segment"/> is a valid segment of this map obtained
    /// since its last mutation and overlaps <paramref name="range"/> (else <see cref="ArgumentException"/>).</para>
    /// <para><b>Postconditions:</b> the returned segment's range is
    /// <c>segment.Range.Intersect(range)</c>. If a split happened, iterators are invalidated.</para>
    /// </remarks>
    public Segment Isolate(Segment segment, TRange range)
    {
        ulong start = range.RangeStart;
        ulong end = range.RangeEnd;
        if (!segment.IsValid)
        {
            ThrowHelper.ThrowInvalidOperation(InvalidSegmentMessage);
        }
        if (!(segment.Start < end && start < segment.End))
        {
            ThrowHelper.ThrowArgument(nameof(range), "Cannot isolate {0} in {1}: they do not overlap.", range.FormatRange(), segment.Range.FormatRange());
        }
        if (segment.Start < start)
        {
            segment = Split(segment, start).Second;
        }
        if (segment.End > end)
        {
            segment = Split(segment, end).First;
        }
        return segment;
    }

    /// <summary>Changes the range of a segment, keeping its value and its place in the order.</summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="segment"/> is valid; <paramref name="range"/> is
    /// non-empty and overlaps neither the previous nor the next segment (so the order is unchanged).
    /// Both are checked against the two neighbours only (else <see cref="ArgumentException"/>).</para>
    /// <para><b>Postconditions:</b> the segment covers <paramref name="range"/>. It is not merged with
    /// its neighbours even if it now abuts a mergeable one. Iterators stay valid.</para>
    /// </remarks>
    public void SetRangeUnchecked(Segment segment, TRange range)
    {
        if (!segment.IsValid)
        {
            ThrowHelper.ThrowInvalidOperation(InvalidSegmentMessage);
        }
        ulong start = range.RangeStart;
        ulong end = range.RangeEnd;
        Segment prev = segment.PrevSegment();
        Segment next = segment.NextSegment();
        if (start >= end || (prev.IsValid && prev.End > start) || (next.IsValid && next.Start < end))
        {
            ThrowHelper.ThrowArgument(
                nameof(range),
                "Cannot set {0} to {1}: the range must be non-empty and between the neighbouring segments.",
                segment.Range.FormatRange(),
                range.FormatRange());
        }
        Node leaf = segment.Node;
        int index = segment.Index;
        leaf.Ends[index] = end;
        if (leaf.Keys[index] != start)
        {
            leaf.Keys[index] = start;
            if (index == 0)
            {
                PropagateMinKey(leaf);
            }
        }
    }
}
