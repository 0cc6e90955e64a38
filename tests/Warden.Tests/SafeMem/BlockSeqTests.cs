using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.SafeMem;

public class BlockSeqTests
{
    private static List<Block> Blocks(BlockSeq seq)
    {
        var blocks = new List<Block>();
        foreach (Block block in seq)
        {
            blocks.Add(block);
        }
        return blocks;
    }

    [Fact]
    public void Empty()
    {
        Assert.True(BlockSeq.Empty.IsEmpty);
        Assert.Equal(0, BlockSeq.Empty.NumBlocks);
        Assert.Equal(0UL, BlockSeq.Empty.NumBytes);
        Assert.Empty(Blocks(BlockSeq.Empty));
        Assert.Equal("{}", BlockSeq.Empty.ToString());
        Assert.Throws<InvalidOperationException>(() => BlockSeq.Empty.Head);
        Assert.Throws<InvalidOperationException>(() => BlockSeq.Empty.Tail());
    }

    [Fact]
    public void SingleBlock()
    {
        byte[] array = PinnedArrays.Allocate(16);
        Block block = Block.FromPinnedArray(array, 4, 8);
        BlockSeq seq = BlockSeq.Of(block);

        Assert.False(seq.IsEmpty);
        Assert.Equal(1, seq.NumBlocks);
        Assert.Equal(8UL, seq.NumBytes);
        Assert.Equal(block, seq.Head);
        Assert.True(seq.Tail().IsEmpty);
        Assert.Equal([block], Blocks(new BlockSeq(block)));
        Assert.Equal($"{{{block}}}", seq.ToString());
    }

    [Fact]
    public void SingleEmptyBlock_GivesAnEmptySequence()
    {
        Assert.True(BlockSeq.Of(default).IsEmpty);
        Assert.Equal(0, new BlockSeq(default).NumBlocks);
    }

    [Fact]
    public void FromArray_SkipsEmptyBlocks()
    {
        byte[] array = PinnedBuffers.Pattern(20);
        Block a = Block.FromPinnedArray(array, 0, 3);
        Block b = Block.FromPinnedArray(array, 5, 4);
        Block c = Block.FromPinnedArray(array, 12, 1);
        BlockSeq seq = BlockSeq.FromArray([default, a, default, b, c, default]);

        Assert.Equal(3, seq.NumBlocks);
        Assert.Equal(8UL, seq.NumBytes);
        Assert.Equal([a, b, c], Blocks(seq));
        Assert.Equal(b, seq.Tail().Head);
        Assert.True(BlockSeq.FromArray([default, default]).IsEmpty);
        Assert.True(BlockSeq.FromArray([]).IsEmpty);
    }

