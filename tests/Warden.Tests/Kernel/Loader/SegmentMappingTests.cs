using Warden.Errors;
using Xunit;
using static Warden.Tests.Kernel.Loader.ElfBuilder;

namespace Warden.Tests.Kernel.Loader;

/// <summary>PT_LOAD segments land as Linux's elf_map/elf_load put them: pages, permissions, contents, bss, brk.</summary>
public sealed class SegmentMappingTests
{
    [Fact]
    public void TheStandardImageIsMappedAsLinuxMapsIt()
    {
        using var f = new LoaderFixture();
        byte[] file = Standard().Build();
        var image = f.LoadOk(f.Put("/bin/prog", file));

        // Text: file pages [0, 0x2000) read/execute. Data: its file page, then the bss as anonymous read/write memory.
        Assert.Equal("00400000-00402000 r-xp 00000000 /bin/prog", f.MapAt(0x400000));
        Assert.Equal("00602000-00603000 rw-p 00002000 /bin/prog", f.MapAt(0x602000));
        Assert.Equal("00603000-00606000 rw-p 00000000", f.MapAt(0x603000));
        Assert.Equal(0x401000UL, image.Entry.Value);

        Assert.Equal(file[..0x40], f.Read(0x400000, 0x40));
        Assert.Equal(Code, f.Read(0x401000, Code.Length));
        // Linux leaves the start of the first data page as the file has it ...
        Assert.All(f.Read(0x602000, 0x10), b => Assert.Equal(Filler, b));
        Assert.Equal(DataBytes, f.Read(0x602010, DataBytes.Length));
        // ... but zeroes the rest of the last file page, and the bss pages are zero.
        Assert.All(f.Read(0x602040, 0x1000 - 0x40), b => Assert.Equal(0, b));
        Assert.All(f.Read(0x603000, 0x3000), b => Assert.Equal(0, b));
    }

    [Fact]
    public void BrkStartsAtThePageAfterTheHighestSegment()
    {
        using var f = new LoaderFixture();
        f.LoadOk(f.Put("/bin/prog", Standard().Build()));
        // The data segment ends at 0x602010 + 0x3000 = 0x605010.
        Assert.Equal(0x606000UL, f.Mm.Mm.BrkStart.Value);
        Assert.Equal(0x607000UL, Warden.Mm.MemorySyscalls.Brk(f.Mm.Ctx, f.Mm.Mm, 0x607000));
        // The heap grows on from the bss but is its own vma, named [heap]: Linux's brk never merges
        // its first growth with the vma below the heap's start (a static program's maps show it).
        Assert.Equal("00603000-00606000 rw-p 00000000", f.MapAt(0x603000));
        Assert.Equal("00606000-00607000 rw-p 00000000 [heap]", f.MapAt(0x606000));
    }

    [Fact]
    public void AWritableSegmentWithoutBssHasTheRestOfItsLastPageZeroed()
    {
        using var f = new LoaderFixture();
        var image = Standard().With(1, p => p with { Memsz = p.Filesz });
        f.LoadOk(f.Put("/bin/prog", image.Build()));
        Assert.Equal("00602000-00603000 rw-p 00002000 /bin/prog", f.MapAt(0x602000));
        Assert.Equal(DataBytes, f.Read(0x602010, DataBytes.Length));
        Assert.All(f.Read(0x602040, 0x1000 - 0x40), b => Assert.Equal(0, b));
        Assert.Equal(0x603000UL, f.Mm.Mm.BrkStart.Value);
    }

    [Fact]
    public void AReadOnlySegmentWithoutBssShowsTheFileAsItIs()
    {
        // Linux's elf_load clears nothing when p_memsz == p_filesz in a read-only segment.
        using var f = new LoaderFixture();
        var image = Standard().With(1, p => p with { Flags = PF_R, Memsz = p.Filesz });
        f.LoadOk(f.Put("/bin/prog", image.Build()));
        Assert.Equal("00602000-00603000 r--p 00002000 /bin/prog", f.MapAt(0x602000));
        Assert.All(f.Read(0x602040, 0x1000 - 0x40), b => Assert.Equal(Filler, b));
    }

