using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel;
using Xunit;
using static Warden.Tests.Kernel.Loader.ElfBuilder;

namespace Warden.Tests.Kernel.Loader;

/// <summary>
/// Each field Linux's binfmt_elf checks, broken on its own in an otherwise valid image, gives
/// Linux's errno (fs/binfmt_elf.c: load_elf_binary, load_elf_phdrs, elf_map, elf_load).
/// </summary>
public sealed class ElfValidationTests
{
    private static Error? LoadError(ElfBuilder image)
    {
        using var f = new LoaderFixture();
        string path = f.Put("/bin/prog", image.Build());
        (var loaded, Error? error) = f.Load(path);
        Assert.True(error is not null, "the load should have failed");
        Assert.Null(loaded);
        return error;
    }

    private static void AssertErrno(Errno expected, Error? error)
    {
        Assert.NotNull(error);
        Assert.True(error.Is(expected), $"expected {expected.Name}, got {error} ({error.GetType().Name})");
    }

    [Fact]
    public void TheStandardImageLoads()
    {
        using var f = new LoaderFixture();
        f.LoadOk(f.Put("/bin/prog", Standard().Build()));
    }

    [Fact]
    public void BadMagicIsNoExec()
    {
        var image = Standard();
        image.Magic = [0x7f, (byte)'E', (byte)'L', (byte)'G'];
        AssertErrno(Errno.ENOEXEC, LoadError(image));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)] // ELFCLASS32
    [InlineData(3)]
    public void AClassOtherThan64BitIsNoExec(byte elfClass) => AssertErrno(Errno.ENOEXEC, LoadError(Standard().Also(b => b.Class = elfClass)));

    [Theory]
    [InlineData(0)]
    [InlineData(2)] // ELFDATA2MSB
    public void ADataEncodingOtherThanLittleEndianIsNoExec(byte data) => AssertErrno(Errno.ENOEXEC, LoadError(Standard().Also(b => b.Data = data)));

    [Fact]
    public void AnIdentVersionOtherThanCurrentIsNoExec() => AssertErrno(Errno.ENOEXEC, LoadError(Standard().Also(b => b.IdentVersion = 0)));

    [Fact]
    public void AnEVersionOtherThanCurrentIsNoExec() => AssertErrno(Errno.ENOEXEC, LoadError(Standard().Also(b => b.Version = 2)));

    [Theory]
    [InlineData(0)]
    [InlineData(ET_REL)]
    [InlineData(ET_CORE)]
    [InlineData(0xfe00)]
    public void ATypeOtherThanExecOrDynIsNoExec(ushort type) => AssertErrno(Errno.ENOEXEC, LoadError(Standard().Also(b => b.Type = type)));

    [Theory]
    [InlineData(EM_386)]
    [InlineData(183)] // EM_AARCH64
    [InlineData(0)]
    public void AMachineOtherThanX86_64IsNoExec(ushort machine) => AssertErrno(Errno.ENOEXEC, LoadError(Standard().Also(b => b.Machine = machine)));

    [Theory]
    [InlineData(0)]
    [InlineData(32)] // Elf32_Phdr
    [InlineData(64)]
    public void ProgramHeadersOfAnotherSizeAreNoExec(ushort size) => AssertErrno(Errno.ENOEXEC, LoadError(Standard().Also(b => b.PhEntSize = size)));

    [Fact]
    public void NoProgramHeadersIsNoExec() => AssertErrno(Errno.ENOEXEC, LoadError(Standard().Also(b => b.PhNum = 0)));

    [Fact]
    public void MoreThanAPageOfProgramHeadersIsNoExec()
    {
        // 74 * 56 = 4144 bytes > ELF_MIN_ALIGN; PN_XNUM (0xffff) is far past it too.
        var image = Standard();
        while (image.Phdrs.Count < 74)
        {
            image.Add(new Phdr(PT_NULL, 0, 0, 0, 0, 0));
        }
        image.PhOff = 0x3000;
        AssertErrno(Errno.ENOEXEC, LoadError(image));
        AssertErrno(Errno.ENOEXEC, LoadError(Standard().Also(b => b.PhNum = 0xffff)));
    }

    [Fact]
    public void SeventyThreeProgramHeadersAreAccepted()
    {
        var image = Standard();
        while (image.Phdrs.Count < 73)
        {
            image.Add(new Phdr(PT_NULL, 0, 0, 0, 0, 0));
        }
        image.PhOff = 0x3000; // 73 * 56 = 4088 bytes, after the data page
        using var f = new LoaderFixture();
        var loaded = f.LoadOk(f.Put("/bin/prog", image.Build()));
        Assert.Equal(73UL, LoaderFixture.Aux(loaded, 5)); // AT_PHNUM
    }

    [Fact]
    public void ProgramHeadersPastTheEndOfTheFileAreNoExec()
    {
        AssertErrno(Errno.ENOEXEC, LoadError(Standard().Also(b => { b.PhOff = 0x10_0000; b.FileLength = 0x3000; })));
        AssertErrno(Errno.ENOEXEC, LoadError(Standard().Also(b => b.PhOff = ulong.MaxValue - 8)));
        // The table starts inside the file but its last header is cut off.
        var truncated = Standard();
        truncated.FileLength = 64 + 56 + 20;
        AssertErrno(Errno.ENOEXEC, LoadError(truncated));
    }

    [Fact]
    public void AFileShorterThanTheHeaderIsNoExec()
    {
        // Linux reads the header from a zero-filled buffer: e_type 0.
        var image = Standard();
        image.FileLength = 10;
        AssertErrno(Errno.ENOEXEC, LoadError(image));
    }

    [Fact]
    public void ASegmentPastTheEndOfTheFileIsNoExec()
    {
        // Warden's own check (Linux would map it and raise SIGBUS on first touch).
        AssertErrno(Errno.ENOEXEC, LoadError(Standard().With(1, p => p with { Filesz = 0x2000, Memsz = 0x3000 })));
        AssertErrno(Errno.ENOEXEC, LoadError(Standard().With(1, p => p with { Offset = ulong.MaxValue - 0xfef, Vaddr = 0x602010 })));
    }

    [Fact]
    public void FileSizeAboveMemorySizeIsInvalid() =>
        AssertErrno(Errno.EINVAL, LoadError(Standard().With(1, p => p with { Filesz = 0x30, Memsz = 0x20 })));

    [Fact]
    public void OffsetAndAddressNotCongruentModuloThePageAreInvalid() =>
        AssertErrno(Errno.EINVAL, LoadError(Standard().With(1, p => p with { Vaddr = 0x602018 })));

    [Fact]
    public void ASegmentStartingAtOrPastTaskSizeIsInvalid()
    {
        // Nothing to map, so Linux's own check after elf_load reports it: EINVAL.
        AssertErrno(Errno.EINVAL, LoadError(Standard().Add(new Phdr(PT_LOAD, PF_R, 0, TaskSize, 0, 0))));
        AssertErrno(Errno.EINVAL, LoadError(Standard().Add(new Phdr(PT_LOAD, PF_R, 0, ulong.MaxValue & ~0xfffUL, 0, 0))));
    }

    [Fact]
    public void ASegmentWhosePagesPassTaskSizeCannotBeMapped()
    {
        // Linux's mmap (file part) or vm_brk (bss part) refuses the range first: ENOMEM.
        AssertErrno(Errno.ENOMEM, LoadError(Standard().With(1, p => p with { Vaddr = TaskSize - 0x1000 + 0x10, Memsz = 0x2000 })));
        AssertErrno(Errno.ENOMEM, LoadError(Standard().With(1, p => p with { Vaddr = TaskSize + 0x10 })));
        AssertErrno(Errno.ENOMEM, LoadError(Standard().With(1, p => p with { Vaddr = TaskSize - 0x1000 + 0x10, Filesz = 0x1000, Memsz = 0x1000 }).Also(b => b.FileLength = 0x4000)));
        AssertErrno(Errno.ENOMEM, LoadError(Standard().With(1, p => p with { Memsz = ulong.MaxValue - 0x1000 })));
    }

    [Fact]
    public void ASegmentBelowMmapMinAddrIsNotPermitted() =>
        AssertErrno(Errno.EPERM, LoadError(Standard().With(0, p => p with { Vaddr = 0x1000 })));

    [Fact]
    public void OverlappingTheFirstSegmentWithAnExistingMappingIsEexist()
    {
        using var f = new LoaderFixture();
        f.Mm.Map(0x1000, addr: 0x400000, flags: Warden.HostArch.LinuxMman.MAP_PRIVATE | Warden.HostArch.LinuxMman.MAP_ANONYMOUS | Warden.HostArch.LinuxMman.MAP_FIXED);
        (_, Error? error) = f.Load(f.Put("/bin/prog", Standard().Build()));
        AssertErrno(Errno.EEXIST, error);
    }

    [Fact]
    public void AnEntryPointPastTaskSizeIsInvalid() => AssertErrno(Errno.EINVAL, LoadError(Standard().Also(b => b.Entry = TaskSize)));

    [Fact]
    public void AFileThatIsNeitherElfNorScriptIsNoExec()
    {
        using var f = new LoaderFixture();
        (_, Error? error) = f.Load(f.Put("/bin/text", "hello, world\n"));
        AssertErrno(Errno.ENOEXEC, error);
        (_, error) = f.Load(f.Put("/bin/empty", []));
        AssertErrno(Errno.ENOEXEC, error);
    }

    [Fact]
    public void TheOpenersErrorsComeThrough()
    {
        using var f = new LoaderFixture();
        AssertErrno(Errno.ENOENT, f.Load("/bin/missing").Error);
        f.Put("/bin/noexec", Standard().Build(), executable: false);
        AssertErrno(Errno.EACCES, f.Load("/bin/noexec").Error);
        Directory.CreateDirectory(f.Opener.HostPath("/bin/dir"));
        AssertErrno(Errno.EACCES, f.Load("/bin/dir").Error);
    }

    [Fact]
    public void ADynamicallyLinkedProgramIsRefusedNamingItsInterpreter()
    {
        const string interp = "/lib64/ld-linux-x86-64.so.2";
        byte[] name = [.. System.Text.Encoding.ASCII.GetBytes(interp), 0];
        var image = Standard().Add(new Phdr(PT_INTERP, PF_R, 0x200, 0x400200, (ulong)name.Length, (ulong)name.Length, 1)).Put(0x200, name);
        Error? error = LoadError(image);
        AssertErrno(Errno.ENOEXEC, error);
        var kernelError = Assert.IsType<KernelError>(error);
        Assert.Contains(interp, kernelError.Message);
        Assert.Contains("not supported yet", kernelError.Message);
    }

    [Fact]
    public void ABadPtInterpIsNoExecOrEio()
    {
        // Too short, too long, not NUL-terminated: ENOEXEC. Past the end of the file: Linux's short read, EIO.
        AssertErrno(Errno.ENOEXEC, LoadError(Standard().Add(new Phdr(PT_INTERP, PF_R, 0x200, 0, 1, 1)).Put(0x200, [0])));
        AssertErrno(Errno.ENOEXEC, LoadError(Standard().Add(new Phdr(PT_INTERP, PF_R, 0x200, 0, 4097, 4097))));
        AssertErrno(Errno.ENOEXEC, LoadError(Standard().Add(new Phdr(PT_INTERP, PF_R, 0x200, 0, 4, 4)).Put(0x200, "/abc"u8.ToArray())));
        AssertErrno(Errno.EIO, LoadError(Standard().Add(new Phdr(PT_INTERP, PF_R, 0x2ff0, 0, 0x100, 0x100))));
    }
}

internal static class ElfBuilderTestExtensions
{
    public static ElfBuilder Also(this ElfBuilder builder, Action<ElfBuilder> change)
    {
        change(builder);
        return builder;
    }
}
