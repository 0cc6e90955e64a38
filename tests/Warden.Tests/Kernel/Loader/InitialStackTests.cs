using System.Buffers.Binary;
using System.Text;
using Warden.Errors;
using Warden.Kernel.Loader;
using Warden.Mm;
using Xunit;
using static Warden.Tests.Kernel.Loader.ElfBuilder;

namespace Warden.Tests.Kernel.Loader;

/// <summary>The initial stack as Linux's create_elf_tables lays it out, read back through the IO contract.</summary>
public sealed class InitialStackTests
{
    // Linux's order on x86-64 without a vDSO and without rseq (AT_RSEQ_*): ARCH_DLINFO's
    // AT_MINSIGSTKSZ, then the generic entries.
    private static readonly ulong[] s_order = [51, 16, 6, 17, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 23, 25, 26, 31, 15, 0];

    private static Dictionary<ulong, ulong> HostAuxv()
    {
        byte[] bytes = File.ReadAllBytes("/proc/self/auxv");
        var result = new Dictionary<ulong, ulong>();
        foreach ((ulong t, ulong v) in LoaderFixture.ParseAuxv(bytes))
        {
            result[t] = v;
        }
        return result;
    }

    [Fact]
    public void ArgcArgvEnvpAndAuxvAreWhereLinuxPutsThem()
    {
        using var f = new LoaderFixture();
        byte[] file = Standard().Build();
        string path = f.Put("/bin/prog", file);
        string[] argv = ["prog", "a", "bc"];
        string[] envp = ["X=1", "Y=22"];
        var options = new LoaderOptions { Uid = 1000, Euid = 1001, Gid = 2000, Egid = 2001, Random = new Random(7) };
        var image = f.LoadOk(path, argv, envp, options);

        ulong sp = image.StackPointer.Value;
        Assert.Equal(0UL, sp % 16);
        Assert.Equal((ulong)argv.Length, f.ReadU64(sp));
        ulong at = sp + 8;
        var argvPtrs = new List<ulong>();
        for (int i = 0; i < argv.Length; i++, at += 8)
        {
            argvPtrs.Add(f.ReadU64(at));
            Assert.Equal(argv[i], f.ReadCString(argvPtrs[i]));
        }
        Assert.Equal(0UL, f.ReadU64(at));
        at += 8;
        var envpPtrs = new List<ulong>();
        for (int i = 0; i < envp.Length; i++, at += 8)
        {
            envpPtrs.Add(f.ReadU64(at));
            Assert.Equal(envp[i], f.ReadCString(envpPtrs[i]));
        }
        Assert.Equal(0UL, f.ReadU64(at));
        at += 8;

        // The auxv follows, exactly the bytes the image reports.
        Assert.Equal(image.Auxv, f.Read(at, image.Auxv.Length));
        var auxv = LoaderFixture.ParseAuxv(image.Auxv);
        Assert.Equal(s_order, auxv.Select(e => e.Type).ToArray());
        Assert.Equal((0UL, 0UL), auxv[^1]);

        // The strings: argv then envp contiguous, argv[0] lowest; /proc/self/cmdline reads [ArgvStart, ArgvEnd).
        Assert.Equal(argvPtrs[0], image.ArgvStart.Value);
        Assert.Equal("prog\0a\0bc\0", Encoding.ASCII.GetString(f.Read(image.ArgvStart.Value, (int)(image.ArgvEnd.Value - image.ArgvStart.Value))));
        Assert.Equal(image.ArgvEnd, image.EnvpStart);
        Assert.Equal(envpPtrs[0], image.EnvpStart.Value);
        Assert.Equal("X=1\0Y=22\0", Encoding.ASCII.GetString(f.Read(image.EnvpStart.Value, (int)(image.EnvpEnd.Value - image.EnvpStart.Value))));
        Assert.Equal(argv, image.Argv);

        var aux = auxv.ToDictionary(e => e.Type, e => e.Value);
        var host = HostAuxv();
        Assert.Equal(host[AuxvType.AT_MINSIGSTKSZ], aux[AuxvType.AT_MINSIGSTKSZ]);
        Assert.Equal(host[AuxvType.AT_HWCAP], aux[AuxvType.AT_HWCAP]);
        Assert.Equal(host.GetValueOrDefault(AuxvType.AT_HWCAP2), aux[AuxvType.AT_HWCAP2]);
        Assert.Equal(4096UL, aux[AuxvType.AT_PAGESZ]);
        Assert.Equal(100UL, aux[AuxvType.AT_CLKTCK]);
        Assert.Equal(56UL, aux[AuxvType.AT_PHENT]);
        Assert.Equal(3UL, aux[AuxvType.AT_PHNUM]);
        Assert.Equal(0UL, aux[AuxvType.AT_BASE]);
        Assert.Equal(0UL, aux[AuxvType.AT_FLAGS]);
        Assert.Equal(0x401000UL, aux[AuxvType.AT_ENTRY]);
        Assert.Equal(1000UL, aux[AuxvType.AT_UID]);
        Assert.Equal(1001UL, aux[AuxvType.AT_EUID]);
        Assert.Equal(2000UL, aux[AuxvType.AT_GID]);
        Assert.Equal(2001UL, aux[AuxvType.AT_EGID]);
        Assert.Equal(0UL, aux[AuxvType.AT_SECURE]);
        Assert.False(aux.ContainsKey(AuxvType.AT_SYSINFO_EHDR));

        // AT_PHDR: the program headers as the file has them, at 0x400000 + e_phoff.
        Assert.Equal(0x400040UL, aux[AuxvType.AT_PHDR]);
        Assert.Equal(file[64..(64 + 3 * 56)], f.Read(aux[AuxvType.AT_PHDR], 3 * 56));

        // At the top: the file name as given, right below the 8 bytes Linux leaves free.
        string stackLine = f.Maps().Single(l => l.EndsWith("[stack]", StringComparison.Ordinal));
        ulong stackTop = Convert.ToUInt64(stackLine.Split(' ')[0].Split('-')[1], 16);
        ulong execFn = aux[AuxvType.AT_EXECFN];
        Assert.Equal(path, f.ReadCString(execFn));
        Assert.Equal(image.EnvpEnd.Value, execFn);
        Assert.Equal(stackTop - 8, execFn + (ulong)path.Length + 1);

        // Below the strings: the platform string, and the 16 random bytes right under it, above the auxv.
        Assert.Equal("x86_64", f.ReadCString(aux[AuxvType.AT_PLATFORM]));
        Assert.Equal(aux[AuxvType.AT_PLATFORM] - 16, aux[AuxvType.AT_RANDOM]);
        Assert.True(aux[AuxvType.AT_PLATFORM] + 7 <= image.ArgvStart.Value);
        Assert.True(aux[AuxvType.AT_RANDOM] >= at + (ulong)image.Auxv.Length);
        Assert.True(aux[AuxvType.AT_RANDOM] - (at + (ulong)image.Auxv.Length) < 16, "only alignment padding lies between the auxv and AT_RANDOM");
        Assert.Contains(f.Read(aux[AuxvType.AT_RANDOM], 16), b => b != 0);
    }

