using Warden.HostArch;
using Xunit;

namespace Warden.Tests.HostArch;

public class ArchTests
{
    [Fact]
    public void Geometry_IsX8664()
    {
        Assert.Equal(4096, Arch.PageSize);
        Assert.Equal(12, Arch.PageShift);
        Assert.Equal(0xFFFUL, Arch.PageMask);
        Assert.Equal(2 * 1024 * 1024, Arch.HugePageSize);
        Assert.Equal(21, Arch.HugePageShift);
        Assert.Equal(0x1F_FFFFUL, Arch.HugePageMask);
        Assert.Equal(64, Arch.CacheLineSize);
        Assert.Equal(6, Arch.CacheLineShift);
    }

    [Fact]
    public void PageSize_IsTheHostsPageSize() =>
        Assert.Equal(Arch.PageSize, Environment.SystemPageSize);

    [Theory]
    [InlineData(0UL, true)]
    [InlineData(0x1000UL, true)]
    [InlineData(0x1001UL, false)]
    [InlineData(0xFFFUL, false)]
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, true)]
    [InlineData(ulong.MaxValue, false)]
    public void IsPageAligned(ulong x, bool expected) =>
        Assert.Equal(expected, Arch.IsPageAligned(x));

    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(1UL, 0UL)]
    [InlineData(0xFFFUL, 0UL)]
    [InlineData(0x1000UL, 0x1000UL)]
    [InlineData(0x1FFFUL, 0x1000UL)]
    [InlineData(ulong.MaxValue, 0xFFFF_FFFF_FFFF_F000UL)]
    public void PageRoundDown(ulong x, ulong expected) =>
        Assert.Equal(expected, Arch.PageRoundDown(x));

    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(1UL, 0x1000UL)]
    [InlineData(0x1000UL, 0x1000UL)]
    [InlineData(0x1001UL, 0x2000UL)]
    [InlineData(0xFFFF_FFFF_FFFF_E001UL, 0xFFFF_FFFF_FFFF_F000UL)]
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, 0xFFFF_FFFF_FFFF_F000UL)]
    public void PageRoundUp_InRange(ulong x, ulong expected) =>
        Assert.Equal((expected, true), Arch.PageRoundUp(x));

    [Theory]
    [InlineData(0xFFFF_FFFF_FFFF_F001UL)]
    [InlineData(ulong.MaxValue)]
    public void PageRoundUp_ReportsOverflow(ulong x) =>
        Assert.False(Arch.PageRoundUp(x).Ok);

    [Theory]
    [InlineData(0UL, 0UL, 0UL)]
    [InlineData(1UL, 0UL, 0x20_0000UL)]
    [InlineData(0x20_0000UL, 0x20_0000UL, 0x20_0000UL)]
    [InlineData(0x20_1000UL, 0x20_0000UL, 0x40_0000UL)]
    [InlineData(0xFFFF_FFFF_FFC0_0000UL, 0xFFFF_FFFF_FFC0_0000UL, 0xFFFF_FFFF_FFC0_0000UL)]
    public void HugePageRounding(ulong x, ulong down, ulong up)
    {
        Assert.Equal(down, Arch.HugePageRoundDown(x));
        Assert.Equal((up, true), Arch.HugePageRoundUp(x));
    }

    [Theory]
    [InlineData(0xFFFF_FFFF_FFE0_0001UL)]
    [InlineData(ulong.MaxValue)]
    public void HugePageRoundUp_ReportsOverflow(ulong x) =>
        Assert.False(Arch.HugePageRoundUp(x).Ok);

    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(1UL, 64UL)]
    [InlineData(64UL, 64UL)]
    [InlineData(65UL, 128UL)]
    [InlineData(0xFFFF_FFFF_FFFF_FFC0UL, 0xFFFF_FFFF_FFFF_FFC0UL)]
    public void CacheLineRoundUp(ulong x, ulong expected) =>
        Assert.Equal((expected, true), Arch.CacheLineRoundUp(x));

    [Fact]
    public void CacheLineRoundUp_ReportsOverflow() =>
        Assert.False(Arch.CacheLineRoundUp(0xFFFF_FFFF_FFFF_FFC1UL).Ok);
}
