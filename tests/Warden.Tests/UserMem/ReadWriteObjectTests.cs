using System.Runtime.InteropServices;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Warden.Tests.UserMem.Infrastructure;
using Warden.UserMem;
using Xunit;
using static Warden.Tests.UserMem.Infrastructure.TestBytes;

namespace Warden.Tests.UserMem;

/// <summary>
/// The all-or-error tier: <see cref="MemoryIOExtensions.ReadObject{T}"/>,
/// <see cref="MemoryIOExtensions.WriteObject{T}"/>, <see cref="MemoryIOExtensions.Read"/> and
/// <see cref="MemoryIOExtensions.Write"/> succeed only when every byte moved, and otherwise return
/// the IO's own error (EFAULT if it gave none).
/// </summary>
public sealed class ReadWriteObjectTests
{
    private static readonly IContext Ctx = Context.Background;



    [Fact]
    public void Struct_RoundTrips()
    {
        var io = new BytesIO(64);
        MixedStruct value = MixedStruct.Sample();

        Error? writeError = io.WriteObject(Ctx, new Addr(8), in value);
        Error? readError = io.ReadObject(Ctx, new Addr(8), out MixedStruct back);

        Assert.Null(writeError);
        Assert.Null(readError);
        Assert.Equal(value, back);
        Assert.Equal(MemoryMarshal.AsBytes(new ReadOnlySpan<MixedStruct>(in value)).ToArray(), io.Bytes[8..32]);
    }

    [Fact]
    public void ReadObject_AcrossTheEnd_IsEfaultAndLeavesValueDefault()
    {
        // The first 16 bytes of the struct are in the buffer and non-zero, so a partial copy would show.
        var io = new BytesIO(Pattern(32));

        Error? error = io.ReadObject(Ctx, new Addr(16), out MixedStruct value);

        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(default, value);
    }

    [Fact]
    public void ReadObject_EntirelyOutside_IsEfault()
    {
        var io = new BytesIO(8);

        Error? error = io.ReadObject(Ctx, new Addr(100), out long value);

        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(0, value);
    }

    [Fact]
    public void WriteObject_AcrossTheEnd_IsEfaultAndWritesOnlyThePrefixThatFits()
    {
        var io = new BytesIO(28);
        MixedStruct value = MixedStruct.Sample();
        byte[] bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<MixedStruct>(in value)).ToArray();

