using Warden.Contexts;
using Warden.HostArch;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Warden.Tests.UserMem.Infrastructure;
using Warden.UserMem;
using Xunit;
using static Warden.Tests.UserMem.Infrastructure.TestBytes;

namespace Warden.Tests.UserMem;

/// <summary>
/// The hot paths allocate nothing (SPEC §2, §3: errnos are preallocated; a single range or block is
/// stored inline; operations on a single range allocate nothing). Measured with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> around a loop, after warming each operation
/// up so that JIT and tiering costs are not counted. This checks behaviour, not speed.
/// </summary>
public sealed class AllocationTests
{
    private const int Iterations = 1000;

    private static readonly IContext Ctx = Context.Background;

    private static long AllocatedBy(Action action) => Allocations.By(action, Iterations);

    private static void AssertNoAllocation(Action action) => Assert.Equal(0, AllocatedBy(action));

    [Fact]
    public void TheMeasurement_SeesAllocations()
    {
        // Guards the guard: an allocating action must be caught.
        Assert.True(AllocatedBy(() => GC.KeepAlive(new byte[16])) >= Iterations * 16L);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(4096)]
    public void BytesIO_CopyIn_CopyOut_ZeroOut(int size)
    {
        var io = new BytesIO(2 * size);
        byte[] buffer = Pattern(size);
        var addr = new Addr((ulong)size / 2);

        AssertNoAllocation(() => io.CopyIn(Ctx, addr, buffer, default));
        AssertNoAllocation(() => io.CopyOut(Ctx, addr, buffer, default));
        AssertNoAllocation(() => io.ZeroOut(Ctx, addr, size, default));
    }

    [Fact]
    public void BytesIO_Faults()
    {
        var io = new BytesIO(16);
        byte[] buffer = new byte[32];

        AssertNoAllocation(() => io.CopyIn(Ctx, new Addr(8), buffer, default));
        AssertNoAllocation(() => io.CopyOut(Ctx, new Addr(100), buffer, default));
        AssertNoAllocation(() => io.ZeroOut(Ctx, new Addr(8), 32, default));
    }

    [Fact]
    public void BytesIO_Atomics()
    {
        var io = new BytesIO(16);

        AssertNoAllocation(() => io.LoadUint32(Ctx, new Addr(4), default));
        AssertNoAllocation(() => io.SwapUint32(Ctx, new Addr(4), 1, default));
        AssertNoAllocation(() => io.CompareAndSwapUint32(Ctx, new Addr(4), 1, 2, default));
    }

    [Fact]
    public void BytesIO_SingleRangeCopyInToAndCopyOutFrom_WithBlockSeqReaderAndWriter()
    {
        var io = new BytesIO(64);
        byte[] pinned = PinnedArrays.Allocate(16);
        Block block = Block.FromPinnedArray(pinned);
        AddrRangeSeq ars = Seq((8, 24));
        var reader = new BlockSeqReader(BlockSeq.Empty);
        var writer = new BlockSeqWriter(BlockSeq.Empty);

        AssertNoAllocation(() =>
        {
            reader.Blocks = BlockSeq.Of(block);
            io.CopyOutFrom(Ctx, ars, reader, default);
        });
        AssertNoAllocation(() =>
        {
            writer.Blocks = BlockSeq.Of(block);
            io.CopyInTo(Ctx, ars, writer, default);
        });
    }

    [Fact]
    public void IOSequence_SingleRange()
    {
        var io = new BytesIO(8192);
        var seq = new IOSequence(io, Seq((100, 4196)));
        byte[] small = new byte[8];
        byte[] page = new byte[4096];

        AssertNoAllocation(() => seq.CopyIn(Ctx, small));
        AssertNoAllocation(() => seq.CopyIn(Ctx, page));
        AssertNoAllocation(() => seq.CopyOut(Ctx, small));
        AssertNoAllocation(() => seq.CopyOut(Ctx, page));
        AssertNoAllocation(() => seq.ZeroOut(Ctx, 4096));
        AssertNoAllocation(() => seq.DropFirst(10));
        AssertNoAllocation(() => seq.DropFirst64(10));
        AssertNoAllocation(() => seq.TakeFirst(10));
        AssertNoAllocation(() => seq.TakeFirst64(10));
        AssertNoAllocation(() => _ = seq.NumBytes);
    }

    [Fact]
    public void IOSequence_MultiRange_CopiesOnceBuilt()
    {
        var io = new BytesIO(256);
        var seq = new IOSequence(io, Seq((0, 10), (50, 60), (100, 140)));
        byte[] buffer = new byte[60];

        AssertNoAllocation(() => seq.CopyIn(Ctx, buffer));
        AssertNoAllocation(() => seq.CopyOut(Ctx, buffer));
        AssertNoAllocation(() => seq.ZeroOut(Ctx, 60));
        AssertNoAllocation(() => seq.DropFirst(15).TakeFirst(20));
    }

