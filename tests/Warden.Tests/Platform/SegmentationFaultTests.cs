using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Xunit;

namespace Warden.Tests.Platform;

public class SegmentationFaultTests
{
    [Theory]
    [InlineData(0x1234UL, "segmentation fault at 0x1234")]
    [InlineData(0UL, "segmentation fault at 0x0")]
    [InlineData(0xdeadbeefUL, "segmentation fault at 0xdeadbeef")]
    [InlineData(0x7fffABCD0000UL, "segmentation fault at 0x7fffabcd0000")]
    [InlineData(ulong.MaxValue, "segmentation fault at 0xffffffffffffffff")]
    public void Message_IsLowerCaseHexWithPrefix(ulong addr, string expected)
    {
        var fault = new SegmentationFault(new Addr(addr));
        Assert.Equal(expected, fault.Message);
        Assert.Equal(expected, fault.ToString());
    }

    [Fact]
    public void CarriesTheAddress()
    {
        var fault = new SegmentationFault(new Addr(0x5000));
        Assert.Equal(new Addr(0x5000), fault.Addr);
        Assert.Null(fault.Unwrap());
    }

    [Fact]
    public void IsAnError_ThatCanBeMatchedByType()
    {
        Error error = new SegmentationFault(new Addr(0x10));
        Assert.True(error is SegmentationFault { Addr.Value: 0x10 });
        Assert.False(error.Is(Errno.EFAULT));
    }
}
