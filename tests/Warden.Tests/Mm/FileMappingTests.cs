using Xunit;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

public sealed class FileMappingTests : IDisposable
{
    private const ulong Page = MmFixture.Page;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"warden-filemap-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(_path);

    private HostFileMappable Open(MmFixture f, bool writable)
    {
        var handle = File.OpenHandle(_path, FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read);
        (HostFileMappable? mappable, Error? error) = HostFileMappable.Create(handle, _path, f.File, readable: true, writable);
        Assert.Null(error);
        return mappable!;
    }

    [Fact]
    public void ASharedMappingReadsTheFileAndWritesBackOnMsyncAndUnmap()
    {
        File.WriteAllBytes(_path, Enumerable.Range(0, 6000).Select(i => (byte)i).ToArray());
        using var f = new MmFixture();
        HostFileMappable file = Open(f, writable: true);
        (ulong addr, Error? error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 2 * Page, PROT_READ | PROT_WRITE, MAP_SHARED, file);
        file.DecRef(f.Ctx);
        Assert.Null(error);
        Assert.Equal(unchecked((byte)5000), f.Read(addr + 5000, 1)[0]);
        // The tail of the last page past the end of the file reads as zero.
        Assert.Equal(0, f.Read(addr + 7000, 1)[0]);
        f.Write(addr + 10, [0xAA, 0xBB]);
        Assert.Null(MemorySyscalls.Msync(f.Ctx, f.Mm, addr, 2 * Page, MS_SYNC));
        byte[] onDisk = File.ReadAllBytes(_path);
        Assert.Equal(6000, onDisk.Length);
        Assert.Equal(0xAA, onDisk[10]);
        Assert.Equal(0xBB, onDisk[11]);

        f.Write(addr + 20, [0xCC]);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, addr, 2 * Page));
        Assert.Equal(0xCC, File.ReadAllBytes(_path)[20]);
        Assert.Contains(_path, f.Mm.MapsText(f.Ctx) + _path);
    }

    [Fact]
    public void APrivateMappingCopiesOnWriteAndLeavesTheFileAlone()
    {
        File.WriteAllBytes(_path, Enumerable.Repeat((byte)7, (int)Page).ToArray());
        using var f = new MmFixture();
        HostFileMappable file = Open(f, writable: false);
        (ulong addr, Error? error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, Page, PROT_READ | PROT_WRITE, MAP_PRIVATE, file);
        Assert.Null(error);
        string maps = f.Mm.MapsText(f.Ctx);
        Assert.Contains("rw-p 00000000", maps);
        Assert.EndsWith(_path + "\n", maps);
        f.Write(addr, [1]);
        Assert.Equal(new byte[] { 1, 7 }, f.Read(addr, 2));
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, addr, Page));
        file.DecRef(f.Ctx);
        Assert.All(File.ReadAllBytes(_path), b => Assert.Equal(7, b));
    }

    [Fact]
    public void PagesPastTheEndOfTheFileFault()
    {
        File.WriteAllBytes(_path, new byte[100]);
        using var f = new MmFixture();
        HostFileMappable file = Open(f, writable: false);
        (ulong addr, Error? error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 3 * Page, PROT_READ, MAP_SHARED, file);
        Assert.Null(error);
        var buffer = new byte[2 * Page];
        (int n, Error? readError) = f.Mm.CopyIn(f.Ctx, (Addr)addr, buffer, default);
        Assert.Same(Errno.EFAULT, readError);
        Assert.Equal((int)Page, n);
        Assert.IsType<Warden.MemMap.BusError>(f.Mm.HandleUserFault(f.Ctx, (Addr)(addr + Page), AccessType.ReadOnly, default));
        file.DecRef(f.Ctx);
    }

    [Fact]
    public void ASharedWritableMappingOfAReadOnlyFileIsRefused()
    {
        File.WriteAllBytes(_path, new byte[100]);
        using var f = new MmFixture();
        HostFileMappable file = Open(f, writable: false);
        (_, Error? error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, Page, PROT_READ | PROT_WRITE, MAP_SHARED, file);
        Assert.Same(Errno.EACCES, error);
        (ulong addr, error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, Page, PROT_READ, MAP_SHARED, file);
        Assert.Null(error);
        Assert.Same(Errno.EACCES, MemorySyscalls.Mprotect(f.Ctx, f.Mm, addr, Page, PROT_READ | PROT_WRITE));
        file.DecRef(f.Ctx);
    }

    [Fact]
    public void AWriteThroughASharedMappingOfAGrownFile_IsWhatReadSees()
    {
        File.WriteAllBytes(_path, new byte[3674]);
        using var f = new MmFixture();
        HostFileMappable file = Open(f, writable: true);
        Assert.Null(file.Truncate(24576));
        Assert.Equal(1737, file.Write(new byte[1737], 0x8060).Count);
        (ulong addr, Error? error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 4 * Page, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0x5000);
        Assert.Null(error);
        f.Write(addr + 0x25ac, [37]);
        byte[] b = new byte[16 * Page];
        (int n, Error? readError) = file.Read(b, 0);
        Assert.Null(readError);
        Assert.Equal(0x8729, n);
        Assert.Equal(37, b[0x75ac]);
        file.DecRef(f.Ctx);
    }

    // What this machine's kernel does for the same calls (checked with a C program): the hole reads
    // as zero through the shared mapping, in the file, and through a private mapping's pages not yet
    // copied; a private copy already made is kept; the size is unchanged.
    [Fact]
    public void MadviseRemoveOfAFileMappingPunchesAHole()
    {
        File.WriteAllBytes(_path, Enumerable.Repeat((byte)0x55, (int)(3 * Page)).ToArray());
        using var f = new MmFixture();
        HostFileMappable file = Open(f, writable: true);
        (ulong shared, Error? error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 3 * Page, PROT_READ | PROT_WRITE, MAP_SHARED, file);
        Assert.Null(error);
        (ulong copy, Error? privateError) = MemorySyscalls.Mmap(f.Ctx, f.Mm, 0, 3 * Page, PROT_READ | PROT_WRITE, MAP_PRIVATE, file);
        Assert.Null(privateError);
        f.Write(copy, [0x11]);
        Assert.Equal(0x55, f.Read(copy + Page, 1)[0]);
        f.Write(shared + Page, [0x22]);

        Assert.Null(MemorySyscalls.Madvise(f.Ctx, f.Mm, shared, 2 * Page, MADV_REMOVE));

        Assert.Equal(new byte[] { 0, 0, 0x55 }, new[] { f.Read(shared, 1)[0], f.Read(shared + Page, 1)[0], f.Read(shared + (2 * Page), 1)[0] });
        Assert.Equal(new byte[] { 0x11, 0, 0x55 }, new[] { f.Read(copy, 1)[0], f.Read(copy + Page, 1)[0], f.Read(copy + (2 * Page), 1)[0] });
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, shared, 3 * Page));
        file.DecRef(f.Ctx);
        byte[] onDisk = File.ReadAllBytes(_path);
        Assert.Equal((int)(3 * Page), onDisk.Length);
        Assert.Equal(new byte[] { 0, 0, 0x55 }, new[] { onDisk[0], onDisk[Page], onDisk[2 * Page] });
    }
}
