using Xunit;
using Warden.Errors;
using Warden.Mm;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>
/// <see cref="HostFileCache"/>: the opens of one unchanged file share one mappable (so its pages are
/// read once and every mapping sees the same copy), a changed file gets a new one, and a mappable
/// leaves the cache with its last reference.
/// </summary>
public sealed class HostFileCacheTests : IDisposable
{
    private const ulong Page = MmFixture.Page;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"warden-filecache-{Guid.NewGuid():N}");

    public HostFileCacheTests() => File.WriteAllBytes(_path, Enumerable.Repeat((byte)3, (int)(2 * Page)).ToArray());

    public void Dispose() => File.Delete(_path);

    private HostFileMappable Get(HostFileCache cache, bool writable = false)
    {
        var handle = File.OpenHandle(_path, FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read);
        (HostFileMappable? mappable, Error? error) = cache.Get(handle, _path, readable: true, writable);
        Assert.Null(error);
        return mappable!;
    }

    [Fact]
    public void TwoOpensOfAnUnchangedFileShareItsPages()
    {
        using var f = new MmFixture();
        var cache = new HostFileCache(f.File);
        HostFileMappable first = Get(cache);
        HostFileMappable second = Get(cache);
        Assert.Same(first, second);
        Assert.Equal(1, cache.Count);

        // The second mapping of the file finds the page the first one read: no new page cache memory.
        (ulong a, Error? error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, Page, PROT_READ, MAP_SHARED, first);
        Assert.Null(error);
        Assert.Equal(3, f.Read(a, 1)[0]);
        ulong usageAfterFirst = f.Usage();
        (ulong b, error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, Page, PROT_READ, MAP_SHARED, second);
        Assert.Null(error);
        Assert.Equal(3, f.Read(b, 1)[0]);
        Assert.Equal(usageAfterFirst, f.Usage());

        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, a, Page));
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, b, Page));
        first.DecRef(f.Ctx);
        Assert.Equal(1, cache.Count);
        second.DecRef(f.Ctx);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void AChangedFileIsWrappedAgain()
    {
        using var f = new MmFixture();
        var cache = new HostFileCache(f.File);
        HostFileMappable before = Get(cache);
        File.AppendAllText(_path, "more");
        HostFileMappable after = Get(cache);
        Assert.NotSame(before, after);
        (ulong addr, Error? error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 3 * Page, PROT_READ, MAP_PRIVATE, after);
        Assert.Null(error);
        Assert.Equal((byte)'m', f.Read(addr + (2 * Page), 1)[0]);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, addr, 3 * Page));
        // The old mappable leaving does not take the new one out of the cache.
        before.DecRef(f.Ctx);
        Assert.Same(after, Get(cache));
        after.DecRef(f.Ctx);
        after.DecRef(f.Ctx);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void MappingsOfTwoOpensDoNotMergeThoseOfOneDo()
    {
        using var f = new MmFixture();
        var cache = new HostFileCache(f.File);
        HostFileMappable first = Get(cache);
        HostFileMappable second = Get(cache);
        IMmapSource one = first.OpenedAs(readable: true, writable: false);
        IMmapSource other = second.OpenedAs(readable: true, writable: false);
        (ulong a, Error? error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 2 * Page, PROT_READ, MAP_PRIVATE, one);
        Assert.Null(error);

        // The second page again, through the other open and then through the same one: Linux merges
        // only the vmas of one open file (checked with a C program: two lines, then one).
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, a + Page, Page));
        Assert.Null(MemorySyscalls.Mmap(f.Ctx, f.Mm, a + Page, Page, PROT_READ, MAP_PRIVATE | MAP_FIXED, other, Page).Error);
        Assert.Equal(2, f.Mm.MapsText(f.Ctx).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Null(MemorySyscalls.Mmap(f.Ctx, f.Mm, a + Page, Page, PROT_READ, MAP_PRIVATE | MAP_FIXED, one, Page).Error);
        Assert.Single(f.Mm.MapsText(f.Ctx).Split('\n', StringSplitOptions.RemoveEmptyEntries));

        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, a, 2 * Page));
        first.DecRef(f.Ctx);
        second.DecRef(f.Ctx);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void ChangesWardenMakesKeepTheFileItsOneCacheAndWritesFromOutsideReachIt()
    {
        using var f = new MmFixture();
        var cache = new HostFileCache(f.File);
        HostFileMappable file = Get(cache, writable: true);
        (ulong addr, Error? error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 2 * Page, PROT_READ, MAP_SHARED, file);
        Assert.Null(error);
        Assert.Equal(3, f.Read(addr, 1)[0]);

        // A write and a truncation through the mappable change the file's times: still the same file.
        Thread.Sleep(10);
        Assert.Null(file.Write([4], 0).Error);
        Assert.Null(file.Truncate((long)(2 * Page)));
        HostFileMappable again = Get(cache);
        Assert.Same(file, again);
        again.DecRef(f.Ctx);

        // A write made to the host file directly, then announced: the cached page is read again.
        HostFileMappable? live = cache.Find(file.DeviceID, file.InodeID);
        Assert.Same(file, live);
        Assert.Null(live!.WriteBackForHostIO(0, 1));
        using (var handle = File.OpenHandle(_path, FileMode.Open, FileAccess.Write))
        {
            RandomAccess.Write(handle, new byte[] { 5 }, 0);
        }
        Assert.Equal(4, f.Read(addr, 1)[0]);
        Assert.Null(live.RefreshAfterHostWrite(0, 1));
        Assert.Equal(5, f.Read(addr, 1)[0]);
        live.DecRef(f.Ctx);

        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, addr, 2 * Page));
        file.DecRef(f.Ctx);
        Assert.Null(cache.Find(file.DeviceID, file.InodeID));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void OpensWithDifferentAccessShareOnePageCacheEachWithItsOwnChecks()
    {
        using var f = new MmFixture();
        var cache = new HostFileCache(f.File);
        HostFileMappable readOnly = Get(cache);
        Assert.False(readOnly.Writable);
        HostFileMappable readWrite = Get(cache, writable: true);
        Assert.Same(readOnly, readWrite);
        Assert.True(readWrite.Writable);

        // The read-only open still may not map the file shared and writable; the read-write one may.
        IMmapSource viaReadOnly = readOnly.OpenedAs(readable: true, writable: false);
        IMmapSource viaReadWrite = readWrite.OpenedAs(readable: true, writable: true);
        (_, Error? error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 2 * Page, PROT_READ | PROT_WRITE, MAP_SHARED, viaReadOnly);
        Assert.Equal(Errno.EACCES, error);
        (ulong reader, error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 2 * Page, PROT_READ, MAP_SHARED, viaReadOnly);
        Assert.Null(error);
        (ulong writer, error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 2 * Page, PROT_READ | PROT_WRITE, MAP_SHARED, viaReadWrite);
        Assert.Null(error);

        // One page cache: what the writable mapping writes, the read-only one sees; a hole punched
        // through one (MADV_REMOVE) is zeros in both, and in the file.
        Assert.Equal(3, f.Read(reader, 1)[0]);
        f.Write(writer, [9]);
        Assert.Equal(9, f.Read(reader, 1)[0]);
        Assert.Null(MemorySyscalls.Madvise(f.Ctx, f.Mm, writer + Page, Page, MADV_REMOVE));
        Assert.Equal(0, f.Read(reader + Page, 1)[0]);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, writer, 2 * Page));
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, reader, 2 * Page));
        readOnly.DecRef(f.Ctx);
        Assert.Equal(1, cache.Count);
        readWrite.DecRef(f.Ctx);
        Assert.Equal(0, cache.Count);
        byte[] file = File.ReadAllBytes(_path);
        Assert.Equal(9, file[0]);
        Assert.Equal(0, file[Page]);
    }
}
