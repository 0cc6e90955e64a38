using Warden.HostArch;
using Warden.Platform;
using Warden.Platforms.SoftMmu;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Platforms.SoftMmu;

public class SoftMmuOptionsTests
{
    [Fact]
    public void Defaults_AreLinuxX86()
    {
        using var mem = new TestMemoryFile();
        var platform = new SoftMmuPlatform(mem);
        Assert.Equal((ulong)Arch.HugePageSize, platform.MapUnit);
        Assert.Equal(new Addr(0x10000), platform.MinUserAddress);
        Assert.Equal(new Addr(0x7fff_ffff_f000), platform.MaxUserAddress);
        Assert.True(platform.SupportsAddressSpaceIO);
        Assert.True(platform.CooperativelySchedulesAddressSpace);
        Assert.False(((IPlatform)platform).DetectsCPUPreemption);
        Assert.Same(mem, platform.Memory);
    }

    [Fact]
    public void ConfiguredValues_AreThePlatforms()
    {
        using var mem = new TestMemoryFile();
        var platform = new SoftMmuPlatform(mem, new SoftMmuOptions
        {
            MapUnit = 0,
            MinUserAddress = new Addr(0x1000),
            MaxUserAddress = new Addr(0x4000_0000),
            SupportsAddressSpaceIO = false,
            CooperativelySchedulesAddressSpace = false,
        });
        Assert.Equal(0UL, platform.MapUnit);
        Assert.Equal(new Addr(0x1000), platform.MinUserAddress);
        Assert.Equal(new Addr(0x4000_0000), platform.MaxUserAddress);
        Assert.False(platform.SupportsAddressSpaceIO);
        Assert.False(platform.CooperativelySchedulesAddressSpace);
    }

    [Theory]
    [InlineData("MapUnit", 0x3000UL, 0x10000UL, 0x7fff_ffff_f000UL)]
    [InlineData("MapUnit", 0x800UL, 0x10000UL, 0x7fff_ffff_f000UL)]
    [InlineData("MinUserAddress", 0x1000UL, 0x10001UL, 0x7fff_ffff_f000UL)]
    [InlineData("MaxUserAddress", 0x1000UL, 0x10000UL, 0x7fff_ffff_f001UL)]
    [InlineData("MinUserAddress", 0x1000UL, 0x20000UL, 0x20000UL)]
    [InlineData("MinUserAddress", 0x1000UL, 0x30000UL, 0x20000UL)]
    public void BrokenOptions_ThrowNamingThePrecondition(string param, ulong mapUnit, ulong min, ulong max)
    {
        using var mem = new TestMemoryFile();
        var options = new SoftMmuOptions { MapUnit = mapUnit, MinUserAddress = new Addr(min), MaxUserAddress = new Addr(max) };
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => new SoftMmuPlatform(mem, options));
        Assert.Equal(param, e.ParamName);
        Assert.Contains(param, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TopOfTheAddressSpace_IsAValidMax()
    {
        using var mem = new TestMemoryFile();
        var platform = new SoftMmuPlatform(mem, new SoftMmuOptions { MinUserAddress = Addr.Zero, MaxUserAddress = new Addr(ulong.MaxValue - 0xfff) });
        Assert.Equal(Addr.Zero, platform.MinUserAddress);
    }

    [Fact]
    public void NewContext_WithoutACpu_ThrowsNamingTheOption()
    {
        using var mem = new TestMemoryFile();
        var platform = new SoftMmuPlatform(mem);
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => platform.NewContext());
        Assert.Contains(nameof(SoftMmuOptions.CpuFactory), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NewContext_UsesTheFactoryOncePerContext()
    {
        using var mem = new TestMemoryFile();
        int made = 0;
        var platform = new SoftMmuPlatform(mem, new SoftMmuOptions { CpuFactory = () => { made++; return new ScriptedCpu(); } });
        var c1 = (SoftMmuContext)platform.NewContext();
        var c2 = (SoftMmuContext)platform.NewContext();
        Assert.Equal(2, made);
        Assert.NotSame(c1.Cpu, c2.Cpu);
        Assert.Same(platform, c1.Platform);
    }

    [Fact]
    public void NewAddressSpace_NeverAsksToRetry()
    {
        using var mem = new TestMemoryFile();
        var platform = new SoftMmuPlatform(mem);
        (IAddressSpace? a, Task? retry, Warden.Errors.Error? error) = platform.NewAddressSpace(null);
        (IAddressSpace? b, _, _) = platform.NewAddressSpace(new object());
        Assert.Null(retry);
        Assert.Null(error);
        Assert.IsType<SoftMmuAddressSpace>(a);
        Assert.NotSame(a, b);
        Assert.Same(platform, ((SoftMmuAddressSpace)a).Platform);
    }
}