        Error? error = io.WriteObject(Ctx, new Addr(16), in value);

        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(bytes[..12], io.Bytes[16..]);
        Assert.All(io.Bytes[..16], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Read_FillsTheSpan()
    {
        byte[] contents = Pattern(32);
        var io = new BytesIO(contents);
        byte[] destination = new byte[10];

        Error? error = io.Read(Ctx, new Addr(5), destination);

        Assert.Null(error);
        Assert.Equal(contents[5..15], destination);
    }

    [Fact]
    public void Read_AcrossTheEnd_IsEfault()
    {
        var io = new BytesIO(Pattern(32));

        Error? error = io.Read(Ctx, new Addr(30), new byte[4]);

        Assert.Same(Errno.EFAULT, error);
    }

    [Fact]
    public void Write_AcrossTheEnd_IsEfaultAndWritesOnlyThePrefixThatFits()
    {
        var io = new BytesIO(8);
        byte[] source = Pattern(6, seed: 3);

        Error? error = io.Write(Ctx, new Addr(4), source);

        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(source[..4], io.Bytes[4..]);
        Assert.All(io.Bytes[..4], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Write_CopiesTheSpan()
    {
        var io = new BytesIO(16);
        byte[] source = Pattern(8);

        Error? error = io.Write(Ctx, new Addr(8), source);

        Assert.Null(error);
        Assert.Equal(source, io.Bytes[8..]);
    }

    [Fact]
    public void ZeroLengthSpans_Succeed_EvenOutsideTheBuffer()
    {
        var io = new BytesIO(Pattern(8));

        Assert.Null(io.Read(Ctx, new Addr(4), Span<byte>.Empty));
        Assert.Null(io.Write(Ctx, new Addr(4), ReadOnlySpan<byte>.Empty));
        Assert.Null(io.Read(Ctx, new Addr(1000), Span<byte>.Empty));
        Assert.Null(io.Write(Ctx, new Addr(1000), ReadOnlySpan<byte>.Empty));
        Assert.Equal(Pattern(8), io.Bytes);
    }

    [Fact]
    public void TheIOsError_IsPassedThroughUnchanged()
    {
        var custom = new WrappingError("custom fault", Errno.EFAULT);
        var io = new FaultingMemoryIO { FaultError = custom }.Map(0x1000);
        ulong nearEnd = 0x2000 - 4;

        Error? readObject = io.ReadObject(Ctx, new Addr(nearEnd), out long value);
        Error? writeObject = io.WriteObject(Ctx, new Addr(nearEnd), 0x1122_3344_5566_7788L);
        Error? read = io.Read(Ctx, new Addr(nearEnd), new byte[8]);
        Error? write = io.Write(Ctx, new Addr(0x3000), new byte[1]);

        Assert.Same(custom, readObject);
        Assert.Equal(0, value);
        Assert.Same(custom, writeObject);
        Assert.Same(custom, read);
        Assert.Same(custom, write);
        // The write that faulted had already stored the 4 bytes that fit (little-endian low half).
        Assert.Equal(new byte[] { 0x88, 0x77, 0x66, 0x55 }, io.Peek(nearEnd, 4));
    }

    [Fact]
    public void AShortCopyWithoutAnError_IsEfault()
    {
        var io = new ErrorDroppingIO(new BytesIO(Pattern(12)));

        Error? readObject = io.ReadObject(Ctx, new Addr(8), out long value);
        Error? writeObject = io.WriteObject(Ctx, new Addr(8), 1L);
        Error? read = io.Read(Ctx, new Addr(8), new byte[8]);
        Error? write = io.Write(Ctx, new Addr(8), new byte[8]);

        Assert.Same(Errno.EFAULT, readObject);
        Assert.Equal(0, value);
        Assert.Same(Errno.EFAULT, writeObject);
        Assert.Same(Errno.EFAULT, read);
        Assert.Same(Errno.EFAULT, write);
    }

    [Fact]
    public void TheContextAndOptions_AreHandedToTheIO()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        var opts = new IOOpts { IgnorePermissions = true, AddressSpaceActive = true };

        _ = io.ReadObject(Ctx, new Addr(0x1000), out int _, opts);
        _ = io.WriteObject(Ctx, new Addr(0x1000), 1, opts);
        _ = io.Read(Ctx, new Addr(0x1000), new byte[2], opts);
        _ = io.Write(Ctx, new Addr(0x1000), new byte[2], opts);

        Assert.Equal(4, io.Calls.Count);
        Assert.All(io.Calls, c => Assert.Equal(opts, c.Opts));
        Assert.All(io.Calls, c => Assert.Same(Ctx, c.Ctx));
        Assert.Equal([MemoryIOOp.CopyIn, MemoryIOOp.CopyOut, MemoryIOOp.CopyIn, MemoryIOOp.CopyOut], io.Calls.Select(c => c.Op));
    }

    [Fact]
    public void SuccessAndFault_AllocateNothing()
    {
        var io = new BytesIO(64);
        byte[] buffer = new byte[16];
        MixedStruct sample = MixedStruct.Sample();
        Error? last = null;
        MixedStruct read = default;

        long success = Allocations.By(() =>
        {
            last = io.WriteObject(Ctx, new Addr(8), in sample) ?? last;
            last = io.ReadObject(Ctx, new Addr(8), out read) ?? last;
            last = io.Write(Ctx, new Addr(40), buffer) ?? last;
            last = io.Read(Ctx, new Addr(40), buffer) ?? last;
        });
        Error? successError = last;

        long fault = Allocations.By(() =>
        {
            last = io.WriteObject(Ctx, new Addr(56), in sample);
            last = io.ReadObject(Ctx, new Addr(56), out read);
            last = io.Write(Ctx, new Addr(60), buffer);
            last = io.Read(Ctx, new Addr(60), buffer);
        });

        Assert.Null(successError);
        Assert.Same(Errno.EFAULT, last);
        Assert.Equal(0, success);
        Assert.Equal(0, fault);
    }

    /// <summary>
    /// An IO that breaks <see cref="IMemoryIO"/>'s promise: its copies stop short, as the inner IO's
    /// do, but say nothing about why.
    /// </summary>
    private sealed class ErrorDroppingIO(IMemoryIO inner) : IMemoryIO
    {
        public (int Count, Error? Error) CopyOut(IContext ctx, Addr addr, ReadOnlySpan<byte> src, IOOpts opts) =>
            (inner.CopyOut(ctx, addr, src, opts).Count, null);

        public (int Count, Error? Error) CopyIn(IContext ctx, Addr addr, Span<byte> dst, IOOpts opts) =>
            (inner.CopyIn(ctx, addr, dst, opts).Count, null);

        public (long Count, Error? Error) ZeroOut(IContext ctx, Addr addr, long toZero, IOOpts opts) =>
            inner.ZeroOut(ctx, addr, toZero, opts);

        public (long Count, Error? Error) CopyOutFrom(IContext ctx, AddrRangeSeq ars, IReader src, IOOpts opts) =>
            inner.CopyOutFrom(ctx, ars, src, opts);

        public (long Count, Error? Error) CopyInTo(IContext ctx, AddrRangeSeq ars, IWriter dst, IOOpts opts) =>
            inner.CopyInTo(ctx, ars, dst, opts);

        public (uint Value, Error? Error) SwapUint32(IContext ctx, Addr addr, uint newValue, IOOpts opts) =>
            inner.SwapUint32(ctx, addr, newValue, opts);

        public (uint Value, Error? Error) CompareAndSwapUint32(IContext ctx, Addr addr, uint oldValue, uint newValue, IOOpts opts) =>
            inner.CompareAndSwapUint32(ctx, addr, oldValue, newValue, opts);

        public (uint Value, Error? Error) LoadUint32(IContext ctx, Addr addr, IOOpts opts) =>
            inner.LoadUint32(ctx, addr, opts);
    }
}
