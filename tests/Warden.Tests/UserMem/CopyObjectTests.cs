using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Tests.UserMem.Infrastructure;
using Warden.UserMem;
using Xunit;
using static Warden.Tests.UserMem.Infrastructure.TestBytes;

namespace Warden.Tests.UserMem;

/// <summary>
/// <see cref="MemoryIOExtensions.CopyObjectIn{T}(IMemoryIO, IContext, Addr, out T, IOOpts)"/>,
/// <see cref="MemoryIOExtensions.CopyObjectOut{T}(IMemoryIO, IContext, Addr, in T, IOOpts)"/> and
/// their span overloads: fixed-size values copied byte for byte in the application's (x86-64,
/// little-endian, C-ABI) layout, returning the number of bytes copied.
/// </summary>
public sealed class CopyObjectTests
{
    private static readonly IContext Ctx = Context.Background;



    [Fact]
    public void MixedStruct_RoundTrips()
    {
        var io = new BytesIO(64);
        MixedStruct value = MixedStruct.Sample();

        (int outN, Error? outErr) = io.CopyObjectOut(Ctx, new Addr(8), in value, default);
        (int inN, Error? inErr) = io.CopyObjectIn(Ctx, new Addr(8), out MixedStruct back, default);

        Assert.Equal(24, outN);
        Assert.Null(outErr);
        Assert.Equal(24, inN);
        Assert.Null(inErr);
        Assert.Equal(value, back);
    }

