using BenchmarkDotNet.Attributes;
using Warden.HostArch;

namespace Warden.Benchmarks;

/// <summary>
/// The <see cref="AddrRangeSeq"/> operations an I/O loop performs per step. None may allocate: a
/// single range is stored inline and a longer sequence is a window onto its array.
/// </summary>
[MemoryDiagnoser]
public class AddrRangeSeqBenchmarks
{
    private const ulong RangeLength = 4096;

    private AddrRangeSeq _seq;
    private int _half;

    /// <summary>1: the common single-buffer read or write; 8: a small <c>readv</c>/<c>writev</c>.</summary>
    [Params(1, 8)]
    public int Ranges { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Ranges == 1)
        {
            _seq = AddrRangeSeq.Of(new AddrRange(new Addr(0x10000), new Addr(0x10000 + (RangeLength * 8))));
        }
        else
        {
            // Ranges with gaps between them, as separate iovecs usually are.
            var ranges = new AddrRange[Ranges];
            for (int i = 0; i < ranges.Length; i++)
            {
                ulong start = 0x10000 + ((ulong)i * 2 * RangeLength);
                ranges[i] = new AddrRange(new Addr(start), new Addr(start + RangeLength));
            }
            _seq = AddrRangeSeq.FromArray(ranges);
        }
        // Half way plus a little, so that both operations cut a range in the middle (and, with 8
        // ranges, DropFirst passes 4 of them).
        _half = (int)(_seq.NumBytes / 2) + 100;
    }

    [Benchmark]
    public AddrRange Head() => _seq.Head;

    [Benchmark]
    public AddrRangeSeq Tail() => _seq.Tail();

    [Benchmark]
    public AddrRangeSeq DropFirst() => _seq.DropFirst(_half);

    [Benchmark]
    public AddrRangeSeq TakeFirst() => _seq.TakeFirst(_half);

    [Benchmark]
    public long NumBytes() => _seq.NumBytes;
}
