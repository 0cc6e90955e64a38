using FsCheck;
using FsCheck.Fluent;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Tests.UserMem.Infrastructure;
using Warden.UserMem;
using Xunit;
using static Warden.Tests.UserMem.Infrastructure.TestBytes;

namespace Warden.Tests.UserMem;

/// <summary>
/// <see cref="MemoryIOExtensions.CopyInVec"/>, <see cref="MemoryIOExtensions.CopyOutVec"/> and
/// <see cref="MemoryIOExtensions.ZeroOutVec"/>: at most <c>min(ars.NumBytes, buffer)</c> bytes, in
/// range order; a count short of that maximum always comes with an error (seed 000).
/// </summary>
public sealed class VecCopyTests
{
    private static readonly IContext Ctx = Context.Background;

    [Fact]
    public void CopyInVec_GathersTheRangesInOrder()
    {
        var io = new BytesIO(Pattern(64));
        AddrRangeSeq ars = Seq((30, 33), (1, 2), (60, 64));
        byte[] dst = new byte[8];

        (int n, Error? err) = io.CopyInVec(Ctx, ars, dst, default);

        Assert.Equal(8, n);
        Assert.Null(err);
        Assert.Equal(Gather(io.Bytes, ars), dst);
    }

    [Fact]
    public void CopyOutVec_ScattersIntoTheRangesInOrder()
    {
        var io = new BytesIO(64);
        AddrRangeSeq ars = Seq((30, 33), (1, 2), (60, 64));
        byte[] src = Pattern(8, seed: 1);

        (int n, Error? err) = io.CopyOutVec(Ctx, ars, src, default);

        Assert.Equal(8, n);
        Assert.Null(err);
        Assert.Equal(src, Gather(io.Bytes, ars));
        Assert.Equal(8, io.Bytes.Count(b => b != 0));
    }

    [Fact]
    public void ZeroOutVec_ZeroesTheRanges_UpToToZero()
    {
        var io = new BytesIO(Pattern(64));
        byte[] before = io.Bytes.ToArray();
        AddrRangeSeq ars = Seq((30, 33), (1, 2), (60, 64));

        (long n, Error? err) = io.ZeroOutVec(Ctx, ars, 5, default);

        Assert.Equal(5, n);
        Assert.Null(err);
        byte[] expected = before.ToArray();
        foreach (int i in new[] { 30, 31, 32, 1, 60 })
        {
            expected[i] = 0;
        }
        Assert.Equal(expected, io.Bytes);
    }

    [Fact]
    public void ZeroOutVec_NegativeToZero_IsAPreconditionViolation()
    {
        var io = new BytesIO(8);

        Assert.Throws<ArgumentOutOfRangeException>(() => io.ZeroOutVec(Ctx, Seq((0, 8)), -1, default));
    }

    [Fact]
    public void ShorterBuffer_LimitsTheCopy_WithoutError()
    {
        var io = new BytesIO(Pattern(64));
        AddrRangeSeq ars = Seq((0, 10), (20, 30));

        byte[] dst = new byte[12];
        (int inN, Error? inErr) = io.CopyInVec(Ctx, ars, dst, default);
        Assert.Equal(12, inN);
        Assert.Null(inErr);
        Assert.Equal(io.Bytes[0..10].Concat(io.Bytes[20..22]), dst);

        (int outN, Error? outErr) = io.CopyOutVec(Ctx, ars, new byte[3], default);
        Assert.Equal(3, outN);
        Assert.Null(outErr);
        Assert.All(io.Bytes[0..3], b => Assert.Equal(0, b));
        Assert.NotEqual(0, io.Bytes[3]);
    }

    [Fact]
    public void ShorterSequence_LimitsTheCopy_WithoutError()
    {
        var io = new BytesIO(Pattern(64));
        AddrRangeSeq ars = Seq((5, 7), (9, 10));

        (int inN, Error? inErr) = io.CopyInVec(Ctx, ars, new byte[50], default);
        (int outN, Error? outErr) = io.CopyOutVec(Ctx, ars, new byte[50], default);
        (long zeroN, Error? zeroErr) = io.ZeroOutVec(Ctx, ars, 50, default);

        Assert.Equal(3, inN);
        Assert.Null(inErr);
        Assert.Equal(3, outN);
        Assert.Null(outErr);
        Assert.Equal(3, zeroN);
        Assert.Null(zeroErr);
    }