    [Fact]
    public void MixedStruct_IsWrittenInTheApplicationsLayout()
    {
        var io = new BytesIO(64);
        MixedStruct value = MixedStruct.Sample();

        _ = io.CopyObjectOut(Ctx, new Addr(16), in value, default);

        Assert.Equal(value.A, BinaryPrimitives.ReadInt32LittleEndian(io.Bytes.AsSpan(16 + 0)));
        Assert.Equal(value.B, BinaryPrimitives.ReadInt64LittleEndian(io.Bytes.AsSpan(16 + 8)));
        Assert.Equal(value.C, BinaryPrimitives.ReadInt16LittleEndian(io.Bytes.AsSpan(16 + 16)));
        Assert.All(io.Bytes[..16], b => Assert.Equal(0, b));
        Assert.All(io.Bytes[40..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Int32_IsWrittenLittleEndian()
    {
        var io = new BytesIO(8);

        (int n, Error? err) = io.CopyObjectOut(Ctx, new Addr(4), 0x11223344, default);

        Assert.Equal(4, n);
        Assert.Null(err);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11 }, io.Bytes);
    }

    [Fact]
    public void Values_AreReadLittleEndian()
    {
        var io = new BytesIO(new byte[] { 0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01 });

        (int n32, Error? e32) = io.CopyObjectIn(Ctx, Addr.Zero, out uint u32, default);
        (int n64, Error? e64) = io.CopyObjectIn(Ctx, Addr.Zero, out ulong u64, default);
        (int n16, Error? e16) = io.CopyObjectIn(Ctx, new Addr(6), out ushort u16, default);

        Assert.Equal((4, 8, 2), (n32, n64, n16));
        Assert.Null(e32);
        Assert.Null(e64);
        Assert.Null(e16);
        Assert.Equal(0x89ABCDEFu, u32);
        Assert.Equal(0x0123456789ABCDEFUL, u64);
        Assert.Equal((ushort)0x0123, u16);
    }

    [Fact]
    public void SpanOfStructs_RoundTrips_Contiguously()
    {
        var io = new BytesIO(128);
        MixedStruct[] values = [MixedStruct.Sample(0), MixedStruct.Sample(1), MixedStruct.Sample(2)];

        (int outN, Error? outErr) = io.CopyObjectOut(Ctx, new Addr(4), (ReadOnlySpan<MixedStruct>)values, default);
        var back = new MixedStruct[3];
        (int inN, Error? inErr) = io.CopyObjectIn(Ctx, new Addr(4), back.AsSpan(), default);

        Assert.Equal(72, outN);
        Assert.Null(outErr);
        Assert.Equal(72, inN);
        Assert.Null(inErr);
        Assert.Equal(values, back);
        Assert.Equal(values[1].B, BinaryPrimitives.ReadInt64LittleEndian(io.Bytes.AsSpan(4 + 24 + 8)));
    }

    [Fact]
    public void SpanOfInts_IsConsecutiveLittleEndianWords()
    {
        var io = new BytesIO(12);
        int[] values = [1, -1, 0x01020304];

        (int n, Error? err) = io.CopyObjectOut(Ctx, Addr.Zero, (ReadOnlySpan<int>)values, default);

        Assert.Equal(12, n);
        Assert.Null(err);
        Assert.Equal(new byte[] { 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 4, 3, 2, 1 }, io.Bytes);
    }

    [Fact]
    public void EmptySpan_CopiesNothing()
    {
        var io = new BytesIO(4);

        Assert.Equal((0, (Error?)null), io.CopyObjectOut(Ctx, new Addr(100), ReadOnlySpan<long>.Empty, default));
        Assert.Equal((0, (Error?)null), io.CopyObjectIn(Ctx, new Addr(100), Span<long>.Empty, default));
    }

    [Fact]
    public void CopyObjectOut_PastTheEnd_CopiesThePartThatFits_WithEFAULT()
    {
        var io = new BytesIO(20);
        MixedStruct value = MixedStruct.Sample();

        (int n, Error? err) = io.CopyObjectOut(Ctx, Addr.Zero, in value, default);

        Assert.Equal(20, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(value.A, BinaryPrimitives.ReadInt32LittleEndian(io.Bytes.AsSpan(0)));
        Assert.Equal(value.B, BinaryPrimitives.ReadInt64LittleEndian(io.Bytes.AsSpan(8)));
    }

    [Fact]
    public void CopyObjectIn_PastTheEnd_ReturnsThePartialCount_WithEFAULT()
    {
        var io = new BytesIO(Pattern(20));

        (int n, Error? err) = io.CopyObjectIn(Ctx, new Addr(16), out ulong value, default);

        Assert.Equal(4, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(io.Bytes.AsSpan(16)), (uint)value);
        Assert.Equal(0u, (uint)(value >> 32));
    }

    [Fact]
    public void SpanOfStructs_PastTheEnd_ReturnsThePartialCount_WithEFAULT()
    {
        var io = new BytesIO(50);
        MixedStruct[] values = [MixedStruct.Sample(0), MixedStruct.Sample(1), MixedStruct.Sample(2)];

        (int n, Error? err) = io.CopyObjectOut(Ctx, Addr.Zero, (ReadOnlySpan<MixedStruct>)values, default);

        Assert.Equal(50, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(values[1].A, BinaryPrimitives.ReadInt32LittleEndian(io.Bytes.AsSpan(24)));
    }

    [Fact]
    public void EntirelyOutOfRange_IsZeroWithEFAULT()
    {
        var io = new BytesIO(8);

        (int outN, Error? outErr) = io.CopyObjectOut(Ctx, new Addr(8), 5L, default);
        (int inN, Error? inErr) = io.CopyObjectIn(Ctx, new Addr(ulong.MaxValue - 3), out int _, default);

        Assert.Equal(0, outN);
        Assert.Same(Errno.EFAULT, outErr);
        Assert.Equal(0, inN);
        Assert.Same(Errno.EFAULT, inErr);
        Assert.All(io.Bytes, b => Assert.Equal(0, b));
    }

    [Fact]
    public void PassesTheContextAndOptions_AndCopiesOnceWithTheWholeSize()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        var opts = new IOOpts { AddressSpaceActive = true };
        IContext ctx = Context.Background.WithValue(new ContextKey<int>("k"), 1);
        MixedStruct value = MixedStruct.Sample();

        _ = io.CopyObjectOut(ctx, new Addr(0x1010), in value, opts);
        _ = io.CopyObjectIn(ctx, new Addr(0x1010), out MixedStruct back, opts);

        Assert.Equal(value, back);
        Assert.Equal(new[] { (MemoryIOOp.CopyOut, 0x1010UL, 24L), (MemoryIOOp.CopyIn, 0x1010UL, 24L) },
            io.Calls.Select(c => (c.Op, c.Addr.Value, c.Length)));
        Assert.All(io.Calls, c => Assert.Equal(opts, c.Opts));
        Assert.All(io.Calls, c => Assert.Same(ctx, c.Ctx));
    }
}
