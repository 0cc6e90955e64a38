using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.Mm;
using Warden.Tests.Infrastructure;
using Xunit;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>
/// The common case of madvise, mlock, mremap and <see cref="MappingSet.Invalidate"/>, one vma or one
/// mapping, allocates nothing in steady state: no list of pieces, no dictionary, no sort, no
/// closure. Each operation is done and undone in a loop, so the mappings end as they began.
/// </summary>
public sealed class AllocationFreeMappingTests
{
    private const ulong Page = MmFixture.Page;

    [Theory]
    [InlineData(MADV_DONTFORK, MADV_DOFORK)]
    [InlineData(MADV_WIPEONFORK, MADV_KEEPONFORK)]
    [InlineData(MADV_RANDOM, MADV_NORMAL)]
    [InlineData(MADV_WILLNEED, MADV_NORMAL)]
    public void MAdvise_OfPartOfOneVma_AndBack(int advice, int undo)
    {
        using var f = new MmFixture();
        ulong a = f.Map(8 * Page);
        f.Write(a, new byte[8 * Page]);
        string maps = f.Mm.MapsText(f.Ctx);

        long allocated = Allocations.By(() =>
        {
            Assert.Null(f.Mm.MAdvise(f.Ctx, (Addr)(a + Page), 2 * Page, advice));
            Assert.Null(f.Mm.MAdvise(f.Ctx, (Addr)(a + Page), 2 * Page, undo));
        }, iterations: 200);

        Assert.Equal(0, allocated);
        Assert.Equal(maps, f.Mm.MapsText(f.Ctx));
    }

    [Fact]
    public void MAdvise_OverAHole_StillReportsENOMEM()
    {
        // The walk that replaced the list of pieces must still see holes.
        using var f = new MmFixture();
        ulong a = f.Map(3 * Page);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, a + Page, Page));
        Assert.Same(Errno.ENOMEM, f.Mm.MAdvise(f.Ctx, (Addr)a, 3 * Page, MADV_DONTFORK));
        Assert.Same(Errno.ENOMEM, f.Mm.MAdvise(f.Ctx, (Addr)a, 4 * Page, MADV_NORMAL));
        Assert.Null(f.Mm.MAdvise(f.Ctx, (Addr)a, Page, MADV_NORMAL));
    }

    [Fact]
    public void MLock_AndMUnlock_OfAPopulatedVma()
    {
        using var f = new MmFixture(new MemoryManagerOptions { CanLockMemory = true });
        ulong a = f.Map(8 * Page);
        f.Write(a, new byte[8 * Page]);

        long allocated = Allocations.By(() =>
        {
            Assert.Null(MemorySyscalls.Mlock(f.Ctx, f.Mm, a + Page, 4 * Page));
            Assert.Null(MemorySyscalls.Munlock(f.Ctx, f.Mm, a + Page, 4 * Page));
        }, iterations: 200);

        Assert.Equal(0, allocated);
        Assert.Equal(0UL, f.Mm.LockedSize);
    }

    [Fact]
    public void MRemap_GrowingAndShrinkingInPlace()
    {
        using var f = new MmFixture();
        ulong a = f.Map(4 * Page);
        f.Write(a, [42]);
        ulong wrong = 0;
        long allocated = Allocations.By(() =>
        {
            wrong += MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 4 * Page, 6 * Page, 0, 0).Result ^ a;
            wrong += MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 6 * Page, 4 * Page, 0, 0).Result ^ a;
        }, iterations: 200);

        Assert.Equal(0, allocated);
        Assert.Equal(0UL, wrong);
        Assert.Equal(42, f.Read(a, 1)[0]);
    }

    [Fact]
    public void MRemap_MovingAPopulatedVmaBackAndForth()
    {
        using var f = new MmFixture();
        ulong a = f.Map(4 * Page);
        ulong b = f.Map(4 * Page);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, b, 4 * Page));
        f.Write(a, [42]);
        f.Write(a + 3 * Page, [43]);
        // Two pmas (one of them made read-only and back), so that a move has several to carry.
        Assert.Null(MemorySyscalls.Mprotect(f.Ctx, f.Mm, a + 2 * Page, Page, PROT_READ));
        Assert.Null(MemorySyscalls.Mprotect(f.Ctx, f.Mm, a + 2 * Page, Page, PROT_READ | PROT_WRITE));

        ulong wrong = 0;
        long allocated = Allocations.By(() =>
        {
            // (Assert.Equal allocates, so the results are checked after the loop.)
            wrong += MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 4 * Page, 4 * Page, MREMAP_MAYMOVE | MREMAP_FIXED, b).Result ^ b;
            wrong += MemorySyscalls.Mremap(f.Ctx, f.Mm, b, 4 * Page, 4 * Page, MREMAP_MAYMOVE | MREMAP_FIXED, a).Result ^ a;
        }, iterations: 200);

        Assert.Equal(0, allocated);
        Assert.Equal(0UL, wrong);
        Assert.Equal(42, f.Read(a, 1)[0]);
        Assert.Equal(43, f.Read(a + 3 * Page, 1)[0]);
    }

    [Fact]
    public void MappingSetInvalidate_OfOneMapping()
    {
        var set = new MappingSet();
        var space = new CountingSpace();
        set.AddMapping(space, new AddrRange((Addr)0x10000, (Addr)(0x10000 + 16 * Page)), 0, writable: true);
        var range = new MappableRange(2 * Page, 4 * Page);

        long allocated = Allocations.By(() => set.Invalidate(range, default));

        Assert.Equal(0, allocated);
        Assert.True(space.Calls >= 1000);
        Assert.Equal(new AddrRange((Addr)(0x10000 + 2 * Page), (Addr)(0x10000 + 4 * Page)), space.Last);
    }

    private sealed class CountingSpace : IMappingSpace
    {
        public int Calls;
        public AddrRange Last;

        public void Invalidate(AddrRange ar, InvalidateOpts opts)
        {
            Calls++;
            Last = ar;
        }
    }
}
