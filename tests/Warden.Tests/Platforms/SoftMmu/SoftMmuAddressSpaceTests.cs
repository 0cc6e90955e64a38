using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Warden.Platforms.SoftMmu;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Platforms.SoftMmu;

/// <summary>The page table: MapFile, Unmap, Release, Lookup, merging and the counters.</summary>
public sealed class SoftMmuAddressSpaceTests : IDisposable
{
    private const ulong P = TwoFiles.P;
    private static readonly Addr s_base = new(0x100000);

    private readonly TwoFiles _files = new();
    private readonly SoftMmuAddressSpace _as;

    public SoftMmuAddressSpaceTests() => _as = new SoftMmuPlatform(_files.A).NewSoftMmuAddressSpace();

    public void Dispose() => _files.Dispose();

    private static Addr Page(ulong i) => s_base + (i * P);

    private static FileRange Pages(ulong first, ulong count) => new(first * P, (first + count) * P);

    [Fact]
    public void MapFile_RecordsFileOffsetAndPerms()
    {
        Assert.Null(_as.MapFile(Page(2), _files.A, Pages(5, 3), AccessType.ReadOnly, precommit: false));

        SoftMmuLookup hit = _as.Lookup(Page(3) + 0x123);
        Assert.True(hit.Mapped);
        Assert.Same(_files.A, hit.File);
        Assert.Equal((6 * P) + 0x123, hit.Offset);
        Assert.Equal(AccessType.ReadOnly, hit.Perms);
        Assert.Equal(new AddrRange(Page(2), Page(5)), hit.Range);

        (bool mapped, _, _, _) = _as.Lookup(Page(5));
        Assert.False(mapped);
        Assert.False(_as.Lookup(Page(1) + (P - 1)).Mapped);
        Assert.Equal(3 * P, _as.MappedBytes);
        Assert.Equal(1, _as.MapFileCalls);
    }

    [Fact]
    public void AdjacentContiguousMappings_Merge_AndOthersDoNot()
    {
        _as.MapFile(Page(0), _files.A, Pages(0, 2), AccessType.ReadWrite, false);
        _as.MapFile(Page(2), _files.A, Pages(2, 2), AccessType.ReadWrite, false);   // contiguous: merges
        _as.MapFile(Page(4), _files.A, Pages(7, 1), AccessType.ReadWrite, false);   // offset jumps
        _as.MapFile(Page(5), _files.A, Pages(8, 1), AccessType.ReadOnly, false);    // perms differ
        _as.MapFile(Page(6), _files.B, Pages(9, 1), AccessType.ReadOnly, false);    // file differs

        SoftMmuMapping[] m = _as.GetMappings();
        Assert.Equal(
            [
                new SoftMmuMapping(new AddrRange(Page(0), Page(4)), _files.A, 0, AccessType.ReadWrite),
                new SoftMmuMapping(new AddrRange(Page(4), Page(5)), _files.A, 7 * P, AccessType.ReadWrite),
                new SoftMmuMapping(new AddrRange(Page(5), Page(6)), _files.A, 8 * P, AccessType.ReadOnly),
                new SoftMmuMapping(new AddrRange(Page(6), Page(7)), _files.B, 9 * P, AccessType.ReadOnly),
            ],
            m);
    }

    [Fact]
    public void MapFile_ReplacesWhateverWasThere()
    {
        _as.MapFile(Page(0), _files.A, Pages(0, 8), AccessType.ReadWrite, false);
        _as.MapFile(Page(2), _files.B, Pages(20, 3), AccessType.ReadOnly, false);

        Assert.Equal(
            [
                new SoftMmuMapping(new AddrRange(Page(0), Page(2)), _files.A, 0, AccessType.ReadWrite),
                new SoftMmuMapping(new AddrRange(Page(2), Page(5)), _files.B, 20 * P, AccessType.ReadOnly),
                new SoftMmuMapping(new AddrRange(Page(5), Page(8)), _files.A, 5 * P, AccessType.ReadWrite),
            ],
            _as.GetMappings());
        Assert.Equal(8 * P, _as.MappedBytes);

        // Putting the original back joins everything into one run again.
        _as.MapFile(Page(2), _files.A, Pages(2, 3), AccessType.ReadWrite, false);
        Assert.Single(_as.GetMappings());
        Assert.Equal(8 * P, _as.MappedBytes);
        Assert.Equal(3, _as.MapFileCalls);
    }

    [Fact]
    public void Unmap_SplitsAndRemoves()
    {
        _as.MapFile(Page(0), _files.A, Pages(0, 8), AccessType.ReadWrite, false);
        _as.Unmap(Page(3), 2 * P);
        Assert.Equal(
            [
                new SoftMmuMapping(new AddrRange(Page(0), Page(3)), _files.A, 0, AccessType.ReadWrite),
                new SoftMmuMapping(new AddrRange(Page(5), Page(8)), _files.A, 5 * P, AccessType.ReadWrite),
            ],
            _as.GetMappings());
        Assert.Equal(6 * P, _as.MappedBytes);
        Assert.Equal(1, _as.UnmapCalls);
    }

    [Fact]
    public void Unmap_RoundsTheEndUpAndIgnoresWhatCannotBeMapped()
    {
        _as.MapFile(Page(0), _files.A, Pages(0, 4), AccessType.ReadWrite, false);
        _as.Unmap(Page(1), 1);                                   // one byte: the whole page goes
        Assert.False(_as.Lookup(Page(1)).Mapped);
        Assert.True(_as.Lookup(Page(2)).Mapped);

        _as.Unmap(Addr.Zero, ulong.MaxValue);                    // wraps: everything above 0 goes
        Assert.Empty(_as.GetMappings());
        Assert.Equal(0UL, _as.MappedBytes);

        _as.Unmap(new Addr(0x7fff_ffff_f000), P);                // entirely above the user range: nothing to do
        _as.Unmap(Addr.Zero, P);                                 // entirely below it
        Assert.Equal(4, _as.UnmapCalls);
    }

