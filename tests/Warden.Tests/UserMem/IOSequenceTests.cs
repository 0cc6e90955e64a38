using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.SafeMem;
using Warden.Tests.UserMem.Infrastructure;
using Warden.UserMem;
using Xunit;
using static Warden.Tests.UserMem.Infrastructure.TestBytes;

namespace Warden.Tests.UserMem;

/// <summary>
/// <see cref="IOSequence"/>: an IO plus an ordered list of ranges operated on sequentially, like
/// Linux's <c>iov_iter</c>. Copies walk the ranges in order; a sequence shorter than the buffer
/// truncates the copy without an error (seed: "the copy will be truncated to s.NumBytes(), and a
/// nil error will be returned"); a fault stops it with the partial count and the error.
/// </summary>
public sealed class IOSequenceTests
{
    private static readonly IContext Ctx = Context.Background;

    // Four ranges, one of them empty: 3 + 2 + 0 + 4 = 9 bytes.
    private static AddrRangeSeq FourRanges() => Seq((2, 5), (10, 12), (20, 20), (40, 44));

    private static readonly byte[] FourRangesOffsets = [2, 3, 4, 10, 11, 40, 41, 42, 43];

    [Fact]
    public void NumBytes_IsTheSumOfTheRangeLengths()
    {
        var seq = new IOSequence(new BytesIO(64), FourRanges());

        Assert.Equal(9, seq.NumBytes);
    }

    [Fact]
    public void NumBytes_CanBeZero_WhileTheSequenceHoldsRanges()
    {
        var seq = new IOSequence(new BytesIO(64), Seq((5, 5), (9, 9)));

        Assert.Equal(0, seq.NumBytes);
        Assert.False(seq.Addrs.IsEmpty);
    }

    [Fact]
    public void Constructor_KeepsIOAddrsAndOpts()
    {
        var io = new BytesIO(8);
        var opts = new IOOpts { IgnorePermissions = true };
        AddrRangeSeq ars = Seq((1, 3));

        var seq = new IOSequence(io, ars, opts);

        Assert.Same(io, seq.IO);
        Assert.Equal(opts, seq.Opts);
        Assert.Equal(Ranges(ars), Ranges(seq.Addrs));
    }

    [Fact]
    public void BytesIOSequence_CoversTheWholeBuffer()
    {
        var io = new BytesIO(Pattern(100));

        IOSequence seq = IOSequence.BytesIOSequence(io);
        byte[] dst = new byte[100];
        (int n, Error? err) = seq.CopyIn(Ctx, dst);

        Assert.Same(io, seq.IO);
        Assert.Equal(100, seq.NumBytes);
        Assert.Equal(new[] { (0UL, 100UL) }, Ranges(seq.Addrs));
        Assert.Equal(100, n);
        Assert.Null(err);
        Assert.Equal(io.Bytes, dst);
    }

    [Theory]
    [InlineData(0, new byte[] { 2, 3, 4, 10, 11, 40, 41, 42, 43 })]
    [InlineData(1, new byte[] { 3, 4, 10, 11, 40, 41, 42, 43 })]
    [InlineData(3, new byte[] { 10, 11, 40, 41, 42, 43 })]
    [InlineData(4, new byte[] { 11, 40, 41, 42, 43 })]
    [InlineData(5, new byte[] { 40, 41, 42, 43 })]
    [InlineData(8, new byte[] { 43 })]
    [InlineData(9, new byte[] { })]
    [InlineData(50, new byte[] { })]
    public void DropFirst_RemovesThatManyBytesFromTheFront(int n, byte[] expectedOffsets)
    {
        var io = new BytesIO(Pattern(64));
        var seq = new IOSequence(io, FourRanges(), new IOOpts { AddressSpaceActive = true });

        IOSequence dropped = seq.DropFirst(n);
        IOSequence dropped64 = seq.DropFirst64(n);

        Assert.Equal(expectedOffsets.Length, dropped.NumBytes);
        Assert.Equal(expectedOffsets.Length, dropped64.NumBytes);
        byte[] expected = [.. expectedOffsets.Select(o => io.Bytes[o])];
        Assert.Equal(expected, Gather(io.Bytes, dropped.Addrs));
        Assert.Equal(expected, Gather(io.Bytes, dropped64.Addrs));
        Assert.Same(io, dropped.IO);
        Assert.True(dropped.Opts.AddressSpaceActive);
    }

