using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.Mm;
using Xunit;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>
/// The memory manager's long operations honour <see cref="IContext.CancellationToken"/>: populating
/// (MAP_POPULATE, mlock, mlockall) and msync's write-back stop between chunks with EINTR, keeping what
/// was done, as a Linux task interrupted by a fatal signal does.
/// </summary>
public sealed class CancellationTests : IDisposable
{
    private const ulong Page = MmFixture.Page;
    private const ulong Length = 8UL << 20; // several huge-page chunks

    private readonly CancellationTokenSource _cancelled = new();
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"warden-cancel-{Guid.NewGuid():N}");

    public CancellationTests() => _cancelled.Cancel();

    private IContext Cancelled => Context.Background.WithCancellation(_cancelled.Token);

    public void Dispose()
    {
        _cancelled.Dispose();
        File.Delete(_path);
    }

    [Fact]
    public void MLock_WithACancelledContext_IsEINTR_AndTheRangeStaysLockedButUnpopulated()
    {
        using var f = new MmFixture(new MemoryManagerOptions { CanLockMemory = true });
        ulong a = f.Map(Length);

        Assert.Same(Errno.EINTR, f.Mm.MLock(Cancelled, (Addr)a, Length, MLockMode.Eager));

        Assert.Equal(Length, f.Mm.LockedSize);
        Assert.Equal(0UL, f.Mm.ResidentSetSize);
        // Not cancelled, the same call populates everything.
        Assert.Null(f.Mm.MLock(f.Ctx, (Addr)a, Length, MLockMode.Eager));
        Assert.Equal(Length, f.Mm.ResidentSetSize);
    }

    [Fact]
    public void MLockAll_WithACancelledContext_IsEINTR()
    {
        using var f = new MmFixture(new MemoryManagerOptions { CanLockMemory = true });
        f.Map(Length);

        Assert.Same(Errno.EINTR, f.Mm.MLockAll(Cancelled, new MLockAllOpts(Current: true, Future: false, MLockMode.Eager)));
        Assert.Equal(0UL, f.Mm.ResidentSetSize);
    }

    [Fact]
    public void MapPopulate_WithACancelledContext_StillMaps_ButPopulatesNothing()
    {
        // Linux ignores a failed populate: the mapping is made and faults in on access.
        using var f = new MmFixture();
        (ulong a, Error? error) = MemorySyscalls.Mmap(Cancelled, f.Mm, 0, Length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE);

        Assert.Null(error);
        Assert.Equal(0UL, f.Mm.ResidentSetSize);
        f.Write(a + Length - 1, [1]);
        Assert.Equal(1, f.Read(a + Length - 1, 1)[0]);
    }

    [Fact]
    public void MSync_WithACancelledContext_IsEINTR_AndWritesNothingBack()
    {
        File.WriteAllBytes(_path, new byte[Page]);
        using var f = new MmFixture();
        var handle = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite);
        (HostFileMappable? file, Error? openError) = HostFileMappable.Create(handle, _path, f.File, readable: true, writable: true);
        Assert.Null(openError);
        (ulong a, Error? error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, Page, PROT_READ | PROT_WRITE, MAP_SHARED, file);
        file!.DecRef(f.Ctx);
        Assert.Null(error);
        f.Write(a, [0xAA]);

        Assert.Same(Errno.EINTR, MemorySyscalls.Msync(Cancelled, f.Mm, a, Page, MS_SYNC));
        Assert.Equal(0, File.ReadAllBytes(_path)[0]);
        Assert.Null(MemorySyscalls.Msync(f.Ctx, f.Mm, a, Page, MS_SYNC));
        Assert.Equal(0xAA, File.ReadAllBytes(_path)[0]);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, a, Page));
    }
}
