using BenchmarkDotNet.Attributes;
using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Benchmarks;

/// <summary>
/// <see cref="MappingSet"/> as a shared file's mappable uses it when processes map and unmap one
/// page of it (<c>AddMapping</c> then <c>RemoveMapping</c>), and when the file's contents change
/// under one page (<c>Invalidate</c>), with <see cref="Mappings"/> other mappings already recorded.
/// </summary>
/// <remarks>
/// The existing mappings are disjoint: mapping <c>i</c> maps offset pages <c>[8i, 8i + 4)</c> at its
/// own addresses, so each is one segment and a gap of 4 pages follows it. The one-page mapping is
/// added half way along, either into a gap (a new segment between two others) or over the second
/// page of an existing mapping (whose segment is split in three and merged back on removal).
/// </remarks>
[MemoryDiagnoser]
public class MappingSetBenchmarks
{
    private const ulong PageSize = 0x1000;
    private const ulong Stride = 8 * PageSize;
    private const ulong ExistingLength = 4 * PageSize;

    private readonly CountingMappingSpace _existing = new();
    private readonly CountingMappingSpace _other = new();
    private MappingSet _set = null!;
    private AddrRange _onePage;
    private ulong _gapOffset;
    private ulong _overlapOffset;
    private MappableRange _invalidateRange;

    /// <summary>How many mappings the set holds before each operation.</summary>
    [Params(100, 10_000)]
    public int Mappings { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _set = new MappingSet();
        for (int i = 0; i < Mappings; i++)
        {
            ulong offset = (ulong)i * Stride;
            var ar = new AddrRange(new Addr(0x1_0000_0000 + offset), new Addr(0x1_0000_0000 + offset + ExistingLength));
            _set.AddMapping(_existing, ar, offset, writable: i % 2 == 0);
        }
        ulong middle = (ulong)(Mappings / 2) * Stride;
        _gapOffset = middle + ExistingLength + PageSize;
        _overlapOffset = middle + PageSize;
        _onePage = new AddrRange(new Addr(0x7000_0000), new Addr(0x7000_0000 + PageSize));
        _invalidateRange = new MappableRange(_overlapOffset, _overlapOffset + PageSize);

        // A benchmark of a failing or wrong operation would measure the wrong thing.
        if (_set.SegmentCount != Mappings
            || AddRemoveInGap() != 2
            || AddRemoveOverExisting() != 0
            || _set.SegmentCount != Mappings)
        {
            throw new InvalidOperationException($"MappingSet setup went wrong: {_set.SegmentCount} segments for {Mappings} mappings.");
        }
        _existing.Calls = 0;
        Invalidate();
        if (_existing.Calls != 1)
        {
            throw new InvalidOperationException($"Invalidate of one page made {_existing.Calls} calls; expected 1.");
        }
    }

    /// <summary>Maps and unmaps a page no one else maps: a segment is inserted and removed.</summary>
    /// <returns>The number of ranges newly mapped plus newly unmapped (2).</returns>
    [Benchmark]
    public int AddRemoveInGap() =>
        _set.AddMapping(_other, _onePage, _gapOffset, writable: false).Count
        + _set.RemoveMapping(_other, _onePage, _gapOffset, writable: false).Count;

    /// <summary>Maps and unmaps a page another mapping maps too: its segment is split in three, then merged.</summary>
    /// <returns>The number of ranges newly mapped plus newly unmapped (0).</returns>
    [Benchmark]
    public int AddRemoveOverExisting() =>
        _set.AddMapping(_other, _onePage, _overlapOffset, writable: true).Count
        + _set.RemoveMapping(_other, _onePage, _overlapOffset, writable: true).Count;

    /// <summary>Invalidates one page of one mapping: one <see cref="IMappingSpace.Invalidate"/> call.</summary>
    [Benchmark]
    public void Invalidate() => _set.Invalidate(_invalidateRange, default);

    /// <summary>A space that only counts calls, so that the benchmark measures the set.</summary>
    private sealed class CountingMappingSpace : IMappingSpace
    {
        public int Calls;

        public void Invalidate(AddrRange ar, InvalidateOpts opts) => Calls++;
    }
}
