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
/// <see cref="BytesIO"/>: addresses are offsets into the buffer; whatever lies beyond its end is
/// EFAULT, with the part that fits copied and counted (seed 000: "Reads and writes beyond the end
/// of the slice return EFAULT"; a short count always comes with an error).
/// </summary>
public sealed class BytesIOTests
{
    private static readonly IContext Ctx = Context.Background;

    private static BytesIO PatternIO(int length) => new(Pattern(length));

    [Fact]
    public void NewBuffer_IsZeroFilled_AndHasTheRequestedLength()
    {
        var io = new BytesIO(37);

        Assert.Equal(37, io.Bytes.Length);
        Assert.All(io.Bytes, b => Assert.Equal(0, b));
    }

    [Fact]
    public void ConstructorFromSpan_CopiesTheContents()
    {
        byte[] source = [1, 2, 3, 4];
        var io = new BytesIO(source);

        source[0] = 99;

        Assert.Equal(new byte[] { 1, 2, 3, 4 }, io.Bytes);
        Assert.NotSame(source, io.Bytes);
    }

    [Fact]
    public void Bytes_IsTheLiveBuffer()
    {
        var io = new BytesIO(16);
        io.Bytes[5] = 42;

        byte[] dst = new byte[1];
        (int n, Error? err) = io.CopyIn(Ctx, new Addr(5), dst, default);
        Assert.Equal(1, n);
        Assert.Null(err);
        Assert.Equal(42, dst[0]);

        (n, err) = io.CopyOut(Ctx, new Addr(9), new byte[] { 7, 8 }, default);
        Assert.Equal(2, n);
        Assert.Null(err);
        Assert.Equal(7, io.Bytes[9]);
        Assert.Equal(8, io.Bytes[10]);
    }

    [Fact]
    public void CopyIn_WithinRange_CopiesEverything()
    {
        BytesIO io = PatternIO(32);
        byte[] dst = new byte[8];

        (int n, Error? err) = io.CopyIn(Ctx, new Addr(4), dst, default);

        Assert.Equal(8, n);
        Assert.Null(err);
        Assert.Equal(io.Bytes[4..12], dst);
    }

