using Xunit;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>The errno cases of mmap(2), munmap(2), mprotect(2), mremap(2), madvise(2), mlock(2), msync(2) and mincore(2) that an address space can produce.</summary>
public class BadInputTests
{
    private const ulong Page = MmFixture.Page;
    private const int Anon = MAP_PRIVATE | MAP_ANONYMOUS;
    private const int RW = PROT_READ | PROT_WRITE;

    [Fact]
    public void Mmap()
    {
        using var f = new MmFixture();
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 0, RW, Anon).Error);
        Assert.Same(Errno.ENOMEM, MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, ulong.MaxValue - 5, RW, Anon).Error);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mmap(f.Ctx, f.Mm, 0x1000_0001, Page, RW, Anon | MAP_FIXED).Error);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, Page, RW, MAP_ANONYMOUS).Error);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, Page, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN).Error);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, Page, RW, Anon, offset: 1).Error);
        Assert.Same(Errno.EBADF, MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, Page, RW, MAP_PRIVATE).Error);
        Assert.Same(Errno.ENOMEM, MemorySyscalls.Mmap(f.Ctx, f.Mm, 0x7fff_ffff_f000, 2 * Page, RW, Anon | MAP_FIXED).Error);
        ulong used = f.Map(Page, addr: 0x1000_0000, flags: Anon | MAP_FIXED);
        Assert.Same(Errno.EEXIST, MemorySyscalls.Mmap(f.Ctx, f.Mm, used, Page, RW, Anon | MAP_FIXED_NOREPLACE).Error);
    }

    [Fact]
    public void MmapPastTheLimits()
    {
        using var f = new MmFixture(new MemoryManagerOptions
        {
            Limits = new ResourceLimits { AddressSpace = 16 * Page, Data = 8 * Page, MemLock = 2 * Page },
        });
        Assert.Same(Errno.ENOMEM, MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 17 * Page, PROT_READ, Anon).Error);
        Assert.Same(Errno.ENOMEM, MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 9 * Page, RW, Anon).Error);
        Assert.Null(MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 9 * Page, PROT_READ, Anon).Error);
        Assert.Same(Errno.EAGAIN, MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 3 * Page, RW, Anon | MAP_LOCKED).Error);
        Assert.Same(Errno.ENOMEM, MemorySyscalls.Mlock(f.Ctx, f.Mm, MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 3 * Page, PROT_READ, Anon).Result, 3 * Page));
    }

    [Fact]
    public void MlockWithAZeroLimitIsEPerm()
    {
        using var f = new MmFixture(new MemoryManagerOptions { Limits = new ResourceLimits { MemLock = 0 } });
        ulong a = f.Map(Page);
        Assert.Same(Errno.EPERM, MemorySyscalls.Mlock(f.Ctx, f.Mm, a, Page));
        Assert.Same(Errno.EPERM, MemorySyscalls.Mlockall(f.Ctx, f.Mm, MCL_CURRENT));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mlockall(f.Ctx, f.Mm, 0));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mlock(f.Ctx, f.Mm, a, Page, flags: 2));
    }

    [Fact]
    public void TheMapCountLimitIsENoMem()
    {
        using var f = new MmFixture(new MemoryManagerOptions { MaxMapCount = 10 });
        ulong a = f.Map(64 * Page, flags: Anon);
        // Alternate protections so no two vmas merge.
        Error? error = null;
        int i;
        for (i = 0; i < 32 && error is null; i++)
        {
            error = MemorySyscalls.Mprotect(f.Ctx, f.Mm, a + (ulong)i * 2 * Page, Page, PROT_READ);
        }
        Assert.Same(Errno.ENOMEM, error);
        Assert.True(f.Mm.MapCount <= 11);
        Assert.Same(Errno.ENOMEM, MemorySyscalls.Munmap(f.Ctx, f.Mm, a + 60 * Page, Page));
    }

    [Fact]
    public void MunmapAndMprotect()
    {
        using var f = new MmFixture();
        Assert.Same(Errno.EINVAL, MemorySyscalls.Munmap(f.Ctx, f.Mm, 0x1000_0001, Page));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Munmap(f.Ctx, f.Mm, 0x1000_0000, 0));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Munmap(f.Ctx, f.Mm, 0x1000_0000, ulong.MaxValue));
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, 0x1000_0000, Page));

        ulong a = f.Map(4 * Page, addr: 0x2000_0000, flags: Anon | MAP_FIXED);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mprotect(f.Ctx, f.Mm, a + 1, Page, PROT_READ));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mprotect(f.Ctx, f.Mm, a, Page, 0x40));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mprotect(f.Ctx, f.Mm, a, Page, PROT_READ | PROT_GROWSUP));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mprotect(f.Ctx, f.Mm, a, Page, PROT_READ | PROT_GROWSDOWN));
        Assert.Null(MemorySyscalls.Mprotect(f.Ctx, f.Mm, a + 100 * Page, 0, PROT_READ));
        Assert.Same(Errno.ENOMEM, MemorySyscalls.Mprotect(f.Ctx, f.Mm, a + 100 * Page, Page, PROT_READ));
        // A hole stops mprotect with ENOMEM after changing what came before it.
        Assert.Same(Errno.ENOMEM, MemorySyscalls.Mprotect(f.Ctx, f.Mm, a + 2 * Page, 8 * Page, PROT_READ));
        Assert.Same(Errno.EFAULT, f.Mm.CopyOut(f.Ctx, (Addr)(a + 3 * Page), new byte[1], default).Error);
        Assert.Null(f.Mm.CopyOut(f.Ctx, (Addr)(a + Page), new byte[1], default).Error);
    }

    [Fact]
    public void Mremap()
    {
        using var f = new MmFixture();
        ulong a = f.Map(4 * Page, addr: 0x2000_0000, flags: Anon | MAP_FIXED);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mremap(f.Ctx, f.Mm, a, Page, 2 * Page, 8, 0).Error);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mremap(f.Ctx, f.Mm, a, Page, 2 * Page, MREMAP_FIXED, a + 64 * Page).Error);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mremap(f.Ctx, f.Mm, a, Page, 2 * Page, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0).Error);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mremap(f.Ctx, f.Mm, a + 1, Page, 2 * Page, 0, 0).Error);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mremap(f.Ctx, f.Mm, a, Page, 0, 0, 0).Error);
        Assert.Same(Errno.EFAULT, MemorySyscalls.Mremap(f.Ctx, f.Mm, a + 64 * Page, Page, 2 * Page, 0, 0).Error);
        Assert.Same(Errno.EFAULT, MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 8 * Page, 16 * Page, MREMAP_MAYMOVE, 0).Error);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 0, Page, MREMAP_MAYMOVE, 0).Error);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 2 * Page, 2 * Page, MREMAP_MAYMOVE | MREMAP_FIXED, a + Page).Error);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 2 * Page, 2 * Page, MREMAP_MAYMOVE | MREMAP_FIXED, a + 64 * Page + 1).Error);
        f.Map(Page, addr: a + 4 * Page, flags: Anon | MAP_FIXED);
        Assert.Same(Errno.ENOMEM, MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 4 * Page, 8 * Page, 0, 0).Error);
    }

    [Fact]
    public void MadviseMsyncAndMincore()
    {
        using var f = new MmFixture(new MemoryManagerOptions { CanLockMemory = true });
        ulong a = f.Map(4 * Page, addr: 0x2000_0000, flags: Anon | MAP_FIXED);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Madvise(f.Ctx, f.Mm, a + 1, Page, MADV_DONTNEED));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Madvise(f.Ctx, f.Mm, a, Page, 999));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Madvise(f.Ctx, f.Mm, a, Page, MADV_REMOVE));
        Assert.Same(Errno.ENOMEM, MemorySyscalls.Madvise(f.Ctx, f.Mm, a, 8 * Page, MADV_NORMAL));
        ulong shared = f.Map(Page, flags: MAP_SHARED | MAP_ANONYMOUS);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Madvise(f.Ctx, f.Mm, shared, Page, MADV_WIPEONFORK));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Madvise(f.Ctx, f.Mm, shared, Page, MADV_FREE));
        Assert.Null(MemorySyscalls.Mlock(f.Ctx, f.Mm, a, Page));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Madvise(f.Ctx, f.Mm, a, Page, MADV_DONTNEED));

        Assert.Same(Errno.EINVAL, MemorySyscalls.Msync(f.Ctx, f.Mm, a + 1, Page, MS_SYNC));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Msync(f.Ctx, f.Mm, a, Page, MS_SYNC | MS_ASYNC));
        Assert.Same(Errno.EINVAL, MemorySyscalls.Msync(f.Ctx, f.Mm, a, Page, 64));
        Assert.Same(Errno.EBUSY, MemorySyscalls.Msync(f.Ctx, f.Mm, a, Page, MS_INVALIDATE));
        Assert.Same(Errno.ENOMEM, MemorySyscalls.Msync(f.Ctx, f.Mm, a, 8 * Page, MS_ASYNC));

        var vector = new byte[8];
        Assert.Same(Errno.EINVAL, f.Mm.Mincore((Addr)(a + 1), Page, vector));
        Assert.Same(Errno.ENOMEM, f.Mm.Mincore((Addr)a, 8 * Page, vector));
        f.Write(a + 2 * Page, [1]);
        Assert.Null(f.Mm.Mincore((Addr)a, 4 * Page, vector));
        Assert.Equal(1, vector[2]);
    }

    [Fact]
    public void MremapOfAPrivateMappingWithOldSizeZeroIsEInval()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        Assert.Same(Errno.EINVAL, MemorySyscalls.Mremap(f.Ctx, f.Mm, a, 0, Page, MREMAP_MAYMOVE, 0).Error);
    }
}
