using Warden.Errors;
using Warden.Kernel.Files;
using Warden.Kernel.Tasks;
using Warden.UserMem;
using Xunit;

namespace Warden.Tests.Kernel.Files;

public class FdTableTests
{
    private sealed class CountingFile() : FileDescription(OpenFlags.O_RDONLY, "/counting")
    {
        public int Releases { get; private set; }

        public override Errno? Stat(Span<byte> stat) => null;

        public override Errno? Statx(int flags, uint mask, Span<byte> statx) => null;

        protected override void Release() => Releases++;

        public override (long Count, Error? Error) Read(KernelTask task, IOSequence dst, long offset) => (0, null);
    }

    [Fact]
    public void AddTakesTheLowestFreeDescriptorAtOrAboveTheMinimum()
    {
        var table = new FdTable(16);
        Assert.Equal(0, table.Add(new CountingFile(), false).Fd);
        Assert.Equal(1, table.Add(new CountingFile(), false).Fd);
        Assert.Equal(5, table.Add(new CountingFile(), false, minimum: 5).Fd);
        Assert.Null(table.Remove(0));
        Assert.Equal(0, table.Add(new CountingFile(), false).Fd);
        Assert.Equal(2, table.Add(new CountingFile(), false).Fd);
    }

    [Fact]
    public void PastTheLimitIsEmfileAndTheReferenceIsDropped()
    {
        var table = new FdTable(2);
        table.Add(new CountingFile(), false);
        table.Add(new CountingFile(), false);
        var extra = new CountingFile();
        (int fd, Errno? error) = table.Add(extra, false);
        Assert.Equal(-1, fd);
        Assert.Same(Errno.EMFILE, error);
        Assert.Equal(1, extra.Releases);
        Assert.Same(Errno.EBADF, table.Set(2, new CountingFile(), false));
    }

    [Fact]
    public void SharedDescriptionsAreReleasedWithTheirLastDescriptor()
    {
        var table = new FdTable(16);
        var file = new CountingFile();
        table.Add(file, false);
        file.IncRef();
        table.Set(7, file, closeOnExec: true);
        Assert.Null(table.Remove(0));
        Assert.Equal(0, file.Releases);
        FdTable child = table.Fork();
        Assert.Null(table.Remove(7));
        Assert.Equal(0, file.Releases);
        Assert.True(child.GetWithFlags(7).CloseOnExec);
        child.CloseOnExec();
        Assert.Equal(1, file.Releases);
        Assert.Null(child.Get(7));
        Assert.Same(Errno.EBADF, child.Remove(7));
    }

    [Fact]
    public void SetReplacesAndReleasesWhatWasThere()
    {
        var table = new FdTable(16);
        var first = new CountingFile();
        var second = new CountingFile();
        table.Set(3, first, false);
        table.Set(3, second, false);
        Assert.Equal(1, first.Releases);
        Assert.Same(second, table.Get(3));
        Assert.Null(table.SetCloseOnExec(3, true));
        Assert.Same(Errno.EBADF, table.SetCloseOnExec(4, true));
        table.CloseAll();
        Assert.Equal(1, second.Releases);
        Assert.Throws<InvalidOperationException>(second.DecRef);
    }
}
