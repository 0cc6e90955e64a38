using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Tests.UserMem.Infrastructure;
using Warden.UserMem;
using Xunit;
using static Warden.Tests.UserMem.Infrastructure.TestBytes;

namespace Warden.Tests.UserMem;

/// <summary>
/// <see cref="IOReadWriter"/>: a stream over an IO from an address, advancing as it goes. An
/// address space has no end of file: unmapped memory and the end of the address space are EFAULT
/// (seed 000), and the address never wraps past 2^64.
/// </summary>
public sealed class IOReadWriterTests
{
    private static readonly IContext Ctx = Context.Background;

    private const ulong LastPage = 0xFFFF_FFFF_FFFF_F000;

    [Fact]
    public void ReadsAndWrites_AdvanceTheAddress()
    {
        var io = new BytesIO(Pattern(64));
        byte[] before = io.Bytes.ToArray();
        using var rw = new IOReadWriter(Ctx, io, new Addr(10));

        byte[] buffer = new byte[5];
        Assert.Equal(5, rw.Read(buffer));
        Assert.Equal(before[10..15], buffer);
        Assert.Equal(new Addr(15), rw.Addr);

        rw.Write([1, 2, 3]);
        Assert.Equal(new Addr(18), rw.Addr);
        Assert.Equal(new byte[] { 1, 2, 3 }, io.Bytes[15..18]);

        Assert.Equal(4, rw.Read(buffer, 1, 4));
        Assert.Equal(before[18..22], buffer[1..5]);
        Assert.Equal(new Addr(22), rw.Addr);
    }

    [Fact]
    public void Constructor_KeepsItsArguments()
    {
        var io = new BytesIO(4);
        var opts = new IOOpts { AddressSpaceActive = true };

        using var rw = new IOReadWriter(Ctx, io, new Addr(3), opts);

        Assert.Same(Ctx, rw.Ctx);
        Assert.Same(io, rw.IO);
        Assert.Equal(new Addr(3), rw.Addr);
        Assert.Equal(opts, rw.Opts);
        Assert.True(rw.CanRead);
        Assert.True(rw.CanWrite);
        Assert.False(rw.CanSeek);
    }

    [Fact]
    public void Read_UnmappedAddress_ThrowsEFAULT_AndDoesNotAdvance()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        using var rw = new IOReadWriter(Ctx, io, new Addr(0x2000));

        ErrorException ex = Assert.Throws<ErrorException>(() => rw.Read(new byte[8]));

