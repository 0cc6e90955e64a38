using Warden.Errors;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Errors;

public class ErrorTests
{
    [Fact]
    public void Is_MatchesItself()
    {
        Assert.True(WellKnownErrors.EndOfStream.Is(WellKnownErrors.EndOfStream));
        Assert.False(WellKnownErrors.EndOfStream.Is(WellKnownErrors.NoProgress));
    }

    [Fact]
    public void Is_FollowsTheUnwrapChain()
    {
        var inner = new WrappingError("inner", Errno.EFAULT);
        var middle = new WrappingError("middle", inner);
        var outer = new WrappingError("outer", middle);

        Assert.True(outer.Is(outer));
        Assert.True(outer.Is(middle));
        Assert.True(outer.Is(inner));
        Assert.True(outer.Is(Errno.EFAULT));
        Assert.False(outer.Is(Errno.EIO));

        // Unwrapping goes inwards only.
        Assert.False(inner.Is(outer));
        Assert.False(Errno.EFAULT.Is(inner));
    }

    [Fact]
    public void Is_ComparesByIdentityNotByMessage()
    {
        var one = new SentinelError("same text");
        var other = new SentinelError("same text");
        Assert.False(one.Is(other));
        Assert.False(new WrappingError("x", one).Is(other));
    }

    [Fact]
    public void Is_RejectsNull() =>
        Assert.Throws<ArgumentNullException>(() => Errno.EIO.Is(null!));

    [Fact]
    public void ToString_IsTheMessage()
    {
        Assert.Equal("wrapped", new WrappingError("wrapped", null).ToString());
        Assert.Equal("end of stream", WellKnownErrors.EndOfStream.ToString());
    }

    [Fact]
    public void SentinelError_RequiresAMessage()
    {
        Assert.Throws<ArgumentNullException>(() => new SentinelError(null!));
        Assert.Throws<ArgumentException>(() => new SentinelError(""));
        Assert.Equal("boom", new SentinelError("boom").Message);
        Assert.Null(new SentinelError("boom").Unwrap());
    }

    [Fact]
    public void WellKnownErrors_AreDistinctSingletons()
    {
        Assert.NotSame(WellKnownErrors.EndOfStream, WellKnownErrors.NoProgress);
        // Callers recognise them by identity, through wrappers, never by message.
        Assert.True(new WrappingError("read", WellKnownErrors.EndOfStream).Is(WellKnownErrors.EndOfStream));
        Assert.False(new SentinelError(WellKnownErrors.EndOfStream.Message).Is(WellKnownErrors.EndOfStream));
        Assert.False(string.IsNullOrEmpty(WellKnownErrors.NoProgress.Message));
        Assert.NotEqual(WellKnownErrors.EndOfStream.Message, WellKnownErrors.NoProgress.Message);
    }

    [Fact]
    public void ExceptionError_CarriesTheException()
    {
        var exception = new IOException("disk on fire");
        var error = new ExceptionError(exception);

        Assert.Same(exception, error.Exception);
        Assert.Equal("disk on fire", error.Message);
        Assert.Throws<ArgumentNullException>(() => new ExceptionError(null!));
    }

    [Fact]
    public void ErrorException_CarriesTheErrorAndCount()
    {
        var exception = new ErrorException(Errno.EFAULT, 42);

        Assert.IsAssignableFrom<IOException>(exception);
        Assert.Same(Errno.EFAULT, exception.Error);
        Assert.Equal(42, exception.BytesTransferred);
        Assert.Equal("EFAULT (14): Bad address", exception.Message);
    }

    [Fact]
    public void ErrorException_ForANonErrno()
    {
        var exception = new ErrorException(WellKnownErrors.NoProgress);

        Assert.Same(WellKnownErrors.NoProgress, exception.Error);
        Assert.Equal(0, exception.BytesTransferred);
        Assert.Equal(WellKnownErrors.NoProgress.Message, exception.Message);
    }

    [Fact]
    public void ErrorException_RequiresAnError() =>
        Assert.Throws<ArgumentNullException>(() => new ErrorException(null!));
}
