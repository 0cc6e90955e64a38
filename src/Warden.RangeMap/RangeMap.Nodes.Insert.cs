namespace Warden.RangeMap;

// Growing the tree: inserting a segment into a leaf, splitting full nodes on the way up.
public sealed partial class RangeMap<TRange, TValue, TOps>
{
    /// <summary>
    /// Inserts a segment at index <paramref name="index"/> of <paramref name="leaf"/>, splitting the
    /// leaf first if it is full.
    /// </summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> <c>0 &lt;= index &lt;= leaf.Count</c>; the segment fits between its
    /// neighbours at that position.</para>
    /// <para><b>Postconditions:</b> returns where the new segment now is. When the leaf was split,
    /// the new segment is never at index 0 of the upper half unless <paramref name="index"/> was 0.</para>
    /// </remarks>
    private (Node Leaf, int Index) InsertInLeaf(Node leaf, int index, ulong start, ulong end, TValue value)
    {
        if (leaf.Count == _leafCapacity)
        {
            int keep = _leafCapacity / 2;
            // Appending past the last segment or prepending before the first (ascending or
            // descending mapping patterns) would leave every leaf half full if split down the
            // middle; leaving the minimum in the half that will not grow packs them instead.
            if (index == leaf.Count && leaf.Next is null)
            {
                keep = _leafCapacity - _leafMinimum;
            }
            else if (index == 0 && leaf.Prev is null)
            {
                keep = _leafMinimum;
            }
            Node upper = SplitLeaf(leaf, keep);
            if (index > keep)
            {
                leaf = upper;
                index -= keep;
            }
        }

        int count = leaf.Count;
        if (index < count)
        {
            int moved = count - index;
            leaf.KeySpan.Slice(index, moved).CopyTo(leaf.KeySpan.Slice(index + 1));
            leaf.EndSpan.Slice(index, moved).CopyTo(leaf.EndSpan.Slice(index + 1));
            leaf.ValueSpan.Slice(index, moved).CopyTo(leaf.ValueSpan.Slice(index + 1));
        }
        leaf.Keys[index] = start;
        leaf.Ends[index] = end;
        leaf.Values[index] = value;
        leaf.Count = count + 1;
        _count++;
        if (index == 0)
        {
            PropagateMinKey(leaf);
        }
        return (leaf, index);
    }

    /// <summary>
    /// Moves the segments of <paramref name="leaf"/> from index <paramref name="keep"/> on into a new
    /// leaf placed right after it, and returns the new leaf.
    /// </summary>
    private Node SplitLeaf(Node leaf, int keep)
    {
        Node upper = NewLeaf();
        int moved = leaf.Count - keep;
        leaf.KeySpan.Slice(keep, moved).CopyTo(upper.KeySpan);
        leaf.EndSpan.Slice(keep, moved).CopyTo(upper.EndSpan);
        leaf.ValueSpan.Slice(keep, moved).CopyTo(upper.ValueSpan);
        if (ValuesNeedClearing)
        {
            leaf.ValueSpan.Slice(keep, moved).Clear();
        }
        leaf.Count = keep;
        upper.Count = moved;

        upper.Prev = leaf;
        upper.Next = leaf.Next;
        if (leaf.Next is null)
        {
            _lastLeaf = upper;
        }
        else
        {
            leaf.Next.Prev = upper;
        }
        leaf.Next = upper;

        InsertSibling(leaf, upper);
        return upper;
    }

    /// <summary>
    /// Makes <paramref name="upper"/> the child right after <paramref name="node"/> in
    /// <paramref name="node"/>'s parent, growing a new root if <paramref name="node"/> is the root.
    /// </summary>
    /// <remarks><b>Precondition:</b> both nodes are non-empty.</remarks>
    private void InsertSibling(Node node, Node upper)
    {
        Node? parent = node.Parent;
        if (parent is null)
        {
            Node root = NewInternal();
            root.Children[0] = node;
            root.Keys[0] = node.Keys[0];
            root.Children[1] = upper;
            root.Keys[1] = upper.Keys[0];
            root.Count = 2;
            node.Parent = root;
            node.IndexInParent = 0;
            upper.Parent = root;
            upper.IndexInParent = 1;
            _root = root;
            return;
        }
        InsertChild(parent, node.IndexInParent + 1, upper);
    }

    /// <summary>
    /// Inserts <paramref name="child"/> at index <paramref name="index"/> of internal node
    /// <paramref name="parent"/>, splitting the parent first if it is full.
    /// </summary>
    /// <remarks><b>Preconditions:</b> <c>1 &lt;= index &lt;= parent.Count</c>; child is non-empty.</remarks>
    private void InsertChild(Node parent, int index, Node child)
    {
        if (parent.Count == _internalCapacity)
        {
            int keep = _internalCapacity / 2;
            Node upper = SplitInternal(parent, keep);
            // index == keep appends to the lower half, so the child never becomes the upper half's
            // first: the key the grandparent holds for the upper half stays right.
            if (index > keep)
            {
                parent = upper;
                index -= keep;
            }
        }

        int count = parent.Count;
        if (index < count)
        {
            int moved = count - index;
            parent.KeySpan.Slice(index, moved).CopyTo(parent.KeySpan.Slice(index + 1));
            parent.ChildSpan.Slice(index, moved).CopyTo(parent.ChildSpan.Slice(index + 1));
            for (int i = index + 1; i <= count; i++)
            {
                parent.Children[i].IndexInParent = i;
            }
        }
        parent.Keys[index] = child.Keys[0];
        parent.Children[index] = child;
        parent.Count = count + 1;
        child.Parent = parent;
        child.IndexInParent = index;
    }

    /// <summary>
    /// Moves the children of internal node <paramref name="node"/> from index <paramref name="keep"/>
    /// on into a new internal node placed right after it, and returns the new node.
    /// </summary>
    private Node SplitInternal(Node node, int keep)
    {
        Node upper = NewInternal();
        int moved = node.Count - keep;
        node.KeySpan.Slice(keep, moved).CopyTo(upper.KeySpan);
        node.ChildSpan.Slice(keep, moved).CopyTo(upper.ChildSpan);
        node.ChildSpan.Slice(keep, moved).Clear();
        node.Count = keep;
        upper.Count = moved;
        for (int i = 0; i < moved; i++)
        {
            Node child = upper.Children[i];
            child.Parent = upper;
            child.IndexInParent = i;
        }
        InsertSibling(node, upper);
        return upper;
    }
}
