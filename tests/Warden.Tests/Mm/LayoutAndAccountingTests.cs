using Xunit;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

public class LayoutAndAccountingTests
{
    private const ulong Page = MmFixture.Page;

    [Fact]
    public void TopDownPlacesEachMappingBelowTheLast()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        ulong b = f.Map(Page);
        Assert.Equal(f.Mm.Layout.TopDownBase - Page, a);
        Assert.Equal(a - Page, b);
    }

    [Fact]
    public void BottomUpPlacesEachMappingAboveTheLast()
    {
        var layout = MmapLayout.Create(0x10000, 0x7fff_ffff_f000, 8UL << 20, random: null, MmapDirection.BottomUp);
        using var f = new MmFixture(new MemoryManagerOptions { Layout = layout });
        ulong a = f.Map(Page);
        ulong b = f.Map(Page);
        Assert.Equal(layout.BottomUpBase, a);
        Assert.Equal(a + Page, b);
    }

    [Fact]
    public void TheRandomBaseFollowsTheSeed()
    {
        MmapLayout one = MmapLayout.Create(0x10000, 0x7fff_ffff_f000, 8UL << 20, new Random(7));
        MmapLayout same = MmapLayout.Create(0x10000, 0x7fff_ffff_f000, 8UL << 20, new Random(7));
        MmapLayout other = MmapLayout.Create(0x10000, 0x7fff_ffff_f000, 8UL << 20, new Random(8));
        Assert.Equal(one, same);
        Assert.NotEqual(one.TopDownBase, other.TopDownBase);
        Assert.True(Arch.IsPageAligned(one.TopDownBase));
    }

    [Fact]
    public void AHintThatIsFreeIsUsedAndOneThatIsNotIsIgnored()
    {
        using var f = new MmFixture();
        ulong hint = 0x3000_0000;
        Assert.Equal(hint, f.Map(Page, addr: hint + 123));
        Assert.NotEqual(hint, f.Map(Page, addr: hint));
    }

    [Fact]
    public void Map32BitStaysInTheSecondGigabyte()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT);
        Assert.InRange(a, 0x4000_0000UL, 0x8000_0000UL - Page);
    }

    [Fact]
    public void SizesFollowMappingsAndResidency()
    {
        using var f = new MmFixture();
        ulong a = f.Map(16 * Page);
        ulong ro = f.Map(4 * Page, PROT_READ);
        Assert.Equal(20 * Page, f.Mm.VirtualMemorySize);
        Assert.Equal(16 * Page, f.Mm.VirtualDataSize);
        Assert.Equal(0UL, f.Mm.ResidentSetSize);
        f.Write(a, [1]);
        Assert.True(f.Mm.ResidentSetSize >= Page);
        ulong peak = f.Mm.ResidentSetSize;
        Assert.Null(MemorySyscalls.Madvise(f.Ctx, f.Mm, a, 16 * Page, MADV_DONTNEED));
        Assert.Equal(0UL, f.Mm.ResidentSetSize);
        Assert.Equal(peak, f.Mm.MaxResidentSetSize);
        Assert.Equal(0, f.Read(a, 1)[0]);
        _ = ro;
    }

    [Fact]
    public void SmapsListsTheFieldsThisKernelPrints()
    {
        using var f = new MmFixture();
        ulong a = f.Map(2 * Page);
        f.Write(a, new byte[2 * Page]);
        string smaps = f.Mm.SmapsText(f.Ctx);
        string[] lines = smaps.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Size:                  8 kB", lines[1]);
        Assert.Equal("Rss:                   8 kB", lines[4]);
        Assert.Equal("THPeligible:           0", lines[^2]);
        Assert.Equal("VmFlags: rd wr mr mw me ac ", lines[^1]);

        // The same field names, in the same order, as this machine's kernel prints for its own mappings.
        string[] hostFields = File.ReadLines("/proc/self/smaps").Skip(1).TakeWhile(l => !l.Contains('-', StringComparison.Ordinal) || l.StartsWith("VmFlags", StringComparison.Ordinal))
            .Select(l => l.Split(':')[0]).ToArray();
        string[] ourFields = lines.Skip(1).Select(l => l.Split(':')[0]).ToArray();
        Assert.Equal(hostFields, ourFields);
    }

    [Fact]
    public void MlockallLocksCurrentAndFutureMappingsAndMunlockallUndoesIt()
    {
        using var f = new MmFixture(new MemoryManagerOptions { CanLockMemory = true });
        ulong a = f.Map(2 * Page);
        Assert.Null(MemorySyscalls.Mlockall(f.Ctx, f.Mm, MCL_CURRENT | MCL_FUTURE));
        Assert.Equal(2 * Page, f.Mm.LockedSize);
        f.Map(3 * Page);
        Assert.Equal(5 * Page, f.Mm.LockedSize);
        Assert.Null(MemorySyscalls.Munlockall(f.Ctx, f.Mm));
        Assert.Equal(0UL, f.Mm.LockedSize);
        Assert.Null(MemorySyscalls.Munlock(f.Ctx, f.Mm, a, Page));
    }

    [Fact]
    public void PinnedMemoryOutlivesAnUnmap()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        f.Write(a, [5]);
        (PinnedRange[] ranges, Error? error) = f.Mm.Pin(f.Ctx, new AddrRange((Addr)a, (Addr)(a + Page)), AccessType.ReadOnly, false);
        Assert.Null(error);
        Assert.Single(ranges);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, a, Page));
        (var blocks, _) = ranges[0].File.MapInternal(ranges[0].FileRange, AccessType.ReadOnly);
        Assert.Equal(5, blocks.Head.AsSpan()[0]);
        MemoryManager.Unpin(ranges);
        Assert.Equal(0UL, f.Usage());
    }

    [Fact]
    public void ForceMapsOutsideTheLayoutAndNeedsFixedAndUnmap()
    {
        var layout = new MmapLayout { MinAddress = 0x100000, MaxAddress = 0x10000000, TopDownBase = 0x10000000, BottomUpBase = 0x100000 };
        using var f = new MmFixture(new MemoryManagerOptions { Layout = layout });
        var opts = new Warden.MemMap.MMapOpts
        {
            Length = Page, Addr = (Addr)0x20000000, Fixed = true, Unmap = true, Force = true,
            Perms = AccessType.ReadOnly, MaxPerms = AccessType.AnyAccess, Private = true, Name = "vdso",
        };
        (Addr addr, Error? error) = f.Mm.MMap(f.Ctx, opts);
        Assert.Null(error);
        Assert.Equal(0x20000000UL, addr.Value);
        Assert.Contains("[anon:vdso]", f.Mm.MapsText(f.Ctx));
        Assert.Same(Errno.ENOMEM, f.Mm.MMap(f.Ctx, opts with { Force = false }).Error);
        Assert.Same(Errno.EINVAL, f.Mm.MMap(f.Ctx, opts with { Unmap = false }).Error);
        Assert.Same(Errno.EINVAL, f.Mm.MMap(f.Ctx, opts with { Fixed = false }).Error);
        Assert.DoesNotContain("0x20001000", f.Mm.MapsText(f.Ctx));
    }

    [Fact]
    public void UnmapWithoutFixed_IsEINVAL_AndChangesNothing()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        f.Write(a, [1, 2, 3]);
        string before = f.Mm.MapsText(f.Ctx);
        var opts = new Warden.MemMap.MMapOpts
        {
            Length = Page, Addr = (Addr)a, Unmap = true,
            Perms = AccessType.ReadWrite, MaxPerms = AccessType.AnyAccess, Private = true,
        };

        Assert.Same(Errno.EINVAL, f.Mm.MMap(f.Ctx, opts).Error);
        Assert.Equal(before, f.Mm.MapsText(f.Ctx));
        Assert.Equal(new byte[] { 1, 2, 3 }, f.Read(a, 3));
    }

    [Fact]
    public void PopulateMapsTheWholeRangeIntoTheActiveAddressSpace()
    {
        using var f = new MmFixture();
        Assert.Null(f.Mm.Activate(f.Ctx).Error);
        var space = (Warden.Platforms.SoftMmu.SoftMmuAddressSpace)f.Mm.AddressSpace!;
        f.Map(8 * Page, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE);
        Assert.Equal(8 * Page, space.MappedBytes);
        Assert.Equal(8 * Page, f.Mm.ResidentSetSize);
    }

    [Fact]
    public void AnonymousMemoryCanBeNamedForMaps()
    {
        using var f = new MmFixture();
        ulong a = f.Map(4 * Page, addr: 0x3000_0000, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
        ulong s = f.Map(Page, addr: 0x3100_0000, flags: MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED);
        Assert.Null(f.Mm.SetName((Addr)(a + Page), 2 * Page, "heap arena"));
        Assert.Null(f.Mm.SetName((Addr)s, Page, "ring"));
        string[] lines = f.Mm.MapsText(f.Ctx).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.EndsWith("[anon:heap arena]", lines[1]);
        Assert.StartsWith("30001000-30003000 rw-p", lines[1]);
        Assert.EndsWith("[anon_shmem:ring]", lines[3]);
        Assert.Same(Errno.EINVAL, f.Mm.SetName((Addr)a, Page, "bad$name"));
        Assert.Same(Errno.ENOMEM, f.Mm.SetName((Addr)(a + 3 * Page), 2 * Page, "x"));
        Assert.Null(f.Mm.SetName((Addr)(a + Page), 2 * Page, null));
        Assert.Equal(3, f.Mm.MapsText(f.Ctx).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
