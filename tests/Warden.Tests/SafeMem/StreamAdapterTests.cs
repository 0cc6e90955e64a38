using Warden.Errors;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.SafeMem;

public class StreamAdapterTests
{
    private static byte[] Data(int length, int seed = 1) => [.. Enumerable.Range(seed, length).Select(i => (byte)i)];

    // ---- StreamBlockReader: Stream -> IReader ----

    [Fact]
    public void StreamBlockReader_FillsEveryBlock()
    {
        var reader = new StreamBlockReader(new MemoryStream(Data(10)));
        byte[] dst = PinnedArrays.Allocate(8);

        Assert.Equal((8UL, (Error?)null), reader.ReadToBlocks(PinnedBuffers.Split(dst, 3, 5)));
        Assert.Equal(Data(8), dst);
    }

    [Fact]
    public void StreamBlockReader_ShortReadAtTheEnd_HasNoError_ThenEndOfStream()
    {
        var reader = new StreamBlockReader(new MemoryStream(Data(5)));
        byte[] dst = PinnedArrays.Allocate(8);

        Assert.Equal((5UL, (Error?)null), reader.ReadToBlocks(PinnedBuffers.Split(dst, 4, 4)));
        Assert.Equal(Data(5), dst[..5]);
        Assert.Equal((0UL, (Error?)WellKnownErrors.EndOfStream), reader.ReadToBlocks(PinnedBuffers.Split(dst, 4, 4)));
    }

    [Fact]
    public void StreamBlockReader_EndExactlyAtABlockBoundary_HasNoError()
    {
        var reader = new StreamBlockReader(new MemoryStream(Data(4)));
        Assert.Equal((4UL, (Error?)null), reader.ReadToBlocks(PinnedBuffers.Split(PinnedArrays.Allocate(8), 4, 4)));
    }

    [Fact]
    public void StreamBlockReader_StopsAtTheFirstShortRead()
    {
        var stream = new ShortReadStream(Data(20), maxPerRead: 3);
        var reader = new StreamBlockReader(stream);
        byte[] dst = PinnedArrays.Allocate(20);

        Assert.Equal((3UL, (Error?)null), reader.ReadToBlocks(PinnedBuffers.Split(dst, 10, 10)));
        Assert.Equal(1, stream.ReadCalls);

        (ulong n, Error? error) = reader.ReadFullToBlocks(PinnedBuffers.Split(dst, 10, 10).DropFirst(3));
        Assert.Equal(17UL, n);
        Assert.Null(error);
        Assert.Equal(Data(20), dst);
    }

    [Fact]
    public void StreamBlockReader_IOException_IsAnErrorWithThePartialCount()
    {
        var failure = new IOException("device gone");
        var reader = new StreamBlockReader(new FailingStream(Data(20), goodCalls: 2, failure));
        byte[] dst = PinnedArrays.Allocate(12);

        (ulong n, Error? error) = reader.ReadToBlocks(PinnedBuffers.Split(dst, 4, 4, 4));

        Assert.Equal(8UL, n);
        ExceptionError exceptionError = Assert.IsType<ExceptionError>(error);
        Assert.Same(failure, exceptionError.Exception);
        Assert.Equal(Data(8), dst[..8]);
    }

    [Fact]
    public void StreamBlockReader_OtherExceptions_Propagate()
    {
        var reader = new StreamBlockReader(new FailingStream(Data(4), goodCalls: 0, new InvalidOperationException("bug")));
        Assert.Throws<InvalidOperationException>(() => reader.ReadToBlocks(PinnedBuffers.Split(PinnedArrays.Allocate(4), 4)));
    }

    [Fact]
    public void StreamBlockReader_RequiresAStream() =>
        Assert.Throws<ArgumentNullException>(() => new StreamBlockReader(null!));

    // ---- StreamBlockWriter: Stream -> IWriter ----

