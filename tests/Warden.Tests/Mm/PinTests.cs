using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Mm;

/// <summary>
/// <see cref="MemoryManager.Pin"/>: a pinned private page belongs to this address space alone and is
/// always the page the process sees, across copy-on-write and fork (Linux's rule for pinned
/// anonymous pages): pinning breaks copy-on-write, and fork copies pinned pages for the child.
/// </summary>
public sealed class PinTests
{
    private const ulong Page = MmFixture.Page;

    private static PinnedRange[] PinPage(MmFixture f, ulong a, AccessType at)
    {
        (PinnedRange[] ranges, Error? error) = f.Mm.Pin(f.Ctx, new AddrRange((Addr)a, (Addr)(a + Page)), at, false);
        Assert.Null(error);
        Assert.Single(ranges);
        return ranges;
    }

    private static byte ThroughThePin(PinnedRange range)
    {
        (BlockSeq blocks, Error? error) = range.File.MapInternal(range.FileRange, AccessType.ReadOnly);
        Assert.Null(error);
        return PinnedBuffers.Contents(blocks)[0];
    }

    [Fact]
    public void PinThenFork_TheParentsWritesReachThePinnedPage_AndTheChildKeepsTheOldContents()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        f.Write(a, [1]);
        PinnedRange[] pin = PinPage(f, a, AccessType.ReadOnly);

        using MemoryManager child = f.Mm.Fork(f.Ctx).Child!;
        f.Write(a, [2]);

        Assert.Equal(2, ThroughThePin(pin[0]));
        Assert.Equal(2, f.Read(a, 1)[0]);
        var seen = new byte[1];
        Assert.Null(child.CopyIn(f.Ctx, (Addr)a, seen, default).Error);
        Assert.Equal(1, seen[0]);

        // And the child's own writes leave the parent's pinned page alone.
        Assert.Null(child.CopyOut(f.Ctx, (Addr)a, [3], default).Error);
        Assert.Equal(2, ThroughThePin(pin[0]));
        MemoryManager.Unpin(pin);
    }

    [Fact]
    public void PinningAPageSharedWithAnEarlierFork_BreaksCopyOnWrite()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        f.Write(a, [1]);
        using MemoryManager child = f.Mm.Fork(f.Ctx).Child!;

        // The page is shared copy-on-write; a read pin must still give the parent its own page,
        // or the parent's next write would move it off the pinned one.
        PinnedRange[] pin = PinPage(f, a, AccessType.ReadOnly);
        f.Write(a, [2]);

        Assert.Equal(2, ThroughThePin(pin[0]));
        var seen = new byte[1];
        Assert.Null(child.CopyIn(f.Ctx, (Addr)a, seen, default).Error);
        Assert.Equal(1, seen[0]);
        MemoryManager.Unpin(pin);
    }

    [Fact]
    public void PinningAPageFirstRead_KeepsItThroughTheFirstWrite()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        Assert.Equal(0, f.Read(a, 1)[0]); // backed read-only until first written

        PinnedRange[] pin = PinPage(f, a, AccessType.ReadOnly);
        f.Write(a, [7]);

        Assert.Equal(7, ThroughThePin(pin[0]));
        MemoryManager.Unpin(pin);
    }

    [Fact]
    public void AfterUnpin_ForkSharesCopyOnWriteAgain()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        f.Write(a, [1]);
        MemoryManager.Unpin(PinPage(f, a, AccessType.ReadWrite));
        ulong before = f.Usage();

        using MemoryManager child = f.Mm.Fork(f.Ctx).Child!;

        Assert.Equal(before, f.Usage());
    }

    [Fact]
    public void ForkCopiesOnlyThePinnedPages()
    {
        using var f = new MmFixture();
        ulong a = f.Map(4 * Page);
        f.Write(a, new byte[4 * Page]);
        PinnedRange[] pin = PinPage(f, a + Page, AccessType.ReadWrite);
        ulong before = f.Usage();

        using MemoryManager child = f.Mm.Fork(f.Ctx).Child!;

        Assert.Equal(before + Page, f.Usage());
        MemoryManager.Unpin(pin);
        child.Dispose();
        f.Mm.Dispose();
        Assert.Equal(0UL, f.Usage());
    }
}