    [Theory]
    [InlineData(0, new byte[] { })]
    [InlineData(1, new byte[] { 2 })]
    [InlineData(3, new byte[] { 2, 3, 4 })]
    [InlineData(4, new byte[] { 2, 3, 4, 10 })]
    [InlineData(6, new byte[] { 2, 3, 4, 10, 11, 40 })]
    [InlineData(9, new byte[] { 2, 3, 4, 10, 11, 40, 41, 42, 43 })]
    [InlineData(1000, new byte[] { 2, 3, 4, 10, 11, 40, 41, 42, 43 })]
    public void TakeFirst_KeepsThatManyBytesFromTheFront(int n, byte[] expectedOffsets)
    {
        var io = new BytesIO(Pattern(64));
        var seq = new IOSequence(io, FourRanges(), new IOOpts { IgnorePermissions = true });

        IOSequence taken = seq.TakeFirst(n);
        IOSequence taken64 = seq.TakeFirst64(n);

        byte[] expected = [.. expectedOffsets.Select(o => io.Bytes[o])];
        Assert.Equal(expectedOffsets.Length, taken.NumBytes);
        Assert.Equal(expectedOffsets.Length, taken64.NumBytes);
        Assert.Equal(expected, Gather(io.Bytes, taken.Addrs));
        Assert.Equal(expected, Gather(io.Bytes, taken64.Addrs));
        Assert.True(taken.Opts.IgnorePermissions);

        byte[] dst = new byte[20];
        (int copied, Error? err) = taken.CopyIn(Ctx, dst);
        Assert.Equal(expectedOffsets.Length, copied);
        Assert.Null(err);
        Assert.Equal(expected, dst[..copied]);
    }

    [Fact]
    public void DropFirst64AndTakeFirst64_HandleLengthsBeyondInt32()
    {
        const ulong Base = 0x7000_0000_0000;
        var seq = new IOSequence(new BytesIO(1), Seq((Base, Base + 0x3_0000_0000)));

        IOSequence window = seq.DropFirst64(0x1_0000_0000).TakeFirst64(0x1_0000_0001);

        Assert.Equal(0x1_0000_0001, window.NumBytes);
        Assert.Equal(new[] { (Base + 0x1_0000_0000, Base + 0x2_0000_0001) }, Ranges(window.Addrs));
    }

    [Fact]
    public void DropFirstThenTakeFirst_SelectsAWindow()
    {
        var io = new BytesIO(Pattern(64));
        var seq = new IOSequence(io, FourRanges());

        IOSequence window = seq.DropFirst(2).TakeFirst(4);

        Assert.Equal(new[] { io.Bytes[4], io.Bytes[10], io.Bytes[11], io.Bytes[40] }, Gather(io.Bytes, window.Addrs));
    }

