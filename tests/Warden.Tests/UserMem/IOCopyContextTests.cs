using System.Runtime.CompilerServices;
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
/// <see cref="IOCopyContext"/>: the copy context over an IO (gVisor's usermem.IOCopyContext), which
/// routes byte copies through the IO with its context and options and hands out a reusable
/// scratch buffer.
/// </summary>
public sealed class IOCopyContextTests
{
    private static readonly IOOpts Opts = new() { IgnorePermissions = true, AddressSpaceActive = true };

    [Fact]
    public void Constructor_KeepsItsArguments()
    {
        var io = new BytesIO(4);
        IContext ctx = Context.Background.WithValue(new ContextKey<int>("k"), 1);

        var cc = new IOCopyContext(ctx, io, Opts);

        Assert.Same(ctx, cc.Ctx);
        Assert.Same(io, cc.IO);
        Assert.Equal(Opts, cc.Opts);
    }

    [Fact]
    public void CopyInBytes_GoesThroughTheIO_WithItsContextAndOptions()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        io.Poke(0x1100, [1, 2, 3, 4, 5]);
        IContext ctx = Context.Background.WithValue(new ContextKey<string>("who"), "cc");
        var cc = new IOCopyContext(ctx, io, Opts);
        byte[] dst = new byte[5];

        (int n, Error? err) = cc.CopyInBytes(new Addr(0x1100), dst);

        Assert.Equal(5, n);
        Assert.Null(err);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, dst);
        MemoryIOCall call = Assert.Single(io.Calls);
        Assert.Equal((MemoryIOOp.CopyIn, 0x1100UL, 5L), (call.Op, call.Addr.Value, call.Length));
        Assert.Equal(Opts, call.Opts);
        Assert.Same(ctx, call.Ctx);
    }

    [Fact]
    public void CopyOutBytes_GoesThroughTheIO_WithItsContextAndOptions()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        IContext ctx = Context.Background.WithValue(new ContextKey<string>("who"), "cc");
        var cc = new IOCopyContext(ctx, io, Opts);

        (int n, Error? err) = cc.CopyOutBytes(new Addr(0x1200), new byte[] { 9, 8, 7 });

        Assert.Equal(3, n);
        Assert.Null(err);
        Assert.Equal(new byte[] { 9, 8, 7 }, io.Peek(0x1200, 3));
        MemoryIOCall call = Assert.Single(io.Calls);
        Assert.Equal((MemoryIOOp.CopyOut, 0x1200UL, 3L), (call.Op, call.Addr.Value, call.Length));
        Assert.Equal(Opts, call.Opts);
        Assert.Same(ctx, call.Ctx);
    }

    [Fact]
    public void Copies_ReturnTheIOsPartialCountAndError()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        var cc = new IOCopyContext(Context.Background, io);

        (int inN, Error? inErr) = cc.CopyInBytes(new Addr(0x1FFD), new byte[8]);
        (int outN, Error? outErr) = cc.CopyOutBytes(new Addr(0x1FFE), new byte[8]);

        Assert.Equal(3, inN);
        Assert.Same(Errno.EFAULT, inErr);
        Assert.Equal(2, outN);
        Assert.Same(Errno.EFAULT, outErr);
    }

    [Fact]
    public void DefaultOptions_AreTheDefault()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        var cc = new IOCopyContext(Context.Background, io);

        _ = cc.CopyInBytes(new Addr(0x1000), new byte[1]);

        Assert.Equal(default, Assert.Single(io.Calls).Opts);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(24)]
    [InlineData(4096)]
    [InlineData(100_000)]
    public void CopyScratchBuffer_IsExactlyTheSizeAsked(int size)
    {
        var cc = new IOCopyContext(Context.Background, new BytesIO(1));

        Span<byte> scratch = cc.CopyScratchBuffer(size);

        Assert.Equal(size, scratch.Length);
    }

    [Fact]
    public void CopyScratchBuffer_IsReusedBetweenCalls()
    {
        var cc = new IOCopyContext(Context.Background, new BytesIO(1));

        Span<byte> first = cc.CopyScratchBuffer(64);
        first.Fill(0x5A);
        Span<byte> smaller = cc.CopyScratchBuffer(16);
        Span<byte> same = cc.CopyScratchBuffer(64);

        Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(first), ref MemoryMarshal.GetReference(smaller)));
        Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(first), ref MemoryMarshal.GetReference(same)));
        Assert.Equal(16, smaller.Length);
        Assert.Equal(0x5A, smaller[15]);
    }

    [Fact]
    public void CopyScratchBuffer_GrowsWhenALargerSizeIsAsked()
    {
        var cc = new IOCopyContext(Context.Background, new BytesIO(1));

        _ = cc.CopyScratchBuffer(8);
        Span<byte> larger = cc.CopyScratchBuffer(5000);
        larger[4999] = 1;

        Assert.Equal(5000, larger.Length);
        Assert.Equal(5000, cc.CopyScratchBuffer(5000).Length);
    }

    [Fact]
    public void ScratchBuffer_CanBeUsedToEncodeAndCopyOut()
    {
        var io = new BytesIO(16);
        var cc = new IOCopyContext(Context.Background, io);

        Span<byte> scratch = cc.CopyScratchBuffer(4);
        Pattern(4).CopyTo(scratch);
        (int n, Error? err) = cc.CopyOutBytes(new Addr(6), scratch);

        Assert.Equal(4, n);
        Assert.Null(err);
        Assert.Equal(Pattern(4), io.Bytes[6..10]);
    }

    [Fact]
    public void Constructor_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new IOCopyContext(null!, new BytesIO(1)));
        Assert.Throws<ArgumentNullException>(() => new IOCopyContext(Context.Background, null!));
    }
}
