using Warden.Errors;
using Warden.HostArch;
using Warden.PgAlloc;
using Warden.Platform;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;
using static Warden.Tests.PgAlloc.MemoryFileFixture;

namespace Warden.Tests.PgAlloc;

public class MemoryFileTests
{
    [Fact]
    public void Create_Default_StartsEmpty()
    {
        (MemoryFile? file, Error? error) = MemoryFile.Create();
        Assert.Null(error);
        using (file)
        {
            Assert.Equal(0UL, file!.TotalSize);
            Assert.True(file.FD >= 0);
            Assert.Equal(MemoryFile.DefaultMaxSize, file.MaxSize);
        }
    }

    [Fact]
    public void Allocate_BottomUp_PlacesAtTheLowestFreeRange()
    {
        using MemoryFile file = Create();
        Assert.Equal(new FileRange(0, Page), Alloc(file, Page));
        FileRange b = Alloc(file, 2 * Page);
        Assert.Equal(new FileRange(Page, 3 * Page), b);
        file.DecRef(new FileRange(0, Page));
        Assert.Equal(new FileRange(0, Page), Alloc(file, Page));
        Assert.Equal(new FileRange(3 * Page, 5 * Page), Alloc(file, 2 * Page));
    }

    [Fact]
    public void Allocate_BottomUp_FindsTheLowestFreeRangePastPagesOfDifferentStates()
    {
        using MemoryFile file = Create();
        // 64 pages, every other one with a second reference: no two neighbours merge.
        for (ulong i = 0; i < 64; i++)
        {
            Assert.Equal(new FileRange(i * Page, (i + 1) * Page), Alloc(file, Page));
            if (i % 2 == 1)
            {
                file.IncRef(new FileRange(i * Page, (i + 1) * Page), 0);
            }
        }
        Assert.Equal(new FileRange(64 * Page, 65 * Page), Alloc(file, Page));
        // Free single pages high and low: the lowest is found first, then the next.
        file.DecRef(new FileRange(40 * Page, 41 * Page));
        file.DecRef(new FileRange(10 * Page, 11 * Page));
        Assert.Equal(new FileRange(10 * Page, 11 * Page), Alloc(file, Page));
        // Two pages fit in no one-page hole.
        Assert.Equal(new FileRange(65 * Page, 67 * Page), Alloc(file, 2 * Page));
        Assert.Equal(new FileRange(40 * Page, 41 * Page), Alloc(file, Page));
        file.DecRef(new FileRange(20 * Page, 21 * Page));
        file.DecRef(new FileRange(22 * Page, 23 * Page));
        file.DecRef(new FileRange(21 * Page, 22 * Page));
        file.DecRef(new FileRange(21 * Page, 22 * Page));
        Assert.Equal(new FileRange(20 * Page, 23 * Page), Alloc(file, 3 * Page));
        Assert.Equal(new FileRange(67 * Page, 68 * Page), Alloc(file, Page));
    }

    [Fact]
    public void Allocate_TopDown_PlacesAtTheTopOfTheFile()
    {
        using MemoryFile file = Create();
        Alloc(file, Page);
        ulong size = file.TotalSize;
        Assert.Equal(new FileRange(size - Page, size), Alloc(file, Page, new AllocOpts(Direction: AllocDirection.TopDown)));
        Assert.Equal(new FileRange(size - 3 * Page, size - Page), Alloc(file, 2 * Page, new AllocOpts(Direction: AllocDirection.TopDown)));
        Assert.Equal(size, file.TotalSize);
    }

    [Fact]
    public void Allocate_TopDown_GrowsWhenNothingFits()
    {
        using MemoryFile file = Create();
        FileRange fr = Alloc(file, 2 * MiB, new AllocOpts(Direction: AllocDirection.TopDown));
        Assert.True(fr.End <= file.TotalSize);
    }

    [Fact]
    public void Allocate_Huge_IsTwoMiBAligned()
    {
        using MemoryFile file = Create();
        Alloc(file, Page);
        FileRange huge = Alloc(file, 2 * MiB, new AllocOpts(Huge: true));
        Assert.Equal(2 * MiB, huge.Start);
        FileRange small = Alloc(file, Page, new AllocOpts(Huge: true));
        Assert.Equal(0UL, small.Start % (2 * MiB));
    }

    [Fact]
    public void Allocate_GrowsTheFileInSteps()
    {
        using MemoryFile file = Create(growStep: 4 * MiB);
        Assert.Equal(0UL, file.TotalSize);
        Alloc(file, Page);
        Assert.Equal(4 * MiB, file.TotalSize);
        Alloc(file, 5 * MiB);
        Assert.Equal(8 * MiB, file.TotalSize);
    }