    [Fact]
    public void Fault_StopsTheCopy_WithTheCountBeforeIt()
    {
        var io = new FaultingMemoryIO().Map(0x1000).Map(0x3000);
        io.Poke(0x1FF0, Pattern(16));
        AddrRangeSeq ars = Seq((0x1FF0, 0x2010), (0x3000, 0x3010));
        byte[] dst = Filled(48, 0xEE);

        (int n, Error? err) = io.CopyInVec(Ctx, ars, dst, default);

        Assert.Equal(16, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(Pattern(16), dst[..16]);
        Assert.All(dst[16..], b => Assert.Equal(0xEE, b));
        Assert.DoesNotContain(io.Calls, c => c.Touches(0x3000, 0x4000));
    }

    [Fact]
    public void Fault_OnTheFirstByte_IsZeroWithTheError()
    {
        var io = new FaultingMemoryIO();

        Assert.Equal((0, (Error?)Errno.EFAULT), io.CopyInVec(Ctx, Seq((0x1000, 0x1010)), new byte[16], default));
        Assert.Equal((0, (Error?)Errno.EFAULT), io.CopyOutVec(Ctx, Seq((0x1000, 0x1010)), new byte[16], default));
        Assert.Equal((0L, (Error?)Errno.EFAULT), io.ZeroOutVec(Ctx, Seq((0x1000, 0x1010)), 16, default));
    }

    [Fact]
    public void OptionsAndContext_ReachTheIO()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        var opts = new IOOpts { IgnorePermissions = true };
        IContext ctx = Context.Background.WithValue(new ContextKey<int>("k"), 1);
        AddrRangeSeq ars = Seq((0x1000, 0x1004), (0x1100, 0x1104));

        _ = io.CopyInVec(ctx, ars, new byte[8], opts);
        _ = io.CopyOutVec(ctx, ars, new byte[8], opts);
        _ = io.ZeroOutVec(ctx, ars, 8, opts);

        Assert.Equal(6, io.Calls.Count);
        Assert.All(io.Calls, c => Assert.Equal(opts, c.Opts));
        Assert.All(io.Calls, c => Assert.Same(ctx, c.Ctx));
    }

    [Fact]
    public void EmptySequenceAndEmptyBuffer_CopyNothing()
    {
        var io = new FaultingMemoryIO();

        Assert.Equal((0, (Error?)null), io.CopyInVec(Ctx, AddrRangeSeq.Empty, new byte[4], default));
        Assert.Equal((0, (Error?)null), io.CopyInVec(Ctx, Seq((0x1000, 0x2000)), Span<byte>.Empty, default));
        Assert.Equal((0, (Error?)null), io.CopyOutVec(Ctx, Seq((0x1000, 0x2000)), ReadOnlySpan<byte>.Empty, default));
        Assert.Equal((0L, (Error?)null), io.ZeroOutVec(Ctx, Seq((0x1000, 0x2000)), 0, default));
    }

    // ---- properties against a naive model ----

    /// <summary>
    /// A random buffer size, a sequence of disjoint ranges (in a random order) that may run past the
    /// end of the buffer, and a random source buffer.
    /// </summary>
    public sealed record VecCase(int Size, (int Start, int Length)[] Ranges, byte[] Src)
    {
        public AddrRangeSeq Ars()
        {
            var ranges = new AddrRange[Ranges.Length];
            for (int i = 0; i < Ranges.Length; i++)
            {
                ranges[i] = R((ulong)Ranges[i].Start, (ulong)(Ranges[i].Start + Ranges[i].Length));
            }
            return ranges.Length == 1 ? AddrRangeSeq.Of(ranges[0]) : AddrRangeSeq.FromArray(ranges);
        }

        public long NumBytes => Ranges.Sum(r => (long)r.Length);

        public override string ToString() =>
            $"Size={Size} Ranges=[{string.Join(", ", Ranges.Select(r => $"{r.Start}+{r.Length}"))}] Src.Length={Src.Length}";
    }

    private static Gen<VecCase> VecCases() =>
        from size in Gen.Choose(0, 64)
        from count in Gen.Choose(0, 6)
        from gaps in Gen.ArrayOf(Gen.Choose(0, 12), count)
        from lengths in Gen.ArrayOf(Gen.Choose(0, 12), count)
        from order in Gen.Shuffle(Enumerable.Range(0, count).ToArray())
        from srcLength in Gen.Choose(0, 80)
        from src in Gen.ArrayOf(Gen.Choose(1, 255).Select(b => (byte)b), srcLength)
        select Build(size, gaps, lengths, order, src);

    private static VecCase Build(int size, int[] gaps, int[] lengths, int[] order, byte[] src)
    {
        var sorted = new (int Start, int Length)[gaps.Length];
        int at = 0;
        for (int i = 0; i < gaps.Length; i++)
        {
            at += gaps[i];
            sorted[i] = (at, lengths[i]);
            at += lengths[i];
        }
        return new VecCase(size, [.. order.Select(i => sorted[i])], src);
    }