    [Fact]
    public void FromArray_Window()
    {
        byte[] array = PinnedBuffers.Pattern(20);
        Block[] blocks = [Block.FromPinnedArray(array, 0, 2), Block.FromPinnedArray(array, 2, 3), Block.FromPinnedArray(array, 5, 4), Block.FromPinnedArray(array, 9, 5)];
        BlockSeq seq = BlockSeq.FromArray(blocks, 1, 2);

        Assert.Equal([blocks[1], blocks[2]], Blocks(seq));
        Assert.Equal(7UL, seq.NumBytes);
        Assert.True(BlockSeq.FromArray(blocks, 4, 0).IsEmpty);

        Assert.Throws<ArgumentNullException>(() => BlockSeq.FromArray(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockSeq.FromArray(blocks, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockSeq.FromArray(blocks, 0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockSeq.FromArray(blocks, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockSeq.FromArray(blocks, 5, 0));
    }

    [Fact]
    public void FromArray_WithEmptyBlocks_DoesNotDependOnTheCallersArrayLayout()
    {
        byte[] array = PinnedBuffers.Pattern(20);
        Block a = Block.FromPinnedArray(array, 0, 3);
        Block b = Block.FromPinnedArray(array, 5, 4);
        BlockSeq seq = BlockSeq.FromArray([a, default, b], 0, 3);

        Assert.Equal([a, b], Blocks(seq.DropFirst(0)));
        Assert.Equal([b], Blocks(seq.Tail()));
    }

    [Fact]
    public void DropFirst_WithinAndAcrossBlocks()
    {
        byte[] array = PinnedBuffers.Pattern(30);
        BlockSeq seq = PinnedBuffers.Split(array, 4, 6, 5);

        BlockSeq inHead = seq.DropFirst(1);
        Assert.Equal(3, inHead.NumBlocks);
        Assert.Equal(14UL, inHead.NumBytes);
        Assert.Equal(Block.FromPinnedArray(array, 1, 3), inHead.Head);

        BlockSeq atBoundary = seq.DropFirst(4);
        Assert.Equal([Block.FromPinnedArray(array, 4, 6), Block.FromPinnedArray(array, 10, 5)], Blocks(atBoundary));

        BlockSeq across = seq.DropFirst64(12);
        Assert.Equal([Block.FromPinnedArray(array, 12, 3)], Blocks(across));

        Assert.Equal(Blocks(seq), Blocks(seq.DropFirst(0)));
        Assert.True(seq.DropFirst(15).IsEmpty);
        Assert.True(seq.DropFirst(16).IsEmpty);
        Assert.True(seq.DropFirst64(ulong.MaxValue).IsEmpty);
        Assert.Throws<ArgumentOutOfRangeException>(() => seq.DropFirst(-1));
    }

    [Fact]
    public void TakeFirst_KeepsOnlyTheBlocksCoveringThePrefix()
    {
        byte[] array = PinnedBuffers.Pattern(30);
        BlockSeq seq = PinnedBuffers.Split(array, 4, 6, 5);

        BlockSeq inHead = seq.TakeFirst(3);
        Assert.Equal([Block.FromPinnedArray(array, 0, 3)], Blocks(inHead));
        Assert.Equal(1, inHead.NumBlocks);

        BlockSeq atBoundary = seq.TakeFirst(4);
        Assert.Equal([Block.FromPinnedArray(array, 0, 4)], Blocks(atBoundary));

        BlockSeq intoSecond = seq.TakeFirst(5);
        Assert.Equal([Block.FromPinnedArray(array, 0, 4), Block.FromPinnedArray(array, 4, 1)], Blocks(intoSecond));
        Assert.Equal(2, intoSecond.NumBlocks);
        Assert.Equal(5UL, intoSecond.NumBytes);

        BlockSeq endOfSecond = seq.TakeFirst(10);
        Assert.Equal([Block.FromPinnedArray(array, 0, 4), Block.FromPinnedArray(array, 4, 6)], Blocks(endOfSecond));
        Assert.Equal(2, endOfSecond.NumBlocks);

        BlockSeq intoThird = seq.TakeFirst64(11);
        Assert.Equal(3, intoThird.NumBlocks);
        Assert.Equal(Block.FromPinnedArray(array, 10, 1), Blocks(intoThird)[2]);

        Assert.True(seq.TakeFirst(0).IsEmpty);
        Assert.Equal(Blocks(seq), Blocks(seq.TakeFirst(15)));
        Assert.Equal(Blocks(seq), Blocks(seq.TakeFirst64(ulong.MaxValue)));
        Assert.Throws<ArgumentOutOfRangeException>(() => seq.TakeFirst(-1));
    }

    [Fact]
    public void TakeFirst_ThenTail_HonoursTheLimit()
    {
        byte[] array = PinnedBuffers.Pattern(30);
        BlockSeq seq = PinnedBuffers.Split(array, 4, 6, 5).TakeFirst(7);

        BlockSeq tail = seq.Tail();
        Assert.Equal(1, tail.NumBlocks);
        Assert.Equal(3UL, tail.NumBytes);
        Assert.Equal(Block.FromPinnedArray(array, 4, 3), tail.Head);
        Assert.True(tail.Tail().IsEmpty);
    }

    [Fact]
    public void ALimitedWindow_CountsIteratesAndDropsOnlyTheBlocksWithinTheLimit()
    {
        // TakeFirst64 only lowers the byte limit; every other operation must see the blocks past it
        // as absent.
        byte[] array = PinnedBuffers.Pattern(40);
        BlockSeq seq = PinnedBuffers.Split(array, 4, 6, 5, 3, 7).TakeFirst(12);

        Assert.Equal(3, seq.NumBlocks);
        Assert.Equal(12UL, seq.NumBytes);
        Assert.Equal([Block.FromPinnedArray(array, 0, 4), Block.FromPinnedArray(array, 4, 6), Block.FromPinnedArray(array, 10, 2)], Blocks(seq));
        Assert.True(seq.Tail().Tail().Tail().IsEmpty);
        Assert.Equal([Block.FromPinnedArray(array, 11, 1)], Blocks(seq.DropFirst(11)));
        Assert.True(seq.DropFirst(12).IsEmpty);
        Assert.Equal(2, seq.TakeFirst(6).NumBlocks);
        Assert.Equal(Blocks(seq), Blocks(seq.TakeFirst(13)));
        Assert.Equal(new byte[] { 6, 7, 8, 9, 10, 11, 12 }, PinnedBuffers.Contents(seq.DropFirst(5)));
    }

    [Fact]
    public void DropThenTake()
    {
        byte[] array = PinnedBuffers.Pattern(30);
        BlockSeq seq = PinnedBuffers.Split(array, 4, 6, 5).DropFirst(2).TakeFirst(9);

        Assert.Equal([Block.FromPinnedArray(array, 2, 2), Block.FromPinnedArray(array, 4, 6), Block.FromPinnedArray(array, 10, 1)], Blocks(seq));
        Assert.Equal(9UL, seq.NumBytes);
        Assert.Equal(new byte[] { 3, 4, 5, 6, 7, 8, 9, 10, 11 }, PinnedBuffers.Contents(seq));
    }

    [Fact]
    public void Formatting_ListsTheBlocks()
    {
        byte[] array = PinnedBuffers.Pattern(10);
        BlockSeq seq = PinnedBuffers.Split(array, 3, 2);
        Block first = Block.FromPinnedArray(array, 0, 3);
        Block second = Block.FromPinnedArray(array, 3, 2);
        Assert.Equal($"{{{first} {second}}}", seq.ToString());
    }
}
