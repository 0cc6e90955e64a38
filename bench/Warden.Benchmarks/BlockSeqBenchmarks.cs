using BenchmarkDotNet.Attributes;
using Warden.SafeMem;

namespace Warden.Benchmarks;

/// <summary>
/// The <see cref="BlockSeq"/> operations a copy loop performs per step. None may allocate: a single
/// block is stored inline and a longer sequence is a window onto its array.
/// </summary>
[MemoryDiagnoser]
public class BlockSeqBenchmarks
{
    private const int BlockLength = 4096;

    private BlockSeq _seq;
    private int _half;

    /// <summary>1: one contiguous mapping; 8: memory backed by 8 separate host pages.</summary>
    [Params(1, 8)]
    public int Blocks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] memory = PinnedArrays.Allocate(BlockLength * 16);
        if (Blocks == 1)
        {
            _seq = BlockSeq.Of(Block.FromPinnedArray(memory, 0, BlockLength * 8));
        }
        else
        {
            // Blocks with gaps between them, as blocks of separate mappings usually are.
            var blocks = new Block[Blocks];
            for (int i = 0; i < blocks.Length; i++)
            {
                blocks[i] = Block.FromPinnedArray(memory, i * 2 * BlockLength, BlockLength);
            }
            _seq = BlockSeq.FromArray(blocks);
        }
        // Half way plus a little, so that both operations cut a block in the middle (and, with 8
        // blocks, both pass 4 of them).
        _half = (int)(_seq.NumBytes / 2) + 100;
    }

    [Benchmark]
    public Block Head() => _seq.Head;

    [Benchmark]
    public BlockSeq Tail() => _seq.Tail();

    [Benchmark]
    public BlockSeq DropFirst() => _seq.DropFirst(_half);

    [Benchmark]
    public BlockSeq TakeFirst() => _seq.TakeFirst(_half);

    [Benchmark]
    public ulong NumBytes() => _seq.NumBytes;
}
