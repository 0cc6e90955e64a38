using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Warden.Contexts;
using Warden.SafeMem;
using Warden.UserMem;

namespace Warden.Benchmarks;

/// <summary>
/// Copies through a single-range <see cref="IOSequence"/> over a <see cref="BytesIO"/>, against a
/// plain span operation on the same bytes: the extra cost over <see cref="BytesIOCopyBenchmarks"/>
/// is the vectored helpers and, for <see cref="CopyInToBlockSeqWriter"/>, the block writer.
/// </summary>
/// <remarks>Each direction has its own raw baseline, as in <see cref="BytesIOCopyBenchmarks"/>.</remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class IOSequenceCopyBenchmarks
{
    private readonly IContext _ctx = Context.Background;
    private IOSequence _seq;
    private byte[] _memory = null!;
    private byte[] _buffer = null!;
    private BlockSeq _bufferBlocks;
    private BlockSeqWriter _writer = null!;

    /// <summary>The bytes copied per operation.</summary>
    [Params(8, 4096, 1 << 20)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var io = new BytesIO(Size);
        new Random(1).NextBytes(io.Bytes);
        _seq = IOSequence.BytesIOSequence(io);
        _memory = io.Bytes;
        // Pinned, so that CopyInTo can write into it through a block.
        _buffer = PinnedArrays.Allocate(Size);
        _bufferBlocks = BlockSeq.Of(Block.FromPinnedArray(_buffer));
        _writer = new BlockSeqWriter(_bufferBlocks);
    }

    /// <summary>The floor for the copies in: memory to buffer with no IO in between.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("In")]
    public void RawCopyIn() => _memory.AsSpan().CopyTo(_buffer);

    [Benchmark]
    [BenchmarkCategory("In")]
    public int CopyIn() => _seq.CopyIn(_ctx, _buffer).Count;

    /// <summary>The whole sequence handed as blocks to a <see cref="BlockSeqWriter"/> over the buffer.</summary>
    [Benchmark]
    [BenchmarkCategory("In")]
    public long CopyInToBlockSeqWriter()
    {
        // The writer consumes its blocks; give it the whole buffer again.
        _writer.Blocks = _bufferBlocks;
        return _seq.CopyInTo(_ctx, _writer).Count;
    }

    /// <summary>The floor for <see cref="CopyOut"/>: buffer to memory with no IO in between.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Out")]
    public void RawCopyOut() => _buffer.AsSpan().CopyTo(_memory);

    [Benchmark]
    [BenchmarkCategory("Out")]
    public int CopyOut() => _seq.CopyOut(_ctx, _buffer).Count;

    /// <summary>The floor for <see cref="ZeroOut"/>: clearing the memory directly.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Zero")]
    public void RawClear() => _memory.AsSpan().Clear();

    [Benchmark]
    [BenchmarkCategory("Zero")]
    public long ZeroOut() => _seq.ZeroOut(_ctx, Size).Count;
}