    [Fact]
    public void DropFirstAndTakeFirst_Negative_AreAPreconditionViolation()
    {
        var seq = new IOSequence(new BytesIO(8), Seq((0, 8)));

        Assert.Throws<ArgumentOutOfRangeException>(() => seq.DropFirst(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => seq.TakeFirst(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => seq.DropFirst64(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => seq.TakeFirst64(-1));
    }

    [Fact]
    public void DropFirst_Zero_DropsAnEmptyHead_SoTheHeadThenDropLoopEnds()
    {
        // The seed's precondition for DropFirst is AddrRangeSeq's: an empty head always goes.
        var io = new BytesIO(64);
        var seq = new IOSequence(io, Seq((5, 5), (9, 9), (20, 24)));

        Assert.Equal(new IOSequence(io, Seq((20, 24))).Addrs.Head, seq.DropFirst(0).Addrs.Head);
        Assert.Equal(1, seq.DropFirst(0).Addrs.NumRanges);
        Assert.True(new IOSequence(io, Seq((5, 5))).DropFirst64(0).Addrs.IsEmpty);
        Assert.True(seq.TakeFirst(0).DropFirst(0).Addrs.IsEmpty);
    }

    [Fact]
    public void DropFirst_DoesNotChangeTheOriginal()
    {
        var seq = new IOSequence(new BytesIO(64), FourRanges());

        _ = seq.DropFirst(5);
        _ = seq.TakeFirst(2);

        Assert.Equal(9, seq.NumBytes);
        Assert.Equal(Ranges(FourRanges()), Ranges(seq.Addrs));
    }

    [Fact]
    public void CopyIn_AcrossSeveralRanges_ConcatenatesThemInOrder()
    {
        var io = new BytesIO(Pattern(64));
        var seq = new IOSequence(io, FourRanges());
        byte[] dst = new byte[9];

        (int n, Error? err) = seq.CopyIn(Ctx, dst);

        Assert.Equal(9, n);
        Assert.Null(err);
        Assert.Equal(FourRangesOffsets.Select(o => io.Bytes[o]).ToArray(), dst);
    }

    [Fact]
    public void CopyIn_RangesInDescendingOrder_AreStillCopiedInSequenceOrder()
    {
        var io = new BytesIO(Pattern(64));
        var seq = new IOSequence(io, Seq((50, 52), (30, 31), (0, 2)));
        byte[] dst = new byte[5];

        (int n, Error? err) = seq.CopyIn(Ctx, dst);

        Assert.Equal(5, n);
        Assert.Null(err);
        Assert.Equal(new[] { io.Bytes[50], io.Bytes[51], io.Bytes[30], io.Bytes[0], io.Bytes[1] }, dst);
    }

    [Fact]
    public void CopyOut_AcrossSeveralRanges_ScattersInOrder_AndTouchesNothingElse()
    {
        var io = new BytesIO(64);
        var seq = new IOSequence(io, FourRanges());
        byte[] src = Pattern(9, seed: 11);

        (int n, Error? err) = seq.CopyOut(Ctx, src);

        Assert.Equal(9, n);
        Assert.Null(err);
        byte[] expected = new byte[64];
        for (int i = 0; i < FourRangesOffsets.Length; i++)
        {
            expected[FourRangesOffsets[i]] = src[i];
        }
        Assert.Equal(expected, io.Bytes);
    }

    [Fact]
    public void ZeroOut_AcrossSeveralRanges_ZeroesOnlyThem()
    {
        var io = new BytesIO(Pattern(64));
        byte[] before = io.Bytes.ToArray();
        var seq = new IOSequence(io, FourRanges());

        (long n, Error? err) = seq.ZeroOut(Ctx, 9);

        Assert.Equal(9, n);
        Assert.Null(err);
        byte[] expected = before.ToArray();
        foreach (byte o in FourRangesOffsets)
        {
            expected[o] = 0;
        }
        Assert.Equal(expected, io.Bytes);
    }

    [Fact]
    public void ZeroOut_FewerBytesThanTheSequence_StopsAfterThem()
    {
        var io = new BytesIO(Pattern(64));
        byte[] before = io.Bytes.ToArray();
        var seq = new IOSequence(io, FourRanges());

        (long n, Error? err) = seq.ZeroOut(Ctx, 4);

        Assert.Equal(4, n);
        Assert.Null(err);
        byte[] expected = before.ToArray();
        foreach (byte o in FourRangesOffsets[..4])
        {
            expected[o] = 0;
        }
        Assert.Equal(expected, io.Bytes);
    }

    [Fact]
    public void SequenceShorterThanTheBuffer_TruncatesWithoutError()
    {
        var io = new BytesIO(Pattern(64));
        var seq = new IOSequence(io, FourRanges());

        byte[] dst = Filled(20, 0xEE);
        (int inN, Error? inErr) = seq.CopyIn(Ctx, dst);
        Assert.Equal(9, inN);
        Assert.Null(inErr);
        Assert.All(dst[9..], b => Assert.Equal(0xEE, b));

        (int outN, Error? outErr) = seq.CopyOut(Ctx, Pattern(20, seed: 2));
        Assert.Equal(9, outN);
        Assert.Null(outErr);

        (long zeroN, Error? zeroErr) = seq.ZeroOut(Ctx, 1000);
        Assert.Equal(9, zeroN);
        Assert.Null(zeroErr);
    }

    [Fact]
    public void BufferShorterThanTheSequence_CopiesTheBuffer()
    {
        var io = new BytesIO(Pattern(64));
        var seq = new IOSequence(io, FourRanges());
        byte[] dst = new byte[4];

        (int n, Error? err) = seq.CopyIn(Ctx, dst);

        Assert.Equal(4, n);
        Assert.Null(err);
        Assert.Equal(new[] { io.Bytes[2], io.Bytes[3], io.Bytes[4], io.Bytes[10] }, dst);
    }

    [Fact]
    public void FaultInTheMiddle_ReturnsTheBytesBefore_AndEFAULT_AndTouchesNothingAfter()
    {
        var io = new BytesIO(Pattern(64));
        byte[] before = io.Bytes.ToArray();
        // 3 good bytes, then a range 2 bytes of which are in the buffer, then a good range.
        var seq = new IOSequence(io, Seq((2, 5), (62, 70), (10, 12)));

        byte[] dst = Filled(13, 0xEE);
        (int inN, Error? inErr) = seq.CopyIn(Ctx, dst);
        Assert.Equal(5, inN);
        Assert.Same(Errno.EFAULT, inErr);
        Assert.Equal(new[] { before[2], before[3], before[4], before[62], before[63] }, dst[..5]);
        Assert.All(dst[5..], b => Assert.Equal(0xEE, b));

        byte[] src = Pattern(13, seed: 4);
        (int outN, Error? outErr) = seq.CopyOut(Ctx, src);
        Assert.Equal(5, outN);
        Assert.Same(Errno.EFAULT, outErr);
        Assert.Equal(src[..3], io.Bytes[2..5]);
        Assert.Equal(src[3..5], io.Bytes[62..64]);
        Assert.Equal(before[10..12], io.Bytes[10..12]);

        (long zeroN, Error? zeroErr) = seq.ZeroOut(Ctx, 13);
        Assert.Equal(5, zeroN);
        Assert.Same(Errno.EFAULT, zeroErr);
        Assert.Equal(before[10..12], io.Bytes[10..12]);
    }

    [Fact]
    public void FaultOnAWholeRange_StopsBeforeTheRangesAfterIt()
    {
        var io = new FaultingMemoryIO().Map(0x1000).Map(0x3000);
        var seq = new IOSequence(io, Seq((0x1000, 0x1004), (0x2000, 0x2004), (0x3000, 0x3004)));

        byte[] dst = new byte[12];
        (int n, Error? err) = seq.CopyIn(Ctx, dst);

        Assert.Equal(4, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.DoesNotContain(io.Calls, c => c.Touches(0x3000, 0x4000));
    }

    [Fact]
    public void ZeroLengthRanges_AreSkipped_WhereverTheyPoint()
    {
        var io = new BytesIO(Pattern(16));
        var seq = new IOSequence(io, Seq((0, 0), (1000, 1000), (3, 5), (ulong.MaxValue, ulong.MaxValue), (7, 8)));
        byte[] dst = new byte[8];

        (int n, Error? err) = seq.CopyIn(Ctx, dst);

        Assert.Equal(3, n);
        Assert.Null(err);
        Assert.Equal(new[] { io.Bytes[3], io.Bytes[4], io.Bytes[7] }, dst[..3]);
    }

    [Fact]
    public void EmptySequence_CopiesNothingWithoutError()
    {
        var seq = new IOSequence(new BytesIO(16), AddrRangeSeq.Empty);

        Assert.Equal(0, seq.NumBytes);
        Assert.Equal((0, (Error?)null), seq.CopyIn(Ctx, new byte[4]));
        Assert.Equal((0, (Error?)null), seq.CopyOut(Ctx, new byte[4]));
        Assert.Equal((0L, (Error?)null), seq.ZeroOut(Ctx, 4));
    }

    [Fact]
    public void Operations_PassTheSequencesOptionsAndContextToTheIO()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        var opts = new IOOpts { IgnorePermissions = true, AddressSpaceActive = true };
        IContext ctx = Context.Background.WithValue(new ContextKey<int>("test"), 1);
        var seq = new IOSequence(io, Seq((0x1000, 0x1004)), opts);

        _ = seq.CopyIn(ctx, new byte[4]);
        _ = seq.CopyOut(ctx, new byte[4]);
        _ = seq.ZeroOut(ctx, 4);
        _ = seq.CopyInTo(ctx, new ShortWriter());
        _ = seq.CopyOutFrom(ctx, new ShortReader(new byte[4]));

        Assert.Equal(
            new[] { MemoryIOOp.CopyIn, MemoryIOOp.CopyOut, MemoryIOOp.ZeroOut, MemoryIOOp.CopyInTo, MemoryIOOp.CopyOutFrom },
            io.Calls.Select(c => c.Op));
        Assert.All(io.Calls, c => Assert.Equal(opts, c.Opts));
        Assert.All(io.Calls, c => Assert.Same(ctx, c.Ctx));
    }

    [Fact]
    public void CopyInTo_WritesTheWholeSequenceInOrder()
    {
        var io = new BytesIO(Pattern(64));
        var seq = new IOSequence(io, FourRanges());
        var writer = new ShortWriter();

        (long n, Error? err) = seq.CopyInTo(Ctx, writer);

        Assert.Equal(9, n);
        Assert.Null(err);
        Assert.Equal(FourRangesOffsets.Select(o => io.Bytes[o]).ToArray(), writer.Written);
        Assert.Equal(1, writer.Calls);
    }

    [Fact]
    public void CopyOutFrom_FillsTheWholeSequenceInOrder()
    {
        var io = new BytesIO(64);
        var seq = new IOSequence(io, FourRanges());
        byte[] data = Pattern(9, seed: 6);

        (long n, Error? err) = seq.CopyOutFrom(Ctx, new ShortReader(data));

        Assert.Equal(9, n);
        Assert.Null(err);
        Assert.Equal(data, Gather(io.Bytes, FourRanges()));
    }

    [Fact]
    public void CopyInToAndCopyOutFrom_WithAFault_ReturnThePartialCountAndEFAULT()
    {
        var io = new BytesIO(Pattern(64));
        var seq = new IOSequence(io, Seq((2, 5), (60, 70)));

        var writer = new ShortWriter();
        (long inN, Error? inErr) = seq.CopyInTo(Ctx, writer);
        Assert.Equal(7, inN);
        Assert.Same(Errno.EFAULT, inErr);
        Assert.Equal(io.Bytes[2..5].Concat(io.Bytes[60..64]), writer.Written);

        byte[] data = Pattern(13, seed: 8);
        (long outN, Error? outErr) = seq.CopyOutFrom(Ctx, new ShortReader(data));
        Assert.Equal(7, outN);
        Assert.Same(Errno.EFAULT, outErr);
        Assert.Equal(data[..3], io.Bytes[2..5]);
        Assert.Equal(data[3..7], io.Bytes[60..64]);
    }

    [Fact]
    public void CopyInTo_BlockSeqWriterThatRunsOutOfRoom_ReturnsItsError()
    {
        var io = new BytesIO(Pattern(64));
        var seq = new IOSequence(io, FourRanges());
        byte[] room = PinnedArrays.Allocate(5);
        var writer = new BlockSeqWriter(BlockSeq.Of(Block.FromPinnedArray(room)));

        (long n, Error? err) = seq.CopyInTo(Ctx, writer);

        Assert.Equal(5, n);
        Assert.Same(BlockSeqWriter.EndOfBlockSeq, err);
        Assert.Equal(FourRangesOffsets[..5].Select(o => io.Bytes[o]).ToArray(), room);
    }
}
