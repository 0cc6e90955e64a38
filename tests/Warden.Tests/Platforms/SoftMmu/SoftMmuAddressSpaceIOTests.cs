using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Warden.Platforms.SoftMmu;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Platforms.SoftMmu;

/// <summary>IAddressSpaceIO through the page table: copies, zeroing, atomics, faults.</summary>
public sealed class SoftMmuAddressSpaceIOTests : IDisposable
{
    private const ulong P = TwoFiles.P;
    private static readonly Addr s_base = new(0x100000);

    private readonly TwoFiles _files = new();
    private readonly SoftMmuAddressSpace _as;

    public SoftMmuAddressSpaceIOTests() => _as = new SoftMmuPlatform(_files.A).NewSoftMmuAddressSpace();

    public void Dispose() => _files.Dispose();

    private static Addr Page(ulong i) => s_base + (i * P);

    private static FileRange Pages(ulong first, ulong count) => new(first * P, (first + count) * P);

    private static byte[] Expected(int file, ulong offset, int length) =>
        Enumerable.Range(0, length).Select(i => TwoFiles.Pattern(file, offset + (ulong)i)).ToArray();

    private static void AssertFault(Error? error, Addr expected)
    {
        SegmentationFault fault = Assert.IsType<SegmentationFault>(error);
        Assert.Equal(expected, fault.Addr);
    }

    [Fact]
    public void CopyIn_AcrossRunsAndFiles_ReadsEachFilesBytes()
    {
        _as.MapFile(Page(0), _files.A, Pages(10, 1), AccessType.ReadOnly, false);
        _as.MapFile(Page(1), _files.B, Pages(3, 1), AccessType.ReadWrite, false);
        _as.MapFile(Page(2), _files.A, Pages(40, 2), AccessType.ReadOnly, false);

        var dst = new byte[(3 * (int)P) - 200];
        (int n, Error? error) = _as.CopyIn(Page(0) + 100, dst);

        Assert.Null(error);
        Assert.Equal(dst.Length, n);
        byte[] expected =
        [
            .. Expected(0, (10 * P) + 100, (int)P - 100),
            .. Expected(1, 3 * P, (int)P),
            .. Expected(0, 40 * P, (int)P - 100),
        ];
        Assert.Equal(expected, dst);
        // One MapInternal per run, for exactly the bytes needed, with the access done.
        Assert.Equal([(new FileRange((10 * P) + 100, 11 * P), AccessType.ReadOnly), (new FileRange(40 * P, (41 * P) - 100), AccessType.ReadOnly)], _files.A.MapInternalCalls);
        Assert.Equal([(Pages(3, 1), AccessType.ReadOnly)], _files.B.MapInternalCalls);
    }

    [Fact]
    public void CopyOut_WritesThroughToTheFiles()
    {
        _as.MapFile(Page(0), _files.A, Pages(5, 1), AccessType.ReadWrite, false);
        _as.MapFile(Page(1), _files.B, Pages(6, 1), AccessType.WriteOnly, false);
        byte[] src = Enumerable.Range(0, 100).Select(i => (byte)(0xC0 ^ i)).ToArray();

        (int n, Error? error) = _as.CopyOut(Page(1) - 50, src);

        Assert.Null(error);
        Assert.Equal(100, n);
        Assert.Equal(src[..50], _files.Read(0, new FileRange((6 * P) - 50, 6 * P)));
        Assert.Equal(src[50..], _files.Read(1, new FileRange(6 * P, (6 * P) + 50)));
        Assert.Equal(Expected(1, (6 * P) + 50, 10), _files.Read(1, new FileRange((6 * P) + 50, (6 * P) + 60)));
    }

