using Warden.HostArch;
using Xunit;

namespace Warden.Tests.HostArch;

public class AddrTests
{
    private static readonly Addr s_top = new(ulong.MaxValue);

    [Fact]
    public void Constants()
    {
        Assert.Equal(0UL, Addr.Zero.Value);
        Assert.Equal(ulong.MaxValue, Addr.MaxValue.Value);
        Assert.Equal(default, Addr.Zero);
    }

    [Fact]
    public void AddLength_InRange()
    {
        Assert.Equal((new Addr(0x3000), true), new Addr(0x1000).AddLength(0x2000));
        Assert.Equal((s_top, true), new Addr(1).AddLength(ulong.MaxValue - 1));
        Assert.Equal((s_top, true), s_top.AddLength(0));
    }

    [Theory]
    [InlineData(ulong.MaxValue, 1UL)]
    [InlineData(1UL, ulong.MaxValue)]
    [InlineData(0x8000_0000_0000_0000UL, 0x8000_0000_0000_0000UL)]
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, 0x1000UL)]
    public void AddLength_ReportsOverflow(ulong start, ulong length) =>
        Assert.False(new Addr(start).AddLength(length).Ok);

    [Fact]
    public void ToRange()
    {
        (AddrRange range, bool ok) = new Addr(0x1000).ToRange(0x10);
        Assert.True(ok);
        Assert.Equal(new AddrRange(new Addr(0x1000), new Addr(0x1010)), range);

        Assert.False(new Addr(0xFFFF_FFFF_FFFF_FFF0).ToRange(0x11).Ok);
        Assert.True(new Addr(0xFFFF_FFFF_FFFF_FFF0).ToRange(0xF).Ok);
    }

    [Theory]
    [InlineData(0x1000UL, true, 0UL)]
    [InlineData(0x1234UL, false, 0x234UL)]
    [InlineData(0x1FFFUL, false, 0xFFFUL)]
    [InlineData(0UL, true, 0UL)]
    [InlineData(ulong.MaxValue, false, 0xFFFUL)]
    public void PageOffsetAndAlignment(ulong value, bool aligned, ulong offset)
    {
        var addr = new Addr(value);
        Assert.Equal(aligned, addr.IsPageAligned);
        Assert.Equal(offset, addr.PageOffset);
    }

    [Theory]
    [InlineData(0x1234UL, 0x1000UL, 0x2000UL)]
    [InlineData(0x2000UL, 0x2000UL, 0x2000UL)]
    [InlineData(0x1UL, 0x0UL, 0x1000UL)]
    [InlineData(0xFFFF_FFFF_FFFF_E001UL, 0xFFFF_FFFF_FFFF_E000UL, 0xFFFF_FFFF_FFFF_F000UL)]
    public void Rounding_InRange(ulong value, ulong down, ulong up)
    {
        var addr = new Addr(value);
        Assert.Equal(new Addr(down), addr.RoundDown());
        Assert.Equal((new Addr(up), true), addr.RoundUp());
        Assert.Equal(new Addr(up), addr.MustRoundUp());
    }

    [Theory]
    [InlineData(0xFFFF_FFFF_FFFF_F001UL)]
    [InlineData(ulong.MaxValue)]
    public void RoundUp_ReportsOverflowAtTheTop(ulong value)
    {
        var addr = new Addr(value);
        Assert.False(addr.RoundUp().Ok);
        Assert.Throws<OverflowException>(() => addr.MustRoundUp());
        Assert.Equal(new Addr(0xFFFF_FFFF_FFFF_F000), addr.RoundDown());
    }

    [Fact]
    public void HugeRounding()
    {
        var addr = new Addr(0x40_1234);
        Assert.Equal(new Addr(0x40_0000), addr.HugeRoundDown());
        Assert.Equal((new Addr(0x60_0000), true), addr.HugeRoundUp());
        Assert.Equal((new Addr(0x60_0000), true), new Addr(0x60_0000).HugeRoundUp());
        Assert.False(new Addr(0xFFFF_FFFF_FFE0_0001).HugeRoundUp().Ok);
    }

    [Fact]
    public void Plus_AddsOrThrows()
    {
        Assert.Equal(new Addr(0x1010), new Addr(0x1000) + 0x10UL);
        Assert.Equal(s_top, new Addr(0xFFFF_FFFF_FFFF_FFF0) + 0xFUL);
        Assert.Throws<OverflowException>(() => new Addr(0xFFFF_FFFF_FFFF_FFF0) + 0x10UL);
        Assert.Throws<OverflowException>(() => s_top + 1UL);
    }

    [Fact]
    public void MinusLength_SubtractsOrThrows()
    {
        Assert.Equal(new Addr(0xFF0), new Addr(0x1000) - 0x10UL);
        Assert.Equal(Addr.Zero, new Addr(0x10) - 0x10UL);
        Assert.Throws<OverflowException>(() => new Addr(0x10) - 0x11UL);
        Assert.Throws<OverflowException>(() => Addr.Zero - 1UL);
    }

    [Fact]
    public void MinusAddr_GivesTheDistanceOrThrows()
    {
        Assert.Equal(0x1000UL, new Addr(0x2000) - new Addr(0x1000));
        Assert.Equal(0UL, new Addr(0x2000) - new Addr(0x2000));
        Assert.Equal(ulong.MaxValue, s_top - Addr.Zero);
        Assert.Throws<OverflowException>(() => new Addr(0x1000) - new Addr(0x1001));
    }

    [Fact]
    public void ComparisonAndEquality()
    {
        var low = new Addr(0x1000);
        var high = new Addr(0x2000);

        Assert.True(low < high);
        Assert.True(high > low);
        Assert.True(low <= new Addr(0x1000));
        Assert.True(low >= new Addr(0x1000));
        Assert.False(low > high);
        Assert.True(low == new Addr(0x1000));
        Assert.True(low != high);
        Assert.True(low.Equals((object)new Addr(0x1000)));
        Assert.False(low.Equals((object)0x1000UL));
        Assert.Equal(new Addr(0x1000).GetHashCode(), low.GetHashCode());
        Assert.True(low.CompareTo(high) < 0);
        Assert.True(high.CompareTo(low) > 0);
        Assert.Equal(0, low.CompareTo(new Addr(0x1000)));
        // Unsigned ordering: the top half is above the bottom half.
        Assert.True(new Addr(0x8000_0000_0000_0000) > new Addr(0x7FFF_FFFF_FFFF_FFFF));
    }

    [Fact]
    public void Conversions()
    {
        ulong value = new Addr(0xABC);
        Assert.Equal(0xABCUL, value);
        Assert.Equal(new Addr(0xDEF), (Addr)0xDEFUL);
    }

    [Theory]
    [InlineData(0UL, "0x0")]
    [InlineData(0x1000UL, "0x1000")]
    [InlineData(0xDEADBEEFUL, "0xdeadbeef")]
    [InlineData(ulong.MaxValue, "0xffffffffffffffff")]
    public void Formatting(ulong value, string expected)
    {
        var addr = new Addr(value);
        Assert.Equal(expected, addr.ToString());
        Assert.Equal(expected, $"{addr}");
        Assert.Equal(expected, addr.ToString("X", null));

        Span<char> buffer = stackalloc char[32];
        Assert.True(addr.TryFormat(buffer, out int written, default, null));
        Assert.Equal(expected, buffer[..written].ToString());
        Assert.False(addr.TryFormat(buffer[..(expected.Length - 1)], out _, default, null));
    }
}
