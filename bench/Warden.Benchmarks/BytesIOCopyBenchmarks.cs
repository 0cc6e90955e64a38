using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Warden.Contexts;
using Warden.HostArch;
using Warden.UserMem;

namespace Warden.Benchmarks;

/// <summary>
/// <see cref="BytesIO"/>'s copies against a plain span operation on the same bytes: the difference
/// is the cost of the IO contract (interface call, range check, result tuple).
/// </summary>
/// <remarks>
/// Each direction has its own raw baseline (category In, Out, Zero): between the same two arrays a
/// copy's speed depends on its direction, because how far the destination lies from the source
/// modulo 4 KiB decides whether the CPU mistakes loads for dependants of earlier stores.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class BytesIOCopyBenchmarks
{
    private readonly IContext _ctx = Context.Background;
    private IMemoryIO _io = null!;
    private byte[] _memory = null!;
    private byte[] _buffer = null!;

    /// <summary>The bytes copied per operation: a word, a page, a large read.</summary>
    [Params(8, 4096, 1 << 20)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var io = new BytesIO(Size);
        new Random(1).NextBytes(io.Bytes);
        _io = io;
        _memory = io.Bytes;
        _buffer = new byte[Size];
    }

    /// <summary>The floor for <see cref="CopyIn"/>: memory to buffer with no IO in between.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("In")]
    public void RawCopyIn() => _memory.AsSpan().CopyTo(_buffer);

    [Benchmark]
    [BenchmarkCategory("In")]
    public int CopyIn() => _io.CopyIn(_ctx, Addr.Zero, _buffer, default).Count;

    /// <summary>The floor for <see cref="CopyOut"/>: buffer to memory with no IO in between.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Out")]
    public void RawCopyOut() => _buffer.AsSpan().CopyTo(_memory);

    [Benchmark]
    [BenchmarkCategory("Out")]
    public int CopyOut() => _io.CopyOut(_ctx, Addr.Zero, _buffer, default).Count;

    /// <summary>The floor for <see cref="ZeroOut"/>: clearing the memory directly.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Zero")]
    public void RawClear() => _memory.AsSpan().Clear();

    [Benchmark]
    [BenchmarkCategory("Zero")]
    public long ZeroOut() => _io.ZeroOut(_ctx, Addr.Zero, Size, default).Count;
}
