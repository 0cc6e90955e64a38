using Warden.HostArch;
using Xunit;

namespace Warden.Tests.HostArch;

/// <summary>
/// The operations every range type shares (<see cref="RangeOperations"/>), checked once per type
/// by the concrete classes below.
/// </summary>
public abstract class RangeTests<TRange>
    where TRange : struct, IRange<TRange>
{
    private static TRange R(ulong start, ulong end) => TRange.FromBounds(start, end);

    [Fact]
    public void FromBounds_KeepsTheBounds()
    {
        TRange range = R(0x1000, 0x3000);
        Assert.Equal(0x1000UL, range.RangeStart);
        Assert.Equal(0x3000UL, range.RangeEnd);
    }

    [Fact]
    public void Length()
    {
        Assert.Equal(0x2000UL, R(0x1000, 0x3000).Length);
        Assert.Equal(0UL, R(0x1000, 0x1000).Length);
        Assert.Equal(ulong.MaxValue, R(0, ulong.MaxValue).Length);
    }

    [Fact]
    public void IsEmpty()
    {
        Assert.True(R(5, 5).IsEmpty);
        Assert.True(R(0, 0).IsEmpty);
        Assert.False(R(5, 6).IsEmpty);
        Assert.False(R(0, ulong.MaxValue).IsEmpty);
    }

    [Fact]
    public void WellFormed()
    {
        Assert.True(R(5, 5).WellFormed);
        Assert.True(R(5, 6).WellFormed);
        Assert.True(R(0, ulong.MaxValue).WellFormed);
        Assert.False(R(6, 5).WellFormed);
        Assert.False(R(ulong.MaxValue, 0).WellFormed);
        Assert.True(R(6, 5).IsEmpty);
    }

    [Theory]
    [InlineData(0x1000UL, 0x2000UL, true)]
    [InlineData(0x0UL, 0x0UL, true)]
    [InlineData(0x1000UL, 0x2001UL, false)]
    [InlineData(0x1001UL, 0x2000UL, false)]
    [InlineData(0xFFFUL, 0x2000UL, false)]
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, 0xFFFF_FFFF_FFFF_F000UL, true)]
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, ulong.MaxValue, false)]
    public void IsPageAligned(ulong start, ulong end, bool expected) =>
        Assert.Equal(expected, R(start, end).IsPageAligned);

    [Fact]
    public void Contains_IsHalfOpen()
    {
        TRange range = R(0x1000, 0x2000);
        Assert.True(range.Contains(0x1000));
        Assert.True(range.Contains(0x1FFF));
        Assert.False(range.Contains(0x2000));
        Assert.False(range.Contains(0xFFF));
        Assert.False(R(0x1000, 0x1000).Contains(0x1000));
        Assert.True(R(0, ulong.MaxValue).Contains(ulong.MaxValue - 1));
        Assert.False(R(0, ulong.MaxValue).Contains(ulong.MaxValue));
    }

    [Fact]
    public void Overlaps()
    {
        TRange range = R(0x1000, 0x2000);

        Assert.True(range.Overlaps(range));
        Assert.True(range.Overlaps(R(0x1800, 0x2800)));
        Assert.True(R(0x1800, 0x2800).Overlaps(range));
        Assert.True(range.Overlaps(R(0x1400, 0x1800)));
        Assert.True(R(0x1400, 0x1800).Overlaps(range));
        Assert.True(range.Overlaps(R(0x1FFF, 0x3000)));

        // Abutting ranges share no key.
        Assert.False(range.Overlaps(R(0x2000, 0x3000)));
        Assert.False(R(0x2000, 0x3000).Overlaps(range));
        Assert.False(range.Overlaps(R(0x0, 0x1000)));
        Assert.False(range.Overlaps(R(0x5000, 0x6000)));

        // An empty range at either edge overlaps nothing.
        Assert.False(range.Overlaps(R(0x1000, 0x1000)));
        Assert.False(range.Overlaps(R(0x2000, 0x2000)));
        Assert.False(R(0x2000, 0x2000).Overlaps(range));
    }

    [Fact]
    public void IsSupersetOf()
    {
        TRange range = R(0x1000, 0x3000);

        Assert.True(range.IsSupersetOf(range));
        Assert.True(range.IsSupersetOf(R(0x1000, 0x2000)));
        Assert.True(range.IsSupersetOf(R(0x2000, 0x3000)));
        Assert.True(range.IsSupersetOf(R(0x1800, 0x1800)));
        Assert.False(range.IsSupersetOf(R(0x0FFF, 0x2000)));
        Assert.False(range.IsSupersetOf(R(0x2000, 0x3001)));
        Assert.False(range.IsSupersetOf(R(0x3000, 0x4000)));
        Assert.False(R(0x1000, 0x2000).IsSupersetOf(range));
        Assert.True(R(0x5, 0x5).IsSupersetOf(R(0x5, 0x5)));
    }

    [Fact]
    public void Intersect_OfOverlappingRanges()
    {
        Assert.Equal(R(0x1800, 0x2000), R(0x1000, 0x2000).Intersect(R(0x1800, 0x2800)));
        Assert.Equal(R(0x1800, 0x2000), R(0x1800, 0x2800).Intersect(R(0x1000, 0x2000)));
        Assert.Equal(R(0x1400, 0x1800), R(0x1000, 0x2000).Intersect(R(0x1400, 0x1800)));
        Assert.Equal(R(0x1000, 0x2000), R(0x1000, 0x2000).Intersect(R(0x1000, 0x2000)));
    }

    [Fact]
    public void Intersect_OfDisjointRanges_IsEmptyAtTheLargerStart()
    {
        Assert.Equal(R(0x3000, 0x3000), R(0x1000, 0x2000).Intersect(R(0x3000, 0x4000)));
        Assert.Equal(R(0x3000, 0x3000), R(0x3000, 0x4000).Intersect(R(0x1000, 0x2000)));
        Assert.Equal(R(0x2000, 0x2000), R(0x1000, 0x2000).Intersect(R(0x2000, 0x3000)));
        Assert.Equal(R(0x2000, 0x2000), R(0x2000, 0x3000).Intersect(R(0x1000, 0x2000)));
        Assert.True(R(0x1000, 0x2000).Intersect(R(0x3000, 0x4000)).WellFormed);
    }

    [Fact]
    public void CanSplitAt_OnlyStrictlyInside()
    {
        TRange range = R(0x1000, 0x3000);

        Assert.True(range.CanSplitAt(0x2000));
        Assert.True(range.CanSplitAt(0x1001));
        Assert.True(range.CanSplitAt(0x2FFF));
        Assert.False(range.CanSplitAt(0x1000));
        Assert.False(range.CanSplitAt(0x3000));
        Assert.False(range.CanSplitAt(0x0));
        Assert.False(range.CanSplitAt(0x4000));
        Assert.False(R(0x1000, 0x1000).CanSplitAt(0x1000));
        Assert.False(R(0x1000, 0x1001).CanSplitAt(0x1000));
    }

    [Fact]
    public void FormatRange()
    {
        Assert.Equal("[0x1000, 0x2000)", R(0x1000, 0x2000).FormatRange());
        Assert.Equal("[0x0, 0x0)", R(0, 0).FormatRange());
        Assert.Equal("[0xabc, 0xffffffffffffffff)", R(0xABC, ulong.MaxValue).FormatRange());
        Assert.Equal("[0x1000, 0x2000)", R(0x1000, 0x2000).ToString());
    }

    [Fact]
    public void Equality_IsByBounds()
    {
        Assert.Equal(R(1, 2), R(1, 2));
        Assert.NotEqual(R(1, 2), R(1, 3));
        Assert.NotEqual(R(1, 2), R(0, 2));
    }
}

