using FsCheck;
using FsCheck.Fluent;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.SafeMem;

public class BlockCopyTests
{
    [Fact]
    public void Copy_CopiesTheShorterLength()
    {
        byte[] src = PinnedBuffers.Pattern(8, seed: 100);
        byte[] dst = PinnedArrays.Allocate(12);

        Assert.Equal(8, BlockCopy.Copy(Block.FromPinnedArray(dst), Block.FromPinnedArray(src)));
        Assert.Equal(new byte[] { 100, 101, 102, 103, 104, 105, 106, 107, 0, 0, 0, 0 }, dst);

        byte[] small = PinnedArrays.Allocate(3);
        Assert.Equal(3, BlockCopy.Copy(Block.FromPinnedArray(small), Block.FromPinnedArray(src)));
        Assert.Equal(new byte[] { 100, 101, 102 }, small);
    }

    [Fact]
    public void Copy_WithAnEmptySide_CopiesNothing()
    {
        byte[] dst = PinnedBuffers.Pattern(4);
        Assert.Equal(0, BlockCopy.Copy(Block.FromPinnedArray(dst), default));
        Assert.Equal(0, BlockCopy.Copy(default, Block.FromPinnedArray(dst)));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, dst);
    }

    [Fact]
    public void Copy_OverlappingForwards_IsAMemmove()
    {
        byte[] array = PinnedBuffers.Pattern(16);
        byte[] original = [.. array];

        int n = BlockCopy.Copy(Block.FromPinnedArray(array, 2, 10), Block.FromPinnedArray(array, 0, 10));

        Assert.Equal(10, n);
        Assert.Equal(original[..2], array[..2]);
        Assert.Equal(original[..10], array[2..12]);
        Assert.Equal(original[12..], array[12..]);
    }

    [Fact]
    public void Copy_OverlappingBackwards_IsAMemmove()
    {
        byte[] array = PinnedBuffers.Pattern(16);
        byte[] original = [.. array];

        int n = BlockCopy.Copy(Block.FromPinnedArray(array, 0, 10), Block.FromPinnedArray(array, 3, 10));

        Assert.Equal(10, n);
        Assert.Equal(original[3..13], array[..10]);
        Assert.Equal(original[10..], array[10..]);
    }

    [Fact]
    public void CopySeq_AcrossDifferentSplits()
    {
        byte[] src = PinnedBuffers.Pattern(16, seed: 50);
        byte[] dst = PinnedArrays.Allocate(16);

        ulong n = BlockCopy.CopySeq(PinnedBuffers.Split(dst, 4, 4, 8), PinnedBuffers.Split(src, 3, 5, 1, 7));

        Assert.Equal(16UL, n);
        Assert.Equal(src, dst);
    }

    [Fact]
    public void CopySeq_StopsAtTheShorterSequence()
    {
        byte[] src = PinnedBuffers.Pattern(16, seed: 50);
        byte[] dst = PinnedArrays.Allocate(16);

        Assert.Equal(9UL, BlockCopy.CopySeq(PinnedBuffers.Split(dst, 2, 7), PinnedBuffers.Split(src, 5, 11)));
        Assert.Equal(src[..9], dst[..9]);
        Assert.All(dst[9..], b => Assert.Equal(0, b));

        byte[] dst2 = PinnedArrays.Allocate(16);
        Assert.Equal(6UL, BlockCopy.CopySeq(PinnedBuffers.Split(dst2, 10, 6), PinnedBuffers.Split(src, 1, 2, 3)));
        Assert.Equal(src[..6], dst2[..6]);
        Assert.All(dst2[6..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void CopySeq_HonoursTakeFirstLimits()
    {
        byte[] src = PinnedBuffers.Pattern(16, seed: 50);
        byte[] dst = PinnedArrays.Allocate(16);

        ulong n = BlockCopy.CopySeq(PinnedBuffers.Split(dst, 8, 8), PinnedBuffers.Split(src, 4, 4, 8).TakeFirst(11));

        Assert.Equal(11UL, n);
        Assert.Equal(src[..11], dst[..11]);
        Assert.All(dst[11..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void CopySeq_WithAnEmptySide_CopiesNothing()
    {
        byte[] array = PinnedBuffers.Pattern(8);
        Assert.Equal(0UL, BlockCopy.CopySeq(BlockSeq.Empty, PinnedBuffers.Split(array, 8)));
        Assert.Equal(0UL, BlockCopy.CopySeq(PinnedBuffers.Split(array, 8), BlockSeq.Empty));
    }

    [Theory]
    [InlineData(new[] { 15 }, 15)]
    [InlineData(new[] { 15 }, 7)]
    [InlineData(new[] { 4, 6, 5 }, 15)]
    [InlineData(new[] { 4, 6, 5 }, 9)]
    [InlineData(new[] { 4, 6, 5 }, 20)]
    public void CopyToSpan_AndCopyFromSpan_MoveTheShorterLengthInOrder(int[] split, int spanLength)
    {
        byte[] memory = PinnedBuffers.Pattern(15);
        BlockSeq blocks = PinnedBuffers.Split(memory, split);
        int expected = Math.Min(15, spanLength);

        var into = new byte[spanLength];
        Assert.Equal(expected, BlockCopy.CopyToSpan(blocks, into));
        Assert.Equal(memory.AsSpan(0, expected).ToArray(), into.AsSpan(0, expected).ToArray());
        Assert.All(into.AsSpan(expected).ToArray(), b => Assert.Equal(0, b));

        byte[] source = Enumerable.Range(100, spanLength).Select(i => (byte)i).ToArray();
        Assert.Equal(expected, BlockCopy.CopyFromSpan(blocks, source));
        Assert.Equal(source.AsSpan(0, expected).ToArray(), memory.AsSpan(0, expected).ToArray());
        Assert.Equal(PinnedBuffers.Pattern(15).AsSpan(expected).ToArray(), memory.AsSpan(expected).ToArray());
    }

    [Fact]
    public void Zero_ClearsExactlyTheBlock()
    {
        byte[] array = PinnedBuffers.Pattern(10);

        Assert.Equal(4, BlockCopy.Zero(Block.FromPinnedArray(array, 3, 4)));
        Assert.Equal(new byte[] { 1, 2, 3, 0, 0, 0, 0, 8, 9, 10 }, array);
        Assert.Equal(0, BlockCopy.Zero(default));
    }

    [Fact]
    public void ZeroSeq_ClearsEveryBlockWithinTheLimit()
    {
        byte[] array = PinnedBuffers.Pattern(12);

        ulong n = BlockCopy.ZeroSeq(PinnedBuffers.Split(array, 2, 0, 3, 4).DropFirst(1).TakeFirst(6));

        Assert.Equal(6UL, n);
        Assert.Equal(new byte[] { 1, 0, 0, 0, 0, 0, 0, 8, 9, 10, 11, 12 }, array);
        Assert.Equal(0UL, BlockCopy.ZeroSeq(BlockSeq.Empty));
    }

    public sealed record CopyCase(int[] SrcSplit, int[] DstSplit)
    {
        public override string ToString() => $"src [{string.Join(",", SrcSplit)}] dst [{string.Join(",", DstSplit)}]";
    }

    private static readonly Gen<int[]> s_split =
        Gen.Choose(0, 6).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 20), n));

    private static readonly Arbitrary<CopyCase> s_copyCases = Arb.From(
        from src in s_split
        from dst in s_split
        select new CopyCase(src, dst));

    [Fact]
    public void CopySeq_MatchesAByteWiseCopy() =>
        Prop.ForAll(s_copyCases, c =>
        {
            int srcBytes = c.SrcSplit.Sum();
            int dstBytes = c.DstSplit.Sum();
            byte[] src = PinnedBuffers.Pattern(srcBytes, seed: 7);
            byte[] dst = PinnedArrays.Allocate(dstBytes);
            dst.AsSpan().Fill(0xEE);

            ulong n = BlockCopy.CopySeq(PinnedBuffers.Split(dst, c.DstSplit), PinnedBuffers.Split(src, c.SrcSplit));

            int expected = Math.Min(srcBytes, dstBytes);
            Assert.Equal((ulong)expected, n);
            Assert.Equal(src[..expected], dst[..expected]);
            Assert.All(dst[expected..], b => Assert.Equal(0xEE, b));
        }).QuickCheckThrowOnFailure();
}