    [Fact]
    public void ASegmentWithNoFileBytesIsAnonymousMemory()
    {
        using var f = new LoaderFixture();
        var image = Standard().Add(new Phdr(PT_LOAD, PF_R | PF_W, 0, 0x800100, 0, 0x1000));
        f.LoadOk(f.Put("/bin/prog", image.Build()));
        Assert.Equal("00800000-00802000 rw-p 00000000", f.MapAt(0x800000));
        Assert.All(f.Read(0x800000, 0x2000), b => Assert.Equal(0, b));
        Assert.Equal(0x802000UL, f.Mm.Mm.BrkStart.Value);
    }

    [Fact]
    public void TheBssOfAnExecutableSegmentIsExecutable()
    {
        // Linux maps bss pages read/write, adding execute when the segment has PF_X.
        using var f = new LoaderFixture();
        var image = Standard().With(1, p => p with { Flags = PF_R | PF_W | PF_X });
        f.LoadOk(f.Put("/bin/prog", image.Build()));
        Assert.Equal("00602000-00603000 rwxp 00002000 /bin/prog", f.MapAt(0x602000));
        Assert.Equal("00603000-00606000 rwxp 00000000", f.MapAt(0x603000));
    }

    [Theory]
    [InlineData(PF_R, "r--p")]
    [InlineData(PF_R | PF_X, "r-xp")]
    [InlineData(PF_R | PF_W, "rw-p")]
    [InlineData(PF_R | PF_W | PF_X, "rwxp")]
    [InlineData(0u, "---p")]
    public void SegmentFlagsBecomeProtections(uint flags, string perms)
    {
        using var f = new LoaderFixture();
        var image = Standard().With(0, p => p with { Flags = flags });
        f.LoadOk(f.Put("/bin/prog", image.Build()));
        Assert.Equal($"00400000-00402000 {perms} 00000000 /bin/prog", f.MapAt(0x400000));
    }

    [Fact]
    public void OverlappingSegmentsReplaceEarlierOnes()
    {
        // After the first segment Linux maps with MAP_FIXED: a later segment over an earlier one wins.
        using var f = new LoaderFixture();
        var image = Standard().Add(new Phdr(PT_LOAD, PF_R, 0x2000, 0x401000, 0x40, 0x40));
        f.LoadOk(f.Put("/bin/prog", image.Build()));
        Assert.Equal("00401000-00402000 r--p 00002000 /bin/prog", f.MapAt(0x401000));
        Assert.Equal(Filler, f.Read(0x401000, 1)[0]);
    }

    [Fact]
    public void TheFileClosesWithItsLastMapping()
    {
        using var f = new LoaderFixture();
        string path = f.Put("/bin/prog", Standard().Build());
        string host = Path.GetFullPath(f.Opener.HostPath(path));
        f.LoadOk(path);
        Assert.Equal(1, OpenDescriptorsOf(host));
        f.Mm.Mm.Dispose();
        Assert.Equal(0, OpenDescriptorsOf(host));
    }

    [Fact]
    public void AFailedLoadLeavesNoDescriptorOpen()
    {
        using var f = new LoaderFixture();
        string bad = f.Put("/bin/bad", Standard().Also(b => b.Machine = EM_386).Build());
        Assert.Same(Errno.ENOEXEC, f.Load(bad).Error?.Unwrap() ?? f.Load(bad).Error);
        Assert.Equal(0, OpenDescriptorsOf(Path.GetFullPath(f.Opener.HostPath(bad))));

        string late = f.Put("/bin/late", Standard().Also(b => b.Entry = TaskSize).Build());
        Assert.NotNull(f.Load(late).Error);
        f.Mm.Mm.Dispose();
        Assert.Equal(0, OpenDescriptorsOf(Path.GetFullPath(f.Opener.HostPath(late))));
    }

    [Fact]
    public void AStackThatCannotBeMappedIsAnError()
    {
        // A segment where the (unrandomised) stack goes: MapStack's fixed no-replace mapping fails.
        using var f = new LoaderFixture();
        var image = Standard().Add(new Phdr(PT_LOAD, PF_R | PF_W, 0, TaskSize - 0x10000, 0, 0x10000));
        (_, Error? error) = f.Load(f.Put("/bin/prog", image.Build()));
        Assert.Same(Errno.EEXIST, error);
    }

    internal static int OpenDescriptorsOf(string hostPath)
    {
        int count = 0;
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget == hostPath)
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed while listing.
            }
        }
        return count;
    }
}