    [Fact]
    public void StreamBlockWriter_WritesEveryBlockInOrder()
    {
        var stream = new MemoryStream();
        var writer = new StreamBlockWriter(stream);
        byte[] src = PinnedBuffers.Pattern(9);

        Assert.Equal((9UL, (Error?)null), writer.WriteFromBlocks(PinnedBuffers.Split(src, 2, 0, 7)));
        Assert.Equal(src, stream.ToArray());
        Assert.Equal((0UL, (Error?)null), writer.WriteFromBlocks(BlockSeq.Empty));
    }

    [Fact]
    public void StreamBlockWriter_IOException_IsAnErrorWithTheBlocksWrittenBefore()
    {
        var failure = new IOException("disk full");
        var stream = new FailingStream([], goodCalls: 2, failure);
        var writer = new StreamBlockWriter(stream);
        byte[] src = PinnedBuffers.Pattern(9);

        (ulong n, Error? error) = writer.WriteFromBlocks(PinnedBuffers.Split(src, 2, 3, 4));

        Assert.Equal(5UL, n);
        Assert.Same(failure, Assert.IsType<ExceptionError>(error).Exception);
        Assert.Equal(src[..5], stream.Written.ToArray());
    }

    [Fact]
    public void StreamBlockWriter_RequiresAStream() =>
        Assert.Throws<ArgumentNullException>(() => new StreamBlockWriter(null!));

    // ---- BlockReaderStream: IReader -> Stream ----

    [Fact]
    public void BlockReaderStream_ReadsThenReturnsZeroAtTheEnd()
    {
        byte[] src = PinnedBuffers.Pattern(10);
        using var stream = new BlockReaderStream(new BlockSeqReader(PinnedBuffers.Split(src, 4, 6)));
        byte[] buffer = new byte[16];

        Assert.Equal(10, stream.Read(buffer, 0, 16));
        Assert.Equal(src, buffer[..10]);
        Assert.Equal(0, stream.Read(buffer, 0, 16));
        Assert.Equal(-1, stream.ReadByte());
    }

    [Fact]
    public void BlockReaderStream_PassesShortReadsThrough()
    {
        var reader = new ScriptedReader(Data(10), ScriptStep.All, new ScriptStep(3, null));
        using var stream = new BlockReaderStream(reader);
        byte[] buffer = new byte[10];

        Assert.Equal(3, stream.Read(buffer));
        Assert.Equal(Data(3), buffer[..3]);
        Assert.Equal(7, stream.Read(buffer.AsSpan(3)));
        Assert.Equal(Data(10), buffer);
    }

