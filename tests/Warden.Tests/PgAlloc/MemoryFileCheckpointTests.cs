using Warden.Errors;
using Warden.HostArch;
using Warden.PgAlloc;
using Warden.Platform;
using Xunit;
using static Warden.Tests.PgAlloc.MemoryFileFixture;

namespace Warden.Tests.PgAlloc;

public class MemoryFileCheckpointTests
{
    // A file with three allocations of two kinds, shared pages, a decommitted range and zero pages.
    private static (MemoryFile File, FileRange[] Ranges) Populated()
    {
        MemoryFile file = Create(chunkSize: 2 * MiB);
        FileRange a = Alloc(file, 3 * MiB);
        (FileRange b, _) = file.Allocate(8 * Page, MemoryKind.PageCache);
        FileRange c = Alloc(file, 4 * Page, new AllocOpts(Direction: AllocDirection.TopDown));
        var random = new Random(7);
        byte[] bytes = new byte[a.Length];
        random.NextBytes(bytes);
        bytes.AsSpan((int)MiB, (int)Page).Clear();
        Write(file, a, bytes);
        Fill(file, new FileRange(b.Start, b.Start + 2 * Page), 0x11);
        Fill(file, c, 0x22);
        Assert.Null(file.Decommit(new FileRange(a.Start + 2 * MiB, a.Start + 2 * MiB + 4 * Page)));
        file.IncRef(new FileRange(b.Start + Page, b.Start + 3 * Page), 0);
        file.IncRef(c, 0);
        return (file, [a, b, c]);
    }

    private static void Write(MemoryFile file, FileRange fr, byte[] bytes)
    {
        (Warden.SafeMem.BlockSeq blocks, Error? error) = file.MapInternal(fr, AccessType.WriteOnly);
        Assert.Null(error);
        int at = 0;
        foreach (Warden.SafeMem.Block block in blocks)
        {
            bytes.AsSpan(at, block.Length).CopyTo(block.AsSpan());
            at += block.Length;
        }
    }

    private static byte[] Save(MemoryFile file)
    {
        var stream = new MemoryStream();
        Assert.Null(file.SaveTo(stream));
        return stream.ToArray();
    }

    private static void AssertSameState(MemoryFile expected, MemoryFile actual)
    {
        ulong size = expected.TotalSize;
        Assert.True(actual.TotalSize >= size);
        Assert.Equal(expected.SegmentCount, actual.SegmentCount);
        for (ulong p = 0; p < size; p += Page)
        {
            Assert.Equal(expected.RefCount(p), actual.RefCount(p));
        }
        Assert.Equal(ReadFd(expected, new FileRange(0, size)), ReadFd(actual, new FileRange(0, size)));
    }

    [Fact]
    public void SaveThenLoad_RestoresStateAndContents()
    {
        (MemoryFile source, _) = Populated();
        using (source)
        {
            byte[] image = Save(source);
            using MemoryFile target = Create(chunkSize: 2 * MiB);
            Assert.Null(target.LoadFrom(new MemoryStream(image)));
            AssertSameState(source, target);
            Assert.Equal(image, Save(target));
            // Usage is what was committed, less the one committed page of zeros, which is not stored.
            Assert.Null(source.UpdateUsage());
            Assert.Equal(source.Accounting.Get(MemoryKind.Anonymous) - Page, target.Accounting.Get(MemoryKind.Anonymous));
            Assert.Equal(source.Accounting.Get(MemoryKind.PageCache), target.Accounting.Get(MemoryKind.PageCache));
        }
    }

    [Fact]
    public void Save_StoresOnlyCommittedNonZeroPages()
    {
        using MemoryFile file = Create();
        FileRange big = Alloc(file, 16 * MiB);
        Fill(file, new FileRange(big.Start, big.Start + 2 * Page), 1);
        Fill(file, new FileRange(big.Start + 4 * Page, big.Start + 8 * Page), 0);
        byte[] image = Save(file);
        Assert.True(image.Length < 3 * (int)Page, $"image of {image.Length} bytes");
    }

