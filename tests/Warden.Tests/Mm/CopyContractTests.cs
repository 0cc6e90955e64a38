using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.Tests.Infrastructure;
using Xunit;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>
/// The single-range copies' contract: access_ok up front, ZeroOut's precondition, internal mappings
/// kept right as pmas split, merge and fork, and the word copy allocation-free.
/// </summary>
public class CopyContractTests
{
    private const ulong Page = MmFixture.Page;

    [Fact]
    public void CopyOut_AcrossTheTop_CopiesNothing()
    {
        using var f = new MmFixture();
        ulong top = f.Mm.Layout.MaxAddress;
        ulong last = f.Map(Page, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, addr: top - Page);
        (int n, Error? error) = f.Mm.CopyOut(f.Ctx, (Addr)(last + Page - 4), new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, default);
        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(0, n);
        Assert.Equal(new byte[4], f.Read(last + Page - 4, 4));
    }

    [Fact]
    public void CopyIn_WrappingRange_IsEfault()
    {
        using var f = new MmFixture();
        (int n, Error? error) = f.Mm.CopyIn(f.Ctx, (Addr)(ulong.MaxValue - 3), new byte[8], default);
        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(0, n);
    }

    [Fact]
    public void ZeroOut_AboveTheTop_IsEfault_AndNegativeLengthThrows()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        Assert.Equal((0L, Errno.EFAULT), f.Mm.ZeroOut(f.Ctx, (Addr)a, long.MaxValue, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => f.Mm.ZeroOut(f.Ctx, (Addr)a, -1, default));
    }

    [Fact]
    public void AtomicAboveTheTop_IsEfault()
    {
        using var f = new MmFixture();
        ulong top = f.Mm.Layout.MaxAddress;
        f.Map(Page, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, addr: top - Page);
        Assert.Equal((0u, (Error?)null), f.Mm.LoadUint32(f.Ctx, (Addr)(top - 4), default));
        (_, Error? error) = f.Mm.LoadUint32(f.Ctx, (Addr)top, default);
        Assert.Same(Errno.EFAULT, error);
    }

    /// <summary>A pma's cached internal mapping follows it when it splits, merges and is forked.</summary>
    [Fact]
    public void CachedMappings_StayRight_AcrossSplitMergeAndFork()
    {
        using var f = new MmFixture();
        ulong a = f.Map(16 * Page);
        byte[] data = Enumerable.Range(0, (int)(16 * Page)).Select(i => (byte)(i % 253)).ToArray();
        f.Write(a, data);
        Assert.Equal(data, f.Read(a, data.Length));

        // Split: protect the middle, read each part, write through the ends.
        Assert.Null(MemorySyscalls.Mprotect(f.Ctx, f.Mm, a + 5 * Page, 3 * Page, PROT_READ));
        Assert.Equal(data, f.Read(a, data.Length));
        f.Write(a + 9 * Page, new byte[] { 0xEE });
        data[9 * Page] = 0xEE;
        // Merge again.
        Assert.Null(MemorySyscalls.Mprotect(f.Ctx, f.Mm, a + 5 * Page, 3 * Page, PROT_READ | PROT_WRITE));
        f.Write(a + 6 * Page, new byte[] { 0xDD });
        data[6 * Page] = 0xDD;
        Assert.Equal(data, f.Read(a, data.Length));

        // Fork: each side writes, each sees its own.
        using MemoryManager child = f.Mm.Fork(f.Ctx).Child!;
        Assert.Equal(1, child.CopyOut(f.Ctx, (Addr)(a + 3), new byte[] { 0xCC }, default).Count);
        f.Write(a + 4, new byte[] { 0xBB });
        var childView = new byte[data.Length];
        Assert.Equal(data.Length, child.CopyIn(f.Ctx, (Addr)a, childView, default).Count);
        byte[] parentView = f.Read(a, data.Length);
        Assert.Equal(0xCC, childView[3]);
        Assert.Equal(data[4], childView[4]);
        Assert.Equal(data[3], parentView[3]);
        Assert.Equal(0xBB, parentView[4]);
    }

    [Fact]
    public void WordCopies_AllocateNothing()
    {
        using var f = new MmFixture();
        ulong a = f.Map(2 * Page);
        f.Write(a, new byte[2 * Page]);
        var word = new byte[8];
        Assert.Equal(0, Allocations.By(() =>
        {
            f.Mm.CopyIn(f.Ctx, (Addr)(a + Page - 4), word, default);
            f.Mm.CopyOut(f.Ctx, (Addr)(a + 8), word, default);
        }));
    }

    /// <summary>A thread's copy hint never outlives the pma it names: unmapping, remapping and protecting invalidate it.</summary>
    [Fact]
    public void CopyHint_IsForgottenWhenThePmaChanges()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        f.Write(a, new byte[] { 0xAA, 0xAA });
        Assert.Equal(new byte[] { 0xAA, 0xAA }, f.Read(a, 2));

        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, a, Page));
        Assert.Equal(a, f.Map(Page, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, addr: a));
        Assert.Equal(new byte[] { 0, 0 }, f.Read(a, 2));

        Assert.Null(MemorySyscalls.Mprotect(f.Ctx, f.Mm, a, Page, PROT_READ));
        Assert.Equal((0, Errno.EFAULT), f.Mm.CopyOut(f.Ctx, (Addr)a, new byte[] { 1 }, default));
        Assert.Null(MemorySyscalls.Mprotect(f.Ctx, f.Mm, a, Page, PROT_NONE));
        Assert.Equal((0, Errno.EFAULT), f.Mm.CopyIn(f.Ctx, (Addr)a, new byte[1], default));
    }

    /// <summary>Hints are per address space: the same address in a fork's child reads the child's page.</summary>
    [Fact]
    public void CopyHint_IsPerAddressSpace()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        f.Write(a, new byte[] { 1 });
        using MemoryManager child = f.Mm.Fork(f.Ctx).Child!;
        Assert.Equal(1, child.CopyOut(f.Ctx, (Addr)a, new byte[] { 2 }, default).Count);
        Assert.Equal(new byte[] { 1 }, f.Read(a, 1));
        var b = new byte[1];
        Assert.Equal(1, child.CopyIn(f.Ctx, (Addr)a, b, default).Count);
        Assert.Equal(2, b[0]);
        Assert.Equal(new byte[] { 1 }, f.Read(a, 1));
    }
}
