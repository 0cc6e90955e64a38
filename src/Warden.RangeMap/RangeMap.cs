using Warden.Errors;
using Warden.HostArch;

namespace Warden.RangeMap;

/// <summary>
/// An ordered map from disjoint, non-empty ranges of <see cref="ulong"/> keys ("segments") to values,
/// in the manner of gVisor's segment sets: adjacent segments whose values agree are merged, a
/// segment is split when only part of it changes, and the space between segments ("gaps") can be
/// walked and searched as well as the segments.
/// </summary>
/// <remarks>
/// <para>The key space is <c>[0, ulong.MaxValue)</c>. Between every two consecutive segments lies
/// exactly one gap, empty if they abut; a further gap runs from 0 to the first segment and another from
/// the last segment to <see cref="ulong.MaxValue"/>. A map with <c>n</c> segments therefore has
/// <c>n + 1</c> gaps, and an empty map one gap covering the whole key space. Gap lookups treat
/// <see cref="ulong.MaxValue"/> itself as lying in the last gap.</para>
/// <para>The map is a B+-tree: leaves hold sorted arrays of segment starts, ends and values and are
/// linked in order; internal nodes hold their children and each child's smallest start. Lookups and
/// updates take <c>O(log n)</c> time; stepping to the next or previous segment or gap takes
/// <c>O(1)</c>. Lookups and iterator steps allocate nothing; updates allocate only when the tree
/// needs more nodes than it has pooled.</para>
/// <para><see cref="Segment"/> and <see cref="Gap"/> are iterators: positions in the tree. Any
/// mutation of the map (anything but writing through <see cref="Segment.Value"/>) invalidates every
/// iterator obtained before it; using one afterwards gives unspecified results.</para>
/// <para><b>Thread safety:</b> none. Callers serialise all access, reads included, with their own
/// lock.</para>
/// </remarks>
/// <typeparam name="TRange">The range type of the keys.</typeparam>
/// <typeparam name="TValue">The value stored with each segment.</typeparam>
/// <typeparam name="TOps">How values merge and split; a struct, so that its calls are specialised.</typeparam>
public sealed partial class RangeMap<TRange, TValue, TOps>
    where TRange : struct, IRange<TRange>
    where TOps : IRangeMapOps<TRange, TValue>
{
    // 32 keys per node (4 cache lines per key array): measured against 16 and 64 (bench/RESULTS.md),
    // 32 was the fastest for lookups and updates at 100,000 segments, and close to the fastest (16)
    // for smaller maps. Wider nodes make every search compare more keys; narrower ones add levels
    // and rebalance more often. 100,000 randomly inserted segments take four levels, of which only
    // the leaves are too many to stay in the cache.
    private const string InvalidSegmentMessage = "The segment iterator is invalid (default, or past the first or last segment).";
    private const string InvalidGapMessage = "The gap iterator is invalid (default, or past the first or last gap).";
    private const int DefaultLeafCapacity = MaxCapacity;
    private const int DefaultInternalCapacity = MaxCapacity;

    private readonly int _leafCapacity;
    private readonly int _internalCapacity;

    // A non-root node holding fewer than its minimum borrows from or merges with a sibling. A
    // quarter (rather than the classic half) leaves room between the size a split produces and the
    // size that triggers a merge, so that an insert and a remove at the same place do not split and
    // merge the same node over and over.
    private readonly int _leafMinimum;
    private readonly int _internalMinimum;

    private Node _root;

    // The ends of the leaf list: FirstSegment, LastSegment, FirstGap and LastGap are O(1).
    private Node _firstLeaf;
    private Node _lastLeaf;

    private int _count;

    /// <summary>Creates an empty map.</summary>
    public RangeMap()
        : this(DefaultLeafCapacity, DefaultInternalCapacity)
    {
    }

    /// <summary>
    /// Creates an empty map with the given node capacities. Tests use small capacities to build deep
    /// trees from few segments.
    /// </summary>
    internal RangeMap(int leafCapacity, int internalCapacity)
    {
        if (leafCapacity is < 4 or > MaxCapacity)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(leafCapacity), leafCapacity, "A node capacity must be from 4 to {0}.", MaxCapacity);
        }
        if (internalCapacity is < 4 or > MaxCapacity)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(internalCapacity), internalCapacity, "A node capacity must be from 4 to {0}.", MaxCapacity);
        }
        _leafCapacity = leafCapacity;
        _internalCapacity = internalCapacity;
        // At least 2, so that a node that falls below its minimum by one removal is never empty;
        // at most (capacity + 1) / 2, so that a node one below the minimum and a sibling at the
        // minimum always fit in one node when merged.
        _leafMinimum = Math.Max(2, leafCapacity / 4);
        _internalMinimum = Math.Max(2, internalCapacity / 4);
        _root = NewLeaf();
        _firstLeaf = _root;
        _lastLeaf = _root;
    }

    /// <summary>The number of segments in the map.</summary>
    public int Count => _count;

    /// <summary>Whether the map has no segments.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>Returns an enumerator over the segments in ascending order.</summary>
    /// <remarks>The map must not be changed while enumerating (writing <see cref="Segment.Value"/> is allowed).</remarks>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Enumerates the segments of a map in ascending order without allocating.</summary>
    public struct Enumerator
    {
        private readonly RangeMap<TRange, TValue, TOps> _map;
        private Segment _current;
        private bool _started;

        internal Enumerator(RangeMap<TRange, TValue, TOps> map)
        {
            _map = map;
            _current = default;
            _started = false;
        }

        /// <summary>The current segment; valid after <see cref="MoveNext"/> returned <see langword="true"/>.</summary>
        public readonly Segment Current => _current;

        /// <summary>Advances to the next segment.</summary>
        /// <returns>Whether there was one.</returns>
        public bool MoveNext()
        {
            if (!_started)
            {
                _started = true;
                _current = _map.FirstSegment();
            }
            else if (_current.IsValid)
            {
                _current = _current.NextSegment();
            }
            return _current.IsValid;
        }
    }
}