    [Fact]
    public void CopyIn_StopsAtAHole_WithTheExactFaultAddress()
    {
        _as.MapFile(Page(0), _files.A, Pages(0, 2), AccessType.ReadOnly, false);
        _as.MapFile(Page(3), _files.A, Pages(3, 1), AccessType.ReadOnly, false);

        var dst = new byte[3 * P];
        (int n, Error? error) = _as.CopyIn(Page(1) + 7, dst);

        Assert.Equal((int)P - 7, n);
        AssertFault(error, Page(2));
        Assert.Equal(Expected(0, P + 7, n), dst[..n]);

        (n, error) = _as.CopyIn(Page(2) + 9, dst);
        Assert.Equal(0, n);
        AssertFault(error, Page(2) + 9);
    }

    [Fact]
    public void Permissions_AreCheckedPerAccess_AndTakenLiterally()
    {
        _as.MapFile(Page(0), _files.A, Pages(0, 1), AccessType.ReadWrite, false);
        _as.MapFile(Page(1), _files.A, Pages(1, 1), AccessType.ReadOnly, false);
        _as.MapFile(Page(2), _files.A, Pages(2, 1), AccessType.WriteOnly, false);
        _as.MapFile(Page(3), _files.A, Pages(3, 1), AccessType.ExecuteOnly, false);
        byte[] buf = new byte[2 * P];

        // Write to read-only: faults at its first byte; nothing of it is changed.
        (int n, Error? error) = _as.CopyOut(Page(0) + 16, buf);
        Assert.Equal((int)P - 16, n);
        AssertFault(error, Page(1));
        Assert.Equal(Expected(0, P, (int)P), _files.Read(0, Pages(1, 1)));

        // Read of write-only: write does not imply read here.
        (n, error) = _as.CopyIn(Page(1) + 8, buf);
        Assert.Equal((int)P - 8, n);
        AssertFault(error, Page(2));

        // Write-only takes writes; execute-only takes neither.
        (n, error) = _as.CopyOut(Page(2), buf);
        Assert.Equal((int)P, n);
        AssertFault(error, Page(3));
        (n, error) = _as.CopyIn(Page(3), buf.AsSpan(0, 1));
        Assert.Equal(0, n);
        AssertFault(error, Page(3));

        // Atomics: load needs read; swap and CAS need read and write.
        Assert.Null(_as.LoadUint32(Page(1)).Error);
        AssertFault(_as.SwapUint32(Page(1) + 4, 1).Error, Page(1) + 4);
        AssertFault(_as.CompareAndSwapUint32(Page(2) + 8, 0, 1).Error, Page(2) + 8);
        AssertFault(_as.LoadUint32(Page(2) + 12).Error, Page(2) + 12);
        Assert.Null(_as.SwapUint32(Page(0), 1).Error);
    }

    [Fact]
    public void ZeroOut_ZeroesUpToTheFirstFault()
    {
        _as.MapFile(Page(0), _files.A, Pages(8, 2), AccessType.ReadWrite, false);
        _as.MapFile(Page(2), _files.B, Pages(8, 1), AccessType.ReadOnly, false);

        (ulong n, Error? error) = _as.ZeroOut(Page(0) + 10, 3 * P);

        Assert.Equal((2 * P) - 10, n);
        AssertFault(error, Page(2));
        Assert.Equal(Expected(0, 8 * P, 10), _files.Read(0, new FileRange(8 * P, (8 * P) + 10)));
        Assert.All(_files.Read(0, new FileRange((8 * P) + 10, 10 * P)), b => Assert.Equal(0, b));
        Assert.Equal(Expected(1, 8 * P, (int)P), _files.Read(1, Pages(8, 1)));

        Assert.Equal((0UL, (Error?)null), _as.ZeroOut(Page(0), 0));
        (n, error) = _as.ZeroOut(Page(0), 5);
        Assert.Equal((5UL, (Error?)null), (n, error));
    }

    [Fact]
    public void ZeroLengthCopies_ReturnNothing_EvenWhereNothingIsMapped()
    {
        Assert.Equal((0, (Error?)null), _as.CopyIn(Page(0), []));
        Assert.Equal((0, (Error?)null), _as.CopyOut(new Addr(ulong.MaxValue), []));
        Assert.Equal((0UL, (Error?)null), _as.ZeroOut(Addr.Zero, 0));
    }

