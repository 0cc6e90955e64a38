using BenchmarkDotNet.Attributes;
using Warden.HostArch;
using Warden.RangeMap;

namespace Warden.Benchmarks;

/// <summary>
/// The <see cref="RangeMap{TRange, TValue, TOps}"/> operations the memory manager performs per
/// system call or fault, at 100, 10,000 and 100,000 segments. The target: per-operation cost at
/// 100,000 segments at most twice the cost at 100, and nothing allocated.
/// </summary>
/// <remarks>
/// Segment i is the page <c>[4i, 4i + 1)</c> (in pages), added in random order so that the leaves
/// are as full as random insertion leaves them; the three pages after each segment are a gap.
/// Values carry an offset, as vmas and pmas do, chosen so that no two segments merge. Keys are
/// drawn at random over the whole map, so a large map's lookups miss in the cache as a real
/// address space's would.
/// </remarks>
[MemoryDiagnoser]
public class RangeMapBenchmarks
{
    private const ulong Page = 4096;
    private const ulong Stride = 4 * Page;
    private const int KeyCount = 1 << 14;
    private const int KeyMask = KeyCount - 1;

    private RangeMap<AddrRange, ulong, OffsetOps> _map = null!;
    private ulong[] _keys = null!;
    private ulong[] _gapPages = null!;
    private int _next;
    private RangeMap<AddrRange, ulong, OffsetOps>.Segment _cursor;

    /// <summary>The number of segments in the map.</summary>
    [Params(100, 10_000, 100_000)]
    public int Segments { get; set; }

    /// <summary>Offset-carrying values, as the memory manager's vmas and pmas have.</summary>
    public readonly struct OffsetOps : IRangeMapOps<AddrRange, ulong>
    {
        /// <inheritdoc/>
        public static bool TryMerge(AddrRange first, ulong firstValue, AddrRange second, ulong secondValue, out ulong merged)
        {
            merged = firstValue;
            return secondValue == firstValue + (first.End.Value - first.Start.Value);
        }

        /// <inheritdoc/>
        public static (ulong First, ulong Second) Split(AddrRange range, ulong value, ulong key) =>
            (value, value + (key - range.Start.Value));
    }

    private static AddrRange Range(ulong start, ulong end) => new(new Addr(start), new Addr(end));

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        int[] order = Enumerable.Range(0, Segments).ToArray();
        random.Shuffle(order);
        _map = new RangeMap<AddrRange, ulong, OffsetOps>();
        foreach (int i in order)
        {
            ulong start = (ulong)i * Stride;
            // Offsets a million pages apart: neighbours never continue each other.
            _map.Add(Range(start, start + Page), (ulong)i * 1_000_000 * Page);
        }
        _map.CheckInvariants(requireMerged: true);

        // Any key in the map's span: in a segment a quarter of the time, in a gap otherwise.
        _keys = new ulong[KeyCount];
        _gapPages = new ulong[KeyCount];
        for (int k = 0; k < KeyCount; k++)
        {
            ulong slot = (ulong)random.Next(Segments);
            _keys[k] = (slot * Stride) + (ulong)random.NextInt64((long)Stride);
            // The middle page of the gap after segment slot: abuts neither neighbour.
            _gapPages[k] = (slot * Stride) + (2 * Page);
        }
        _cursor = _map.FirstSegment();
    }

    private ulong NextKey() => _keys[_next++ & KeyMask];

    private ulong NextGapPage() => _gapPages[_next++ & KeyMask];

    /// <summary>Find: the segment or the gap at a random key.</summary>
    [Benchmark]
    public bool Find()
    {
        (RangeMap<AddrRange, ulong, OffsetOps>.Segment segment, _) = _map.Find(NextKey());
        return segment.IsValid;
    }

    /// <summary>FindSegment at a random key (found a quarter of the time).</summary>
    [Benchmark]
    public bool FindSegment() => _map.FindSegment(NextKey()).IsValid;

    /// <summary>One step of an in-order walk (wrapping to the first segment at the end).</summary>
    [Benchmark]
    public ulong NextSegment()
    {
        RangeMap<AddrRange, ulong, OffsetOps>.Segment next = _cursor.NextSegment();
        if (!next.IsValid)
        {
            next = _map.FirstSegment();
        }
        _cursor = next;
        return next.Start;
    }

    /// <summary>
    /// FindGap, Insert of a page into it, Remove of that segment: a map-and-unmap pair at a random
    /// spot; the map's size is the same after each pair.
    /// </summary>
    [Benchmark]
    public ulong InsertRemove()
    {
        ulong page = NextGapPage();
        RangeMap<AddrRange, ulong, OffsetOps>.Gap gap = _map.FindGap(page);
        RangeMap<AddrRange, ulong, OffsetOps>.Segment segment = _map.Insert(gap, Range(page, page + Page), page);
        return _map.Remove(segment).Start;
    }

    /// <summary>Add of a one-page segment at a random free spot, then RemoveRange of it.</summary>
    [Benchmark]
    public ulong AddRemoveRange()
    {
        ulong page = NextGapPage();
        AddrRange range = Range(page, page + Page);
        _map.Add(range, page);
        return _map.RemoveRange(range).Start;
    }
}
