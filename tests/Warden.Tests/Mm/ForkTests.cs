using Warden.Platform;
using Warden.Platforms.SoftMmu;
using Xunit;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

public class ForkTests
{
    private const ulong Page = MmFixture.Page;

    [Fact]
    public void PrivateMemoryIsCopiedOnWriteAndSharedMemoryStaysShared()
    {
        using var f = new MmFixture();
        ulong priv = f.Map(4 * Page);
        ulong shared = f.Map(Page, flags: MAP_SHARED | MAP_ANONYMOUS);
        f.Write(priv, [1, 1, 1]);
        f.Write(shared, [5]);

        (MemoryManager? child, Error? error) = f.Mm.Fork(f.Ctx);
        Assert.Null(error);
        using (child)
        {
            Assert.Equal(new byte[] { 1, 1, 1 }, Read(child!, f, priv, 3));

            f.Write(priv, [2]);
            Write(child!, f, priv + 1, [3]);
            Assert.Equal(new byte[] { 2, 1, 1 }, f.Read(priv, 3));
            Assert.Equal(new byte[] { 1, 3, 1 }, Read(child!, f, priv, 3));

            Write(child!, f, shared, [6]);
            Assert.Equal(6, f.Read(shared, 1)[0]);
            f.Write(shared + 1, [7]);
            Assert.Equal(7, Read(child!, f, shared + 1, 1)[0]);
        }
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, priv, 4 * Page));
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, shared, Page));
        Assert.Equal(0UL, f.Usage());
    }

    [Fact]
    public void AnExitingChildReleasesItsScatteredCopiesAndEachReferenceOfAPageItMapsTwice()
    {
        using var f = new MmFixture();
        ulong priv = f.Map(64 * Page);
        ulong shared = f.Map(2 * Page, flags: MAP_SHARED | MAP_ANONYMOUS);
        // A second mapping of the same shared pages (mremap with an old size of 0).
        (ulong twice, Error? remapError) = MemorySyscalls.Mremap(f.Ctx, f.Mm, shared, 0, 2 * Page, MREMAP_MAYMOVE, 0);
        Assert.Null(remapError);
        for (ulong i = 0; i < 64; i++)
        {
            f.Write(priv + (i * Page), [(byte)i]);
        }
        f.Write(shared, [1]);
        f.Write(shared + Page, [1]);
        Assert.Equal(1, f.Read(twice, 1)[0]);
        ulong before = f.Usage();

        (MemoryManager? child, Error? error) = f.Mm.Fork(f.Ctx);
        Assert.Null(error);
        using (child)
        {
            // Every other page copied: copies that follow one another in the file, at scattered addresses.
            for (ulong i = 0; i < 64; i += 2)
            {
                Write(child!, f, priv + (i * Page), [0xee]);
            }
            Write(child!, f, twice + Page, [2]);
            Assert.Equal(before + (32 * Page), f.Usage());
        }
        Assert.Equal(before, f.Usage());
        Assert.Equal(2, f.Read(shared + Page, 1)[0]);
        Assert.Equal(2, f.Read(priv + (2 * Page), 1)[0]);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, priv, 64 * Page));
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, shared, 2 * Page));
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, twice, 2 * Page));
        Assert.Equal(0UL, f.Usage());
    }

    /// <summary>
    /// A forked child's first activation maps what it inherited, as Linux's fork copies the page
    /// tables: private pages read-only (a write still breaks copy-on-write), shared ones writable,
    /// pages contiguous in the memory file as one mapping; pages never touched are not mapped.
    /// </summary>
    [Fact]
    public void AForkedChildsAddressSpaceStartsWithTheInheritedPagesMapped()
    {
        using var f = new MmFixture();
        ulong priv = f.Map(4 * Page);
        ulong shared = f.Map(Page, flags: MAP_SHARED | MAP_ANONYMOUS);
        ulong untouched = f.Map(Page);
        f.Write(priv, new byte[4 * Page]);
        f.Write(shared, [5]);

        (MemoryManager? child, Error? error) = f.Mm.Fork(f.Ctx);
        Assert.Null(error);
        using (child)
        {
            Assert.Equal((null, null), child!.Activate(f.Ctx));
            var space = (SoftMmuAddressSpace)child.AddressSpace!;
            SoftMmuMapping[] mappings = space.GetMappings();
            Assert.Contains(mappings, m => m.Range.Start <= priv && priv + (4 * Page) <= m.Range.End && m.Perms == AccessType.ReadOnly);
            Assert.Contains(mappings, m => m.Range.Start <= shared && shared + Page <= m.Range.End && m.Perms.Write);
            Assert.DoesNotContain(mappings, m => m.Range.Start < untouched + Page && untouched < m.Range.End);

            Write(child, f, priv, [9]);
            Assert.Equal(0, f.Read(priv, 1)[0]);
            Assert.Equal(9, Read(child, f, priv, 1)[0]);
        }
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, priv, 4 * Page));
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, shared, Page));
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, untouched, Page));
        Assert.Equal(0UL, f.Usage());
    }

    [Fact]
    public void DontForkIsLeftOutAndWipeOnForkStartsZeroed()
    {
        using var f = new MmFixture();
        ulong keep = f.Map(Page);
        ulong skip = f.Map(Page);
        ulong wipe = f.Map(Page);
        f.Write(keep, [1]);
        f.Write(skip, [2]);
        f.Write(wipe, [3]);
        Assert.Null(MemorySyscalls.Madvise(f.Ctx, f.Mm, skip, Page, MADV_DONTFORK));
        Assert.Null(MemorySyscalls.Madvise(f.Ctx, f.Mm, wipe, Page, MADV_WIPEONFORK));

        (MemoryManager? child, _) = f.Mm.Fork(f.Ctx);
        using (child)
        {
            Assert.Equal(1, Read(child!, f, keep, 1)[0]);
            Assert.Equal(0, Read(child!, f, wipe, 1)[0]);
            (int n, Error? error) = child!.CopyIn(f.Ctx, (Addr)skip, new byte[1], default);
            Assert.Same(Errno.EFAULT, error);
            Assert.Equal(0, n);
            Assert.Equal(3, f.Read(wipe, 1)[0]);
        }
    }

    [Fact]
    public void LocksAreNotInherited()
    {
        using var f = new MmFixture(new MemoryManagerOptions { CanLockMemory = true });
        ulong a = f.Map(2 * Page);
        Assert.Null(MemorySyscalls.Mlock(f.Ctx, f.Mm, a, 2 * Page));
        Assert.Equal(2 * Page, f.Mm.LockedSize);
        (MemoryManager? child, _) = f.Mm.Fork(f.Ctx);
        using (child)
        {
            Assert.Equal(0UL, child!.LockedSize);
            Assert.DoesNotContain(" lo ", child.SmapsText(f.Ctx), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ALoneWriterTakesThePageOverWithoutCopying()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        f.Write(a, [9]);
        (MemoryManager? child, _) = f.Mm.Fork(f.Ctx);
        child!.Dispose();
        ulong before = f.Usage();
        f.Write(a, [10]);
        Assert.Equal(before, f.Usage());
        Assert.Equal(10, f.Read(a, 1)[0]);
    }

    private static byte[] Read(MemoryManager mm, MmFixture f, ulong addr, int length)
    {
        var buffer = new byte[length];
        (int n, Error? error) = mm.CopyIn(f.Ctx, (Addr)addr, buffer, default);
        Assert.Null(error);
        Assert.Equal(length, n);
        return buffer;
    }

    private static void Write(MemoryManager mm, MmFixture f, ulong addr, byte[] data)
    {
        (int n, Error? error) = mm.CopyOut(f.Ctx, (Addr)addr, data, default);
        Assert.Null(error);
        Assert.Equal(data.Length, n);
    }
}
