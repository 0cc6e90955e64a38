using Warden.Errors;
using Warden.Kernel.Files;
using Xunit;

namespace Warden.Tests.Kernel.Files;

public class FsContextTests
{
    [Theory]
    [InlineData("/home/u", "a/b", "/home/u/a/b")]
    [InlineData("/", "x", "/x")]
    [InlineData("/home/u", "/etc/passwd", "/etc/passwd")]
    [InlineData("/home/u", "../x", "/home/u/../x")]
    public void JoinLeavesResolutionToTheLookup(string dir, string path, string expected)
    {
        (string joined, Errno? error) = FsContext.Join(dir, path);
        Assert.Null(error);
        Assert.Equal(expected, joined);
    }

    [Fact]
    public void EmptyAndOverlongPathsAreRefusedAsLinuxRefusesThem()
    {
        Assert.Same(Errno.ENOENT, FsContext.Join("/", "").Error);
        Assert.Same(Errno.ENAMETOOLONG, FsContext.Join("/", new string('a', 4096)).Error);
        Assert.Null(FsContext.Join("/", new string('a', 4095)).Error);
    }

    [Theory]
    [InlineData("/proc/self/../1/maps", "/proc/1/maps")]
    [InlineData("//proc/./self", "/proc/self")]
    [InlineData("/../../proc", "/proc")]
    [InlineData("/a/b/../../..", "/")]
    public void NormalizeCollapsesDotsAndSlashes(string path, string expected) => Assert.Equal(expected, FsContext.Normalize(path));

    [Fact]
    public void UmaskKeepsPermissionBitsOnlyAndForkCopies()
    {
        var fs = new FsContext("/tmp", 0x12);
        Assert.Equal(0x12, fs.SwapUmask(0xfff));
        Assert.Equal(0x1ff, fs.Umask);
        FsContext child = fs.Fork();
        child.Cwd = "/";
        Assert.Equal("/tmp", fs.Cwd);
        Assert.Equal(0x1ff, child.Umask);
    }
}