    [Fact]
    public void AnAccessThatWouldWrap_FaultsAtTheTopOfTheMappableSpace()
    {
        Addr max = new(ulong.MaxValue - 0xfff);
        var platform = new SoftMmuPlatform(_files.A, new SoftMmuOptions { MaxUserAddress = max });
        SoftMmuAddressSpace top = platform.NewSoftMmuAddressSpace();
        top.MapFile(max - P, _files.A, Pages(1, 1), AccessType.ReadWrite, false);

        var dst = new byte[2 * P];
        (int n, Error? error) = top.CopyIn(max - P, dst);
        Assert.Equal((int)P, n);
        AssertFault(error, max);
        Assert.Equal(Expected(0, P, (int)P), dst[..(int)P]);

        (n, error) = top.CopyOut(max - 10, dst);
        Assert.Equal(10, n);
        AssertFault(error, max);

        (ulong z, Error? zeroError) = top.ZeroOut(max - 4, ulong.MaxValue);
        Assert.Equal(4UL, z);
        AssertFault(zeroError, max);

        (n, error) = top.CopyIn(new Addr(ulong.MaxValue - 3), dst);
        Assert.Equal(0, n);
        AssertFault(error, new Addr(ulong.MaxValue - 3));
        AssertFault(top.LoadUint32(new Addr(ulong.MaxValue - 3)).Error, new Addr(ulong.MaxValue - 3));
    }

    [Fact]
    public void AddressesOutsideTheUserRange_Fault()
    {
        var dst = new byte[16];
        (int n, Error? error) = _as.CopyIn(Addr.Zero, dst);
        Assert.Equal(0, n);
        AssertFault(error, Addr.Zero);
        AssertFault(_as.CopyOut(new Addr(0x7fff_ffff_fff0), dst).Error, new Addr(0x7fff_ffff_fff0));
    }

