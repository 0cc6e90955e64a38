using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Platform;

public class AllocateAndFillTests
{
    private const int Page = Arch.PageSize;

    /// <summary>
    /// Hands out <c>available</c> pattern bytes in chunks of at most <c>chunk</c>, each without an
    /// error; then returns (0, <c>endError</c>). With <c>errorWithLastChunk</c>, the call that hands
    /// out the last bytes already carries <c>endError</c>.
    /// </summary>
    private sealed class PatternReader(int available, int chunk, Error? endError, bool errorWithLastChunk = false) : IReader
    {
        private int _position;

        public int Calls { get; private set; }

        public static byte At(int i) => (byte)((i * 7) + 3);

        public (ulong Count, Error? Error) ReadToBlocks(BlockSeq dsts)
        {
            Calls++;
            int n = (int)Math.Min((ulong)Math.Min(chunk, available - _position), dsts.NumBytes);
            int done = 0;
            foreach (Block block in dsts)
            {
                if (done == n)
                {
                    break;
                }
                Span<byte> span = block.AsSpan(Math.Min(block.Length, n - done));
                for (int i = 0; i < span.Length; i++)
                {
                    span[i] = At(_position + done + i);
                }
                done += span.Length;
            }
            _position += done;
            bool atEnd = _position == available;
            if (done == 0 || (atEnd && errorWithLastChunk))
            {
                return ((ulong)done, atEnd ? endError : null);
            }
            return ((ulong)done, null);
        }
    }