        Assert.Same(Errno.EFAULT, ex.Error);
        Assert.Equal(new Addr(0x2000), rw.Addr);
    }

    [Fact]
    public void Read_RunningIntoUnmappedMemory_ReturnsWhatWasRead_ThenThrowsEFAULT()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        io.Poke(0x1FFC, [1, 2, 3, 4]);
        using var rw = new IOReadWriter(Ctx, io, new Addr(0x1FFC));
        byte[] buffer = new byte[16];

        Assert.Equal(4, rw.Read(buffer));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, buffer[..4]);
        Assert.Equal(new Addr(0x2000), rw.Addr);

        ErrorException ex = Assert.Throws<ErrorException>(() => rw.Read(buffer));
        Assert.Same(Errno.EFAULT, ex.Error);
        Assert.Equal(new Addr(0x2000), rw.Addr);
    }

    [Fact]
    public void Write_RunningIntoUnmappedMemory_ThrowsEFAULT_WithTheCountWritten_AndAdvancesByIt()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        using var rw = new IOReadWriter(Ctx, io, new Addr(0x1FFE));

        ErrorException ex = Assert.Throws<ErrorException>(() => rw.Write([9, 8, 7, 6]));

        Assert.Same(Errno.EFAULT, ex.Error);
        Assert.Equal(2, ex.BytesTransferred);
        Assert.Equal(new byte[] { 9, 8 }, io.Peek(0x1FFE, 2));
        Assert.Equal(new Addr(0x2000), rw.Addr);
    }

    [Fact]
    public void Read_PastTheEndOfABytesIO_IsEFAULT_NotEndOfFile()
    {
        var io = new BytesIO(Pattern(8));
        using var rw = new IOReadWriter(Ctx, io, new Addr(4));

        Assert.Equal(4, rw.Read(new byte[8]));
        ErrorException ex = Assert.Throws<ErrorException>(() => rw.ReadByte());
        Assert.Same(Errno.EFAULT, ex.Error);
    }

    [Fact]
    public void Read_ReturnsZero_OnlyWhenTheIOReportsEndOfStream()
    {
        // Seed: "Read can only return io.EOF if IO.CopyIn returns io.EOF".
        var io = new FaultingMemoryIO { FaultError = WellKnownErrors.EndOfStream };
        using var rw = new IOReadWriter(Ctx, io, new Addr(0x4000));

        Assert.Equal(0, rw.Read(new byte[4]));
        Assert.Equal(new Addr(0x4000), rw.Addr);
    }

    [Fact]
    public void Read_OtherErrorsAreThrownAsThemselves()
    {
        var io = new FaultingMemoryIO { FaultError = Errno.EIO };
        using var rw = new IOReadWriter(Ctx, io, new Addr(0x4000));

        ErrorException ex = Assert.Throws<ErrorException>(() => rw.Read(new byte[4]));

        Assert.Same(Errno.EIO, ex.Error);
    }

    [Fact]
    public void PassesTheContextAndOptionsToTheIO()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        var opts = new IOOpts { IgnorePermissions = true };
        IContext ctx = Context.Background.WithValue(new ContextKey<int>("k"), 7);
        using var rw = new IOReadWriter(ctx, io, new Addr(0x1000), opts);

        Assert.Equal(2, rw.Read(new byte[2]));
        rw.Write(new byte[3]);

        Assert.Equal(new[] { (MemoryIOOp.CopyIn, 0x1000UL, 2L), (MemoryIOOp.CopyOut, 0x1002UL, 3L) },
            io.Calls.Select(c => (c.Op, c.Addr.Value, c.Length)));
        Assert.All(io.Calls, c => Assert.Same(ctx, c.Ctx));
        Assert.All(io.Calls, c => Assert.Equal(opts, c.Opts));
    }

    [Fact]
    public void Read_EndingExactlyAtTheTopOfTheAddressSpace_ParksAtMaxValue_AndNeverWraps()
    {
        var io = new FaultingMemoryIO().Map(LastPage);
        io.Map(0); // so that a wrapped address would find memory
        io.Poke(0, [0x55, 0x55, 0x55, 0x55]);
        io.Poke(LastPage, Pattern(16));
        using var rw = new IOReadWriter(Ctx, io, new Addr(LastPage));

        byte[] page = new byte[Arch.PageSize];
        Assert.Equal(Arch.PageSize, rw.Read(page));
        Assert.Equal(Pattern(16), page[..16]);
        Assert.Equal(Addr.MaxValue, rw.Addr);

        io.ClearCalls();
        ErrorException readEx = Assert.Throws<ErrorException>(() => rw.Read(new byte[4]));
        Assert.Same(Errno.EFAULT, readEx.Error);
        ErrorException writeEx = Assert.Throws<ErrorException>(() => rw.Write([1, 2, 3, 4]));
        Assert.Same(Errno.EFAULT, writeEx.Error);
        Assert.Equal(Addr.MaxValue, rw.Addr);
        Assert.Equal(new byte[] { 0x55, 0x55, 0x55, 0x55 }, io.Peek(0, 4));
        Assert.DoesNotContain(io.Calls, c => c.Addr.Value < LastPage);
    }

    [Fact]
    public void Read_EndingOneByteShortOfTheTop_LeavesTheLastByteReadable_ThenStops()
    {
        var io = new FaultingMemoryIO().Map(LastPage);
        io.Poke(ulong.MaxValue, [0x7E]);
        using var rw = new IOReadWriter(Ctx, io, new Addr(LastPage));

        Assert.Equal(Arch.PageSize - 1, rw.Read(new byte[Arch.PageSize - 1]));
        Assert.Equal(Addr.MaxValue, rw.Addr);

        Assert.Equal(0x7E, rw.ReadByte());
        Assert.Equal(Addr.MaxValue, rw.Addr);

        ErrorException ex = Assert.Throws<ErrorException>(() => rw.ReadByte());
        Assert.Same(Errno.EFAULT, ex.Error);
    }

    [Fact]
    public void Read_RunningPastTheTop_ReturnsTheBytesBelowIt_ThenThrowsEFAULT()
    {
        var io = new FaultingMemoryIO().Map(LastPage).Map(0);
        io.Poke(ulong.MaxValue - 3, [1, 2, 3, 4]);
        using var rw = new IOReadWriter(Ctx, io, new Addr(ulong.MaxValue - 3));
        byte[] buffer = new byte[8];

        Assert.Equal(4, rw.Read(buffer));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, buffer[..4]);
        Assert.Equal(Addr.MaxValue, rw.Addr);

        ErrorException ex = Assert.Throws<ErrorException>(() => rw.Read(buffer));
        Assert.Same(Errno.EFAULT, ex.Error);
    }

    [Fact]
    public void Write_EndingExactlyAtTheTop_ThenFurtherWritesAreEFAULT()
    {
        var io = new FaultingMemoryIO().Map(LastPage).Map(0);
        using var rw = new IOReadWriter(Ctx, io, new Addr(ulong.MaxValue - 1));

        rw.Write([0xAB, 0xCD]);
        Assert.Equal(new byte[] { 0xAB, 0xCD }, io.Peek(ulong.MaxValue - 1, 2));
        Assert.Equal(Addr.MaxValue, rw.Addr);

        ErrorException ex = Assert.Throws<ErrorException>(() => rw.Write([0xEF]));
        Assert.Same(Errno.EFAULT, ex.Error);
        Assert.Equal(0, io.Peek(0, 1)[0]);
    }

    [Fact]
    public void EmptyReadsAndWrites_DoNothing()
    {
        var io = new FaultingMemoryIO();
        using var rw = new IOReadWriter(Ctx, io, new Addr(0x9000));

        Assert.Equal(0, rw.Read(Span<byte>.Empty));
        rw.Write(ReadOnlySpan<byte>.Empty);

        Assert.Equal(new Addr(0x9000), rw.Addr);
    }
}