    [Fact]
    public void Atomics_ReadAndWriteTheMappedWord()
    {
        _as.MapFile(Page(0), _files.A, Pages(12, 1), AccessType.ReadWrite, false);
        Addr word = Page(0) + 0x40;
        _as.CopyOut(word, BitConverter.GetBytes(0x11223344u));

        Assert.Equal((0x11223344u, (Error?)null), _as.LoadUint32(word));
        Assert.Equal((0x11223344u, (Error?)null), _as.SwapUint32(word, 7));
        Assert.Equal((7u, (Error?)null), _as.CompareAndSwapUint32(word, 8, 9));     // no match: unchanged
        Assert.Equal((7u, (Error?)null), _as.CompareAndSwapUint32(word, 7, 9));     // match: replaced
        Assert.Equal(9u, BitConverter.ToUInt32(_files.Read(0, new FileRange((12 * P) + 0x40, (12 * P) + 0x44))));

        AssertFault(_as.LoadUint32(Page(1)).Error, Page(1));
        AssertFault(_as.SwapUint32(Page(1) + 4, 0).Error, Page(1) + 4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Atomics_MisalignedAddresses_Throw(ulong misalignment)
    {
        _as.MapFile(Page(0), _files.A, Pages(0, 1), AccessType.ReadWrite, false);
        Addr addr = Page(0) + misalignment;
        Assert.Equal("addr", Assert.Throws<ArgumentException>(() => _as.LoadUint32(addr)).ParamName);
        Assert.Throws<ArgumentException>(() => _as.SwapUint32(addr, 0));
        Assert.Throws<ArgumentException>(() => _as.CompareAndSwapUint32(addr, 0, 1));
    }

    [Fact]
    public void MapInternalErrors_AreReturnedAsIs_WithThePartialCount()
    {
        _as.MapFile(Page(0), _files.A, Pages(0, 1), AccessType.ReadWrite, false);
        _as.MapFile(Page(1), _files.B, Pages(0, 1), AccessType.ReadWrite, false);
        var failure = new WrappingError("device gone", Errno.EIO);
        _files.B.MapInternalError = failure;

        var buf = new byte[2 * P];
        Assert.Equal(((int)P, (Error?)failure), _as.CopyIn(Page(0), buf));
        Assert.Equal(((int)P, (Error?)failure), _as.CopyOut(Page(0), buf));
        Assert.Equal((P, (Error?)failure), _as.ZeroOut(Page(0), 2 * P));
        Assert.Same(failure, _as.LoadUint32(Page(1)).Error);
        Assert.Same(failure, _as.SwapUint32(Page(1), 0).Error);
    }

    [Fact]
    public void WithoutAddressSpaceIO_EveryMethodSaysUnavailable()
    {
        var platform = new SoftMmuPlatform(_files.A, new SoftMmuOptions { SupportsAddressSpaceIO = false });
        SoftMmuAddressSpace noIO = platform.NewSoftMmuAddressSpace();
        noIO.MapFile(Page(0), _files.A, Pages(0, 1), AccessType.ReadWrite, false);

        Assert.Same(PlatformErrors.AddressSpaceIOUnavailable, noIO.CopyIn(Page(0), new byte[4]).Error);
        Assert.Same(PlatformErrors.AddressSpaceIOUnavailable, noIO.CopyOut(Page(0), new byte[4]).Error);
        Assert.Same(PlatformErrors.AddressSpaceIOUnavailable, noIO.ZeroOut(Page(0), 4).Error);
        Assert.Same(PlatformErrors.AddressSpaceIOUnavailable, noIO.LoadUint32(Page(0)).Error);
        Assert.Same(PlatformErrors.AddressSpaceIOUnavailable, noIO.SwapUint32(Page(0), 1).Error);
        Assert.Same(PlatformErrors.AddressSpaceIOUnavailable, noIO.CompareAndSwapUint32(Page(0), 1, 2).Error);
        Assert.True(noIO.Lookup(Page(0)).Mapped);
    }

    [Fact]
    public void ThroughTheInterface_TheSameMethodsRun()
    {
        IAddressSpace asInterface = _as;
        _as.MapFile(Page(0), _files.A, Pages(0, 1), AccessType.ReadOnly, false);
        var dst = new byte[8];
        Assert.Equal((8, (Error?)null), asInterface.CopyIn(Page(0), dst));
        Assert.Equal(Expected(0, 0, 8), dst);
    }

    [Fact]
    public void AfterUnmap_CopiesFault()
    {
        _as.MapFile(Page(0), _files.A, Pages(0, 2), AccessType.ReadWrite, false);
        _as.Unmap(Page(1), P);
        var dst = new byte[2 * P];
        (int n, Error? error) = _as.CopyIn(Page(0), dst);
        Assert.Equal((int)P, n);
        AssertFault(error, Page(1));
    }

    [Fact]
    public void RealMemoryFile_CopiesRoundTrip()
    {
        (Warden.PgAlloc.MemoryFile? mf, Error? createError) = Warden.PgAlloc.MemoryFile.Create();
        Assert.Null(createError);
        using Warden.PgAlloc.MemoryFile memory = mf!;
        (FileRange fr, Error? allocError) = memory.Allocate(4 * P, MemoryKind.Anonymous);
        Assert.Null(allocError);
        SoftMmuAddressSpace space = new SoftMmuPlatform(memory).NewSoftMmuAddressSpace();
        Assert.Null(space.MapFile(Page(0), memory, fr, AccessType.ReadWrite, precommit: true));

        byte[] src = Enumerable.Range(0, (int)(3 * P)).Select(i => (byte)(i * 13)).ToArray();
        Assert.Equal((src.Length, (Error?)null), space.CopyOut(Page(0) + 5, src));
        var dst = new byte[src.Length];
        Assert.Equal((dst.Length, (Error?)null), space.CopyIn(Page(0) + 5, dst));
        Assert.Equal(src, dst);
        Assert.Equal((0u, (Error?)null), space.CompareAndSwapUint32(Page(3) + 0xff0, 0, 5));
        Assert.Equal((5u, (Error?)null), space.LoadUint32(Page(3) + 0xff0));

        space.Release();
        memory.DecRef(fr);
    }
}
