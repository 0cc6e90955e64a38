using System.Diagnostics.CodeAnalysis;
using Warden.Errors;
using Warden.HostArch;
using Warden.RangeMap;

namespace Warden.MemMap;

/// <summary>
/// Which mapping spaces map which offsets of one mappable, and at which addresses: what a mappable
/// needs to implement <see cref="IMappable.AddMapping"/>/<see cref="IMappable.RemoveMapping"/> and to
/// call <see cref="IMappingSpace.Invalidate"/> when its translations change.
/// </summary>
/// <remarks>
/// Segments of offsets map to the set of mappings that cover them; segments split where mappings
/// begin and end, and merge again when every mapping continues across the boundary. Not thread-safe:
/// the owning mappable serialises calls.
/// </remarks>
public sealed class MappingSet
{
    private readonly RangeMap<MappableRange, MappingsOfRange, MappingSetOps> _map = new();

    /// <summary>Whether no offset is mapped.</summary>
    public bool IsEmpty => _map.IsEmpty;

    /// <summary>The number of segments (maximal runs of offsets mapped by the same mappings).</summary>
    public int SegmentCount => _map.Count;

    /// <summary>
    /// Records that <paramref name="ms"/> maps addresses <paramref name="ar"/> to offsets
    /// <c>[offset, offset + ar.Length)</c>.
    /// </summary>
    /// <returns>The offsets that had no mapping before, as maximal ranges in increasing order.</returns>
    /// <remarks><b>Preconditions:</b> as for <see cref="IMappable.AddMapping"/> (non-empty, page-aligned, no overflow).</remarks>
    public List<MappableRange> AddMapping(IMappingSpace ms, AddrRange ar, ulong offset, bool writable)
    {
        MappableRange mr = CheckedMappableRange(ms, ar, offset);
        var mapped = new List<MappableRange>();
        (RangeMap<MappableRange, MappingsOfRange, MappingSetOps>.Segment seg,
         RangeMap<MappableRange, MappingsOfRange, MappingSetOps>.Gap gap) = _map.Find(mr.Start);
        while (true)
        {
            if (seg.IsValid && seg.Start < mr.End)
            {
                seg = _map.Isolate(seg, mr);
                seg.Value.Add(SubsetMapping(mr, seg.Range, ms, ar.Start, writable));
                // Go on with the segment right after, or with the gap before it if the gap is not empty.
                gap = seg.NextGap();
                seg = gap.IsEmpty ? gap.NextSegment() : default;
                if (seg.IsValid)
                {
                    gap = default;
                }
            }
            else if (gap.IsValid && gap.Start < mr.End)
            {
                MappableRange unmapped = gap.Range.Intersect(mr);
                AppendCoalesced(mapped, unmapped);
                seg = _map.InsertWithoutMerging(gap, unmapped, new MappingsOfRange());
                gap = default;
            }
            else
            {
                break;
            }
        }
        MergeAround(mr);
        return mapped;
    }

    /// <summary>Records that the mapping added by <see cref="AddMapping"/> with the same arguments is gone.</summary>
    /// <returns>The offsets that now have no mapping, as maximal ranges in increasing order.</returns>
    /// <remarks>
    /// <b>Preconditions:</b> as for <see cref="IMappable.RemoveMapping"/>: the mapping exists with the same
    /// <paramref name="writable"/>. A mapping that does not match (e.g. another writable flag) is not
    /// found and nothing is removed.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The first offset of the range is not mapped (so the mapping cannot exist).</exception>
    public List<MappableRange> RemoveMapping(IMappingSpace ms, AddrRange ar, ulong offset, bool writable)
    {
        MappableRange mr = CheckedMappableRange(ms, ar, offset);
        var unmapped = new List<MappableRange>();
        var seg = _map.FindSegment(mr.Start);
        if (!seg.IsValid)
        {
            ThrowNotMapped(mr);
        }
        while (seg.IsValid && seg.Start < mr.End)
        {
            seg = _map.Isolate(seg, mr);
            MappingsOfRange mappings = seg.Value;
            mappings.Remove(SubsetMapping(mr, seg.Range, ms, ar.Start, writable));
            if (mappings.Count == 0)
            {
                AppendCoalesced(unmapped, seg.Range);
                seg = _map.Remove(seg).NextSegment();
            }
            else
            {
                seg = seg.NextSegment();
            }
        }
        MergeAround(mr);
        return unmapped;
    }

