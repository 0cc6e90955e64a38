using Xunit;
using Warden.Contexts;
using Warden.HostArch;
using Warden.Mm;
using Warden.PgAlloc;
using Warden.Platforms.SoftMmu;

namespace Warden.Tests.Mm;

/// <summary>
/// A memory manager over a real MemoryFile and a SoftMmu platform, with an unrandomised layout over
/// [0x10000, 0x7fff_ffff_f000). Disposing it disposes the manager and checks nothing leaked.
/// </summary>
internal sealed class MmFixture : IDisposable
{
    public const ulong Page = Arch.PageSize;

    public MmFixture(MemoryManagerOptions? options = null, SoftMmuOptions? platformOptions = null)
    {
        (MemoryFile? file, var error) = MemoryFile.Create();
        Assert.Null(error);
        File = file!;
        Platform = new SoftMmuPlatform(File, platformOptions);
        Mm = new MemoryManager(Platform, options ?? new MemoryManagerOptions());
    }

    public MemoryFile File { get; }

    public SoftMmuPlatform Platform { get; }

    public MemoryManager Mm { get; }

    public IContext Ctx => Context.Background;

    /// <summary>mmap through the syscall entry point; asserts success.</summary>
    public ulong Map(ulong length, int prot = LinuxMman.PROT_READ | LinuxMman.PROT_WRITE, int flags = LinuxMman.MAP_PRIVATE | LinuxMman.MAP_ANONYMOUS, ulong addr = 0)
    {
        (ulong result, var error) = MemorySyscalls.Mmap(Ctx, Mm, addr, length, (ulong)prot, (ulong)flags);
        Assert.Null(error);
        return result;
    }

    public void Write(ulong addr, ReadOnlySpan<byte> data)
    {
        (int n, var error) = Mm.CopyOut(Ctx, (Addr)addr, data, default);
        Assert.Null(error);
        Assert.Equal(data.Length, n);
    }

    public byte[] Read(ulong addr, int length)
    {
        var buffer = new byte[length];
        (int n, var error) = Mm.CopyIn(Ctx, (Addr)addr, buffer, default);
        Assert.Null(error);
        Assert.Equal(length, n);
        return buffer;
    }

    public ulong Usage()
    {
        Assert.Null(File.UpdateUsage());
        return File.TotalUsage().Usage;
    }

    public void Dispose()
    {
        Mm.Dispose();
        File.Dispose();
    }
}
