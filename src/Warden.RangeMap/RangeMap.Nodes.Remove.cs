namespace Warden.RangeMap;

// Shrinking the tree: removing a segment from a leaf, then borrowing from or merging with
// siblings on the way up so that every node but the root keeps its minimum size.
public sealed partial class RangeMap<TRange, TValue, TOps>
{
    /// <summary>
    /// Removes the segment at index <paramref name="index"/> of <paramref name="leaf"/> and restores
    /// the tree's shape, keeping track of one position.
    /// </summary>
    /// <remarks>
    /// <para>The tracked position (<paramref name="trackLeaf"/>, <paramref name="trackIndex"/>) is
    /// given as it was before the removal and is either another segment or the position right after
    /// the removed one (<c>index + 1</c>, which may be one past a leaf's last segment).</para>
    /// <para><b>Postconditions:</b> the tracked position denotes the same segment, or, for the
    /// position after the removed one, the segment that followed it (or one past the last segment
    /// of the last leaf if none did), in the tree as it now is.</para>
    /// </remarks>
    private void RemoveFromLeaf(Node leaf, int index, ref Node trackLeaf, ref int trackIndex)
    {
        int count = leaf.Count - 1;
        int moved = count - index;
        if (moved > 0)
        {
            leaf.KeySpan.Slice(index + 1, moved).CopyTo(leaf.KeySpan.Slice(index));
            leaf.EndSpan.Slice(index + 1, moved).CopyTo(leaf.EndSpan.Slice(index));
            leaf.ValueSpan.Slice(index + 1, moved).CopyTo(leaf.ValueSpan.Slice(index));
        }
        if (ValuesNeedClearing)
        {
            leaf.Values[count] = default!;
        }
        leaf.Count = count;
        _count--;

        if (trackLeaf == leaf && trackIndex > index)
        {
            trackIndex--;
        }
        // One past a leaf's last segment means the next leaf's first, except in the last leaf. The
        // rebalancing below tracks segments, so it gets the segment.
        if (trackIndex == trackLeaf.Count && trackLeaf.Next is not null)
        {
            trackLeaf = trackLeaf.Next;
            trackIndex = 0;
        }

        if (leaf.Parent is null)
        {
            return;
        }
        if (index == 0 && count > 0)
        {
            PropagateMinKey(leaf);
        }
        if (count < _leafMinimum)
        {
            RebalanceLeaf(leaf, ref trackLeaf, ref trackIndex);
        }
    }

    /// <summary>
    /// Restores the minimum size of non-root leaf <paramref name="leaf"/> by taking a segment from a
    /// sibling that can spare one, or else by merging it with a sibling.
    /// </summary>
    private void RebalanceLeaf(Node leaf, ref Node trackLeaf, ref int trackIndex)
    {
        Node parent = leaf.Parent!;
        int k = leaf.IndexInParent;
        Node? right = k + 1 < parent.Count ? parent.Children[k + 1] : null;
        if (right is not null && right.Count > _leafMinimum)
        {
            TakeFirstFromRightLeaf(leaf, right, ref trackLeaf, ref trackIndex);
            return;
        }
        Node? left = k > 0 ? parent.Children[k - 1] : null;
        if (left is not null && left.Count > _leafMinimum)
        {
            TakeLastFromLeftLeaf(left, leaf, ref trackLeaf, ref trackIndex);
            return;
        }
        if (left is not null)
        {
            MergeLeaves(left, leaf, ref trackLeaf, ref trackIndex);
        }
        else
        {
            MergeLeaves(leaf, right!, ref trackLeaf, ref trackIndex);
        }
    }

    private void TakeFirstFromRightLeaf(Node leaf, Node right, ref Node trackLeaf, ref int trackIndex)
    {
        int count = leaf.Count;
        leaf.Keys[count] = right.Keys[0];
        leaf.Ends[count] = right.Ends[0];
        leaf.Values[count] = right.Values[0];
        leaf.Count = count + 1;

        int rightCount = right.Count - 1;
        right.KeySpan.Slice(1, rightCount).CopyTo(right.KeySpan);
        right.EndSpan.Slice(1, rightCount).CopyTo(right.EndSpan);
        right.ValueSpan.Slice(1, rightCount).CopyTo(right.ValueSpan);
        if (ValuesNeedClearing)
        {
            right.Values[rightCount] = default!;
        }
        right.Count = rightCount;

        PropagateMinKey(right);
        if (count == 0)
        {
            PropagateMinKey(leaf);
        }

        if (trackLeaf == right)
        {
            if (trackIndex == 0)
            {
                trackLeaf = leaf;
                trackIndex = count;
            }
            else
            {
                trackIndex--;
            }
        }
    }

    private void TakeLastFromLeftLeaf(Node left, Node leaf, ref Node trackLeaf, ref int trackIndex)
    {
        int count = leaf.Count;
        leaf.KeySpan.Slice(0, count).CopyTo(leaf.KeySpan.Slice(1));
        leaf.EndSpan.Slice(0, count).CopyTo(leaf.EndSpan.Slice(1));
        leaf.ValueSpan.Slice(0, count).CopyTo(leaf.ValueSpan.Slice(1));

        int last = left.Count - 1;
        leaf.Keys[0] = left.Keys[last];
        leaf.Ends[0] = left.Ends[last];
        leaf.Values[0] = left.Values[last];
        leaf.Count = count + 1;
        if (ValuesNeedClearing)
        {
            left.Values[last] = default!;
        }
        left.Count = last;

        PropagateMinKey(leaf);

        if (trackLeaf == leaf)
        {
            trackIndex++;
        }
        else if (trackLeaf == left && trackIndex == last)
        {
            trackLeaf = leaf;
            trackIndex = 0;
        }
    }

