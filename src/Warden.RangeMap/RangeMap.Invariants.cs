using System.Diagnostics.CodeAnalysis;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.RangeMap;

public sealed partial class RangeMap<TRange, TValue, TOps>
{
    /// <summary>
    /// Checks every structural invariant of the map, walking all of it: O(n). Meant for tests.
    /// </summary>
    /// <remarks>
    /// <para>Checked: segments are non-empty, sorted and non-overlapping; <see cref="Count"/> is
    /// their number; every leaf is at the same depth; every node but the root holds at least its
    /// minimum and at most its capacity (an internal root at least 2 children); parent links and
    /// indexes are consistent; each internal key is the smallest start under its child; the leaf
    /// list links every leaf in order and the first and last leaf are known; slots past a node's
    /// count are cleared (when values hold references); and, if <paramref name="requireMerged"/>, no two abutting segments would
    /// be merged by <typeparamref name="TOps"/>.</para>
    /// <para><b>Postconditions:</b> returns if all hold; otherwise throws
    /// <see cref="InvalidOperationException"/> whose message names the first violated invariant.</para>
    /// </remarks>
    /// <param name="requireMerged">Whether to require that no abutting pair could merge.</param>
    public void CheckInvariants(bool requireMerged)
    {
        if (_root.Parent is not null)
        {
            Fail("root has no parent", "the root has a parent");
        }
        if (!_root.IsLeaf && _root.Count < 2)
        {
            Fail("internal root has at least 2 children", $"it has {_root.Count}");
        }
        Node? expectedLeaf = _firstLeaf;
        if (_firstLeaf.Prev is not null)
        {
            Fail("leaf links consistent", "the first leaf has a previous leaf");
        }
        int leafDepth = -1;
        int segments = 0;
        bool haveEnd = false;
        ulong lastEnd = 0;
        CheckNode(_root, 0, ref expectedLeaf, ref leafDepth, ref segments, ref haveEnd, ref lastEnd);
        if (expectedLeaf is not null)
        {
            Fail("leaf links consistent", "the leaf list goes on past the last leaf of the tree");
        }
        if (segments != _count)
        {
            Fail("Count correct", $"Count is {_count} but the tree holds {segments} segments");
        }
        if (requireMerged)
        {
            CheckMerged();
        }
    }

    private void CheckNode(Node node, int depth, ref Node? expectedLeaf, ref int leafDepth, ref int segments, ref bool haveEnd, ref ulong lastEnd)
    {
        bool isRoot = node == _root;
        if (node.IsLeaf)
        {
            if (node.Count > _leafCapacity || (!isRoot && node.Count < _leafMinimum) || node.Count < 0)
            {
                Fail("node sizes within bounds", $"a leaf at depth {depth} holds {node.Count} segments (minimum {_leafMinimum}, capacity {_leafCapacity})");
            }
            if (leafDepth < 0)
            {
                leafDepth = depth;
            }
            else if (leafDepth != depth)
            {
                Fail("all leaves at the same depth", $"leaves at depths {leafDepth} and {depth}");
            }
            if (node != expectedLeaf)
            {
                Fail("leaf links consistent", $"the leaf list does not follow the tree's order at depth {depth}");
            }
            if (node.Next is null ? node != _lastLeaf : node.Next.Prev != node)
            {
                Fail("leaf links consistent", "a leaf's next leaf does not link back to it, or the last leaf is not the map's last leaf");
            }
            expectedLeaf = node.Next;
            for (int i = 0; i < node.Count; i++)
            {
                ulong start = node.Keys[i];
                ulong end = node.Ends[i];
                if (start >= end)
                {
                    Fail("segments non-empty", $"segment [0x{start:x}, 0x{end:x}) is empty");
                }
                if (haveEnd && start < lastEnd)
                {
                    Fail("segments sorted and non-overlapping", $"segment [0x{start:x}, 0x{end:x}) starts before the previous one ends (0x{lastEnd:x})");
                }
                haveEnd = true;
                lastEnd = end;
            }
            // Only slots that could keep objects alive are cleared; plain values are left as they were.
            for (int i = node.Count; ValuesNeedClearing && i < MaxCapacity; i++)
            {
                if (!EqualityComparer<TValue>.Default.Equals(node.Values[i], default!))
                {
                    Fail("vacant slots cleared", $"a leaf's value slot {i} past its count {node.Count} is not cleared");
                }
            }
            segments += node.Count;
            return;
        }

        if (node.Count > _internalCapacity || (!isRoot && node.Count < _internalMinimum))
        {
            Fail("node sizes within bounds", $"an internal node at depth {depth} has {node.Count} children (minimum {_internalMinimum}, capacity {_internalCapacity})");
        }
        if (node.Prev is not null || node.Next is not null)
        {
            Fail("leaf links consistent", "an internal node has leaf links");
        }
        for (int i = 0; i < node.Count; i++)
        {
            Node child = node.Children[i];
            if (child is null)
            {
                Fail("node structure consistent", $"an internal node at depth {depth} has no child at index {i}");
            }
            if (child.Parent != node || child.IndexInParent != i)
            {
                Fail("parent links consistent", $"child {i} of an internal node at depth {depth} has parent index {child.IndexInParent} or another parent");
            }
            if (child.Count == 0)
            {
                Fail("node sizes within bounds", $"child {i} of an internal node at depth {depth} is empty");
            }
            if (node.Keys[i] != child.Keys[0])
            {
                Fail("internal keys are their children's smallest starts", $"key {i} at depth {depth} is 0x{node.Keys[i]:x}, the child's smallest start 0x{child.Keys[0]:x}");
            }
            CheckNode(child, depth + 1, ref expectedLeaf, ref leafDepth, ref segments, ref haveEnd, ref lastEnd);
        }
        for (int i = node.Count; i < MaxCapacity; i++)
        {
            if (node.Children[i] is not null)
            {
                Fail("vacant slots cleared", $"an internal node's child slot {i} past its count {node.Count} is not cleared");
            }
        }
    }

    private void CheckMerged()
    {
        Segment segment = FirstSegment();
        if (!segment.IsValid)
        {
            return;
        }
        for (Segment next = segment.NextSegment(); next.IsValid; segment = next, next = next.NextSegment())
        {
            if (segment.End == next.Start && TOps.TryMerge(segment.Range, segment.Value, next.Range, next.Value, out _))
            {
                Fail("mergeable neighbours merged", $"{segment.Range.FormatRange()} and {next.Range.FormatRange()} abut and could merge");
            }
        }
    }

    [DoesNotReturn]
    private static void Fail(string invariant, string detail) =>
        ThrowHelper.ThrowInvalidOperation("RangeMap invariant violated: {0}: {1}.", invariant, detail);
}