    private static byte[] Expected(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = PatternReader.At(i);
        }
        return bytes;
    }

    [Fact]
    public void ReaderThatFillsEverything_KeepsTheWholeRange_WithNoError()
    {
        using var mem = new TestMemoryFile();
        var reader = new PatternReader(4 * Page, chunk: 3000, endError: WellKnownErrors.EndOfStream);

        (FileRange fr, Error? error) = mem.AllocateAndFill(4 * Page, MemoryKind.Anonymous, reader);

        Assert.Null(error);
        Assert.Equal(4UL * Page, fr.Length);
        Assert.True(fr.IsPageAligned);
        Assert.Equal([1, 1, 1, 1], mem.RefCounts(fr));
        Assert.Equal(4, mem.AllocatedPages);
        Assert.Equal(Expected(4 * Page), mem.Read(fr));
        Assert.Equal(4UL * Page, mem.Accounting.Get(MemoryKind.Anonymous));
        Assert.Equal((fr, AccessType.WriteOnly), Assert.Single(mem.MapInternalCalls));
    }

    [Fact]
    public void ShortReader_IsRoundedDownToAPage_AndTheTailIsFreed()
    {
        using var mem = new TestMemoryFile();
        // 2.5 pages arrive in partial reads with no error; then the reader reports end of stream.
        var reader = new PatternReader((5 * Page) / 2, chunk: 1000, endError: WellKnownErrors.EndOfStream);

        (FileRange fr, Error? error) = mem.AllocateAndFill(4 * Page, MemoryKind.PageCache, reader);

        Assert.Same(WellKnownErrors.EndOfStream, error);
        Assert.Equal(new FileRange(0, 2 * Page), fr);
        Assert.Equal([1, 1, 0, 0], mem.RefCounts(new FileRange(0, 4 * Page)));
        Assert.Equal(2, mem.AllocatedPages);
        Assert.Equal(Expected(2 * Page), mem.Read(fr));
        // The freed tail, including the half page that was filled, reads as zero again.
        Assert.Equal(new byte[2 * Page], mem.Read(new FileRange(2 * Page, 4 * Page)));
        Assert.Equal(2UL * Page, mem.Accounting.Get(MemoryKind.PageCache));
        Assert.True(reader.Calls > 3);
    }

    [Fact]
    public void ReaderFailingAfterOneAndAHalfPages_KeepsOnePage_AndReturnsItsError()
    {
        using var mem = new TestMemoryFile();
        var reader = new PatternReader((3 * Page) / 2, chunk: int.MaxValue, endError: Errno.EIO, errorWithLastChunk: true);

        (FileRange fr, Error? error) = mem.AllocateAndFill(4 * Page, MemoryKind.Anonymous, reader);

        Assert.Same(Errno.EIO, error);
        Assert.Equal(new FileRange(0, Page), fr);
        Assert.Equal([1, 0, 0, 0], mem.RefCounts(new FileRange(0, 4 * Page)));
        Assert.Equal(Expected(Page), mem.Read(fr));
        Assert.Equal((ulong)Page, mem.Accounting.Total());
    }

    [Fact]
    public void ReaderFailingImmediately_LeavesAnEmptyRange_AndFreesEverything()
    {
        using var mem = new TestMemoryFile();
        var reader = new PatternReader(0, chunk: int.MaxValue, endError: Errno.EIO);

        (FileRange fr, Error? error) = mem.AllocateAndFill(3 * Page, MemoryKind.Tmpfs, reader);

        Assert.Same(Errno.EIO, error);
        Assert.True(fr.IsEmpty);
        Assert.Equal(0, mem.AllocatedPages);
        Assert.Equal([0, 0, 0], mem.RefCounts(new FileRange(0, 3 * Page)));
        Assert.Equal(0UL, mem.Accounting.Total());
        Assert.Equal(1, reader.Calls);
    }

    [Fact]
    public void MapInternalFailing_FreesEverything_AndReturnsItsError()
    {
        using var mem = new TestMemoryFile { MapInternalError = Errno.EACCES };
        var reader = new PatternReader(4 * Page, chunk: int.MaxValue, endError: null);

        (FileRange fr, Error? error) = mem.AllocateAndFill(4 * Page, MemoryKind.Anonymous, reader);

        Assert.Same(Errno.EACCES, error);
        Assert.Equal(default, fr);
        Assert.Equal(0, mem.AllocatedPages);
        Assert.Equal(0UL, mem.Accounting.Total());
        Assert.Equal(0, reader.Calls);
    }

    [Fact]
    public void AllocateFailing_ReturnsItsError_WithoutReading()
    {
        using var mem = new TestMemoryFile { AllocateError = Errno.ENOMEM };
        var reader = new PatternReader(Page, chunk: int.MaxValue, endError: null);

        (FileRange fr, Error? error) = mem.AllocateAndFill(Page, MemoryKind.Anonymous, reader);

        Assert.Same(Errno.ENOMEM, error);
        Assert.Equal(default, fr);
        Assert.Equal(0, reader.Calls);
        Assert.Empty(mem.MapInternalCalls);
    }

    [Fact]
    public void FileOutOfSpace_ReturnsENOMEM()
    {
        using var mem = new TestMemoryFile(capacity: 2 * (ulong)Page);
        var reader = new PatternReader(4 * Page, chunk: int.MaxValue, endError: null);

        (FileRange _, Error? error) = mem.AllocateAndFill(4 * Page, MemoryKind.Anonymous, reader);

        Assert.Same(Errno.ENOMEM, error);
        Assert.Equal(0, reader.Calls);
    }

    [Fact]
    public void FullReadThatAlsoReportsEndOfStream_KeepsEverything_AndReturnsTheError()
    {
        using var mem = new TestMemoryFile();
        var reader = new PatternReader(2 * Page, chunk: int.MaxValue, endError: WellKnownErrors.EndOfStream, errorWithLastChunk: true);

        (FileRange fr, Error? error) = mem.AllocateAndFill(2 * Page, MemoryKind.Anonymous, reader);

        Assert.Same(WellKnownErrors.EndOfStream, error);
        Assert.Equal(new FileRange(0, 2 * Page), fr);
        Assert.Equal([1, 1], mem.RefCounts(fr));
    }

    [Fact]
    public void AllocationNotAtOffsetZero_FreesTheTailOfThatAllocation()
    {
        using var mem = new TestMemoryFile();
        (FileRange first, Error? firstError) = mem.Allocate(Page, MemoryKind.System);
        Assert.Null(firstError);
        var reader = new PatternReader(Page + 10, chunk: 500, endError: WellKnownErrors.EndOfStream);

        (FileRange fr, Error? error) = mem.AllocateAndFill(3 * Page, MemoryKind.Anonymous, reader);

        Assert.Same(WellKnownErrors.EndOfStream, error);
        Assert.Equal(new FileRange(first.End, first.End + Page), fr);
        Assert.Equal([1, 1, 0, 0], mem.RefCounts(new FileRange(0, 4 * Page)));
        Assert.Equal((ulong)Page, mem.Accounting.Get(MemoryKind.System));
        Assert.Equal((ulong)Page, mem.Accounting.Get(MemoryKind.Anonymous));
    }

    [Fact]
    public void ReaderThatStopsMakingProgress_GivesNoProgress()
    {
        using var mem = new TestMemoryFile();
        // Hands out half a page, then returns nothing and no error forever.
        var reader = new PatternReader(Page / 2, chunk: int.MaxValue, endError: null);

        (FileRange fr, Error? error) = mem.AllocateAndFill(Page, MemoryKind.Anonymous, reader);

        Assert.Same(WellKnownErrors.NoProgress, error);
        Assert.True(fr.IsEmpty);
        Assert.Equal(0, mem.AllocatedPages);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(4095UL)]
    [InlineData(4097UL)]
    public void LengthNotAPositivePageMultiple_Throws(ulong length)
    {
        using var mem = new TestMemoryFile();
        var reader = new PatternReader(Page, chunk: int.MaxValue, endError: null);

        Assert.Throws<ArgumentException>(() => mem.AllocateAndFill(length, MemoryKind.Anonymous, reader));
        Assert.Equal(0, mem.AllocatedPages);
        Assert.Equal(0, reader.Calls);
    }

    [Fact]
    public void NullArguments_Throw()
    {
        using var mem = new TestMemoryFile();
        Assert.Throws<ArgumentNullException>(() => mem.AllocateAndFill(Page, MemoryKind.Anonymous, null!));
        Assert.Throws<ArgumentNullException>(() => PlatformMemory.AllocateAndFill(null!, Page, MemoryKind.Anonymous, new PatternReader(0, 1, null)));
    }
}