    [Fact]
    public void Allocate_BeyondMaxSize_FailsWithEnomemAllocatingNothing()
    {
        using MemoryFile file = Create(maxSize: 8 * MiB);
        (FileRange tooBig, Error? error) = file.Allocate(16 * MiB, MemoryKind.Anonymous);
        Assert.Same(Errno.ENOMEM, error);
        Assert.Equal(default, tooBig);
        Assert.Equal(0UL, file.TotalSize);
        Assert.Equal(0, file.SegmentCount);

        Alloc(file, 8 * MiB);
        ulong size = file.TotalSize;
        (FileRange more, error) = file.Allocate(Page, MemoryKind.Anonymous);
        Assert.Same(Errno.ENOMEM, error);
        Assert.Equal(default, more);
        Assert.Equal(size, file.TotalSize);
        Assert.Equal(1, file.SegmentCount);
        Assert.True(file.HasUniqueRef(new FileRange(0, 8 * MiB)));
    }

    [Fact]
    public void Allocate_Preconditions_Throw()
    {
        using MemoryFile file = Create();
        Assert.Throws<ArgumentException>(() => file.Allocate(0, MemoryKind.Anonymous));
        Assert.Throws<ArgumentException>(() => file.Allocate(Page + 1, MemoryKind.Anonymous));
        Assert.Throws<ArgumentException>(() => file.DecRef(new FileRange(0, 1)));
        Assert.Throws<ArgumentException>(() => file.IncRef(new FileRange(Page, Page), 0));
        Assert.Throws<ArgumentException>(() => file.MapInternal(new FileRange(0, 0), AccessType.ReadOnly));
        Assert.Throws<ArgumentException>(() => file.Decommit(new FileRange(1, Page)));
    }

    [Fact]
    public void Allocate_CommitModes_CommitUpFront()
    {
        using MemoryFile file = Create();
        Alloc(file, MiB, new AllocOpts(Mode: AllocMode.Committed));
        Assert.True(file.TotalUsage().Usage >= MiB);
        Alloc(file, MiB, new AllocOpts(Mode: AllocMode.Populated));
        Assert.True(file.TotalUsage().Usage >= 2 * MiB);
    }

    [Fact]
    public void Allocate_AdjacentRangesOfTheSameKind_Merge()
    {
        using MemoryFile file = Create();
        Alloc(file, Page);
        Alloc(file, Page);
        Assert.Equal(1, file.SegmentCount);
        file.Allocate(Page, MemoryKind.PageCache);
        Assert.Equal(2, file.SegmentCount);
    }

    [Fact]
    public void IncRefDecRef_CountPerPage()
    {
        using MemoryFile file = Create();
        FileRange fr = Alloc(file, 4 * Page);
        file.IncRef(new FileRange(Page, 3 * Page), 7);
        Assert.Equal([1, 2, 2, 1], Counts(file, fr));
        Assert.False(file.HasUniqueRef(fr));
        Assert.True(file.HasUniqueRef(new FileRange(0, Page)));
        Assert.True(file.HasUniqueRef(new FileRange(3 * Page, 4 * Page)));

        file.DecRef(new FileRange(0, 2 * Page));
        Assert.Equal([0, 1, 2, 1], Counts(file, fr));
        Assert.False(file.HasUniqueRef(fr));
        file.DecRef(new FileRange(2 * Page, 3 * Page));
        Assert.True(file.HasUniqueRef(new FileRange(Page, 4 * Page)));
        Assert.Equal(1, file.SegmentCount);

        file.DecRef(new FileRange(Page, 4 * Page));
        Assert.Equal(0, file.SegmentCount);
        Assert.False(file.HasUniqueRef(fr));
    }

