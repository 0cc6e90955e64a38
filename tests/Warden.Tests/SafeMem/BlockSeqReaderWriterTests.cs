using Warden.Errors;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.SafeMem;

public class BlockSeqReaderWriterTests
{
    [Fact]
    public void Reader_ReadsAcrossSplitsAndConsumes()
    {
        byte[] src = PinnedBuffers.Pattern(10);
        var reader = new BlockSeqReader(PinnedBuffers.Split(src, 3, 7));
        byte[] dst = PinnedArrays.Allocate(6);

        (ulong n, Error? error) = reader.ReadToBlocks(PinnedBuffers.Split(dst, 2, 2, 2));

        Assert.Equal(6UL, n);
        Assert.Null(error);
        Assert.Equal(src[..6], dst);
        Assert.Equal(4UL, reader.Blocks.NumBytes);
        Assert.Equal(src[6..], PinnedBuffers.Contents(reader.Blocks));
    }

    [Fact]
    public void Reader_PartialReadIsEndOfStream()
    {
        byte[] src = PinnedBuffers.Pattern(5);
        var reader = new BlockSeqReader(PinnedBuffers.Split(src, 5));
        byte[] dst = PinnedArrays.Allocate(8);

        (ulong n, Error? error) = reader.ReadToBlocks(PinnedBuffers.Split(dst, 8));

        Assert.Equal(5UL, n);
        Assert.Same(WellKnownErrors.EndOfStream, error);
        Assert.True(reader.Blocks.IsEmpty);
        Assert.Equal(src, dst[..5]);

        Assert.Equal((0UL, (Error?)WellKnownErrors.EndOfStream), reader.ReadToBlocks(PinnedBuffers.Split(dst, 8)));
    }

    [Fact]
    public void Reader_ExactReadHasNoError()
    {
        var reader = new BlockSeqReader(PinnedBuffers.Split(PinnedBuffers.Pattern(4), 4));
        Assert.Equal((4UL, (Error?)null), reader.ReadToBlocks(PinnedBuffers.Split(PinnedArrays.Allocate(4), 4)));
        Assert.True(reader.Blocks.IsEmpty);
        Assert.Equal((0UL, (Error?)null), reader.ReadToBlocks(BlockSeq.Empty));
    }

    [Fact]
    public void Reader_ReadFull_EndsWithEndOfStream()
    {
        byte[] src = PinnedBuffers.Pattern(7);
        IReader reader = new BlockSeqReader(PinnedBuffers.Split(src, 2, 5));
        byte[] dst = PinnedArrays.Allocate(10);

        (ulong n, Error? error) = reader.ReadFullToBlocks(PinnedBuffers.Split(dst, 10));

        Assert.Equal(7UL, n);
        Assert.Same(WellKnownErrors.EndOfStream, error);
        Assert.Equal(src, dst[..7]);
    }

    [Fact]
    public void Writer_WritesAcrossSplitsAndConsumes()
    {
        byte[] dst = PinnedArrays.Allocate(10);
        var writer = new BlockSeqWriter(PinnedBuffers.Split(dst, 4, 6));
        byte[] src = PinnedBuffers.Pattern(7);

        (ulong n, Error? error) = writer.WriteFromBlocks(PinnedBuffers.Split(src, 1, 6));

        Assert.Equal(7UL, n);
        Assert.Null(error);
        Assert.Equal(src, dst[..7]);
        Assert.Equal(3UL, writer.Blocks.NumBytes);
        Assert.Equal(Block.FromPinnedArray(dst, 7, 3), writer.Blocks.Head);
    }

    [Fact]
    public void Writer_PartialWriteIsEndOfBlockSeq()
    {
        byte[] dst = PinnedArrays.Allocate(4);
        var writer = new BlockSeqWriter(PinnedBuffers.Split(dst, 4));
        byte[] src = PinnedBuffers.Pattern(6);

        (ulong n, Error? error) = writer.WriteFromBlocks(PinnedBuffers.Split(src, 6));

        Assert.Equal(4UL, n);
        Assert.Same(BlockSeqWriter.EndOfBlockSeq, error);
        Assert.Equal(src[..4], dst);
        Assert.True(writer.Blocks.IsEmpty);
        Assert.NotSame(WellKnownErrors.EndOfStream, BlockSeqWriter.EndOfBlockSeq);

        Assert.Equal((0UL, (Error?)BlockSeqWriter.EndOfBlockSeq), writer.WriteFromBlocks(PinnedBuffers.Split(src, 1)));
        Assert.Equal((0UL, (Error?)null), writer.WriteFromBlocks(BlockSeq.Empty));
    }

    [Fact]
    public void Blocks_CanBeReplaced()
    {
        byte[] first = PinnedArrays.Allocate(2);
        byte[] second = PinnedArrays.Allocate(2);
        var writer = new BlockSeqWriter(PinnedBuffers.Split(first, 2));
        writer.WriteFromBlocks(PinnedBuffers.Split(PinnedBuffers.Pattern(2, seed: 10), 2));
        writer.Blocks = PinnedBuffers.Split(second, 2);
        writer.WriteFromBlocks(PinnedBuffers.Split(PinnedBuffers.Pattern(2, seed: 20), 2));

        Assert.Equal(new byte[] { 10, 11 }, first);
        Assert.Equal(new byte[] { 20, 21 }, second);
    }
}