    /// <summary>
    /// Calls <see cref="IMappingSpace.Invalidate"/> for every mapping of offsets in <paramref name="mr"/>,
    /// once per mapping, with exactly the addresses at which it maps them.
    /// </summary>
    /// <remarks>
    /// Pieces of one mapping that lie in different segments (because other mappings cover part of
    /// the range) are joined back into one call: each call covers a maximal run of affected addresses
    /// of one space with one writable flag. <b>Preconditions:</b> <paramref name="mr"/> is page-aligned.
    /// </remarks>
    public void Invalidate(MappableRange mr, InvalidateOpts opts)
    {
        var first = _map.LowerBoundSegment(mr.Start);
        if (!first.IsValid || first.Start >= mr.End)
        {
            return;
        }
        var second = first.NextSegment();
        if (first.Value.Count == 1 && (!second.IsValid || second.Start >= mr.End))
        {
            // The common case, one segment with one mapping: one call, and nothing is gathered (so
            // nothing is allocated). Several mappings of one segment may be contiguous in one space
            // and so must be joined, as below.
            MappableRange segRange = first.Range;
            foreach (MappingOfRange m in first.Value)
            {
                m.MappingSpace.Invalidate(SubsetMapping(segRange, segRange.Intersect(mr), m.MappingSpace, m.AddrRange.Start, m.Writable).AddrRange, opts);
            }
            return;
        }
        // The affected addresses of each space, gathered first so that pieces of one mapping (split
        // across segments by other mappings) are joined back into one call.
        var bySpace = new Dictionary<IMappingSpace, List<(AddrRange Range, bool Writable)>>(ReferenceEqualityComparer.Instance);
        for (var seg = _map.LowerBoundSegment(mr.Start); seg.IsValid && seg.Start < mr.End; seg = seg.NextSegment())
        {
            MappableRange segRange = seg.Range;
            MappableRange affected = segRange.Intersect(mr);
            foreach (MappingOfRange m in seg.Value)
            {
                MappingOfRange region = SubsetMapping(segRange, affected, m.MappingSpace, m.AddrRange.Start, m.Writable);
                if (!bySpace.TryGetValue(m.MappingSpace, out var regions))
                {
                    bySpace.Add(m.MappingSpace, regions = []);
                }
                regions.Add((region.AddrRange, region.Writable));
            }
        }
        foreach ((IMappingSpace space, List<(AddrRange Range, bool Writable)> regions) in bySpace)
        {
            regions.Sort(static (a, b) => a.Writable != b.Writable ? a.Writable.CompareTo(b.Writable) : a.Range.Start.CompareTo(b.Range.Start));
            AddrRange pending = regions[0].Range;
            for (int i = 1; i < regions.Count; i++)
            {
                if (regions[i].Writable == regions[i - 1].Writable && regions[i].Range.Start == pending.End)
                {
                    pending = pending with { End = regions[i].Range.End };
                    continue;
                }
                space.Invalidate(pending, opts);
                pending = regions[i].Range;
            }
            space.Invalidate(pending, opts);
        }
    }

    /// <summary>Calls <see cref="IMappingSpace.Invalidate"/> for every mapping in the set, once per mapping.</summary>
    public void InvalidateAll(InvalidateOpts opts) => Invalidate(new MappableRange(0, ulong.MaxValue), opts);

    /// <summary>The segments in order: each maximal range of offsets with the mappings that cover it.</summary>
    /// <remarks>For inspection (tests, diagnostics); the sets must not be modified.</remarks>
    public IEnumerable<(MappableRange Range, IReadOnlySet<MappingOfRange> Mappings)> Segments()
    {
        for (var seg = _map.FirstSegment(); seg.IsValid; seg = seg.NextSegment())
        {
            yield return (seg.Range, seg.Value);
        }
    }

    /// <summary>Checks the underlying map's invariants, merging included; throws <see cref="InvalidOperationException"/> if one is broken.</summary>
    public void CheckInvariants() => _map.CheckInvariants(requireMerged: true);

    /// <summary>Returns the part of a mapping of <paramref name="whole"/> at <paramref name="addr"/> that maps <paramref name="subset"/>.</summary>
    private static MappingOfRange SubsetMapping(MappableRange whole, MappableRange subset, IMappingSpace ms, Addr addr, bool writable)
    {
        Addr start = addr + (subset.Start - whole.Start);
        return new MappingOfRange(ms, new AddrRange(start, start + subset.Length), writable);
    }

    // Splitting for an add or remove leaves segments that may merge again: with each other within
    // mr, and with their neighbours across mr's bounds.
    private void MergeAround(MappableRange mr)
    {
        _map.MergeRange(mr);
        _map.MergeAdjacent(mr);
    }

    private static void AppendCoalesced(List<MappableRange> ranges, MappableRange range)
    {
        if (ranges.Count != 0 && ranges[^1].End == range.Start)
        {
            ranges[^1] = ranges[^1] with { End = range.End };
            return;
        }
        ranges.Add(range);
    }

    private static MappableRange CheckedMappableRange(IMappingSpace ms, AddrRange ar, ulong offset)
    {
        ArgumentNullException.ThrowIfNull(ms);
        if (!ar.WellFormed || ar.Length == 0 || !ar.IsPageAligned || !Arch.IsPageAligned(offset))
        {
            ThrowBadArguments(ar, offset, "must be non-empty and page-aligned");
        }
        ulong end = offset + ar.Length;
        if (end < offset)
        {
            ThrowBadArguments(ar, offset, "overflow the offset space");
        }
        return new MappableRange(offset, end);
    }

    [DoesNotReturn]
    private static void ThrowBadArguments(AddrRange ar, ulong offset, string problem) =>
        ThrowHelper.ThrowArgument(nameof(ar), "The mapping of {0} at offset 0x{1:x}: the range and offset {2}.", ar, offset, problem);

    [DoesNotReturn]
    private static void ThrowNotMapped(MappableRange mr) =>
        ThrowHelper.ThrowInvalidOperation("MappingSet.RemoveMapping({0}): no mapping contains 0x{1:x}.", mr, mr.Start);
}
