using Xunit;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.Platforms.SoftMmu;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

public class FaultTests
{
    private const ulong Page = MmFixture.Page;

    [Fact]
    public void AFaultMapsThePageAndItsNeighboursIntoThePlatform()
    {
        using var f = new MmFixture();
        Assert.Null(f.Mm.Activate(f.Ctx).Error);
        var space = (SoftMmuAddressSpace)f.Mm.AddressSpace!;
        ulong a = f.Map(1024 * Page, addr: 0x4000_0000, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
        Assert.Null(f.Mm.HandleUserFault(f.Ctx, (Addr)(a + 5 * Page + 3), AccessType.WriteOnly, default));
        // The map unit is 2 MiB: the whole huge page around the fault is mapped at once.
        Assert.Equal((ulong)Arch.HugePageSize, space.MappedBytes);
        (int n, Error? error) = space.CopyOut((Addr)(a + 100 * Page), new byte[] { 77 });
        Assert.Null(error);
        Assert.Equal(1, n);
        Assert.Equal(77, f.Read(a + 100 * Page, 1)[0]);
    }

    [Fact]
    public void AFaultWithoutPermissionIsEAccess_AndOneOnNothingIsEFault()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page, PROT_READ);
        Assert.Same(Errno.EACCES, f.Mm.HandleUserFault(f.Ctx, (Addr)a, AccessType.WriteOnly, default));
        Assert.Null(f.Mm.HandleUserFault(f.Ctx, (Addr)a, AccessType.ReadOnly, default));
        Assert.Same(Errno.EFAULT, f.Mm.HandleUserFault(f.Ctx, (Addr)(a + Page), AccessType.ReadOnly, default));
    }

    [Fact]
    public void AWriteFaultAfterForkGivesTheParentItsOwnPage()
    {
        using var f = new MmFixture();
        Assert.Null(f.Mm.Activate(f.Ctx).Error);
        var space = (SoftMmuAddressSpace)f.Mm.AddressSpace!;
        ulong a = f.Map(Page);
        f.Write(a, [1]);
        Assert.Null(f.Mm.HandleUserFault(f.Ctx, (Addr)a, AccessType.WriteOnly, default));
        (var child, _) = f.Mm.Fork(f.Ctx);
        using (child)
        {
            // Fork revoked the parent's write access in the platform.
            Assert.NotNull(space.CopyOut((Addr)a, new byte[] { 2 }).Error);
            Assert.Null(f.Mm.HandleUserFault(f.Ctx, (Addr)a, AccessType.WriteOnly, default));
            Assert.Null(space.CopyOut((Addr)a, new byte[] { 2 }).Error);
            var buffer = new byte[1];
            child!.CopyIn(f.Ctx, (Addr)a, buffer, default);
            Assert.Equal(1, buffer[0]);
            Assert.Equal(2, f.Read(a, 1)[0]);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AfterFork_AFaultMapsWritableThePagesNoOneElseHolds_WithoutCopying(bool childLives)
    {
        using var f = new MmFixture();
        Assert.Null(f.Mm.Activate(f.Ctx).Error);
        var space = (SoftMmuAddressSpace)f.Mm.AddressSpace!;
        ulong a = f.Map(16 * Page);
        for (ulong i = 0; i < 16; i++)
        {
            Assert.Null(f.Mm.HandleUserFault(f.Ctx, (Addr)(a + (i * Page)), AccessType.WriteOnly, default));
        }
        Assert.Null(space.CopyOut((Addr)(a + (3 * Page)), new byte[] { 1 }).Error);
        (MemoryManager? child, Error? forkError) = f.Mm.Fork(f.Ctx);
        Assert.Null(forkError);
        try
        {
            if (!childLives)
            {
                // The child exits (or execs): the parent is again the pages' only holder.
                child!.Dispose();
            }
            long breaks = f.Mm.CopyOnWriteBreaks;
            ulong usage = f.Usage();
            Assert.NotNull(space.CopyOut((Addr)(a + (3 * Page)), new byte[] { 2 }).Error);

            // A read of another page: the neighbour is writable at once only if no child holds it.
            Assert.Null(f.Mm.HandleUserFault(f.Ctx, (Addr)(a + (5 * Page)), AccessType.ReadOnly, default));
            Error? write = space.CopyOut((Addr)(a + (3 * Page)), new byte[] { 2 }).Error;
            Assert.Equal(childLives, write is not null);
            Assert.Equal(breaks, f.Mm.CopyOnWriteBreaks);
            Assert.Equal(usage, f.Usage());
            if (childLives)
            {
                var buffer = new byte[1];
                Assert.Null(child!.CopyIn(f.Ctx, (Addr)(a + (3 * Page)), buffer, default).Error);
                Assert.Equal(1, buffer[0]);
            }
            Assert.Equal(childLives ? 1 : 2, f.Read(a + (3 * Page), 1)[0]);
        }
        finally
        {
            child!.Dispose();
        }
    }

    [Fact]
    public void TheStackGrowsDownOnFaultsUpToItsLimitAndKeepsItsGuardGap()
    {
        using var f = new MmFixture(new MemoryManagerOptions { Limits = new ResourceLimits { Stack = 1UL << 20 } });
        (AddrRange stack, Error? error) = f.Mm.MapStack(f.Ctx);
        Assert.Null(error);
        Assert.Contains("[stack]", f.Mm.MapsText(f.Ctx));
        ulong below = stack.Start.Value - 16 * Page;
        Assert.Null(f.Mm.HandleUserFault(f.Ctx, (Addr)below, AccessType.WriteOnly, default));
        f.Write(below, [1]);
        // Past RLIMIT_STACK (1 MiB from the top) the fault fails.
        ulong tooFar = stack.End.Value - (2UL << 20);
        Assert.Same(Errno.EFAULT, f.Mm.HandleUserFault(f.Ctx, (Addr)tooFar, AccessType.WriteOnly, default));

        // A mapping just below the stack blocks growth within the guard gap.
        ulong guardProbe = below - 64 * Page;
        f.Map(Page, addr: guardProbe - 100 * Page, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
        Assert.Same(Errno.EFAULT, f.Mm.HandleUserFault(f.Ctx, (Addr)guardProbe, AccessType.WriteOnly, default));
    }

    // As on Linux, where copy_to_user and copy_from_user fault like the program (and grow stacks),
    // but get_user_pages (ptrace, /proc/[pid]/mem) does not since 6.5.
    [Fact]
    public void ACopyBelowAGrowsDownMappingGrowsIt_ButNotARemoteOneOrOneThatIgnoresPermissions()
    {
        using var f = new MmFixture();
        ulong top = f.Map(4 * Page, addr: 0x4000_0000, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN);
        ulong below = top - 3 * Page;
        var force = new Warden.UserMem.IOOpts { IgnorePermissions = true };
        Assert.Same(Errno.EFAULT, f.Mm.CopyOut(f.Ctx, (Addr)below, new byte[] { 7 }, force).Error);
        var remote = new Warden.UserMem.IOOpts { Remote = true };
        Assert.Same(Errno.EFAULT, f.Mm.CopyIn(f.Ctx, (Addr)below, new byte[1], remote).Error);
        Assert.Contains($"{top:x8}-", f.Mm.MapsText(f.Ctx));

        // The copy starts in the hole and runs into the mapping: all of it lands.
        (int n, Error? error) = f.Mm.CopyOut(f.Ctx, (Addr)below, new byte[4 * Page], default);
        Assert.Null(error);
        Assert.Equal((int)(4 * Page), n);
        Assert.Contains($"{below:x8}-{top + 4 * Page:x8} ", f.Mm.MapsText(f.Ctx));
        var buffer = new byte[1];
        Assert.Null(f.Mm.CopyIn(f.Ctx, (Addr)(below - Page), buffer, default).Error);
        Assert.Contains($"{below - Page:x8}-", f.Mm.MapsText(f.Ctx));
    }

    // What this machine's kernel does (a C program: a 32-page MAP_GROWSDOWN mapping, grown or not
    // by a read(2) into the hole below it, then page 2 moved and grown to 8 pages at page 16): the
    // moved piece merges back only into a stack that never grew, since growing gave it an anon_vma
    // and a moved vma with one keeps its old offset.
    [Theory]
    [InlineData(false, 2)]
    [InlineData(true, 4)]
    public void AMovedPieceOfAGrownStackDoesNotMergeBack(bool grow, int vmasAfter)
    {
        using var f = new MmFixture();
        ulong g = f.Map(0x20 * Page, prot: PROT_NONE, addr: 0x4080_0000, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN);
        ulong lowest = g;
        if (grow)
        {
            lowest = g - (0x30 * Page);
            Assert.Same(Errno.EFAULT, f.Mm.CopyOut(f.Ctx, (Addr)lowest, new byte[1], default).Error);
        }
        (ulong moved, Error? error) = MemorySyscalls.Mremap(f.Ctx, f.Mm, lowest + (2 * Page), Page, 8 * Page, MREMAP_MAYMOVE | MREMAP_FIXED, lowest + (0x10 * Page));
        Assert.Null(error);
        Assert.Equal(lowest + (0x10 * Page), moved);
        Assert.Equal(vmasAfter, f.Mm.MapsText(f.Ctx).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void SmallCopiesUseTheAddressSpaceWhenActiveAndFallBackWhenItHasNoMapping()
    {
        using var f = new MmFixture();
        Assert.Null(f.Mm.Activate(f.Ctx).Error);
        var space = (SoftMmuAddressSpace)f.Mm.AddressSpace!;
        ulong a = f.Map(2 * Page);
        var active = new Warden.UserMem.IOOpts { AddressSpaceActive = true };
        // Nothing is mapped in the platform yet: the copy falls back to internal mappings.
        (int n, Error? error) = f.Mm.CopyOut(f.Ctx, (Addr)a, new byte[] { 1, 2 }, active);
        Assert.Null(error);
        Assert.Equal(2, n);
        Assert.Equal(0UL, space.MappedBytes);
        Assert.Null(f.Mm.HandleUserFault(f.Ctx, (Addr)a, AccessType.ReadOnly, default));
        long unmapsBefore = space.UnmapCalls;
        var buffer = new byte[2];
        (n, error) = f.Mm.CopyIn(f.Ctx, (Addr)a, buffer, active);
        Assert.Null(error);
        Assert.Equal(new byte[] { 1, 2 }, buffer);
        // An unmapped page still ends in EFAULT with the partial count.
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, a + Page, Page));
        Assert.True(space.UnmapCalls > unmapsBefore);
        (n, error) = f.Mm.CopyIn(f.Ctx, (Addr)(a + Page - 1), buffer, active);
        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(1, n);
    }
}
