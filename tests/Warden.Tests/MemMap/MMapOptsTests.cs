using Warden.HostArch;
using Warden.MemMap;
using Xunit;

namespace Warden.Tests.MemMap;

/// <summary><see cref="MMapOpts"/> and the small enums and options around it.</summary>
public class MMapOptsTests
{
    [Fact]
    public void MLockModes_AreOrdered_NoneEagerLazy()
    {
        Assert.True(MLockMode.None < MLockMode.Eager);
        Assert.True(MLockMode.Eager < MLockMode.Lazy);
        Assert.Equal([MLockMode.None, MLockMode.Eager, MLockMode.Lazy], Enum.GetValues<MLockMode>());
    }

    [Fact]
    public void MLockNone_IsTheDefault()
    {
        Assert.Equal(MLockMode.None, default(MLockMode));
        Assert.Equal(0, (int)MLockMode.None);
    }

    [Fact]
    public void NameMut_DisallowedIsTheDefault_ThenAnon_ThenAnonShmem()
    {
        Assert.Equal(NameMut.Disallowed, default(NameMut));
        Assert.Equal([NameMut.Disallowed, NameMut.Anon, NameMut.AnonShmem], Enum.GetValues<NameMut>());
    }

    [Fact]
    public void PlatformEffect_DefaultIsTheDefault_ThenPopulate_ThenCommit()
    {
        Assert.Equal(MMapPlatformEffect.Default, default(MMapPlatformEffect));
        Assert.Equal([MMapPlatformEffect.Default, MMapPlatformEffect.Populate, MMapPlatformEffect.Commit], Enum.GetValues<MMapPlatformEffect>());
    }

    [Fact]
    public void InvalidateOpts_DefaultKeepsPrivatePages_AndComparesByValue()
    {
        Assert.False(default(InvalidateOpts).InvalidatePrivate);
        Assert.Equal(new InvalidateOpts { InvalidatePrivate = true }, new InvalidateOpts { InvalidatePrivate = true });
        Assert.NotEqual(new InvalidateOpts { InvalidatePrivate = true }, default);
    }

    [Fact]
    public void Defaults_AreZeroNullAndFalse()
    {
        var opts = new MMapOpts();
        Assert.Equal(0UL, opts.Length);
        Assert.Null(opts.MappingIdentity);
        Assert.Null(opts.Mappable);
        Assert.Equal(0UL, opts.Offset);
        Assert.Equal(Addr.Zero, opts.Addr);
        Assert.False(opts.Fixed);
        Assert.False(opts.Unmap);
        Assert.False(opts.Map32Bit);
        Assert.Equal(AccessType.NoAccess, opts.Perms);
        Assert.Equal(AccessType.NoAccess, opts.MaxPerms);
        Assert.False(opts.Private);
        Assert.False(opts.GrowsDown);
        Assert.False(opts.Stack);
        Assert.Equal(MMapPlatformEffect.Default, opts.PlatformEffect);
        Assert.Equal(MLockMode.None, opts.MLockMode);
        Assert.True(string.IsNullOrEmpty(opts.Name));
        Assert.Equal(NameMut.Disallowed, opts.NameMut);
        Assert.False(opts.Force);
        Assert.False(opts.RequirePlatformEffect);
        Assert.False(opts.SentryOwnedContent);
        Assert.Equal(default, opts);
    }

    [Fact]
    public void IsAValueType_CopiesAreIndependent()
    {
        Assert.True(typeof(MMapOpts).IsValueType);
        var original = new MMapOpts { Length = 0x1000, Perms = AccessType.ReadOnly, Name = "[heap]" };
        MMapOpts copy = original;
        copy.Length = 0x2000;
        copy.Perms = AccessType.ReadWrite;
        copy.Name = "[stack]";
        copy.Fixed = true;
        Assert.Equal(0x1000UL, original.Length);
        Assert.Equal(AccessType.ReadOnly, original.Perms);
        Assert.Equal("[heap]", original.Name);
        Assert.False(original.Fixed);
        Assert.NotEqual(original, copy);
    }

    [Fact]
    public void PassingByValue_DoesNotChangeTheCaller()
    {
        var opts = new MMapOpts { Addr = new Addr(0x40_0000) };
        static void Adjust(MMapOpts o) => o.Addr = new Addr(0x80_0000);
        Adjust(opts);
        Assert.Equal(new Addr(0x40_0000), opts.Addr);
    }

    [Fact]
    public void With_ChangesOnlyTheNamedField()
    {
        var opts = new MMapOpts { Length = 0x3000, Private = true, MLockMode = MLockMode.Lazy };
        MMapOpts fixedOpts = opts with { Fixed = true, Unmap = true };
        Assert.Equal(opts with { Fixed = true, Unmap = true }, fixedOpts);
        Assert.Equal(0x3000UL, fixedOpts.Length);
        Assert.True(fixedOpts.Private);
        Assert.Equal(MLockMode.Lazy, fixedOpts.MLockMode);
        Assert.False(opts.Fixed);
    }

    /// <summary>Every field of seed 003's <c>MMapOpts</c>, C#-cased, is a settable property.</summary>
    [Theory]
    [InlineData("Length")]
    [InlineData("MappingIdentity")]
    [InlineData("Mappable")]
    [InlineData("Offset")]
    [InlineData("Addr")]
    [InlineData("Fixed")]
    [InlineData("Unmap")]
    [InlineData("Map32Bit")]
    [InlineData("Perms")]
    [InlineData("MaxPerms")]
    [InlineData("Private")]
    [InlineData("GrowsDown")]
    [InlineData("Stack")]
    [InlineData("PlatformEffect")]
    [InlineData("MLockMode")]
    [InlineData("Name")]
    [InlineData("NameMut")]
    [InlineData("Force")]
    [InlineData("RequirePlatformEffect")]
    [InlineData("SentryOwnedContent")]
    public void HasTheSeedsField(string name)
    {
        var property = typeof(MMapOpts).GetProperty(name);
        Assert.NotNull(property);
        Assert.True(property.CanRead && property.CanWrite, $"{name} must be readable and writable");
    }
}
