using Warden.HostArch;
using Warden.MemMap;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.MemMap;

public class MappingOfRangeTests
{
    private static readonly RecordingMappingSpace s_a = new("A");
    private static readonly RecordingMappingSpace s_b = new("B");
    private static readonly AddrRange s_range = new(new Addr(0x10000), new Addr(0x12000));

    [Fact]
    public void EqualComponents_AreEqual_WithEqualHashes()
    {
        var x = new MappingOfRange(s_a, s_range, true);
        var y = new MappingOfRange(s_a, new AddrRange(new Addr(0x10000), new Addr(0x12000)), true);
        Assert.Equal(x, y);
        Assert.True(x == y);
        Assert.Equal(x.GetHashCode(), y.GetHashCode());
    }

    [Fact]
    public void EachComponent_Matters()
    {
        var x = new MappingOfRange(s_a, s_range, true);
        Assert.NotEqual(x, x with { MappingSpace = s_b });
        Assert.NotEqual(x, x with { Writable = false });
        Assert.NotEqual(x, x with { AddrRange = new AddrRange(new Addr(0x10000), new Addr(0x11000)) });
        Assert.NotEqual(x, x with { AddrRange = new AddrRange(new Addr(0x11000), new Addr(0x12000)) });
    }

    [Fact]
    public void Spaces_AreComparedByIdentity_NotByName()
    {
        var twin = new RecordingMappingSpace("A");
        Assert.NotEqual(new MappingOfRange(s_a, s_range, false), new MappingOfRange(twin, s_range, false));
    }

    [Fact]
    public void ToString_NamesSpaceRangeAndWritability()
    {
        Assert.Equal("A@[0x10000, 0x12000) (writable)", new MappingOfRange(s_a, s_range, true).ToString());
        Assert.Equal("B@[0x10000, 0x12000)", new MappingOfRange(s_b, s_range, false).ToString());
    }

    [Fact]
    public void IsAValueType() => Assert.True(typeof(MappingOfRange).IsValueType);
}

public class MappingsOfRangeTests
{
    private static readonly RecordingMappingSpace s_a = new("A");
    private static readonly RecordingMappingSpace s_b = new("B");

    private static MappingOfRange M(IMappingSpace ms, ulong start, ulong end, bool writable) =>
        new(ms, new AddrRange(new Addr(start), new Addr(end)), writable);

    [Fact]
    public void IsASet_OfMappings()
    {
        Assert.True(typeof(ISet<MappingOfRange>).IsAssignableFrom(typeof(MappingsOfRange)));
        var set = new MappingsOfRange();
        Assert.Empty(set);
        Assert.True(set.Add(M(s_a, 0x1000, 0x2000, false)));
        Assert.False(set.Add(M(s_a, 0x1000, 0x2000, false)));
        Assert.True(set.Add(M(s_a, 0x1000, 0x2000, true)));
        Assert.True(set.Add(M(s_b, 0x1000, 0x2000, false)));
        Assert.Equal(3, set.Count);
    }

    [Fact]
    public void EqualValues_AreFoundAndRemoved()
    {
        var set = new MappingsOfRange(4) { M(s_a, 0x1000, 0x3000, true), M(s_b, 0x8000, 0xA000, false) };
        Assert.Contains(M(s_a, 0x1000, 0x3000, true), set);
        Assert.DoesNotContain(M(s_a, 0x1000, 0x3000, false), set);
        Assert.False(set.Remove(M(s_a, 0x1000, 0x2000, true)));
        Assert.True(set.Remove(M(s_a, 0x1000, 0x3000, true)));
        Assert.Equal([M(s_b, 0x8000, 0xA000, false)], set);
    }
}
