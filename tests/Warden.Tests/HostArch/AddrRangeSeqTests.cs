using Warden.HostArch;
using Xunit;

namespace Warden.Tests.HostArch;

public class AddrRangeSeqTests
{
    private static AddrRange R(ulong start, ulong end) => new(new Addr(start), new Addr(end));

    private static List<AddrRange> Ranges(AddrRangeSeq seq)
    {
        var ranges = new List<AddrRange>();
        foreach (AddrRange range in seq)
        {
            ranges.Add(range);
        }
        return ranges;
    }

    [Fact]
    public void Empty()
    {
        AddrRangeSeq seq = AddrRangeSeq.Empty;
        Assert.True(seq.IsEmpty);
        Assert.Equal(0, seq.NumRanges);
        Assert.Equal(0, seq.NumBytes);
        Assert.Empty(Ranges(seq));
        Assert.True(default(AddrRangeSeq).IsEmpty);
        Assert.Equal("{}", seq.ToString());
    }

    [Fact]
    public void SingleRange()
    {
        var seq = new AddrRangeSeq(R(0x1000, 0x2000));
        Assert.False(seq.IsEmpty);
        Assert.Equal(1, seq.NumRanges);
        Assert.Equal(0x1000, seq.NumBytes);
        Assert.Equal(R(0x1000, 0x2000), seq.Head);
        Assert.True(seq.Tail().IsEmpty);
        Assert.Equal([R(0x1000, 0x2000)], Ranges(seq));
        Assert.Equal([R(0x1000, 0x2000)], Ranges(AddrRangeSeq.Of(R(0x1000, 0x2000))));
    }