    [Fact]
    public void CopyStringIn_SpanOverload()
    {
        var io = new BytesIO(8192);
        "some/path/name"u8.CopyTo(io.Bytes.AsSpan(4000));
        var nameAt = new Addr(4000);
        byte[] buffer = new byte[4096];
        var longAt = new Addr(100);
        Array.Fill(io.Bytes, (byte)'x', 100, 3000);

        AssertNoAllocation(() => io.CopyStringIn(Ctx, nameAt, buffer.AsSpan(), default));
        AssertNoAllocation(() => io.CopyStringIn(Ctx, longAt, buffer.AsSpan(0, 256), default)); // ENAMETOOLONG
        AssertNoAllocation(() => io.CopyStringIn(Ctx, new Addr(8190), buffer.AsSpan(), default)); // EFAULT
    }

    [Fact]
    public void AddrRangeSeq_SingleRange()
    {
        AddrRangeSeq seq = AddrRangeSeq.Of(R(0x1000, 0x3000));

        AssertNoAllocation(() => _ = seq.Head);
        AssertNoAllocation(() => seq.Tail());
        AssertNoAllocation(() => seq.DropFirst(100));
        AssertNoAllocation(() => seq.DropFirst64(100));
        AssertNoAllocation(() => seq.TakeFirst(100));
        AssertNoAllocation(() => seq.TakeFirst64(100));
        AssertNoAllocation(() => AddrRangeSeq.Of(R(0x1000, 0x2000)));
        ulong sum = 0;
        AssertNoAllocation(() =>
        {
            foreach (AddrRange range in seq)
            {
                sum += range.Length;
            }
        });
        Assert.NotEqual(0UL, sum);
    }

    [Fact]
    public void AddrRangeSeq_MultiRange_OnceBuilt()
    {
        AddrRangeSeq seq = Seq((0x1000, 0x2000), (0x5000, 0x5010), (0x9000, 0x9000), (0xA000, 0xB000));

        AssertNoAllocation(() => _ = seq.Head);
        AssertNoAllocation(() => seq.Tail().Tail());
        AssertNoAllocation(() => seq.DropFirst(0x1008));
        AssertNoAllocation(() => seq.DropFirst64(0x1010));
        AssertNoAllocation(() => seq.TakeFirst(0x1008));
        AssertNoAllocation(() => seq.TakeFirst64(0x1008).Tail());
        ulong sum = 0;
        AssertNoAllocation(() =>
        {
            foreach (AddrRange range in seq)
            {
                sum += range.Length;
            }
        });
        Assert.NotEqual(0UL, sum);
    }

    [Fact]
    public void BlockSeq_SingleAndMultiBlock_OnceBuilt()
    {
        byte[] pinned = PinnedArrays.Allocate(256);
        Block whole = Block.FromPinnedArray(pinned);
        BlockSeq single = BlockSeq.Of(whole);
        BlockSeq multi = BlockSeq.FromArray(
            [Block.FromPinnedArray(pinned, 0, 16), Block.FromPinnedArray(pinned, 64, 32), Block.FromPinnedArray(pinned, 128, 100)]);

        foreach (BlockSeq seq in new[] { single, multi })
        {
            AssertNoAllocation(() => _ = seq.Head);
            AssertNoAllocation(() => seq.Tail());
            AssertNoAllocation(() => seq.DropFirst(20));
            AssertNoAllocation(() => seq.DropFirst64(50));
            AssertNoAllocation(() => seq.TakeFirst(20));
            AssertNoAllocation(() => seq.TakeFirst64(50));
        }
        AssertNoAllocation(() => BlockSeq.Of(whole));
    }

    [Fact]
    public void IOCopyContext_ScratchBufferReuse_AndCopies()
    {
        var io = new BytesIO(64);
        var cc = new IOCopyContext(Ctx, io);
        _ = cc.CopyScratchBuffer(64);
        byte[] buffer = new byte[16];

        AssertNoAllocation(() => cc.CopyScratchBuffer(64));
        AssertNoAllocation(() => cc.CopyScratchBuffer(10));
        AssertNoAllocation(() => cc.CopyInBytes(new Addr(8), buffer));
        AssertNoAllocation(() => cc.CopyOutBytes(new Addr(8), buffer));
    }

    [Fact]
    public void VecCopies_AndCopyObject()
    {
        var io = new BytesIO(256);
        AddrRangeSeq ars = Seq((0, 10), (50, 60));
        byte[] buffer = new byte[20];
        long[] longs = new long[4];

        AssertNoAllocation(() => io.CopyInVec(Ctx, ars, buffer, default));
        AssertNoAllocation(() => io.CopyOutVec(Ctx, ars, buffer, default));
        AssertNoAllocation(() => io.ZeroOutVec(Ctx, ars, 20, default));
        AssertNoAllocation(() => io.CopyObjectOut(Ctx, new Addr(64), 42L, default));
        AssertNoAllocation(() => io.CopyObjectIn(Ctx, new Addr(64), out long _, default));
        AssertNoAllocation(() => io.CopyObjectIn(Ctx, new Addr(64), longs.AsSpan(), default));
    }
}
