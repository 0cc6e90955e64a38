using System.Runtime.CompilerServices;

namespace Warden.RangeMap;

public sealed partial class RangeMap<TRange, TValue, TOps>
{
    /// <summary>The most segments (leaf) or children (internal node) a node can hold.</summary>
    private const int MaxCapacity = 32;

    // Freed nodes are kept for reuse, up to this many of each kind, so that a map whose size hovers
    // around a split or merge threshold allocates nothing, while a map that shrank a lot does not
    // keep all its old nodes alive.
    private const int MaxPooledNodes = 16;

    private Node? _freeLeaves;
    private Node? _freeInternals;
    private int _freeLeafCount;
    private int _freeInternalCount;

    /// <summary>
    /// A node of the B+-tree. Leaves and internal nodes share this one sealed class (the buffers of
    /// the other kind unused) so that descending the tree needs no type checks.
    /// </summary>
    /// <remarks>
    /// <para>The keys, ends, values and children are inline arrays: they lie in the node object
    /// itself, so that reaching a node's keys from its parent costs one cache miss rather than one
    /// for the node and another for a separate array, and a leaf's ends follow its starts in
    /// memory, where the prefetcher has usually fetched them by the time the search is done. An
    /// internal node thereby carries unused room for ends and values and a leaf for children:
    /// 256 bytes more per leaf than separate arrays would need.</para>
    /// <para>Slots at and past <see cref="Count"/> always hold default values when they could keep
    /// objects alive, so that nodes never keep removed values or children alive.</para>
    /// </remarks>
    internal sealed class Node
    {
        public readonly bool IsLeaf;

        /// <summary>The number of segments (leaf) or children (internal).</summary>
        public int Count;

        public Node? Parent;

        /// <summary>This node's index in <see cref="Parent"/>'s <see cref="Children"/>.</summary>
        public int IndexInParent;

        /// <summary>Leaf: the previous leaf in key order.</summary>
        public Node? Prev;

        /// <summary>Leaf: the next leaf in key order. A pooled node of either kind: the next free node.</summary>
        public Node? Next;

        /// <summary>Leaf: the starts of its segments. Internal: the smallest start under each child.</summary>
        public KeyBuffer Keys;

        /// <summary>Leaf: the ends of its segments. Unused in internal nodes.</summary>
        public KeyBuffer Ends;

        /// <summary>Leaf: the values of its segments. Unused in internal nodes.</summary>
        public ValueBuffer Values;

        /// <summary>Internal: its children. Unused in leaves.</summary>
        public NodeBuffer Children;

        public Node(bool isLeaf) => IsLeaf = isLeaf;

        public Span<ulong> KeySpan => Keys;

        public Span<ulong> EndSpan => Ends;

        public Span<TValue> ValueSpan => Values;

        public Span<Node> ChildSpan => Children;
    }

    /// <summary>Room for <see cref="MaxCapacity"/> keys inside a node.</summary>
    [InlineArray(MaxCapacity)]
    internal struct KeyBuffer
    {
        private ulong _element;
    }

    /// <summary>Room for <see cref="MaxCapacity"/> values inside a node.</summary>
    [InlineArray(MaxCapacity)]
    internal struct ValueBuffer
    {
        private TValue _element;
    }

    /// <summary>Room for <see cref="MaxCapacity"/> children inside a node.</summary>
    [InlineArray(MaxCapacity)]
    internal struct NodeBuffer
    {
        private Node _element;
    }

    private static bool ValuesNeedClearing => RuntimeHelpers.IsReferenceOrContainsReferences<TValue>();

    private Node NewLeaf()
    {
        Node? node = _freeLeaves;
        if (node is null)
        {
            return new Node(isLeaf: true);
        }
        _freeLeaves = node.Next;
        _freeLeafCount--;
        node.Next = null;
        return node;
    }

    private Node NewInternal()
    {
        Node? node = _freeInternals;
        if (node is null)
        {
            return new Node(isLeaf: false);
        }
        _freeInternals = node.Next;
        _freeInternalCount--;
        node.Next = null;
        return node;
    }

    /// <summary>Returns a node that has been unlinked from the tree to the pool.</summary>
    /// <remarks><b>Precondition:</b> its Count is 0 and its slots are cleared.</remarks>
    private void FreeNode(Node node)
    {
        node.Parent = null;
        node.IndexInParent = 0;
        node.Prev = null;
        node.Count = 0;
        if (node.IsLeaf)
        {
            if (_freeLeafCount < MaxPooledNodes)
            {
                node.Next = _freeLeaves;
                _freeLeaves = node;
                _freeLeafCount++;
            }
            else
            {
                node.Next = null;
            }
        }
        else if (_freeInternalCount < MaxPooledNodes)
        {
            node.Next = _freeInternals;
            _freeInternals = node;
            _freeInternalCount++;
        }
        else
        {
            node.Next = null;
        }
    }

    /// <summary>
    /// Copies <paramref name="node"/>'s smallest key into its ancestors, as far up as it is their
    /// smallest key too.
    /// </summary>
    /// <remarks><b>Precondition:</b> <c>node.Count &gt; 0</c>.</remarks>
    private static void PropagateMinKey(Node node)
    {
        ulong key = node.Keys[0];
        for (Node? parent = node.Parent; parent is not null; parent = node.Parent)
        {
            int i = node.IndexInParent;
            parent.Keys[i] = key;
            if (i != 0)
            {
                return;
            }
            node = parent;
        }
    }
}
