using Warden.MemMap;
using Xunit;

namespace Warden.Tests.MemMap;

/// <summary>
/// <see cref="IFile"/>'s default buffered I/O: a file whose <c>MapInternal</c> never falls back
/// never gets a buffered call, so one is a bug and must not pass silently (gVisor's
/// <c>NoBufferedIOFallback</c> panics).
/// </summary>
public class IFileTests
{
    [Fact]
    public void DefaultBufferReadAt_Throws()
    {
        IFile file = new MinimalFile();
        byte[] dst = new byte[16];
        Assert.Throws<InvalidOperationException>(() => file.BufferReadAt(0, dst));
        Assert.All(dst, b => Assert.Equal(0, b));
    }

    [Fact]
    public void DefaultBufferWriteAt_Throws()
    {
        IFile file = new MinimalFile();
        byte[] src = [1, 2, 3];
        Assert.Throws<InvalidOperationException>(() => file.BufferWriteAt(0x1000, src));
    }

    [Fact]
    public void DefaultBufferedIO_ThrowsEvenForZeroBytes()
    {
        IFile file = new MinimalFile();
        Assert.Throws<InvalidOperationException>(() => file.BufferReadAt(0, Span<byte>.Empty));
        Assert.Throws<InvalidOperationException>(() => file.BufferWriteAt(0, ReadOnlySpan<byte>.Empty));
    }
}
