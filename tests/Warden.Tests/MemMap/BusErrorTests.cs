using Warden.Errors;
using Warden.MemMap;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.MemMap;

public class BusErrorTests
{
    [Fact]
    public void Message_IsPrefixedWrappedMessage()
    {
        var inner = new SentinelError("read beyond end of file");
        Assert.Equal("BusError: read beyond end of file", new BusError(inner).Message);
    }

    [Fact]
    public void Message_OfAWrappedErrno_UsesItsMessage() =>
        Assert.Equal($"BusError: {Errno.EIO.Message}", new BusError(Errno.EIO).Message);

    [Fact]
    public void ToString_IsTheMessage()
    {
        var error = new BusError(Errno.EFAULT);
        Assert.Equal(error.Message, error.ToString());
    }

    [Fact]
    public void Err_AndUnwrap_ReturnTheWrappedError()
    {
        var error = new BusError(Errno.EFAULT);
        Assert.Same(Errno.EFAULT, error.Err);
        Assert.Same(Errno.EFAULT, error.Unwrap());
    }

    [Fact]
    public void Is_FindsItselfAndTheWrappedError_ButNothingElse()
    {
        var error = new BusError(Errno.EFAULT);
        Assert.True(error.Is(error));
        Assert.True(error.Is(Errno.EFAULT));
        Assert.False(error.Is(Errno.EIO));
        Assert.False(error.Is(new BusError(Errno.EFAULT)));
    }

    [Fact]
    public void Is_SeesThroughSeveralLayers()
    {
        var root = new SentinelError("truncated");
        Error chain = new BusError(new WrappingError("read failed", root));
        Assert.True(chain.Is(root));
        Assert.Equal("BusError: read failed", chain.Message);
    }

    [Fact]
    public void AWrappingErrorAroundABusError_CanBeRecognisedAsOne()
    {
        var bus = new BusError(Errno.EIO);
        Error outer = new WrappingError("fault", bus);
        Assert.True(outer.Is(bus));
        Assert.Same(bus, outer.Unwrap());
    }

    [Fact]
    public void WrappingNull_Throws() => Assert.Throws<ArgumentNullException>(() => new BusError(null!));
}

public class BufferedIOFallbackErrorTests
{
    [Fact]
    public void Instance_IsTheOnlyOne_AndIsRecognisedByIdentity()
    {
        Assert.Empty(typeof(BufferedIOFallbackError).GetConstructors());
        Assert.True(new WrappingError("translate", BufferedIOFallbackError.Instance).Is(BufferedIOFallbackError.Instance));
        Assert.False(new SentinelError(BufferedIOFallbackError.Instance.Message).Is(BufferedIOFallbackError.Instance));
    }

    [Fact]
    public void IsAnError_WithAMessage_AndWrapsNothing()
    {
        Error error = BufferedIOFallbackError.Instance;
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.Null(error.Unwrap());
        Assert.True(error.Is(BufferedIOFallbackError.Instance));
        Assert.False(error.Is(Errno.EIO));
    }

    [Fact]
    public void CanBeRecognisedThroughAWrapper()
    {
        Error outer = new WrappingError("map failed", BufferedIOFallbackError.Instance);
        Assert.True(outer.Is(BufferedIOFallbackError.Instance));
    }
}