    [Fact]
    public void DecRef_OfAnUnreferencedPage_ThrowsNamingItAndChangesNothing()
    {
        using MemoryFile file = Create();
        FileRange fr = Alloc(file, 2 * Page);
        var e = Assert.Throws<InvalidOperationException>(() => file.DecRef(new FileRange(Page, 3 * Page)));
        Assert.Contains("0x2000", e.Message, StringComparison.Ordinal);
        Assert.Equal([1, 1], Counts(file, fr));

        e = Assert.Throws<InvalidOperationException>(() => file.IncRef(new FileRange(4 * Page, 5 * Page), 0));
        Assert.Contains("0x4000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FreedPages_ReadAsZero_WhenReused()
    {
        using MemoryFile file = Create();
        FileRange fr = Alloc(file, 8 * Page);
        Fill(file, fr, 0xab);
        file.DecRef(fr);
        FileRange again = Alloc(file, 8 * Page);
        Assert.Equal(fr, again);
        Assert.True(AllZero(ReadMapped(file, again)));
    }

    [Fact]
    public void MapInternal_SameRange_SameBytesWithoutRemapping()
    {
        using MemoryFile file = Create();
        FileRange fr = Alloc(file, 2 * Page);
        (BlockSeq first, Error? error) = file.MapInternal(fr, AccessType.ReadWrite);
        Assert.Null(error);
        first.Head.AsSpan()[100] = 42;
        (BlockSeq second, error) = file.MapInternal(new FileRange(fr.Start + 100, fr.Start + 101), AccessType.ReadOnly);
        Assert.Null(error);
        Assert.Equal(1, second.NumBlocks);
        Assert.Equal(first.Head.Address + 100, second.Head.Address);
        Assert.Equal(42, second.Head.AsSpan()[0]);
        Assert.Equal(42, ReadFd(file, fr)[100]);
    }

    [Fact]
    public void MapInternal_AcrossChunkBoundaries_GivesOneBlock_AndAllocatesNothing()
    {
        using MemoryFile file = Create(chunkSize: 2 * MiB);
        FileRange fr = Alloc(file, 6 * MiB);
        var across = new FileRange(2 * MiB - Page, 4 * MiB + Page);
        (BlockSeq blocks, Error? error) = file.MapInternal(across, AccessType.ReadWrite); // maps the chunks
        long allocated = Allocations.By(() => (blocks, error) = file.MapInternal(across, AccessType.ReadWrite), iterations: 100);
        Assert.Null(error);
        Assert.Equal(0, allocated);
        Assert.Equal(1, blocks.NumBlocks);
        Assert.Equal(across.Length, blocks.NumBytes);
        blocks.Head.AsSpan().Fill(7);
        byte[] bytes = ReadFd(file, fr);
        Assert.Equal(0, bytes[(int)(2 * MiB - Page - 1)]);
        Assert.All(bytes[(int)(2 * MiB - Page)..(int)(4 * MiB + Page)], b => Assert.Equal(7, b));
        Assert.Equal(0, bytes[(int)(4 * MiB + Page)]);
    }

    [Fact]
    public void MapInternal_AcrossAChunkBoundary_WithoutAReservation_GivesOneBlockPerChunk()
    {
        using MemoryFile file = Create(chunkSize: 2 * MiB, reserve: false);
        FileRange fr = Alloc(file, 6 * MiB);
        var across = new FileRange(2 * MiB - Page, 4 * MiB + Page);
        (BlockSeq blocks, Error? error) = file.MapInternal(across, AccessType.ReadWrite);
        Assert.Null(error);
        Assert.Equal(3, blocks.NumBlocks);
        Assert.Equal(across.Length, blocks.NumBytes);
        byte v = 1;
        foreach (Block b in blocks)
        {
            b.AsSpan().Fill(v++);
        }
        byte[] bytes = ReadFd(file, fr);
        Assert.Equal(0, bytes[(int)(2 * MiB - Page - 1)]);
        Assert.Equal(1, bytes[(int)(2 * MiB - 1)]);
        Assert.Equal(2, bytes[(int)(2 * MiB)]);
        Assert.Equal(2, bytes[(int)(4 * MiB - 1)]);
        Assert.Equal(3, bytes[(int)(4 * MiB)]);
        Assert.Equal(0, bytes[(int)(4 * MiB + Page)]);
    }

    [Fact]
    public void MapInternal_Execute_IsRefused()
    {
        using MemoryFile file = Create();
        FileRange fr = Alloc(file, Page);
        (BlockSeq blocks, Error? error) = file.MapInternal(fr, AccessType.ReadExecute);
        Assert.Same(Errno.EACCES, error);
        Assert.True(blocks.IsEmpty);
    }

    [Fact]
    public void Decommit_ReadsZeroAndReleasesUsage()
    {
        using MemoryFile file = Create();
        FileRange fr = Alloc(file, MiB);
        Fill(file, fr, 0x5a);
        Assert.True(file.TotalUsage().Usage >= MiB);
        Assert.Null(file.Decommit(fr));
        Assert.True(file.TotalUsage().Usage < MiB / 2);
        Assert.True(AllZero(ReadFd(file, fr)));
        Assert.True(file.HasUniqueRef(fr));
        file.DecRef(fr);
    }

    [Fact]
    public void TotalUsage_ReturnsToZero_AfterFreeingEverything()
    {
        using MemoryFile file = Create();
        var ranges = new List<FileRange>();
        for (int i = 0; i < 8; i++)
        {
            FileRange fr = Alloc(file, MiB);
            Fill(file, fr, (byte)(i + 1));
            ranges.Add(fr);
        }
        (ulong usage, Error? error) = file.TotalUsage();
        Assert.Null(error);
        Assert.True(usage >= 8 * MiB, $"usage {usage}");
        foreach (FileRange fr in ranges)
        {
            file.DecRef(fr);
        }
        (usage, error) = file.TotalUsage();
        Assert.Null(error);
        Assert.True(usage <= 64 * 1024, $"usage {usage} after freeing everything");
    }

    [Fact]
    public void UpdateUsage_CountsCommittedBytesPerKind()
    {
        using MemoryFile file = Create();
        (FileRange anon, _) = file.Allocate(MiB, MemoryKind.Anonymous);
        (FileRange cache, _) = file.Allocate(MiB, MemoryKind.PageCache);
        Fill(file, new FileRange(anon.Start, anon.Start + 16 * Page), 1);
        Fill(file, new FileRange(cache.Start + 8 * Page, cache.Start + 10 * Page), 1);
        Assert.Null(file.UpdateUsage());
        Assert.Equal(16 * Page, file.Accounting.Get(MemoryKind.Anonymous));
        Assert.Equal(2 * Page, file.Accounting.Get(MemoryKind.PageCache));

        file.DecRef(anon);
        Assert.Null(file.UpdateUsage());
        Assert.Equal(0UL, file.Accounting.Get(MemoryKind.Anonymous));
        Assert.Equal(2 * Page, file.Accounting.Get(MemoryKind.PageCache));
    }

    [Fact]
    public void DataFD_IsTheMemfd()
    {
        using MemoryFile file = Create();
        FileRange fr = Alloc(file, Page);
        (int fd, Error? error) = file.DataFD(fr);
        Assert.Null(error);
        Assert.Equal(file.FD, fd);
    }

    [Fact]
    public void Destroy_ThenAnyCall_ThrowsObjectDisposed()
    {
        MemoryFile file = Create();
        FileRange fr = Alloc(file, Page);
        Fill(file, fr, 1);
        file.Destroy();
        file.Destroy();
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.Allocate(Page, MemoryKind.Anonymous));
        Assert.Throws<ObjectDisposedException>(() => file.IncRef(fr, 0));
        Assert.Throws<ObjectDisposedException>(() => file.DecRef(fr));
        Assert.Throws<ObjectDisposedException>(() => file.MapInternal(fr, AccessType.ReadOnly));
        Assert.Throws<ObjectDisposedException>(() => file.Decommit(fr));
        Assert.Throws<ObjectDisposedException>(() => file.HasUniqueRef(fr));
        Assert.Throws<ObjectDisposedException>(() => file.TotalUsage());
        Assert.Throws<ObjectDisposedException>(() => file.UpdateUsage());
        Assert.Throws<ObjectDisposedException>(() => file.TotalSize);
        Assert.Throws<ObjectDisposedException>(() => file.FD);
        Assert.Throws<ObjectDisposedException>(() => file.DataFD(fr));
    }

    [Fact]
    public void AllocateAndFill_FillsFromAReader()
    {
        using MemoryFile file = Create();
        byte[] data = new byte[3 * Page + 100];
        new Random(4).NextBytes(data);
        (FileRange fr, Error? error) = file.AllocateAndFill(8 * Page, MemoryKind.Anonymous, new StreamBlockReader(new MemoryStream(data)));
        Assert.NotNull(error);
        Assert.Equal(3 * Page, fr.Length);
        Assert.Equal(data.AsSpan(0, (int)fr.Length).ToArray(), ReadMapped(file, fr));
        Assert.Equal(1, file.RefCount(fr.Start));
        Assert.Equal(0, file.RefCount(fr.End));
        file.DecRef(fr);
        Assert.Equal(0, file.SegmentCount);
    }

    private static int[] Counts(MemoryFile file, FileRange fr)
    {
        var counts = new int[fr.Length / Page];
        for (int i = 0; i < counts.Length; i++)
        {
            counts[i] = file.RefCount(fr.Start + ((ulong)i * Page));
        }
        return counts;
    }
}
