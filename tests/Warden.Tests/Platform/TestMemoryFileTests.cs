using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.Platform;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Platform;

/// <summary>The test double itself: other tests rely on it being strict and right.</summary>
public class TestMemoryFileTests
{
    private const int Page = Arch.PageSize;

    private static FileRange Pages(int first, int end) => new((ulong)first * Page, (ulong)end * Page);

    private static FileRange MustAllocate(TestMemoryFile mem, int pages, MemoryKind kind = MemoryKind.Anonymous)
    {
        (FileRange fr, Error? error) = mem.Allocate((ulong)pages * Page, kind);
        Assert.Null(error);
        return fr;
    }

    [Fact]
    public void Allocate_GivesOneReferencePerPage_FirstFit()
    {
        using var mem = new TestMemoryFile(8 * (ulong)Page);
        Assert.Equal(Pages(0, 2), MustAllocate(mem, 2));
        Assert.Equal(Pages(2, 5), MustAllocate(mem, 3));
        Assert.Equal([1, 1, 1, 1, 1, 0, 0, 0], mem.RefCounts(Pages(0, 8)));
        Assert.Equal(5, mem.AllocatedPages);
        Assert.Equal(8UL * Page, mem.TotalSize);
        Assert.Equal(8, mem.PageCount);
    }

    [Fact]
    public void FreedPages_AreReused_AndReadAsZero()
    {
        using var mem = new TestMemoryFile(4 * (ulong)Page);
        FileRange a = MustAllocate(mem, 2);
        FileRange b = MustAllocate(mem, 2);
        (BlockSeq blocks, Error? error) = mem.MapInternal(a, AccessType.ReadWrite);
        Assert.Null(error);
        blocks.Head.AsSpan().Fill(0xAB);

        mem.DecRef(a);
        Assert.Equal(0, mem.RefCount(0));
        Assert.Equal(new byte[2 * Page], mem.Read(a));

        Assert.Equal(a, MustAllocate(mem, 2));
        (FileRange _, Error? full) = mem.Allocate(Page, MemoryKind.Anonymous);
        Assert.Same(Errno.ENOMEM, full);
        mem.DecRef(b);
    }

    [Fact]
    public void FirstFit_SkipsHolesThatAreTooSmall()
    {
        using var mem = new TestMemoryFile(8 * (ulong)Page);
        FileRange a = MustAllocate(mem, 1);
        MustAllocate(mem, 1);
        mem.DecRef(a);
        Assert.Equal(Pages(2, 4), MustAllocate(mem, 2));
        Assert.Equal(Pages(0, 1), MustAllocate(mem, 1));
    }

    [Fact]
    public void IncRefAndDecRef_CountPerPage()
    {
        using var mem = new TestMemoryFile();
        FileRange fr = MustAllocate(mem, 3);
        mem.IncRef(Pages(1, 3), memCgID: 5);
        mem.IncRef(Pages(2, 3), memCgID: 6);
        Assert.Equal([1, 2, 3], mem.RefCounts(fr));
        Assert.Equal([5U, 6U], mem.IncRefCgroups);

        mem.DecRef(fr);
        Assert.Equal([0, 1, 2], mem.RefCounts(fr));
        Assert.Equal(2UL * Page, mem.Accounting.Get(MemoryKind.Anonymous));
        mem.DecRef(Pages(1, 3));
        mem.DecRef(Pages(2, 3));
        Assert.Equal(0, mem.AllocatedPages);
        Assert.Equal(0UL, mem.Accounting.Total());
    }