    [Fact]
    public void AtRandomDiffersBetweenLoads()
    {
        byte[] Random16()
        {
            using var f = new LoaderFixture();
            var image = f.LoadOk(f.Put("/bin/prog", Standard().Build()));
            return f.Read(LoaderFixture.Aux(image, AuxvType.AT_RANDOM), 16);
        }
        Assert.NotEqual(Random16(), Random16());
    }

    [Fact]
    public void AnEmptyArgvGetsAnEmptyArgvZero()
    {
        using var f = new LoaderFixture();
        var image = f.LoadOk(f.Put("/bin/prog", Standard().Build()), argv: []);
        Assert.Equal(1UL, f.ReadU64(image.StackPointer.Value));
        Assert.Equal("", f.ReadCString(f.ReadU64(image.StackPointer.Value + 8)));
        Assert.Equal([""], image.Argv);
    }

    [Fact]
    public void TheStackIsNotExecutableUnlessPtGnuStackSaysSo()
    {
        using (var f = new LoaderFixture())
        {
            f.LoadOk(f.Put("/bin/prog", Standard().Build()));
            Assert.EndsWith("rw-p 00000000 [stack]", LoaderFixture.Brief(f.Maps().Single(l => l.EndsWith("[stack]", StringComparison.Ordinal))));
        }
        using (var f = new LoaderFixture())
        {
            var image = Standard();
            image.Phdrs.RemoveAt(2);
            f.LoadOk(f.Put("/bin/prog", image.Build()));
            Assert.EndsWith("rw-p 00000000 [stack]", LoaderFixture.Brief(f.Maps().Single(l => l.EndsWith("[stack]", StringComparison.Ordinal))));
        }
        using (var f = new LoaderFixture())
        {
            var image = Standard().With(2, p => p with { Flags = PF_R | PF_W | PF_X });
            var loaded = f.LoadOk(f.Put("/bin/prog", image.Build()));
            Assert.EndsWith("rwxp 00000000 [stack]", LoaderFixture.Brief(f.Maps().Single(l => l.EndsWith("[stack]", StringComparison.Ordinal))));
            // It stays executable as it grows.
            Assert.Null(f.Mm.Mm.HandleUserFault(f.Mm.Ctx, loaded.StackPointer - 0x40000, Warden.HostArch.AccessType.ReadWrite, loaded.StackPointer));
            Assert.Single(f.Maps(), l => l.EndsWith("[stack]", StringComparison.Ordinal) && l.Contains("rwxp", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void LargeArgumentsGrowTheStack()
    {
        using var f = new LoaderFixture();
        string big = new('q', ArgumentLimitsTests.MaxArgStrlen - 1);
        string[] argv = ["prog", .. Enumerable.Repeat(big, 8), "last"];
        var image = f.LoadOk(f.Put("/bin/prog", Standard().Build()), argv);
        Assert.Equal((ulong)argv.Length, f.ReadU64(image.StackPointer.Value));
        ulong lastArg = f.ReadU64(image.StackPointer.Value + 8 * (ulong)argv.Length);
        Assert.Equal("last", f.ReadCString(lastArg));
        Assert.Equal(big, f.ReadCString(f.ReadU64(image.StackPointer.Value + 16)));
        Assert.True(image.ArgvEnd.Value - image.ArgvStart.Value > 1UL << 20);
    }

    [Fact]
    public void TheCredentialsDefaultToRoot()
    {
        using var f = new LoaderFixture();
        var image = f.LoadOk(f.Put("/bin/prog", Standard().Build()), options: new LoaderOptions());
        foreach (ulong type in (ulong[])[AuxvType.AT_UID, AuxvType.AT_EUID, AuxvType.AT_GID, AuxvType.AT_EGID])
        {
            Assert.Equal(0UL, LoaderFixture.Aux(image, type));
        }
    }
}
