using Xunit;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

public class MemoryManagerBasicTests
{
    private const ulong Page = MmFixture.Page;

    [Fact]
    public void AnonymousMemoryStartsZeroedAndKeepsWhatIsWritten()
    {
        using var f = new MmFixture();
        ulong addr = f.Map(4 * Page);
        Assert.All(f.Read(addr, (int)(4 * Page)), b => Assert.Equal(0, b));
        byte[] data = Enumerable.Range(0, 10000).Select(i => (byte)(i * 7)).ToArray();
        f.Write(addr + 100, data);
        Assert.Equal(data, f.Read(addr + 100, data.Length));
    }

    [Fact]
    public void CopiesStopWithEFaultAtTheFirstUnmappedPage()
    {
        using var f = new MmFixture();
        ulong addr = f.Map(2 * Page);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, addr + Page, Page));
        var buffer = new byte[2 * Page];
        (int n, Error? error) = f.Mm.CopyIn(f.Ctx, (Addr)(addr + 10), buffer, default);
        Assert.Same(Errno.EFAULT, error);
        Assert.Equal((int)Page - 10, n);
        (n, error) = f.Mm.CopyOut(f.Ctx, (Addr)(addr + Page), buffer.AsSpan(0, 8), default);
        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(0, n);
    }

    [Fact]
    public void ReadOnlyMemoryRefusesWritesUnlessPermissionsAreIgnored()
    {
        using var f = new MmFixture();
        ulong addr = f.Map(Page);
        f.Write(addr, [1, 2, 3]);
        Assert.Null(MemorySyscalls.Mprotect(f.Ctx, f.Mm, addr, Page, PROT_READ));
        (int n, Error? error) = f.Mm.CopyOut(f.Ctx, (Addr)addr, new byte[] { 9 }, default);
        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(0, n);
        Assert.Equal(new byte[] { 1, 2, 3 }, f.Read(addr, 3));
        (n, error) = f.Mm.CopyOut(f.Ctx, (Addr)addr, new byte[] { 9 }, new Warden.UserMem.IOOpts { IgnorePermissions = true });
        Assert.Null(error);
        Assert.Equal(1, n);
        Assert.Equal(9, f.Read(addr, 1)[0]);
    }

    [Fact]
    public void ProtNoneRefusesReads()
    {
        using var f = new MmFixture();
        ulong addr = f.Map(Page, PROT_NONE);
        (int n, Error? error) = f.Mm.CopyIn(f.Ctx, (Addr)addr, new byte[4], default);
        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(0, n);
    }

    [Fact]
    public void MunmapReleasesTheMemory()
    {
        using var f = new MmFixture();
        ulong addr = f.Map(64 * Page);
        f.Write(addr, new byte[64 * Page]);
        Assert.True(f.Usage() > 0);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, addr, 64 * Page));
        Assert.Equal(0UL, f.Usage());
        Assert.Equal(0UL, f.Mm.ResidentSetSize);
        Assert.Equal(0UL, f.Mm.VirtualMemorySize);
    }

    [Fact]
    public void SharedAnonymousMappingsAreSharedWithMremapDuplicates()
    {
        using var f = new MmFixture();
        ulong a = f.Map(2 * Page, flags: MAP_SHARED | MAP_ANONYMOUS);
        (ulong b, Error? error) = MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 0, 2 * Page, MREMAP_MAYMOVE, 0);
        Assert.Null(error);
        Assert.NotEqual(a, b);
        f.Write(a + 5, [42]);
        Assert.Equal(42, f.Read(b + 5, 1)[0]);
        f.Write(b + Page, [43]);
        Assert.Equal(43, f.Read(a + Page, 1)[0]);
    }

    [Fact]
    public void MremapMoveCarriesTheContents()
    {
        using var f = new MmFixture();
        ulong a = f.Map(4 * Page);
        byte[] data = Enumerable.Range(0, (int)(4 * Page)).Select(i => (byte)(i % 251)).ToArray();
        f.Write(a, data);
        ulong target = a + 64 * Page;
        (ulong b, Error? error) = MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 4 * Page, 8 * Page, MREMAP_MAYMOVE | MREMAP_FIXED, target);
        Assert.Null(error);
        Assert.Equal(target, b);
        Assert.Equal(data, f.Read(b, data.Length));
        Assert.All(f.Read(b + 4 * Page, (int)(4 * Page)), x => Assert.Equal(0, x));
        (int n, Error? readError) = f.Mm.CopyIn(f.Ctx, (Addr)a, new byte[1], default);
        Assert.Same(Errno.EFAULT, readError);
        Assert.Equal(0, n);
    }

    [Fact]
    public void MremapDontUnmapLeavesTheOldRangeMappedAndEmpty()
    {
        using var f = new MmFixture();
        ulong a = f.Map(2 * Page);
        f.Write(a, [7, 7, 7]);
        (ulong b, Error? error) = MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 2 * Page, 2 * Page, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
        Assert.Null(error);
        Assert.Equal(new byte[] { 7, 7, 7 }, f.Read(b, 3));
        Assert.Equal(new byte[] { 0, 0, 0 }, f.Read(a, 3));
    }

    // As this machine's kernel (6.18) does it, checked with a C program reading smaps: the whole
    // vma the old range lies in loses its lock, unsplit, and locked_vm (VmLck) keeps counting it.
    [Fact]
    public void MremapDontUnmapOfALockedPageUnlocksItsWholeVmaAndLeavesItCounted()
    {
        using var f = new MmFixture();
        ulong a = f.Map(16 * Page, addr: 0x4000_0000, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
        Assert.Null(MemorySyscalls.Mlockall(f.Ctx, f.Mm, MCL_CURRENT | MCL_ONFAULT));
        ulong lockedBefore = f.Mm.LockedSize;
        (ulong b, Error? error) = MemorySyscalls.Mremap(f.Ctx, f.Mm, a + (5 * Page), Page, Page, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
        Assert.Null(error);
        string smaps = f.Mm.SmapsText(f.Ctx);
        int oldVma = smaps.IndexOf($"{a:x8}-{a + (16 * Page):x8} ", StringComparison.Ordinal);
        Assert.True(oldVma >= 0, smaps);
        int flags = smaps.IndexOf("VmFlags:", oldVma, StringComparison.Ordinal);
        Assert.DoesNotContain(" lo", smaps[flags..smaps.IndexOf('\n', flags)], StringComparison.Ordinal);
        Assert.Equal(lockedBefore + Page, f.Mm.LockedSize);
        Assert.NotEqual(a + (5 * Page), b);
    }

    [Fact]
    public void BrkGrowsAndShrinksTheHeap()
    {
        using var f = new MmFixture();
        ulong start = 0x4000_0000;
        f.Mm.BrkSetup(f.Ctx, (Addr)start);
        Assert.Equal(start, MemorySyscalls.Brk(f.Ctx, f.Mm, 0));
        Assert.Equal(start + 10000, MemorySyscalls.Brk(f.Ctx, f.Mm, start + 10000));
        f.Write(start + 9000, [1]);
        Assert.Contains("[heap]", f.Mm.MapsText(f.Ctx));
        Assert.Equal(start + 100, MemorySyscalls.Brk(f.Ctx, f.Mm, start + 100));
        (int n, Error? error) = f.Mm.CopyIn(f.Ctx, (Addr)(start + 9000), new byte[1], default);
        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(0, n);
        // Below the start is refused: the break is unchanged.
        Assert.Equal(start + 100, MemorySyscalls.Brk(f.Ctx, f.Mm, start - Page));
    }

    [Fact]
    public void BrkStopsAPageShortOfTheNextMapping()
    {
        using var f = new MmFixture();
        ulong start = 0x4000_0000;
        f.Mm.BrkSetup(f.Ctx, (Addr)start);
        f.Map(Page, addr: start + 4 * Page, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
        Assert.Equal(start + 3 * Page, MemorySyscalls.Brk(f.Ctx, f.Mm, start + 3 * Page));
        Assert.Equal(start + 3 * Page, MemorySyscalls.Brk(f.Ctx, f.Mm, start + 4 * Page));
    }

    [Fact]
    public void MapsTextHasLinuxFormat()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0x10000000);
        ulong b = f.Map(2 * Page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, 0x20000000);
        string[] lines = f.Mm.MapsText(f.Ctx).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("10000000-10001000 r--p 00000000 00:00 0 ", lines[0]);
        Assert.StartsWith("20000000-20002000 rw-s 00000000 00:01 ", lines[1]);
        Assert.EndsWith("/dev/zero (deleted)", lines[1]);
        Assert.Equal(73, lines[1].IndexOf('/', StringComparison.Ordinal));
        _ = a;
        _ = b;
    }

    [Fact]
    public void ZeroOutAndAtomicsWork()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        f.Write(a, [1, 2, 3, 4, 5, 6, 7, 8]);
        (long z, Error? error) = f.Mm.ZeroOut(f.Ctx, (Addr)(a + 4), 4, default);
        Assert.Null(error);
        Assert.Equal(4, z);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 0, 0, 0, 0 }, f.Read(a, 8));
        (uint old, Error? swapError) = f.Mm.SwapUint32(f.Ctx, (Addr)a, 0xdeadbeef, default);
        Assert.Null(swapError);
        Assert.Equal(0x04030201u, old);
        (uint seen, Error? casError) = f.Mm.CompareAndSwapUint32(f.Ctx, (Addr)a, 0xdeadbeef, 5, default);
        Assert.Null(casError);
        Assert.Equal(0xdeadbeefu, seen);
        Assert.Equal((5u, (Error?)null), f.Mm.LoadUint32(f.Ctx, (Addr)a, default));
        Assert.Throws<ArgumentException>(() => f.Mm.LoadUint32(f.Ctx, (Addr)(a + 1), default));
    }

    [Fact]
    public void ACopyThatFaultsPartWayKeepsItsPlaceInTheBuffer()
    {
        using var f = new MmFixture();
        ulong a = f.Map(4 * Page, addr: 0x4000_0000, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
        f.Map(4 * Page, addr: 0x4000_0000 + 4 * Page, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE);
        f.Write(a, Enumerable.Repeat((byte)1, (int)(4 * Page)).ToArray());
        // The first vma has memory, the second (a separate vma) has none yet: the copy goes through
        // the fast path for the first half and faults the second in.
        byte[] data = Enumerable.Range(0, (int)(8 * Page)).Select(i => (byte)(i % 253)).ToArray();
        f.Write(a, data);
        Assert.Equal(data, f.Read(a, data.Length));
    }
}
