using Warden.Kernel.Loader;
using Xunit;
using static Warden.Tests.Kernel.Loader.ElfBuilder;

namespace Warden.Tests.Kernel.Loader;

/// <summary>ET_DYN (static PIE) images: loaded at ELF_ET_DYN_BASE plus a random page count, everything moved by the bias.</summary>
public sealed class StaticPieTests
{
    // x86-64: (TASK_SIZE / 3 * 2) rounded down to a page, and 28 bits of random pages.
    private const ulong EtDynBase = 0x5555_5555_4000;
    private const ulong RandomSpan = 1UL << (28 + 12);

    private static (LoadedImage Image, ulong Base, string[] Maps, ulong Brk) LoadPie(int seed, ElfBuilder? image = null)
    {
        using var f = new LoaderFixture();
        var loaded = f.LoadOk(f.Put("/bin/pie", (image ?? Standard(pie: true)).Build()), options: new LoaderOptions { Random = new Random(seed) });
        ulong baseAddr = loaded.Entry.Value - 0x1000;
        return (loaded, baseAddr, f.Maps().Select(LoaderFixture.Brief).ToArray(), f.Mm.Mm.BrkStart.Value);
    }

    [Fact]
    public void TheBaseIsRandomPageAlignedAndInLinuxsRange()
    {
        var one = LoadPie(1);
        var two = LoadPie(2);
        Assert.NotEqual(one.Base, two.Base);
        foreach (var load in (ulong[])[one.Base, two.Base])
        {
            Assert.Equal(0UL, load % 4096);
            Assert.InRange(load, EtDynBase, EtDynBase + RandomSpan - 1);
        }
        // The same seed gives the same base.
        Assert.Equal(one.Base, LoadPie(1).Base);
    }

    [Fact]
    public void EverythingMovesByTheBase()
    {
        var (image, b, maps, brk) = LoadPie(3);
        Assert.Contains($"{b:x8}-{b + 0x2000:x8} r-xp 00000000 /bin/pie", maps);
        Assert.Contains($"{b + 0x202000:x8}-{b + 0x203000:x8} rw-p 00002000 /bin/pie", maps);
        Assert.Contains($"{b + 0x203000:x8}-{b + 0x206000:x8} rw-p 00000000", maps);
        Assert.Equal(b + 0x206000, brk);
        Assert.Equal(b + 0x40, LoaderFixture.Aux(image, AuxvType.AT_PHDR));
        Assert.Equal(image.Entry.Value, LoaderFixture.Aux(image, AuxvType.AT_ENTRY));
        Assert.Equal(0UL, LoaderFixture.Aux(image, AuxvType.AT_BASE));
    }

    [Fact]
    public void ALargePowerOfTwoAlignmentAlignsTheBase()
    {
        var image = Standard(pie: true).With(0, p => p with { Align = 0x20_0000 });
        for (int seed = 0; seed < 4; seed++)
        {
            Assert.Equal(0UL, LoadPie(seed, image).Base % 0x20_0000);
        }
        // A p_align that is not a power of two is ignored, as Linux's maximum_alignment does.
        var odd = Standard(pie: true).With(0, p => p with { Align = 0x30_0000 });
        Assert.Contains(Enumerable.Range(0, 8), seed => LoadPie(seed, odd).Base % 0x20_0000 != 0);
    }

    [Fact]
    public void APieLinkedAboveZeroKeepsItsLayout()
    {
        // The first segment's p_vaddr is subtracted from the bias: the image's first page goes at the base.
        var image = Standard(pie: true);
        for (int i = 0; i < 2; i++)
        {
            image.With(i, p => p with { Vaddr = p.Vaddr + 0x10000 });
        }
        image.Entry += 0x10000;
        var (loaded, b, maps, _) = LoadPie(5, image);
        ulong first = b - 0x10000;
        Assert.Contains($"{first + 0x10000:x8}-{first + 0x12000:x8} r-xp 00000000 /bin/pie", maps);
        Assert.Equal(0UL, (first + 0x10000) % 4096);
        Assert.Equal(first + 0x10040, LoaderFixture.Aux(loaded, AuxvType.AT_PHDR));
    }
}
