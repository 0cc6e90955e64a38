using Warden.HostArch;
using Warden.MemMap;
using Xunit;

namespace Warden.Tests.MemMap;

public class TranslationTests
{
    private static readonly IFile s_file = new MinimalFile("memfd");

    [Fact]
    public void FileRange_StartsAtOffset_AndHasTheSourceLength()
    {
        var t = new Translation(new MappableRange(0x3000, 0x8000), s_file, 0x40_0000, AccessType.ReadOnly);
        Assert.Equal(new FileRange(0x40_0000, 0x40_5000), t.FileRange());
    }

    [Fact]
    public void FileRange_OfAnOffsetZeroTranslation_MirrorsTheLength()
    {
        var t = new Translation(new MappableRange(0x10_0000, 0x10_1000), s_file, 0, AccessType.AnyAccess);
        Assert.Equal(new FileRange(0, 0x1000), t.FileRange());
    }

    [Fact]
    public void FileRange_ReachingTheTopOfTheFileOffsetSpace()
    {
        var t = new Translation(new MappableRange(0, 0x2000), s_file, 0xFFFF_FFFF_FFFF_D000, AccessType.ReadOnly);
        Assert.Equal(new FileRange(0xFFFF_FFFF_FFFF_D000, 0xFFFF_FFFF_FFFF_F000), t.FileRange());
    }

    [Fact]
    public void Fields_AreKeptAsGiven()
    {
        var t = new Translation(new MappableRange(0x1000, 0x2000), s_file, 0x5000, AccessType.ReadExecute);
        Assert.Equal(new MappableRange(0x1000, 0x2000), t.Source);
        Assert.Same(s_file, t.File);
        Assert.Equal(0x5000UL, t.Offset);
        Assert.Equal(AccessType.ReadExecute, t.Perms);
    }

    [Fact]
    public void Equality_IsByValue_WithTheFileByReference()
    {
        var a = new Translation(new MappableRange(0x1000, 0x2000), s_file, 0x5000, AccessType.ReadOnly);
        var b = new Translation(new MappableRange(0x1000, 0x2000), s_file, 0x5000, AccessType.ReadOnly);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { File = new MinimalFile("memfd") });
        Assert.NotEqual(a, b with { Offset = 0x6000 });
        Assert.NotEqual(a, b with { Perms = AccessType.ReadWrite });
        Assert.NotEqual(a, b with { Source = new MappableRange(0x1000, 0x3000) });
    }

    [Fact]
    public void ToString_ShowsSourceFileOffsetAndPerms()
    {
        var t = new Translation(new MappableRange(0x1000, 0x2000), s_file, 0x5000, AccessType.ReadWrite);
        string text = t.ToString();
        Assert.Contains("[0x1000, 0x2000)", text, StringComparison.Ordinal);
        Assert.Contains("memfd", text, StringComparison.Ordinal);
        Assert.Contains("0x5000", text, StringComparison.Ordinal);
        Assert.Contains("rw-", text, StringComparison.Ordinal);
    }

    [Fact]
    public void IsAValueType() => Assert.True(typeof(Translation).IsValueType);
}
