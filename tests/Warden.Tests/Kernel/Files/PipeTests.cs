using Warden.Errors;
using Warden.Kernel.Files;
using Xunit;

namespace Warden.Tests.Kernel.Files;

/// <summary>The pipe object's state without a task: capacity, readiness of its ends, and what closing an end does.</summary>
public class PipeTests
{
    [Fact]
    public void ANewPipe_HoldsSixteenPages_AndOnlyItsWriteEndIsReady()
    {
        var pipe = new Pipe();
        Assert.Equal(65536, pipe.Capacity);
        Assert.Equal(0, pipe.Buffered);
        Assert.Equal(0, pipe.Readiness(reader: true));
        Assert.Equal(PollEvents.POLLOUT | PollEvents.POLLWRNORM, pipe.Readiness(reader: false));
    }

    [Theory]
    [InlineData(0u, 4096)]
    [InlineData(1u, 4096)]
    [InlineData(4097u, 8192)]
    [InlineData(100000u, 131072)]
    [InlineData(1u << 20, 1 << 20)]
    public void SetCapacity_RoundsUpToAPowerOfTwoPages(uint asked, int expected)
    {
        var pipe = new Pipe();
        Assert.Equal((expected, (Errno?)null), pipe.SetCapacity(asked, privileged: false));
        Assert.Equal(expected, pipe.Capacity);
    }

    [Fact]
    public void SetCapacity_PastTheLimit_NeedsPrivilege()
    {
        var pipe = new Pipe();
        Assert.Equal(Errno.EPERM, pipe.SetCapacity((1u << 20) + 1, privileged: false).Error);
        Assert.Equal(2 << 20, pipe.SetCapacity((1u << 20) + 1, privileged: true).Capacity);
        Assert.Equal(Errno.EINVAL, pipe.SetCapacity((1u << 31) + 1, privileged: true).Error);
    }

    [Fact]
    public void ClosingTheWriteEnd_HangsUpTheReadEnd_AndClosingTheReadEnd_IsAnErrorForTheWriteEnd()
    {
        var pipe = new Pipe();
        long before = pipe.ChangeCount(PollEvents.POLLIN);
        pipe.ReleaseWriter();
        Assert.Equal(PollEvents.POLLHUP, pipe.Readiness(reader: true));
        Assert.NotEqual(before, pipe.ChangeCount(PollEvents.POLLIN));
        pipe.ReleaseReader();
        Assert.Equal(PollEvents.POLLOUT | PollEvents.POLLWRNORM | PollEvents.POLLERR, pipe.Readiness(reader: false));
    }

    [Fact]
    public void TheEnds_AreAReadOnlyAndAWriteOnlyFifo_NamedByTheInode()
    {
        var pipe = new Pipe();
        var reader = new PipeEnd(pipe, OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK, 1000, 1000);
        var writer = new PipeEnd(pipe, OpenFlags.O_WRONLY, 1000, 1000);
        Assert.True(reader.Readable && !reader.Writable);
        Assert.True(writer.Writable && !writer.Readable);
        Assert.Equal($"pipe:[{pipe.Inode}]", reader.Path);
        Assert.Equal(OpenFlags.O_NONBLOCK, reader.StatusFlags);
        Span<byte> stat = stackalloc byte[LinuxStat.Size];
        Assert.Null(reader.Stat(stat));
        Assert.Equal(0x1180u, BitConverter.ToUInt32(stat[LinuxStat.ModeOffset..]));
        Assert.Equal(pipe.Inode, BitConverter.ToUInt64(stat[8..]));
        Assert.NotEqual(pipe.Inode, new Pipe().Inode);
        writer.DecRef();
        Assert.True(writer.IsReleased);
        Assert.Equal(PollEvents.POLLHUP, reader.Readiness(PollEvents.POLLIN));
    }

    [Fact]
    public void AReopenedEnd_CountsAsTheEndsItsAccessModeNames()
    {
        var pipe = new Pipe();
        var reader = new PipeEnd(pipe, OpenFlags.O_RDONLY, 0, 0);
        var writer = new PipeEnd(pipe, OpenFlags.O_WRONLY, 0, 0);
        PipeEnd both = writer.Reopen(OpenFlags.O_RDWR);
        writer.DecRef();
        Assert.Equal(0, reader.Readiness(PollEvents.POLLIN));
        reader.DecRef();
        Assert.Equal(PollEvents.POLLOUT, both.Readiness(PollEvents.POLLOUT | PollEvents.POLLERR));
        both.DecRef();
    }
}