    /// <summary>Moves every segment of <paramref name="right"/> into its left sibling <paramref name="left"/> and frees it.</summary>
    private void MergeLeaves(Node left, Node right, ref Node trackLeaf, ref int trackIndex)
    {
        int leftCount = left.Count;
        int rightCount = right.Count;
        right.KeySpan.Slice(0, rightCount).CopyTo(left.KeySpan.Slice(leftCount));
        right.EndSpan.Slice(0, rightCount).CopyTo(left.EndSpan.Slice(leftCount));
        right.ValueSpan.Slice(0, rightCount).CopyTo(left.ValueSpan.Slice(leftCount));
        if (ValuesNeedClearing)
        {
            right.ValueSpan.Slice(0, rightCount).Clear();
        }
        left.Count = leftCount + rightCount;
        right.Count = 0;

        left.Next = right.Next;
        if (right.Next is null)
        {
            _lastLeaf = left;
        }
        else
        {
            right.Next.Prev = left;
        }

        if (trackLeaf == right)
        {
            trackLeaf = left;
            trackIndex += leftCount;
        }

        Node parent = right.Parent!;
        int index = right.IndexInParent;
        FreeNode(right);
        RemoveChild(parent, index);
    }

    /// <summary>
    /// Removes the child at <paramref name="index"/> of internal node <paramref name="parent"/>, then
    /// restores the tree's shape: the root collapses when it is left with one child, and any other
    /// node below its minimum borrows from or merges with a sibling.
    /// </summary>
    private void RemoveChild(Node parent, int index)
    {
        int count = parent.Count - 1;
        int moved = count - index;
        if (moved > 0)
        {
            parent.KeySpan.Slice(index + 1, moved).CopyTo(parent.KeySpan.Slice(index));
            parent.ChildSpan.Slice(index + 1, moved).CopyTo(parent.ChildSpan.Slice(index));
            for (int i = index; i < count; i++)
            {
                parent.Children[i].IndexInParent = i;
            }
        }
        parent.Children[count] = null!;
        parent.Count = count;

        if (parent.Parent is null)
        {
            if (count == 1)
            {
                Node only = parent.Children[0];
                parent.Children[0] = null!;
                parent.Count = 0;
                only.Parent = null;
                only.IndexInParent = 0;
                _root = only;
                FreeNode(parent);
            }
            return;
        }
        if (index == 0)
        {
            PropagateMinKey(parent);
        }
        if (count < _internalMinimum)
        {
            RebalanceInternal(parent);
        }
    }

    /// <summary>
    /// Restores the minimum size of non-root internal node <paramref name="node"/> by taking a child
    /// from a sibling that can spare one, or else by merging it with a sibling.
    /// </summary>
    private void RebalanceInternal(Node node)
    {
        Node parent = node.Parent!;
        int k = node.IndexInParent;
        Node? right = k + 1 < parent.Count ? parent.Children[k + 1] : null;
        if (right is not null && right.Count > _internalMinimum)
        {
            TakeFirstFromRightInternal(node, right);
            return;
        }
        Node? left = k > 0 ? parent.Children[k - 1] : null;
        if (left is not null && left.Count > _internalMinimum)
        {
            TakeLastFromLeftInternal(left, node);
            return;
        }
        if (left is not null)
        {
            MergeInternals(left, node);
        }
        else
        {
            MergeInternals(node, right!);
        }
    }

    private static void TakeFirstFromRightInternal(Node node, Node right)
    {
        int count = node.Count;
        Node child = right.Children[0];
        node.Keys[count] = right.Keys[0];
        node.Children[count] = child;
        node.Count = count + 1;
        child.Parent = node;
        child.IndexInParent = count;

        int rightCount = right.Count - 1;
        right.KeySpan.Slice(1, rightCount).CopyTo(right.KeySpan);
        right.ChildSpan.Slice(1, rightCount).CopyTo(right.ChildSpan);
        right.Children[rightCount] = null!;
        right.Count = rightCount;
        for (int i = 0; i < rightCount; i++)
        {
            right.Children[i].IndexInParent = i;
        }

        PropagateMinKey(right);
        if (count == 0)
        {
            PropagateMinKey(node);
        }
    }

    private static void TakeLastFromLeftInternal(Node left, Node node)
    {
        int count = node.Count;
        node.KeySpan.Slice(0, count).CopyTo(node.KeySpan.Slice(1));
        node.ChildSpan.Slice(0, count).CopyTo(node.ChildSpan.Slice(1));
        for (int i = 1; i <= count; i++)
        {
            node.Children[i].IndexInParent = i;
        }

        int last = left.Count - 1;
        Node child = left.Children[last];
        node.Keys[0] = left.Keys[last];
        node.Children[0] = child;
        node.Count = count + 1;
        child.Parent = node;
        child.IndexInParent = 0;
        left.Children[last] = null!;
        left.Count = last;

        PropagateMinKey(node);
    }

    /// <summary>Moves every child of <paramref name="right"/> into its left sibling <paramref name="left"/> and frees it.</summary>
    private void MergeInternals(Node left, Node right)
    {
        int leftCount = left.Count;
        int rightCount = right.Count;
        right.KeySpan.Slice(0, rightCount).CopyTo(left.KeySpan.Slice(leftCount));
        right.ChildSpan.Slice(0, rightCount).CopyTo(left.ChildSpan.Slice(leftCount));
        right.ChildSpan.Slice(0, rightCount).Clear();
        for (int i = leftCount; i < leftCount + rightCount; i++)
        {
            Node child = left.Children[i];
            child.Parent = left;
            child.IndexInParent = i;
        }
        left.Count = leftCount + rightCount;
        right.Count = 0;

        Node parent = right.Parent!;
        int index = right.IndexInParent;
        FreeNode(right);
        RemoveChild(parent, index);
    }
}