    [Fact]
    public void CopyOut_WithinRange_CopiesEverything_AndTouchesNothingElse()
    {
        var io = new BytesIO(32);
        byte[] src = Pattern(8, seed: 3);

        (int n, Error? err) = io.CopyOut(Ctx, new Addr(20), src, default);

        Assert.Equal(8, n);
        Assert.Null(err);
        Assert.Equal(src, io.Bytes[20..28]);
        Assert.All(io.Bytes[..20], b => Assert.Equal(0, b));
        Assert.All(io.Bytes[28..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void CopyIn_EndingExactlyAtTheEnd_IsComplete()
    {
        BytesIO io = PatternIO(16);
        byte[] dst = new byte[4];

        (int n, Error? err) = io.CopyIn(Ctx, new Addr(12), dst, default);

        Assert.Equal(4, n);
        Assert.Null(err);
        Assert.Equal(io.Bytes[12..], dst);
    }

    [Fact]
    public void CopyIn_PartlyOutOfRange_CopiesWhatFits_AndReturnsEFAULT()
    {
        BytesIO io = PatternIO(16);
        byte[] dst = Filled(8, 0xEE);

        (int n, Error? err) = io.CopyIn(Ctx, new Addr(12), dst, default);

        Assert.Equal(4, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(io.Bytes[12..16], dst[..4]);
        Assert.All(dst[4..], b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public void CopyOut_PartlyOutOfRange_CopiesWhatFits_AndReturnsEFAULT()
    {
        var io = new BytesIO(16);
        byte[] src = Pattern(8, seed: 5);

        (int n, Error? err) = io.CopyOut(Ctx, new Addr(12), src, default);

        Assert.Equal(4, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(src[..4], io.Bytes[12..16]);
        Assert.All(io.Bytes[..12], b => Assert.Equal(0, b));
    }

    [Fact]
    public void ZeroOut_PartlyOutOfRange_ZeroesWhatFits_AndReturnsEFAULT()
    {
        BytesIO io = PatternIO(16);
        byte[] before = io.Bytes.ToArray();

        (long n, Error? err) = io.ZeroOut(Ctx, new Addr(12), 8, default);

        Assert.Equal(4, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.All(io.Bytes[12..], b => Assert.Equal(0, b));
        Assert.Equal(before[..12], io.Bytes[..12]);
    }

    [Fact]
    public void ZeroOut_WithinRange_ZeroesExactlyTheRange()
    {
        BytesIO io = PatternIO(16);
        byte[] before = io.Bytes.ToArray();

        (long n, Error? err) = io.ZeroOut(Ctx, new Addr(3), 5, default);

        Assert.Equal(5, n);
        Assert.Null(err);
        Assert.Equal(before[..3], io.Bytes[..3]);
        Assert.All(io.Bytes[3..8], b => Assert.Equal(0, b));
        Assert.Equal(before[8..], io.Bytes[8..]);
    }

    [Theory]
    [InlineData(16UL)]
    [InlineData(17UL)]
    [InlineData(4096UL)]
    [InlineData(0x7FFF_FFFFUL)]
    [InlineData(0x8000_0000UL)]
    [InlineData(0x1_0000_0000UL)]
    [InlineData(ulong.MaxValue - 3)]
    [InlineData(ulong.MaxValue)]
    public void EveryCopy_EntirelyOutOfRange_IsZeroWithEFAULT_AndChangesNothing(ulong addr)
    {
        BytesIO io = PatternIO(16);
        byte[] before = io.Bytes.ToArray();
        byte[] dst = Filled(8, 0xEE);

        (int inN, Error? inErr) = io.CopyIn(Ctx, new Addr(addr), dst, default);
        (int outN, Error? outErr) = io.CopyOut(Ctx, new Addr(addr), Pattern(8, seed: 9), default);
        (long zeroN, Error? zeroErr) = io.ZeroOut(Ctx, new Addr(addr), 8, default);

        Assert.Equal(0, inN);
        Assert.Same(Errno.EFAULT, inErr);
        Assert.Equal(0, outN);
        Assert.Same(Errno.EFAULT, outErr);
        Assert.Equal(0L, zeroN);
        Assert.Same(Errno.EFAULT, zeroErr);
        Assert.All(dst, b => Assert.Equal(0xEE, b));
        Assert.Equal(before, io.Bytes);
    }

    [Theory]
    [InlineData(ulong.MaxValue - 7, 16)]
    [InlineData(ulong.MaxValue, 2)]
    [InlineData(ulong.MaxValue - 1, 4)]
    public void CopyNearTheTopOfTheAddressSpace_DoesNotWrapToTheStartOfTheBuffer(ulong addr, int length)
    {
        // addr + length wraps past 2^64 to a small offset that *is* in the buffer; a wrapped check
        // would wrongly call the access in range.
        BytesIO io = PatternIO(64);
        byte[] before = io.Bytes.ToArray();
        byte[] dst = Filled(length, 0xEE);

        (int inN, Error? inErr) = io.CopyIn(Ctx, new Addr(addr), dst, default);
        (int outN, Error? outErr) = io.CopyOut(Ctx, new Addr(addr), new byte[length], default);
        (long zeroN, Error? zeroErr) = io.ZeroOut(Ctx, new Addr(addr), length, default);

        Assert.Equal(0, inN);
        Assert.Same(Errno.EFAULT, inErr);
        Assert.Equal(0, outN);
        Assert.Same(Errno.EFAULT, outErr);
        Assert.Equal(0L, zeroN);
        Assert.Same(Errno.EFAULT, zeroErr);
        Assert.All(dst, b => Assert.Equal(0xEE, b));
        Assert.Equal(before, io.Bytes);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(16UL)]
    [InlineData(1000UL)]
    [InlineData(ulong.MaxValue)]
    public void ZeroLengthCopies_SucceedWithNoError_EvenOutOfRange(ulong addr)
    {
        BytesIO io = PatternIO(16);
        byte[] before = io.Bytes.ToArray();

        Assert.Equal((0, (Error?)null), io.CopyIn(Ctx, new Addr(addr), Span<byte>.Empty, default));
        Assert.Equal((0, (Error?)null), io.CopyOut(Ctx, new Addr(addr), ReadOnlySpan<byte>.Empty, default));
        Assert.Equal((0L, (Error?)null), io.ZeroOut(Ctx, new Addr(addr), 0, default));
        Assert.Equal(before, io.Bytes);
    }

    [Fact]
    public void ZeroOut_NegativeLength_IsAPreconditionViolation()
    {
        var io = new BytesIO(16);

        Assert.Throws<ArgumentOutOfRangeException>(() => io.ZeroOut(Ctx, Addr.Zero, -1, default));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(8UL)]
    public void ZeroOut_MoreThanIntMaxValue_ZeroesToTheEnd_AndReturnsEFAULT(ulong addr)
    {
        // As on 64-bit gVisor: the length is not limited to an int; what lies in the buffer is
        // zeroed and the rest faults.
        BytesIO io = PatternIO(16);
        byte[] expected = io.Bytes.ToArray();
        Array.Clear(expected, (int)addr, 16 - (int)addr);

        (long n, Error? err) = io.ZeroOut(Ctx, new Addr(addr), (long)int.MaxValue + 1, default);

        Assert.Equal(16 - (long)addr, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(expected, io.Bytes);
    }

    [Fact]
    public void ZeroOut_LongMaxValue_ZeroesToTheEnd_AndReturnsEFAULT()
    {
        BytesIO io = PatternIO(16);
        (long n, Error? err) = io.ZeroOut(Ctx, new Addr(4), long.MaxValue, default);
        Assert.Equal(12, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(new byte[12], io.Bytes.AsSpan(4).ToArray());
    }

    [Fact]
    public void EmptyBuffer_FaultsEveryNonEmptyAccess()
    {
        var io = new BytesIO(0);

        Assert.Equal((0, (Error?)Errno.EFAULT), io.CopyIn(Ctx, Addr.Zero, new byte[1], default));
        Assert.Equal((0, (Error?)Errno.EFAULT), io.CopyOut(Ctx, Addr.Zero, new byte[1], default));
        Assert.Equal((0, (Error?)null), io.CopyIn(Ctx, Addr.Zero, Span<byte>.Empty, default));
    }

    // ---- CopyOutFrom / CopyInTo ----

    [Fact]
    public void CopyOutFrom_SingleRange_PutsTheReadersBytesThere()
    {
        var io = new BytesIO(32);
        byte[] data = Pattern(8, seed: 2);
        var reader = new ShortReader(data);

        (long n, Error? err) = io.CopyOutFrom(Ctx, Seq((4, 12)), reader, default);

        Assert.Equal(8, n);
        Assert.Null(err);
        Assert.Equal(data, io.Bytes[4..12]);
        Assert.All(io.Bytes[..4], b => Assert.Equal(0, b));
        Assert.All(io.Bytes[12..], b => Assert.Equal(0, b));
        Assert.Equal(1, reader.Calls);
    }

    [Fact]
    public void CopyOutFrom_SeveralRanges_FillsThemInOrder_WithOneRead()
    {
        var io = new BytesIO(32);
        byte[] data = Pattern(8, seed: 4);
        var reader = new ShortReader(data);

        (long n, Error? err) = io.CopyOutFrom(Ctx, Seq((20, 23), (2, 6), (30, 31)), reader, default);

        Assert.Equal(8, n);
        Assert.Null(err);
        Assert.Equal(data[0..3], io.Bytes[20..23]);
        Assert.Equal(data[3..7], io.Bytes[2..6]);
        Assert.Equal(data[7], io.Bytes[30]);
        Assert.Equal(1, reader.Calls);
        Assert.Equal(8UL, reader.Requested[0]);
        int changed = io.Bytes.Count(b => b != 0);
        Assert.Equal(8, changed);
    }

    [Fact]
    public void CopyOutFrom_RangeRunningOffTheEnd_CopiesTheInRangePart_AndReturnsEFAULT()
    {
        var io = new BytesIO(16);
        byte[] data = Pattern(12, seed: 6);
        var reader = new ShortReader(data);

        (long n, Error? err) = io.CopyOutFrom(Ctx, Seq((4, 8), (12, 20)), reader, default);

        Assert.Equal(8, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(data[0..4], io.Bytes[4..8]);
        Assert.Equal(data[4..8], io.Bytes[12..16]);
        Assert.Equal(1, reader.Calls);
        Assert.Equal(8UL, reader.Requested[0]);
    }

    [Fact]
    public void CopyOutFrom_RangeEntirelyPastTheEnd_StopsThere_AndLaterRangesAreNotWritten()
    {
        var io = new BytesIO(16);
        byte[] data = Pattern(8, seed: 7);
        var reader = new ShortReader(data);

        (long n, Error? err) = io.CopyOutFrom(Ctx, Seq((0, 2), (40, 44), (6, 8)), reader, default);

        Assert.Equal(2, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(data[0..2], io.Bytes[0..2]);
        Assert.All(io.Bytes[2..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void CopyOutFrom_FirstRangePastTheEnd_IsZeroWithEFAULT()
    {
        var io = new BytesIO(16);
        var reader = new ShortReader(Pattern(8));

        (long n, Error? err) = io.CopyOutFrom(Ctx, Seq((16, 24)), reader, default);

        Assert.Equal(0, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.All(io.Bytes, b => Assert.Equal(0, b));
    }

    [Fact]
    public void CopyOutFrom_ZeroLengthRangePastTheEnd_IsNotAFault()
    {
        var io = new BytesIO(16);
        byte[] data = Pattern(4, seed: 8);
        var reader = new ShortReader(data);

        (long n, Error? err) = io.CopyOutFrom(Ctx, Seq((0, 2), (100, 100), (6, 8)), reader, default);

        Assert.Equal(4, n);
        Assert.Null(err);
        Assert.Equal(data[0..2], io.Bytes[0..2]);
        Assert.Equal(data[2..4], io.Bytes[6..8]);
    }

    [Fact]
    public void CopyOutFrom_ShortReadWithoutError_IsAPartialCopyWithoutError()
    {
        // Seed: "CopyOutFrom may return a partial copy without an error iff src.ReadToBlocks returns
        // a partial read without an error."
        var io = new BytesIO(32);
        byte[] data = Pattern(16, seed: 9);
        var reader = new ShortReader(data, maxBytes: 5);

        (long n, Error? err) = io.CopyOutFrom(Ctx, Seq((0, 4), (10, 18)), reader, default);

        Assert.Equal(5, n);
        Assert.Null(err);
        Assert.Equal(data[0..4], io.Bytes[0..4]);
        Assert.Equal(data[4], io.Bytes[10]);
        Assert.All(io.Bytes[11..18], b => Assert.Equal(0, b));
        Assert.Equal(1, reader.Calls);
    }

    [Fact]
    public void CopyOutFrom_ReaderError_TakesPrecedenceOverTheRangeFault()
    {
        var io = new BytesIO(16);
        var reader = new ShortReader(Pattern(16), maxBytes: 3, shortError: Errno.EIO);

        (long n, Error? err) = io.CopyOutFrom(Ctx, Seq((8, 24)), reader, default);

        Assert.Equal(3, n);
        Assert.Same(Errno.EIO, err);
    }

    [Fact]
    public void CopyOutFrom_ReaderEndOfStream_IsReturnedAsIs()
    {
        var io = new BytesIO(16);
        var reader = new BlockSeqReader(BlockSeq.Of(Block.FromPinnedArray(PinnedArrays.CopyOf(Pattern(3)))));

        (long n, Error? err) = io.CopyOutFrom(Ctx, Seq((0, 8)), reader, default);

        Assert.Equal(3, n);
        Assert.Same(WellKnownErrors.EndOfStream, err);
        Assert.Equal(Pattern(3), io.Bytes[..3]);
    }

    [Fact]
    public void CopyOutFrom_EmptySequence_ReadsNothing()
    {
        var io = new BytesIO(16);
        var reader = new ShortReader(Pattern(4));

        (long n, Error? err) = io.CopyOutFrom(Ctx, AddrRangeSeq.Empty, reader, default);

        Assert.Equal(0, n);
        Assert.Null(err);
        Assert.All(io.Bytes, b => Assert.Equal(0, b));
    }

    [Fact]
    public void CopyInTo_SeveralRanges_WritesTheirBytesInOrder_WithOneWrite()
    {
        BytesIO io = PatternIO(32);
        var writer = new ShortWriter();
        AddrRangeSeq ars = Seq((20, 23), (2, 6), (30, 31));

        (long n, Error? err) = io.CopyInTo(Ctx, ars, writer, default);

        Assert.Equal(8, n);
        Assert.Null(err);
        Assert.Equal(Gather(io.Bytes, ars), writer.Written);
        Assert.Equal(1, writer.Calls);
    }

    [Fact]
    public void CopyInTo_RangeRunningOffTheEnd_WritesTheInRangePart_AndReturnsEFAULT()
    {
        BytesIO io = PatternIO(16);
        var writer = new ShortWriter();

        (long n, Error? err) = io.CopyInTo(Ctx, Seq((4, 8), (12, 20), (0, 2)), writer, default);

        Assert.Equal(8, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(io.Bytes[4..8].Concat(io.Bytes[12..16]), writer.Written);
        Assert.Equal(8UL, writer.Offered[0]);
    }

    [Fact]
    public void CopyInTo_ShortWriteWithoutError_IsAPartialCopyWithoutError()
    {
        BytesIO io = PatternIO(16);
        var writer = new ShortWriter(maxBytes: 6);

        (long n, Error? err) = io.CopyInTo(Ctx, Seq((0, 4), (8, 16)), writer, default);

        Assert.Equal(6, n);
        Assert.Null(err);
        Assert.Equal(io.Bytes[0..4].Concat(io.Bytes[8..10]), writer.Written);
    }

    [Fact]
    public void CopyInTo_WriterError_TakesPrecedenceOverTheRangeFault()
    {
        BytesIO io = PatternIO(16);
        var writer = new ShortWriter(maxBytes: 2, shortError: Errno.EPIPE);

        (long n, Error? err) = io.CopyInTo(Ctx, Seq((12, 20)), writer, default);

        Assert.Equal(2, n);
        Assert.Same(Errno.EPIPE, err);
        Assert.Equal(io.Bytes[12..14], writer.Written);
    }

    [Fact]
    public void CopyInTo_FirstRangePastTheEnd_IsZeroWithEFAULT()
    {
        BytesIO io = PatternIO(16);
        var writer = new ShortWriter();

        (long n, Error? err) = io.CopyInTo(Ctx, Seq((20, 30), (0, 4)), writer, default);

        Assert.Equal(0, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Empty(writer.Written);
    }

    // ---- atomics ----

    [Fact]
    public void LoadUint32_ReadsTheLittleEndianWord()
    {
        var io = new BytesIO(16);
        io.Bytes[4] = 0x78;
        io.Bytes[5] = 0x56;
        io.Bytes[6] = 0x34;
        io.Bytes[7] = 0x12;

        (uint value, Error? err) = io.LoadUint32(Ctx, new Addr(4), default);

        Assert.Equal(0x12345678u, value);
        Assert.Null(err);
    }

    [Fact]
    public void SwapUint32_StoresTheNewValue_AndReturnsTheOld()
    {
        var io = new BytesIO(16);
        io.Bytes[8] = 0x01;
        io.Bytes[9] = 0x02;

        (uint old, Error? err) = io.SwapUint32(Ctx, new Addr(8), 0xAABBCCDD, default);

        Assert.Equal(0x0201u, old);
        Assert.Null(err);
        Assert.Equal(new byte[] { 0xDD, 0xCC, 0xBB, 0xAA }, io.Bytes[8..12]);
        Assert.All(io.Bytes[..8], b => Assert.Equal(0, b));
        Assert.All(io.Bytes[12..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void CompareAndSwapUint32_ReplacesOnlyOnAMatch_AndAlwaysReturnsWhatWasThere()
    {
        var io = new BytesIO(16);
        io.Bytes[12] = 5;

        (uint seen, Error? err) = io.CompareAndSwapUint32(Ctx, new Addr(12), 6, 100, default);
        Assert.Equal(5u, seen);
        Assert.Null(err);
        Assert.Equal(5, io.Bytes[12]);

        (seen, err) = io.CompareAndSwapUint32(Ctx, new Addr(12), 5, 100, default);
        Assert.Equal(5u, seen);
        Assert.Null(err);
        Assert.Equal(100u, io.LoadUint32(Ctx, new Addr(12), default).Value);
    }

    [Theory]
    [InlineData(16UL)] // two of the four bytes are past the end of an 18-byte buffer
    [InlineData(20UL)]
    [InlineData(0xFFFF_FFFF_FFFF_FFFCUL)]
    public void Atomics_OutOfRange_AreEFAULT_AndChangeNothing(ulong addr)
    {
        BytesIO io = PatternIO(18);
        byte[] before = io.Bytes.ToArray();

        (uint _, Error? loadErr) = io.LoadUint32(Ctx, new Addr(addr), default);
        (uint _, Error? swapErr) = io.SwapUint32(Ctx, new Addr(addr), 7, default);
        (uint _, Error? casErr) = io.CompareAndSwapUint32(Ctx, new Addr(addr), 0, 7, default);

        Assert.Same(Errno.EFAULT, loadErr);
        Assert.Same(Errno.EFAULT, swapErr);
        Assert.Same(Errno.EFAULT, casErr);
        Assert.Equal(before, io.Bytes);
    }

    [Fact]
    public void Atomics_AtTheLastWholeWord_Work()
    {
        BytesIO io = PatternIO(16);

        (uint old, Error? err) = io.SwapUint32(Ctx, new Addr(12), 0x01020304, default);

        Assert.Null(err);
        Assert.Equal(BitConverter.ToUInt32(Pattern(16), 12), old);
        Assert.Equal(new byte[] { 4, 3, 2, 1 }, io.Bytes[12..]);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(6UL)]
    public void Atomics_Misaligned_AreAPreconditionViolation(ulong addr)
    {
        var io = new BytesIO(16);

        Assert.Throws<ArgumentException>(() => io.LoadUint32(Ctx, new Addr(addr), default));
        Assert.Throws<ArgumentException>(() => io.SwapUint32(Ctx, new Addr(addr), 1, default));
        Assert.Throws<ArgumentException>(() => io.CompareAndSwapUint32(Ctx, new Addr(addr), 0, 1, default));
        Assert.All(io.Bytes, b => Assert.Equal(0, b));
    }
}