public sealed class AddrRangeOperationsTests : RangeTests<AddrRange>
{
    [Fact]
    public void AddrRange_ExposesAddrBounds()
    {
        var range = new AddrRange(new Addr(0x1000), new Addr(0x2000));
        Assert.Equal(new Addr(0x1000), range.Start);
        Assert.Equal(new Addr(0x2000), range.End);
        Assert.Equal(0x1000UL, range.Length);
        Assert.Equal("[0x1000, 0x2000)", range.ToString());
        Assert.Equal("[0x1000, 0x2000)", $"{range}");
    }
}

public sealed class FileRangeOperationsTests : RangeTests<FileRange>
{
    [Fact]
    public void FileRange_ExposesOffsets()
    {
        var range = new FileRange(0x4000, 0x6000);
        Assert.Equal(0x4000UL, range.Start);
        Assert.Equal(0x6000UL, range.End);
        Assert.Equal(0x2000UL, range.Length);
        Assert.Equal("[0x4000, 0x6000)", range.ToString());
    }
}

public sealed class MappableRangeOperationsTests : RangeTests<MappableRange>
{
    [Fact]
    public void MappableRange_ExposesOffsets()
    {
        var range = new MappableRange(0x0, 0x1000);
        Assert.Equal(0x0UL, range.Start);
        Assert.Equal(0x1000UL, range.End);
        Assert.True(range.IsPageAligned);
        Assert.Equal("[0x0, 0x1000)", range.ToString());
    }
}
