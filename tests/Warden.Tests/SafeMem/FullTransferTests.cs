using Warden.Errors;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.SafeMem;

public class FullTransferTests
{
    private static readonly byte[] s_data = [.. Enumerable.Range(1, 16).Select(i => (byte)i)];

    [Fact]
    public void ReadFull_KeepsCallingThroughShortReads()
    {
        var reader = new ScriptedReader(s_data, ScriptStep.All, new(3, null), new(1, null), new(5, null));
        byte[] dst = PinnedArrays.Allocate(16);

        (ulong n, Error? error) = reader.ReadFullToBlocks(PinnedBuffers.Split(dst, 6, 10));

        Assert.Equal(16UL, n);
        Assert.Null(error);
        Assert.Equal(s_data, dst);
        // Each call is offered exactly what is still missing.
        Assert.Equal([16UL, 13UL, 12UL, 7UL], reader.Requests);
    }

    [Fact]
    public void ReadFull_ToleratesSomeEmptyReads()
    {
        var reader = new ScriptedReader(s_data, ScriptStep.All, ScriptStep.Nothing, ScriptStep.Nothing, new(4, null), ScriptStep.Nothing);
        byte[] dst = PinnedArrays.Allocate(8);

        Assert.Equal((8UL, (Error?)null), reader.ReadFullToBlocks(PinnedBuffers.Split(dst, 8)));
        Assert.Equal(s_data[..8], dst);
    }

    [Fact]
    public void ReadFull_EmptyReadsBetweenProgress_DoNotAddUp()
    {
        // A thousand empty reads in all, but never two in a row: the reader is slow, not stuck.
        const int length = 1000;
        byte[] data = [.. Enumerable.Range(0, length).Select(i => (byte)(i * 13))];
        ScriptStep[] script = [.. Enumerable.Range(0, 2 * length).Select(i => i % 2 == 0 ? ScriptStep.Nothing : new ScriptStep(1, null))];
        var reader = new ScriptedReader(data, ScriptStep.Nothing, script);
        byte[] dst = PinnedArrays.Allocate(length);

        Assert.Equal(((ulong)length, (Error?)null), reader.ReadFullToBlocks(PinnedBuffers.Split(dst, length)));
        Assert.Equal(data, dst);
        Assert.Equal(2 * length, reader.Requests.Count);
    }

    [Fact]
    public void WriteFull_EmptyWritesBetweenProgress_DoNotAddUp()
    {
        const int length = 1000;
        ScriptStep[] script = [.. Enumerable.Range(0, 2 * length).Select(i => i % 2 == 0 ? ScriptStep.Nothing : new ScriptStep(1, null))];
        var writer = new ScriptedWriter(ScriptStep.Nothing, script);
        byte[] src = PinnedBuffers.Pattern(length);

        Assert.Equal(((ulong)length, (Error?)null), writer.WriteFullFromBlocks(PinnedBuffers.Split(src, length)));
        Assert.Equal(src, writer.Written);
    }

    [Fact]
    public void ReadFull_GivesUpWithNoProgress()
    {
        var reader = new ScriptedReader(s_data, ScriptStep.Nothing, new ScriptStep(2, null));
        byte[] dst = PinnedArrays.Allocate(8);

        (ulong n, Error? error) = reader.ReadFullToBlocks(PinnedBuffers.Split(dst, 8));

        Assert.Equal(2UL, n);
        Assert.Same(WellKnownErrors.NoProgress, error);
        Assert.InRange(reader.Requests.Count, 3, 10_000);
    }

    [Fact]
    public void ReadFull_ReturnsTheErrorWithThePartialCount()
    {
        var reader = new ScriptedReader(s_data, ScriptStep.All, new(5, null), new(3, Errno.EIO));
        byte[] dst = PinnedArrays.Allocate(16);

        (ulong n, Error? error) = reader.ReadFullToBlocks(PinnedBuffers.Split(dst, 16));

        Assert.Equal(8UL, n);
        Assert.Same(Errno.EIO, error);
        Assert.Equal(s_data[..8], dst[..8]);
        Assert.Equal(2, reader.Requests.Count);
    }

    [Fact]
    public void ReadFull_StopsAtEndOfStream()
    {
        var reader = new ScriptedReader(s_data[..5], new ScriptStep(int.MaxValue, WellKnownErrors.EndOfStream));
        byte[] dst = PinnedArrays.Allocate(8);

        (ulong n, Error? error) = reader.ReadFullToBlocks(PinnedBuffers.Split(dst, 8));

        Assert.Equal(5UL, n);
        Assert.Same(WellKnownErrors.EndOfStream, error);
    }

    [Fact]
    public void ReadFull_AnErrorOnTheFirstCall()
    {
        var reader = new ScriptedReader(s_data, ScriptStep.All, new ScriptStep(0, Errno.EFAULT));
        (ulong n, Error? error) = reader.ReadFullToBlocks(PinnedBuffers.Split(PinnedArrays.Allocate(4), 4));
        Assert.Equal(0UL, n);
        Assert.Same(Errno.EFAULT, error);
    }

    [Fact]
    public void ReadFull_OfNothing_DoesNotCallTheReader()
    {
        var reader = new ScriptedReader(s_data, new ScriptStep(0, Errno.EIO));
        Assert.Equal((0UL, (Error?)null), reader.ReadFullToBlocks(BlockSeq.Empty));
        Assert.Empty(reader.Requests);
    }

    [Fact]
    public void WriteFull_KeepsCallingThroughShortWrites()
    {
        var writer = new ScriptedWriter(ScriptStep.All, new(1, null), ScriptStep.Nothing, new(6, null));
        byte[] src = PinnedBuffers.Pattern(12);

        (ulong n, Error? error) = writer.WriteFullFromBlocks(PinnedBuffers.Split(src, 4, 4, 4));

        Assert.Equal(12UL, n);
        Assert.Null(error);
        Assert.Equal(src, writer.Written);
        Assert.Equal([12UL, 11UL, 11UL, 5UL], writer.Requests);
    }

    [Fact]
    public void WriteFull_ReturnsTheErrorWithThePartialCount()
    {
        var writer = new ScriptedWriter(ScriptStep.All, new(4, null), new(2, Errno.ENOSPC));
        byte[] src = PinnedBuffers.Pattern(12);

        (ulong n, Error? error) = writer.WriteFullFromBlocks(PinnedBuffers.Split(src, 12));

        Assert.Equal(6UL, n);
        Assert.Same(Errno.ENOSPC, error);
        Assert.Equal(src[..6], writer.Written);
    }

    [Fact]
    public void WriteFull_GivesUpWithNoProgress()
    {
        var writer = new ScriptedWriter(ScriptStep.Nothing);
        (ulong n, Error? error) = writer.WriteFullFromBlocks(PinnedBuffers.Split(PinnedBuffers.Pattern(4), 4));
        Assert.Equal(0UL, n);
        Assert.Same(WellKnownErrors.NoProgress, error);
    }

    [Fact]
    public void NullReaderOrWriter_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => FullTransfer.ReadFullToBlocks(null!, BlockSeq.Empty));
        Assert.Throws<ArgumentNullException>(() => FullTransfer.WriteFullFromBlocks(null!, BlockSeq.Empty));
    }
}