    [Fact]
    public void Precommit_ReturnsMapInternalsErrorAndMapsNothing()
    {
        _files.A.MapInternalError = Errno.ENOMEM;
        Assert.Same(Errno.ENOMEM, _as.MapFile(Page(0), _files.A, Pages(0, 1), AccessType.ReadOnly, precommit: true));
        Assert.False(_as.Lookup(Page(0)).Mapped);
        Assert.Equal(0, _as.MapFileCalls);

        // Without precommit the file is not consulted.
        Assert.Null(_as.MapFile(Page(0), _files.A, Pages(0, 1), AccessType.ReadOnly, precommit: false));
        _files.A.MapInternalError = null;
        Assert.Null(_as.MapFile(Page(1), _files.A, Pages(1, 1), AccessType.ReadOnly, precommit: true));
        Assert.Equal([(Pages(1, 1), AccessType.ReadOnly)], _files.A.MapInternalCalls.Skip(1));
    }

    public static TheoryData<ulong, ulong, ulong, bool, string> BadMaps => new()
    {
        { 0x100001, 0, P, true, "addr" },
        { 0x100000, 1, P, true, "fr" },
        { 0x100000, 0, P + 1, true, "fr" },
        { 0x100000, P, P, true, "fr" },
        { 0x100000, 0, P, false, "at" },
        { 0xf000, 0, P, true, "addr" },                       // below MinUserAddress
        { 0x7fff_ffff_f000, 0, P, true, "addr" },             // at MaxUserAddress
        { 0x7fff_ffff_e000, 0, 2 * P, true, "addr" },         // crosses MaxUserAddress
        { 0xffff_ffff_ffff_f000, 0, 2 * P, true, "addr" },    // wraps
    };

    [Theory]
    [MemberData(nameof(BadMaps))]
    public void MapFile_BrokenPreconditions_Throw(ulong addr, ulong start, ulong end, bool anyAccess, string param)
    {
        AccessType at = anyAccess ? AccessType.ReadOnly : AccessType.NoAccess;
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => _as.MapFile(new Addr(addr), _files.A, new FileRange(start, end), at, false));
        Assert.Equal(param, e.ParamName);
        Assert.Equal(0, _as.MapFileCalls);
    }

    [Fact]
    public void MapFile_LastPageBelowMax_IsAllowed()
    {
        Assert.Null(_as.MapFile(new Addr(0x7fff_ffff_e000), _files.A, Pages(0, 1), AccessType.ReadOnly, false));
        Assert.Null(_as.MapFile(new Addr(0x10000), _files.A, Pages(0, 1), AccessType.ReadOnly, false));
    }

    [Fact]
    public void Unmap_BrokenPreconditions_Throw()
    {
        Assert.Equal("addr", Assert.Throws<ArgumentException>(() => _as.Unmap(Page(0) + 1, P)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentException>(() => _as.Unmap(Page(0), 0)).ParamName);
        Assert.Equal(0, _as.UnmapCalls);
    }

    [Fact]
    public void Release_UnmapsEverything_AndLaterUseThrows()
    {
        _as.MapFile(Page(0), _files.A, Pages(0, 4), AccessType.ReadWrite, false);
        _as.Release();
        Assert.True(_as.IsReleased);
        Assert.Equal(0UL, _as.MappedBytes);
        Assert.Equal(1, _as.MapFileCalls);

        _as.Release(); // again: nothing happens
        Assert.Throws<ObjectDisposedException>(() => _as.MapFile(Page(0), _files.A, Pages(0, 1), AccessType.ReadOnly, false));
        Assert.Throws<ObjectDisposedException>(() => _as.Unmap(Page(0), P));
        Assert.Throws<ObjectDisposedException>(() => _as.Lookup(Page(0)));
        Assert.Throws<ObjectDisposedException>(() => _as.GetMappings());
        Assert.Throws<ObjectDisposedException>(() => _as.CopyIn(Page(0), new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => _as.CopyOut(Page(0), new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => _as.ZeroOut(Page(0), 1));
        Assert.Throws<ObjectDisposedException>(() => _as.LoadUint32(Page(0)));
        Assert.Throws<ObjectDisposedException>(() => _as.SwapUint32(Page(0), 1));
        Assert.Throws<ObjectDisposedException>(() => _as.CompareAndSwapUint32(Page(0), 1, 2));
    }

    [Fact]
    public void Mapping_TakesNoReferencesOnTheFile()
    {
        int before = _files.A.RefCount(0);
        _as.MapFile(Page(0), _files.A, Pages(0, 1), AccessType.ReadWrite, true);
        Assert.Equal(before, _files.A.RefCount(0));
        _as.Unmap(Page(0), P);
        Assert.Equal(before, _files.A.RefCount(0));
    }

    [Fact]
    public void AddressSpaces_AreIndependent()
    {
        SoftMmuAddressSpace other = _as.Platform.NewSoftMmuAddressSpace();
        _as.MapFile(Page(0), _files.A, Pages(0, 1), AccessType.ReadWrite, false);
        Assert.False(other.Lookup(Page(0)).Mapped);
        other.Release();
        Assert.True(_as.Lookup(Page(0)).Mapped);
    }
}
