using Warden.Errors;
using Warden.HostArch;

namespace Warden.RangeMap;

public sealed partial class RangeMap<TRange, TValue, TOps>
{
    /// <summary>
    /// An iterator denoting one gap of the map: the (possibly empty) range between two consecutive
    /// segments, before the first or after the last. The default value is invalid.
    /// </summary>
    /// <remarks>
    /// <para>It is stored as the position of the segment after the gap, or one past the last
    /// segment for the last gap, always in one canonical form so that equal gaps compare equal.</para>
    /// <para>Any mutation of the map other than writing a segment's value invalidates it. Members
    /// other than <see cref="IsValid"/> and equality require a valid iterator and throw
    /// <see cref="InvalidOperationException"/> on an invalid one.</para>
    /// </remarks>
    public readonly struct Gap : IEquatable<Gap>
    {
        private readonly Node? _leaf;
        private readonly int _index;

        internal Gap(Node leaf, int index)
        {
            _leaf = leaf;
            _index = index;
        }

        /// <summary>Whether the iterator denotes a gap.</summary>
        public bool IsValid => _leaf is not null;

        /// <summary>The keys the gap covers.</summary>
        public TRange Range => TRange.FromBounds(Start, End);

        /// <summary>The gap's first key: the end of the segment before it, or 0.</summary>
        public ulong Start
        {
            get
            {
                Node leaf = Leaf;
                if (_index > 0)
                {
                    return leaf.Ends[_index - 1];
                }
                Node? prev = leaf.Prev;
                return prev is null ? 0 : prev.Ends[prev.Count - 1];
            }
        }

        /// <summary>The first key past the gap: the start of the segment after it, or <see cref="ulong.MaxValue"/>.</summary>
        public ulong End
        {
            get
            {
                Node leaf = Leaf;
                return _index < leaf.Count ? leaf.Keys[_index] : ulong.MaxValue;
            }
        }

        /// <summary>The number of keys in the gap.</summary>
        public ulong Length => End - Start;

        /// <summary>Whether the gap holds no key (its neighbouring segments abut).</summary>
        public bool IsEmpty => Start == End;

        internal Node Node => Leaf;

        internal int Index => _index;

        private Node Leaf
        {
            get
            {
                if (_leaf is null)
                {
                    ThrowHelper.ThrowInvalidOperation(InvalidGapMessage);
                }
                return _leaf;
            }
        }

        /// <summary>The segment right after the gap, or an invalid iterator if this is the last gap. O(1).</summary>
        public Segment NextSegment()
        {
            Node leaf = Leaf;
            return _index < leaf.Count ? new Segment(leaf, _index) : default;
        }

        /// <summary>The segment right before the gap, or an invalid iterator if this is the first gap. O(1).</summary>
        public Segment PrevSegment()
        {
            Node leaf = Leaf;
            if (_index > 0)
            {
                return new Segment(leaf, _index - 1);
            }
            Node? prev = leaf.Prev;
            return prev is null ? default : new Segment(prev, prev.Count - 1);
        }

        /// <summary>The next gap (after the next segment), or an invalid iterator if this is the last gap. O(1).</summary>
        public Gap NextGap()
        {
            Node leaf = Leaf;
            return _index < leaf.Count ? MakeGap(leaf, _index + 1) : default;
        }

        /// <summary>The previous gap (before the previous segment), or an invalid iterator if this is the first gap. O(1).</summary>
        public Gap PrevGap()
        {
            Segment prev = PrevSegment();
            return prev.IsValid ? prev.PrevGap() : default;
        }

        /// <summary>
        /// The first gap after this one with <c>Length &gt;= minSize</c>, or an invalid iterator if
        /// there is none.
        /// </summary>
        /// <remarks>This walks the gaps in between: O(number of gaps passed), not O(log n).</remarks>
        public Gap NextLargeEnoughGap(ulong minSize)
        {
            Gap gap = NextGap();
            while (gap.IsValid && gap.Length < minSize)
            {
                gap = gap.NextGap();
            }
            return gap;
        }

        /// <summary>
        /// The last gap before this one with <c>Length &gt;= minSize</c>, or an invalid iterator if
        /// there is none.
        /// </summary>
        /// <remarks>This walks the gaps in between: O(number of gaps passed), not O(log n).</remarks>
        public Gap PrevLargeEnoughGap(ulong minSize)
        {
            Gap gap = PrevGap();
            while (gap.IsValid && gap.Length < minSize)
            {
                gap = gap.PrevGap();
            }
            return gap;
        }

        /// <summary>Whether both iterators denote the same gap (or both are invalid).</summary>
        public bool Equals(Gap other) => ReferenceEquals(_leaf, other._leaf) && _index == other._index;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is Gap other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCode.Combine(_leaf, _index);

        /// <summary>Whether both iterators denote the same gap (or both are invalid).</summary>
        public static bool operator ==(Gap left, Gap right) => left.Equals(right);

        /// <summary>Whether the iterators denote different gaps.</summary>
        public static bool operator !=(Gap left, Gap right) => !left.Equals(right);

        /// <summary>Formats the gap's range, or says it is invalid.</summary>
        public override string ToString() => IsValid ? $"gap {Range.FormatRange()}" : "invalid gap";
    }
}
