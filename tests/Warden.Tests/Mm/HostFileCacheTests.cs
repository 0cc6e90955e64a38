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
    public void OpensForWritingAreNotSharedWithReadOnlyOnes()
    {
        using var f = new MmFixture();
        var cache = new HostFileCache(f.File);
        HostFileMappable readOnly = Get(cache);
        HostFileMappable readWrite = Get(cache, writable: true);
        Assert.NotSame(readOnly, readWrite);
        Assert.False(readOnly.Writable);
        Assert.True(readWrite.Writable);
        readOnly.DecRef(f.Ctx);
        readWrite.DecRef(f.Ctx);
        Assert.Equal(0, cache.Count);
    }
}