    [Fact]
    public void IncRef_OnAnUnreferencedPage_Throws()
    {
        using var mem = new TestMemoryFile();
        MustAllocate(mem, 1);
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => mem.IncRef(Pages(0, 2), 0));
        Assert.Contains("refcount", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, mem.RefCount(0));
    }

    [Fact]
    public void DecRef_BelowZero_Throws_AndChangesNothing()
    {
        using var mem = new TestMemoryFile();
        FileRange fr = MustAllocate(mem, 2);
        mem.DecRef(Pages(0, 1));
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => mem.DecRef(fr));
        Assert.Contains("refcount", e.Message, StringComparison.Ordinal);
        Assert.Equal([0, 1], mem.RefCounts(fr));
    }

    [Fact]
    public void UnalignedOrEmptyOrOutOfBoundsRanges_Throw()
    {
        using var mem = new TestMemoryFile(4 * (ulong)Page);
        MustAllocate(mem, 4);
        Assert.Throws<InvalidOperationException>(() => mem.IncRef(new FileRange(0, 100), 0));
        Assert.Throws<InvalidOperationException>(() => mem.DecRef(new FileRange(Page, Page)));
        Assert.Throws<InvalidOperationException>(() => mem.DecRef(new FileRange(2 * Page, Page)));
        Assert.Throws<InvalidOperationException>(() => mem.DecRef(Pages(3, 5)));
        Assert.Throws<InvalidOperationException>(() => mem.MapInternal(new FileRange(8, 8), AccessType.ReadOnly));
        Assert.Throws<InvalidOperationException>(() => mem.Decommit(new FileRange(1, Page)));
        Assert.Throws<ArgumentException>(() => mem.Allocate(0, MemoryKind.System));
        Assert.Throws<ArgumentException>(() => mem.Allocate(100, MemoryKind.System));
        Assert.Equal([1, 1, 1, 1], mem.RefCounts(Pages(0, 4)));
    }

    [Fact]
    public void MapInternal_NeedsReferencedPages_ButNotAlignment()
    {
        using var mem = new TestMemoryFile();
        FileRange fr = MustAllocate(mem, 2);
        (BlockSeq blocks, Error? error) = mem.MapInternal(new FileRange(10, Page + 20), AccessType.WriteOnly);
        Assert.Null(error);
        Assert.Equal((ulong)Page + 10, blocks.NumBytes);
        blocks.Head.AsSpan()[0] = 0x5A;
        Assert.Equal(0x5A, mem.Read(new FileRange(10, 11))[0]);

        Assert.Throws<InvalidOperationException>(() => mem.MapInternal(new FileRange(fr.End - 1, fr.End + 1), AccessType.ReadOnly));
    }

    [Fact]
    public void MapInternalError_IsReturned()
    {
        using var mem = new TestMemoryFile();
        FileRange fr = MustAllocate(mem, 1);
        mem.MapInternalError = Errno.EIO;
        (BlockSeq blocks, Error? error) = mem.MapInternal(fr, AccessType.ReadOnly);
        Assert.Same(Errno.EIO, error);
        Assert.True(blocks.IsEmpty);
    }

    [Fact]
    public void Decommit_Zeroes_ButKeepsTheAllocation()
    {
        using var mem = new TestMemoryFile();
        FileRange fr = MustAllocate(mem, 2);
        mem.MapInternal(fr, AccessType.WriteOnly).Blocks.Head.AsSpan().Fill(1);
        Assert.Null(mem.Decommit(Pages(1, 2)));
        Assert.All(mem.Read(Pages(0, 1)), b => Assert.Equal(1, b));
        Assert.All(mem.Read(Pages(1, 2)), b => Assert.Equal(0, b));
        Assert.Equal([1, 1], mem.RefCounts(fr));
    }

    [Fact]
    public void Usage_IsCountedByKind()
    {
        using var mem = new TestMemoryFile();
        MustAllocate(mem, 1, MemoryKind.System);
        FileRange anon = MustAllocate(mem, 2, MemoryKind.Anonymous);
        MustAllocate(mem, 3, MemoryKind.Tmpfs);
        mem.Accounting.Inc(100 * Page, MemoryKind.Mapped);

        Assert.Null(mem.UpdateUsage());
        Assert.Equal(new MemoryStats(Page, 2 * Page, 0, 3 * Page, 0, 100 * Page), mem.Accounting.Snapshot());
        Assert.Equal((6UL * Page, (Error?)null), mem.TotalUsage());
        mem.DecRef(anon);
        Assert.Equal((4UL * Page, (Error?)null), mem.TotalUsage());
    }

    [Fact]
    public void NoFileDescriptor_AndNoCheckpoints()
    {
        using var mem = new TestMemoryFile();
        FileRange fr = MustAllocate(mem, 1);
        IFile file = mem;
        Assert.Equal(-1, file.FD);
        Assert.Equal((-1, (Error?)Errno.ENOSYS), file.DataFD(fr));
        using var stream = new MemoryStream();
        Assert.Same(Errno.ENOSYS, mem.SaveTo(stream));
        Assert.Same(Errno.ENOSYS, mem.LoadFrom(stream));
        Assert.Throws<InvalidOperationException>(() => file.BufferReadAt(0, new byte[1]));
    }

    [Fact]
    public void Destroy_FreesTheMemory_AndLaterCallsThrow()
    {
        var mem = new TestMemoryFile();
        FileRange fr = MustAllocate(mem, 1);
        mem.Destroy();
        Assert.Throws<ObjectDisposedException>(() => mem.MapInternal(fr, AccessType.ReadOnly));
        Assert.Throws<ObjectDisposedException>(() => mem.Allocate(Page, MemoryKind.Anonymous));
        mem.Dispose();
    }

    [Fact]
    public void ConcurrentAllocateAndFree_KeepsCountsExact()
    {
        const int threads = 4;
        const int iterations = 2_000;
        using var mem = new TestMemoryFile(64 * (ulong)Page);
        using var start = new Barrier(threads);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                start.SignalAndWait();
                for (int i = 0; i < iterations; i++)
                {
                    FileRange fr = MustAllocate(mem, 1 + (i % 3));
                    mem.IncRef(fr, 0);
                    mem.DecRef(fr);
                    mem.DecRef(fr);
                }
            });
            workers[t].Start();
        }
        foreach (Thread worker in workers)
        {
            worker.Join();
        }
        Assert.Equal(0, mem.AllocatedPages);
        Assert.Equal(0UL, mem.Accounting.Total());
    }
}