    [Fact]
    public void Load_ThenTheFileWorksAsBefore()
    {
        (MemoryFile source, FileRange[] ranges) = Populated();
        using (source)
        {
            using MemoryFile target = Create(chunkSize: 2 * MiB);
            Assert.Null(target.LoadFrom(new MemoryStream(Save(source))));
            target.DecRef(ranges[2]);
            Assert.True(target.HasUniqueRef(ranges[2]));
            FileRange next = Alloc(target, Page);
            Assert.True(AllZero(ReadMapped(target, next)));
        }
    }

    [Fact]
    public void Load_OfAnEmptyFilesImage_Works()
    {
        using MemoryFile empty = Create();
        using MemoryFile target = Create();
        Assert.Null(target.LoadFrom(new MemoryStream(Save(empty))));
        Assert.Equal(0, target.SegmentCount);
    }

    public static TheoryData<int> FlipPositions => new() { 0, 9, 20, 45, 100, 5000, 2_000_000, -30, -5 };

    [Theory]
    [MemberData(nameof(FlipPositions))]
    public void Load_RejectsAFlippedByte_LeavingTheTargetUnchanged(int position)
    {
        (MemoryFile source, _) = Populated();
        using (source)
        {
            byte[] image = Save(source);
            int at = position >= 0 ? position : image.Length + position;
            image[at] ^= 0x40;
            using MemoryFile target = Create(chunkSize: 2 * MiB);
            Error? error = target.LoadFrom(new MemoryStream(image));
            Assert.IsType<CheckpointError>(error);
            AssertUnchanged(target);
        }
    }

    [Fact]
    public void Load_RejectsEveryTruncation()
    {
        (MemoryFile source, _) = Populated();
        using (source)
        {
            byte[] image = Save(source);
            using MemoryFile target = Create(chunkSize: 2 * MiB);
            foreach (int length in new[] { 0, 7, 39, 40, 41, 100, 5000, image.Length / 2, image.Length - 9, image.Length - 1 })
            {
                var error = Assert.IsType<CheckpointError>(target.LoadFrom(new MemoryStream(image, 0, length)));
                Assert.Equal(CheckpointProblem.Truncated, error.Problem);
                AssertUnchanged(target);
            }
        }
    }

    [Fact]
    public void Load_RejectsWrongMagicAndVersion()
    {
        using MemoryFile source = Create();
        Alloc(source, Page);
        byte[] image = Save(source);
        using MemoryFile target = Create();

        byte[] badMagic = (byte[])image.Clone();
        badMagic[0] = (byte)'X';
        var error = Assert.IsType<CheckpointError>(target.LoadFrom(new MemoryStream(badMagic)));
        Assert.Equal(CheckpointProblem.BadMagic, error.Problem);

        byte[] badVersion = (byte[])image.Clone();
        badVersion[8] = 2;
        // A future version would carry a valid checksum for its own header.
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(badVersion.AsSpan(32), MemoryFile.Checksum(badVersion.AsSpan(0, 32)));
        error = Assert.IsType<CheckpointError>(target.LoadFrom(new MemoryStream(badVersion)));
        Assert.Equal(CheckpointProblem.UnsupportedVersion, error.Problem);
        Assert.Contains("version 2", error.Message, StringComparison.Ordinal);
        AssertUnchanged(target);
    }

    [Fact]
    public void Load_IntoAFileWithAllocations_Throws()
    {
        using MemoryFile source = Create();
        byte[] image = Save(source);
        using MemoryFile target = Create();
        Alloc(target, Page);
        Assert.Throws<InvalidOperationException>(() => target.LoadFrom(new MemoryStream(image)));
    }

    private static void AssertUnchanged(MemoryFile target)
    {
        Assert.Equal(0, target.SegmentCount);
        Assert.Equal(0UL, target.TotalSize);
        Assert.Equal(0UL, target.TotalUsage().Usage);
    }
}