    [Fact]
    public void SingleRange_IsStoredInline()
    {
        AddrRange range = R(0x1000, 0x2000);
        AddrRangeSeq.Of(range).DropFirst(1).TakeFirst(2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        long total = 0;
        for (int i = 0; i < 1000; i++)
        {
            AddrRangeSeq seq = AddrRangeSeq.Of(range).DropFirst(i).TakeFirst(10);
            total += seq.NumBytes + seq.Head.Length.GetHashCode();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1000, $"1000 single-range sequences allocated {allocated} bytes.");
        Assert.NotEqual(0, total);
    }

    [Fact]
    public void SingleZeroLengthRange_IsKept()
    {
        var seq = new AddrRangeSeq(R(0x1000, 0x1000));
        Assert.False(seq.IsEmpty);
        Assert.Equal(1, seq.NumRanges);
        Assert.Equal(0, seq.NumBytes);
        Assert.Equal(R(0x1000, 0x1000), seq.Head);
    }

    [Fact]
    public void FromArray_KeepsEveryRangeInOrder()
    {
        AddrRange[] ranges = [R(0x1000, 0x1010), R(0x5000, 0x5000), R(0x3000, 0x3020), R(0x0, 0x0)];
        AddrRangeSeq seq = AddrRangeSeq.FromArray(ranges);

        Assert.Equal(4, seq.NumRanges);
        Assert.Equal(0x30, seq.NumBytes);
        Assert.Equal(ranges, Ranges(seq));
        Assert.Equal(R(0x1000, 0x1010), seq.Head);
        Assert.Equal(R(0x5000, 0x5000), seq.Tail().Head);
        Assert.Equal(2, seq.Tail().Tail().NumRanges);
        Assert.Equal(0x20, seq.Tail().Tail().NumBytes);
    }

    [Fact]
    public void FromArray_Window()
    {
        AddrRange[] ranges = [R(0, 1), R(10, 12), R(20, 23), R(30, 34)];
        AddrRangeSeq seq = AddrRangeSeq.FromArray(ranges, 1, 2);

        Assert.Equal([R(10, 12), R(20, 23)], Ranges(seq));
        Assert.Equal(5, seq.NumBytes);
        Assert.True(AddrRangeSeq.FromArray(ranges, 2, 0).IsEmpty);
        Assert.True(AddrRangeSeq.FromArray([]).IsEmpty);
    }

    [Fact]
    public void FromArray_RejectsBadWindows()
    {
        AddrRange[] ranges = [R(0, 1), R(10, 12)];
        Assert.Throws<ArgumentNullException>(() => AddrRangeSeq.FromArray(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => AddrRangeSeq.FromArray(ranges, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => AddrRangeSeq.FromArray(ranges, 0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => AddrRangeSeq.FromArray(ranges, 1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => AddrRangeSeq.FromArray(ranges, 3, 0));
    }

    [Fact]
    public void IllFormedRanges_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new AddrRangeSeq(R(0x2000, 0x1000)));
        Assert.Throws<ArgumentException>(() => AddrRangeSeq.Of(R(1, 0)));
        Assert.Throws<ArgumentException>(() => AddrRangeSeq.FromArray([R(0, 1), R(5, 4)]));
    }

    [Fact]
    public void RangesLongerThanInt64_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new AddrRangeSeq(R(0, ulong.MaxValue)));
        Assert.Throws<ArgumentException>(() => new AddrRangeSeq(R(0, 0x8000_0000_0000_0000)));
        Assert.Equal(long.MaxValue, new AddrRangeSeq(R(0, 0x7FFF_FFFF_FFFF_FFFF)).NumBytes);
        Assert.Equal(long.MaxValue, new AddrRangeSeq(R(0x8000_0000_0000_0000, ulong.MaxValue)).NumBytes);
    }

    [Fact]
    public void TotalLongerThanInt64_IsRejected()
    {
        AddrRange half = R(0, 0x4000_0000_0000_0000);
        Assert.Throws<ArgumentException>(() => AddrRangeSeq.FromArray([half, half]));
        Assert.Throws<ArgumentException>(() => AddrRangeSeq.FromArray([R(0, 0x7FFF_FFFF_FFFF_FFFF), R(0, 1)]));
        Assert.Equal(long.MaxValue, AddrRangeSeq.FromArray([R(0, 0x7FFF_FFFF_FFFF_FFFE), R(0, 1)]).NumBytes);
    }

    [Fact]
    public void HeadAndTail_OfEmpty_Throw()
    {
        Assert.Throws<InvalidOperationException>(() => AddrRangeSeq.Empty.Head);
        Assert.Throws<InvalidOperationException>(() => AddrRangeSeq.Empty.Tail());
        Assert.Throws<InvalidOperationException>(() => AddrRangeSeq.Of(R(0, 1)).Tail().Head);
    }

    [Fact]
    public void NegativeCounts_Throw()
    {
        AddrRangeSeq seq = AddrRangeSeq.Of(R(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => seq.DropFirst(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => seq.DropFirst64(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => seq.TakeFirst(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => seq.TakeFirst64(long.MinValue));
    }

    [Fact]
    public void DropFirst_WithinTheHead_ShortensIt()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1010), R(0x2000, 0x2010)]).DropFirst(4);

        Assert.Equal([R(0x1004, 0x1010), R(0x2000, 0x2010)], Ranges(seq));
        Assert.Equal(0x1C, seq.NumBytes);
        Assert.Equal(2, seq.NumRanges);
    }

    [Fact]
    public void DropFirst_AcrossRanges_RemovesThem()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1010), R(0x2000, 0x2010), R(0x3000, 0x3010)]).DropFirst64(0x18);

        Assert.Equal([R(0x2008, 0x2010), R(0x3000, 0x3010)], Ranges(seq));
        Assert.Equal(0x18, seq.NumBytes);
    }

    [Fact]
    public void DropFirst_Zero_DropsLeadingZeroLengthRanges()
    {
        // gVisor's documented guarantee: an empty head is always dropped, even by DropFirst(0).
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1000), R(0x1800, 0x1800), R(0x2000, 0x2010)]);
        Assert.Equal([R(0x2000, 0x2010)], Ranges(seq.DropFirst(0)));
        Assert.Equal(0x10, seq.DropFirst(0).NumBytes);
    }

    [Fact]
    public void DropFirst_Zero_KeepsANonEmptyHeadAndWhatFollows()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1010), R(0x2000, 0x2000)]);
        Assert.Equal([R(0x1000, 0x1010), R(0x2000, 0x2000)], Ranges(seq.DropFirst(0)));
    }

    [Fact]
    public void DropFirst_Zero_OfOnlyZeroLengthRanges_IsEmpty()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1000), R(0x2000, 0x2000)]);
        Assert.True(seq.DropFirst(0).IsEmpty);
        Assert.True(AddrRangeSeq.Of(R(0x1000, 0x1000)).DropFirst(0).IsEmpty);
    }

    [Fact]
    public void DropFirst_RemovesZeroLengthRangesItPasses()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1000), R(0x2000, 0x2010)]).DropFirst(1);
        Assert.Equal([R(0x2001, 0x2010)], Ranges(seq));
    }

    [Fact]
    public void DropFirst_ReachingAZeroLengthRangeExactly_DropsItToo()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1010), R(0x2000, 0x2000), R(0x3000, 0x3010)]).DropFirst(0x10);

        Assert.Equal([R(0x3000, 0x3010)], Ranges(seq));
        Assert.Equal(0x10, seq.NumBytes);
    }

    [Fact]
    public void DropFirst_EverythingExactly_IsEmpty_EvenWithTrailingZeroLengthRanges()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1010), R(0x2000, 0x2000)]).DropFirst(0x10);
        Assert.True(seq.IsEmpty);
    }

    [Fact]
    public void TheHeadThenDropFirstLoop_Terminates_OverZeroLengthAndLimitedRanges()
    {
        // The loop every IO path runs: transfer to Head (here: all of it, or nothing when it is
        // empty), then DropFirst by what was transferred. Zero-length ranges, including those
        // TakeFirst leaves past its limit, must not make it spin.
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1000), R(0x2000, 0x2008), R(0x3000, 0x3000), R(0x4000, 0x4010)])
            .TakeFirst(0xc);
        var heads = new List<AddrRange>();
        long moved = 0;
        for (int guard = 0; !seq.IsEmpty; guard++)
        {
            Assert.True(guard < 10, "the loop did not end");
            AddrRange head = seq.Head;
            heads.Add(head);
            moved += (long)head.Length;
            seq = seq.DropFirst64((long)head.Length);
        }
        Assert.Equal(0xc, moved);
        Assert.Equal([R(0x1000, 0x1000), R(0x2000, 0x2008), R(0x4000, 0x4004)], heads);
    }

    [Fact]
    public void DropFirst_PastTheEnd_IsEmpty()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1010), R(0x2000, 0x2000)]);
        Assert.True(seq.DropFirst(0x11).IsEmpty);
        Assert.True(seq.DropFirst64(long.MaxValue).IsEmpty);
        Assert.True(AddrRangeSeq.Empty.DropFirst(5).IsEmpty);
    }

    [Fact]
    public void TakeFirst_KeepsEveryRangeButLimitsTheBytes()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1010), R(0x2000, 0x2010), R(0x3000, 0x3010)]).TakeFirst(0x14);

        Assert.Equal(3, seq.NumRanges);
        Assert.Equal(0x14, seq.NumBytes);
        Assert.Equal([R(0x1000, 0x1010), R(0x2000, 0x2004), R(0x3000, 0x3000)], Ranges(seq));
    }

    [Fact]
    public void TakeFirst_Zero_MakesEveryRangeZeroLength()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1010), R(0x2000, 0x2010)]).TakeFirst64(0);

        Assert.False(seq.IsEmpty);
        Assert.Equal(0, seq.NumBytes);
        Assert.Equal([R(0x1000, 0x1000), R(0x2000, 0x2000)], Ranges(seq));
    }

    [Fact]
    public void TakeFirst_MoreThanThereIs_ChangesNothing()
    {
        AddrRange[] ranges = [R(0x1000, 0x1010), R(0x2000, 0x2010)];
        AddrRangeSeq seq = AddrRangeSeq.FromArray(ranges);

        Assert.Equal(ranges, Ranges(seq.TakeFirst(0x20)));
        Assert.Equal(ranges, Ranges(seq.TakeFirst64(long.MaxValue)));
        Assert.Equal(0x20, seq.TakeFirst(0x1000).NumBytes);
    }

    [Fact]
    public void TakeThenDrop()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1010), R(0x2000, 0x2010), R(0x3000, 0x3010)])
            .TakeFirst(0x18)
            .DropFirst(0x4);

        Assert.Equal([R(0x1004, 0x1010), R(0x2000, 0x2008), R(0x3000, 0x3000)], Ranges(seq));
        Assert.Equal(0x14, seq.NumBytes);

        // The range TakeFirst emptied goes with the last byte before it.
        Assert.True(seq.DropFirst(0x14).IsEmpty);
    }

    [Fact]
    public void TakeFirst_OfADroppedSequence_LimitsFromTheNewStart()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x1010), R(0x2000, 0x2010)])
            .DropFirst(0x8)
            .TakeFirst(0xC);

        Assert.Equal([R(0x1008, 0x1010), R(0x2000, 0x2004)], Ranges(seq));
    }

    [Fact]
    public void RangesNearTheTopOfTheAddressSpace()
    {
        AddrRange top = R(0xFFFF_FFFF_FFFF_F000, ulong.MaxValue);
        AddrRangeSeq seq = AddrRangeSeq.FromArray([top, R(0, 0x10)]).DropFirst(0xFFE);

        Assert.Equal([R(0xFFFF_FFFF_FFFF_FFFE, ulong.MaxValue), R(0, 0x10)], Ranges(seq));
        Assert.Equal([R(0, 0x10)], Ranges(AddrRangeSeq.FromArray([top, R(0, 0x10)]).DropFirst(0xFFF)));
        Assert.Equal([R(0xFFFF_FFFF_FFFF_F000, 0xFFFF_FFFF_FFFF_F800), R(0, 0)], Ranges(AddrRangeSeq.FromArray([top, R(0, 0x10)]).TakeFirst(0x800)));
    }

    [Fact]
    public void Formatting()
    {
        AddrRangeSeq seq = AddrRangeSeq.FromArray([R(0x1000, 0x2000), R(0x3000, 0x3008)]);
        Assert.Equal("{[0x1000, 0x2000) [0x3000, 0x3008)}", seq.ToString());
        Assert.Equal("{[0x1000, 0x2000)}", AddrRangeSeq.Of(R(0x1000, 0x2000)).ToString());
    }
}
