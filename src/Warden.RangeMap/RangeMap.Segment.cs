using Warden.Errors;
using Warden.HostArch;

namespace Warden.RangeMap;

public sealed partial class RangeMap<TRange, TValue, TOps>
{
    /// <summary>
    /// An iterator denoting one segment of the map: a leaf and an index into it. The default value
    /// is invalid.
    /// </summary>
    /// <remarks>
    /// Any mutation of the map other than writing through <see cref="Value"/> invalidates it. Members
    /// other than <see cref="IsValid"/> and equality require a valid iterator and throw
    /// <see cref="InvalidOperationException"/> on an invalid one.
    /// </remarks>
    public readonly struct Segment : IEquatable<Segment>
    {
        private readonly Node? _leaf;
        private readonly int _index;

        internal Segment(Node leaf, int index)
        {
            _leaf = leaf;
            _index = index;
        }

        /// <summary>Whether the iterator denotes a segment.</summary>
        public bool IsValid => _leaf is not null;

        /// <summary>The keys the segment covers.</summary>
        public TRange Range
        {
            get
            {
                Node leaf = Leaf;
                return TRange.FromBounds(leaf.Keys[_index], leaf.Ends[_index]);
            }
        }

        /// <summary>The segment's first key.</summary>
        public ulong Start => Leaf.Keys[_index];

        /// <summary>The first key past the segment.</summary>
        public ulong End => Leaf.Ends[_index];

        /// <summary>The number of keys in the segment (always more than 0).</summary>
        public ulong Length
        {
            get
            {
                Node leaf = Leaf;
                return leaf.Ends[_index] - leaf.Keys[_index];
            }
        }

        /// <summary>
        /// The segment's value, by reference into the map's storage: it may be changed in place
        /// (which invalidates no iterator).
        /// </summary>
        /// <remarks>
        /// Changing it so that the segment could now merge with a neighbour does not merge them;
        /// call <see cref="MergeAdjacent(TRange)"/> or <see cref="Merge(Segment, Segment)"/> for that.
        /// </remarks>
        public ref TValue Value => ref Leaf.Values[_index];

        internal Node Node => Leaf;

        internal int Index => _index;

        private Node Leaf
        {
            get
            {
                if (_leaf is null)
                {
                    ThrowHelper.ThrowInvalidOperation(InvalidSegmentMessage);
                }
                return _leaf;
            }
        }

        /// <summary>The next segment, or an invalid iterator if this is the last. O(1).</summary>
        public Segment NextSegment() => SegmentAt(Leaf, _index + 1);

        /// <summary>The previous segment, or an invalid iterator if this is the first. O(1).</summary>
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

        /// <summary>The (possibly empty) gap right after this segment; always valid. O(1).</summary>
        public Gap NextGap() => MakeGap(Leaf, _index + 1);

        /// <summary>The (possibly empty) gap right before this segment; always valid. O(1).</summary>
        public Gap PrevGap() => new(Leaf, _index);

        /// <summary>Whether both iterators denote the same segment (or both are invalid).</summary>
        public bool Equals(Segment other) => ReferenceEquals(_leaf, other._leaf) && _index == other._index;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is Segment other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCode.Combine(_leaf, _index);

        /// <summary>Whether both iterators denote the same segment (or both are invalid).</summary>
        public static bool operator ==(Segment left, Segment right) => left.Equals(right);

        /// <summary>Whether the iterators denote different segments.</summary>
        public static bool operator !=(Segment left, Segment right) => !left.Equals(right);

        /// <summary>Formats the segment's range, or says it is invalid.</summary>
        public override string ToString() => IsValid ? $"segment {Range.FormatRange()}" : "invalid segment";
    }
}