    // The model: walk the ranges in order, moving up to `limit` bytes; within a range, the bytes
    // below the buffer's end move; the first range cut short stops the walk with EFAULT.
    private static (long Count, bool Faulted, List<int> Offsets) Model(VecCase c, long limit)
    {
        long left = Math.Min(limit, c.NumBytes);
        long count = 0;
        var offsets = new List<int>();
        foreach ((int start, int length) in c.Ranges)
        {
            long chunk = Math.Min(left - count, length);
            if (chunk == 0)
            {
                continue;
            }
            long fits = start >= c.Size ? 0 : Math.Min(chunk, c.Size - start);
            for (int i = 0; i < fits; i++)
            {
                offsets.Add(start + i);
            }
            count += fits;
            if (fits < chunk)
            {
                return (count, true, offsets);
            }
        }
        return (count, false, offsets);
    }

    [Fact]
    public void Property_CopyOutVec_MatchesTheModel_AndCopyInVecReadsItBack()
    {
        Prop.ForAll(VecCases().ToArbitrary(), c =>
        {
            var io = new BytesIO(c.Size);
            (long modelCount, bool modelFault, List<int> offsets) = Model(c, c.Src.Length);

            (int outN, Error? outErr) = io.CopyOutVec(Ctx, c.Ars(), c.Src, default);

            Assert.Equal(modelCount, outN);
            Assert.Equal(modelFault ? Errno.EFAULT : null, outErr);
            byte[] expected = new byte[c.Size];
            for (int i = 0; i < offsets.Count; i++)
            {
                expected[offsets[i]] = c.Src[i];
            }
            Assert.Equal(expected, io.Bytes);

            byte[] dst = new byte[c.Src.Length];
            (int inN, Error? inErr) = io.CopyInVec(Ctx, c.Ars(), dst, default);

            Assert.Equal(outN, inN);
            Assert.Equal(outErr, inErr);
            Assert.Equal(c.Src[..inN], dst[..inN]);
            Assert.All(dst[inN..], b => Assert.Equal(0, b));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Property_ZeroOutVec_MatchesTheModel()
    {
        Prop.ForAll(VecCases().ToArbitrary(), c =>
        {
            var io = new BytesIO(Pattern(c.Size));
            long toZero = c.Src.Length;
            (long modelCount, bool modelFault, List<int> offsets) = Model(c, toZero);

            (long n, Error? err) = io.ZeroOutVec(Ctx, c.Ars(), toZero, default);

            Assert.Equal(modelCount, n);
            Assert.Equal(modelFault ? Errno.EFAULT : null, err);
            byte[] expected = Pattern(c.Size);
            foreach (int o in offsets)
            {
                expected[o] = 0;
            }
            Assert.Equal(expected, io.Bytes);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Property_CopyInToAndCopyOutFrom_MatchTheModel()
    {
        Prop.ForAll(VecCases().ToArbitrary(), c =>
        {
            var io = new BytesIO(c.Size);
            (long modelCount, bool modelFault, List<int> offsets) = Model(c, long.MaxValue);
            byte[] data = Pattern((int)c.NumBytes, seed: 3);

            (long outN, Error? outErr) = io.CopyOutFrom(Ctx, c.Ars(), new ShortReader(data), default);

            Assert.Equal(modelCount, outN);
            Assert.Equal(modelFault ? Errno.EFAULT : null, outErr);
            byte[] expected = new byte[c.Size];
            for (int i = 0; i < offsets.Count; i++)
            {
                expected[offsets[i]] = data[i];
            }
            Assert.Equal(expected, io.Bytes);

            var writer = new ShortWriter();
            (long inN, Error? inErr) = io.CopyInTo(Ctx, c.Ars(), writer, default);

            Assert.Equal(modelCount, inN);
            Assert.Equal(modelFault ? Errno.EFAULT : null, inErr);
            Assert.Equal(data[..(int)modelCount], writer.Written);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Property_IOSequenceDropFirstThenCopyIn_EqualsCopyInThenSkip()
    {
        // Dropping n bytes and copying equals copying everything and skipping n bytes, whenever
        // every range is within the buffer.
        Gen<(VecCase Case, int Drop, int Take)> gen =
            from c in VecCases().Where(c => c.Ranges.All(r => r.Start + r.Length <= c.Size))
            from drop in Gen.Choose(0, 40)
            from take in Gen.Choose(0, 40)
            select (c, drop, take);

        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var io = new BytesIO(Pattern(t.Case.Size, seed: 5));
            var seq = new IOSequence(io, t.Case.Ars());
            byte[] all = new byte[t.Case.NumBytes];
            Assert.Equal(all.Length, seq.CopyIn(Ctx, all).Count);

            IOSequence window = seq.DropFirst(t.Drop).TakeFirst(t.Take);
            byte[] got = new byte[64];
            (int n, Error? err) = window.CopyIn(Ctx, got);

            int expectedStart = Math.Min(t.Drop, all.Length);
            int expectedLength = Math.Min(t.Take, all.Length - expectedStart);
            Assert.Null(err);
            Assert.Equal(expectedLength, n);
            Assert.Equal(expectedLength, window.NumBytes);
            Assert.Equal(all[expectedStart..(expectedStart + expectedLength)], got[..n]);
        }).QuickCheckThrowOnFailure();
    }
}