    [Fact]
    public void BlockReaderStream_ReadsAtTheRequestedOffset()
    {
        using var stream = new BlockReaderStream(new BlockSeqReader(PinnedBuffers.Split(PinnedBuffers.Pattern(4, seed: 40), 4)));
        byte[] buffer = new byte[8];

        Assert.Equal(4, stream.Read(buffer, 2, 5));
        Assert.Equal(new byte[] { 0, 0, 40, 41, 42, 43, 0, 0 }, buffer);
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Read(buffer, 6, 5));
        Assert.Throws<ArgumentNullException>(() => stream.Read(null!, 0, 1));
    }

    [Fact]
    public void BlockReaderStream_ReadByte()
    {
        using var stream = new BlockReaderStream(new BlockSeqReader(PinnedBuffers.Split(PinnedBuffers.Pattern(2, seed: 200), 2)));
        Assert.Equal(200, stream.ReadByte());
        Assert.Equal(201, stream.ReadByte());
        Assert.Equal(-1, stream.ReadByte());
    }

    [Fact]
    public void BlockReaderStream_ReadsLargeBuffersCompletely()
    {
        byte[] src = PinnedBuffers.Pattern(200_000, seed: 9);
        using var stream = new BlockReaderStream(new BlockSeqReader(PinnedBuffers.Split(src, 1000, 150_000, 49_000)));
        byte[] buffer = new byte[200_000];

        stream.ReadExactly(buffer);
        Assert.Equal(src, buffer);
        Assert.Equal(0, stream.Read(buffer));
    }

    [Fact]
    public void BlockReaderStream_CopyTo_ReadsEverything()
    {
        byte[] src = PinnedBuffers.Pattern(100_000, seed: 3);
        using var stream = new BlockReaderStream(new BlockSeqReader(PinnedBuffers.Split(src, 100_000)));
        var sink = new MemoryStream();

        stream.CopyTo(sink);
        Assert.Equal(src, sink.ToArray());
    }

    [Fact]
    public void BlockReaderStream_EmptyRead_DoesNotCallTheReader()
    {
        var reader = new ScriptedReader(Data(4), new ScriptStep(0, Errno.EIO));
        using var stream = new BlockReaderStream(reader);

        Assert.Equal(0, stream.Read(Span<byte>.Empty));
        Assert.Empty(reader.Requests);
    }

    [Fact]
    public void BlockReaderStream_ErrorThatCameWithBytes_IsThrownByTheNextRead()
    {
        // The reader reports EIO once, together with 3 bytes, and would then succeed: the stream
        // must not lose the error.
        var reader = new ScriptedReader(Data(10), ScriptStep.All, new ScriptStep(3, Errno.EIO));
        using var stream = new BlockReaderStream(reader);
        byte[] buffer = new byte[10];

        Assert.Equal(3, stream.Read(buffer));
        ErrorException thrown = Assert.Throws<ErrorException>(() => stream.Read(buffer));
        Assert.Same(Errno.EIO, thrown.Error);
        Assert.Single(reader.Requests);
        Assert.Equal(7, stream.Read(buffer));
    }

    [Fact]
    public void BlockReaderStream_EndOfStreamThatCameWithBytes_EndsTheNextRead()
    {
        var reader = new ScriptedReader(Data(10), ScriptStep.All, new ScriptStep(4, WellKnownErrors.EndOfStream));
        using var stream = new BlockReaderStream(reader);
        byte[] buffer = new byte[10];

        Assert.Equal(4, stream.Read(buffer));
        Assert.Equal(0, stream.Read(buffer));
        Assert.Single(reader.Requests);
    }

    [Fact]
    public void BlockReaderStream_Error_IsThrown()
    {
        var reader = new ScriptedReader(Data(4), new ScriptStep(0, Errno.EFAULT));
        using var stream = new BlockReaderStream(reader);

        ErrorException exception = Assert.Throws<ErrorException>(() => stream.Read(new byte[4]));
        Assert.Same(Errno.EFAULT, exception.Error);
    }

    [Fact]
    public void BlockReaderStream_ErrorAfterSomeBytes_ReturnsTheBytesFirst()
    {
        var reader = new ScriptedReader(Data(10), new ScriptStep(0, Errno.EIO), new ScriptStep(3, Errno.EIO));
        using var stream = new BlockReaderStream(reader);
        byte[] buffer = new byte[10];

        Assert.Equal(3, stream.Read(buffer));
        Assert.Equal(Data(3), buffer[..3]);
        Assert.Same(Errno.EIO, Assert.Throws<ErrorException>(() => stream.Read(buffer)).Error);
    }

    [Fact]
    public void BlockReaderStream_ReaderThatNeverProgresses_Throws()
    {
        using var stream = new BlockReaderStream(new ScriptedReader(Data(4), ScriptStep.Nothing));
        Assert.Same(WellKnownErrors.NoProgress, Assert.Throws<ErrorException>(() => stream.Read(new byte[4])).Error);
    }

    [Fact]
    public void BlockReaderStream_IsReadOnlyAndUnseekable()
    {
        using var stream = new BlockReaderStream(new BlockSeqReader(BlockSeq.Empty));

        Assert.True(stream.CanRead);
        Assert.False(stream.CanWrite);
        Assert.False(stream.CanSeek);
        Assert.Throws<NotSupportedException>(() => stream.Length);
        Assert.Throws<NotSupportedException>(() => stream.Position);
        Assert.Throws<NotSupportedException>(() => stream.Position = 0);
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(0));
        Assert.Throws<NotSupportedException>(() => stream.Write(new byte[1]));
        Assert.Throws<NotSupportedException>(() => stream.WriteByte(1));
        Assert.Throws<ArgumentNullException>(() => new BlockReaderStream(null!));
    }

    // ---- BlockWriterStream: IWriter -> Stream ----

    [Fact]
    public void BlockWriterStream_WritesEverything()
    {
        byte[] dst = PinnedArrays.Allocate(12);
        using var stream = new BlockWriterStream(new BlockSeqWriter(PinnedBuffers.Split(dst, 5, 7)));

        stream.Write(Data(4), 0, 4);
        stream.WriteByte(100);
        stream.Write(Data(10, seed: 50), 3, 6);
        stream.Flush();

        byte[] expected = [.. Data(4), 100, .. Data(10, seed: 50)[3..9], 0];
        Assert.Equal(expected, dst);
    }

    [Fact]
    public void BlockWriterStream_RetriesShortWrites()
    {
        var writer = new ScriptedWriter(new ScriptStep(3, null));
        using var stream = new BlockWriterStream(writer);

        stream.Write(Data(10));
        Assert.Equal(Data(10), writer.Written);
        Assert.Equal(4, writer.Requests.Count);
    }

    [Fact]
    public void BlockWriterStream_Error_CarriesTheCountWritten()
    {
        var writer = new ScriptedWriter(ScriptStep.All, new(5, null), new(2, Errno.EPIPE));
        using var stream = new BlockWriterStream(writer);

        ErrorException exception = Assert.Throws<ErrorException>(() => stream.Write(Data(10)));
        Assert.Same(Errno.EPIPE, exception.Error);
        Assert.Equal(7, exception.BytesTransferred);
        Assert.Equal(Data(7), writer.Written);
    }

    [Fact]
    public void BlockWriterStream_LargeWritePastTheEnd_CountsEveryByteWritten()
    {
        byte[] dst = PinnedArrays.Allocate(100_000);
        using var stream = new BlockWriterStream(new BlockSeqWriter(PinnedBuffers.Split(dst, 30_000, 70_000)));
        byte[] data = Data(150_000);

        ErrorException exception = Assert.Throws<ErrorException>(() => stream.Write(data));

        Assert.Same(BlockSeqWriter.EndOfBlockSeq, exception.Error);
        Assert.Equal(100_000, exception.BytesTransferred);
        Assert.Equal(data[..100_000], dst);
    }

    [Fact]
    public void BlockWriterStream_LargeWrite_Succeeds()
    {
        byte[] dst = PinnedArrays.Allocate(150_000);
        using var stream = new BlockWriterStream(new BlockSeqWriter(PinnedBuffers.Split(dst, 150_000)));
        byte[] data = Data(150_000, seed: 5);

        stream.Write(data);
        Assert.Equal(data, dst);
    }

    [Fact]
    public void BlockWriterStream_IsWriteOnlyAndUnseekable()
    {
        using var stream = new BlockWriterStream(new BlockSeqWriter(BlockSeq.Empty));

        Assert.False(stream.CanRead);
        Assert.True(stream.CanWrite);
        Assert.False(stream.CanSeek);
        Assert.Throws<NotSupportedException>(() => stream.Read(new byte[1]));
        Assert.Throws<NotSupportedException>(() => stream.ReadByte());
        Assert.Throws<NotSupportedException>(() => stream.Length);
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Current));
        Assert.Throws<ArgumentNullException>(() => new BlockWriterStream(null!));
        stream.Write(ReadOnlySpan<byte>.Empty);
    }
}
