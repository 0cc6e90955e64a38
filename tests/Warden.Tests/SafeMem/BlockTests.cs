using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Warden.SafeMem;
using Xunit;

namespace Warden.Tests.SafeMem;

public unsafe class BlockTests
{
    private static nint AddressOf(byte[] array, int index)
    {
        fixed (byte* p = &array[index])
        {
            return (nint)p;
        }
    }

    [Fact]
    public void PinnedArrays_AreZeroFilledAndRecognised()
    {
        byte[] array = PinnedArrays.Allocate(100);
        Assert.Equal(100, array.Length);
        Assert.All(array, b => Assert.Equal(0, b));
        Assert.True(PinnedArrays.IsPinned(array));
        Assert.False(PinnedArrays.IsPinned(new byte[100]));
        Assert.False(PinnedArrays.IsPinned(GC.AllocateArray<byte>(100, pinned: true)));
        Assert.Throws<ArgumentOutOfRangeException>(() => PinnedArrays.Allocate(-1));
        Assert.Throws<ArgumentNullException>(() => PinnedArrays.IsPinned(null!));
    }

    [Fact]
    public void PinnedArrays_CopyOf()
    {
        byte[] copy = PinnedArrays.CopyOf([1, 2, 3]);
        Assert.Equal(new byte[] { 1, 2, 3 }, copy);
        Assert.True(PinnedArrays.IsPinned(copy));
    }

    [Fact]
    public void FromPinnedArray_RejectsAnOrdinaryArray()
    {
        Assert.Throws<ArgumentException>(() => Block.FromPinnedArray(new byte[10]));
        Assert.Throws<ArgumentException>(() => Block.FromPinnedArray(new byte[10], 2, 3));
        Assert.Throws<ArgumentNullException>(() => Block.FromPinnedArray(null!));
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(0, -1)]
    [InlineData(0, 11)]
    [InlineData(5, 6)]
    [InlineData(11, 0)]
    public void FromPinnedArray_RejectsSegmentsOutsideTheArray(int offset, int length)
    {
        byte[] array = PinnedArrays.Allocate(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => Block.FromPinnedArray(array, offset, length));
    }

    [Fact]
    public void FromPinnedArray_CoversTheSegment()
    {
        byte[] array = PinnedArrays.Allocate(10);
        Block whole = Block.FromPinnedArray(array);
        Block part = Block.FromPinnedArray(array, 3, 4);

        Assert.Equal(10, whole.Length);
        Assert.Equal(AddressOf(array, 0), whole.Address);
        Assert.Equal(4, part.Length);
        Assert.Equal(AddressOf(array, 3), part.Address);
        Assert.False(part.IsEmpty);
        Assert.True(Block.FromPinnedArray(array, 10, 0).IsEmpty);
        Assert.True(Block.FromPinnedArray(PinnedArrays.Allocate(0)).IsEmpty);
    }

    [Fact]
    public void AsSpan_SeesTheArraysBytes()
    {
        byte[] array = PinnedArrays.CopyOf([10, 11, 12, 13, 14, 15]);
        Block block = Block.FromPinnedArray(array, 2, 3);

        Assert.Equal(new byte[] { 12, 13, 14 }, block.AsSpan().ToArray());
        Assert.Equal(new byte[] { 12, 13 }, block.AsSpan(2).ToArray());

        block.AsSpan()[0] = 99;
        Assert.Equal(99, array[2]);
        array[4] = 77;
        Assert.Equal(77, block.AsSpan()[2]);

        Assert.Throws<ArgumentOutOfRangeException>(() => block.AsSpan(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => block.AsSpan(-1));
        Assert.Equal(0, block.AsSpan(0).Length);
    }

    [Fact]
    public void DefaultBlock_IsEmpty()
    {
        Block block = default;
        Assert.True(block.IsEmpty);
        Assert.Equal(0, block.Length);
        Assert.Equal(0, block.AsSpan().Length);
    }

    [Fact]
    public void FromPointer()
    {
        byte* memory = (byte*)NativeMemory.Alloc(16);
        try
        {
            Block block = Block.FromPointer(memory, 16);
            Assert.Equal((nint)memory, block.Address);
            Assert.Equal(16, block.Length);
            block.AsSpan().Fill(0xAB);
            Assert.Equal(0xAB, memory[15]);

            Assert.True(Block.FromPointer(memory, 0).IsEmpty);
            Assert.True(Block.FromPointer(null, 0).IsEmpty);
            Assert.Throws<ArgumentNullException>(() => Block.FromPointer(null, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => Block.FromPointer(memory, -1));
        }
        finally
        {
            NativeMemory.Free(memory);
        }
    }

    [Fact]
    public void TakeFirst()
    {
        byte[] array = PinnedArrays.Allocate(10);
        Block block = Block.FromPinnedArray(array, 2, 6);

        Block first = block.TakeFirst(4);
        Assert.Equal(block.Address, first.Address);
        Assert.Equal(4, first.Length);

        Assert.Equal(block, block.TakeFirst(6));
        Assert.Equal(block, block.TakeFirst(7));
        Assert.Equal(block, block.TakeFirst64(ulong.MaxValue));
        Assert.True(block.TakeFirst(0).IsEmpty);
        Assert.True(block.TakeFirst64(0).IsEmpty);
        Assert.Throws<ArgumentOutOfRangeException>(() => block.TakeFirst(-1));
    }

    [Fact]
    public void DropFirst()
    {
        byte[] array = PinnedArrays.Allocate(10);
        Block block = Block.FromPinnedArray(array, 2, 6);

        Block rest = block.DropFirst(4);
        Assert.Equal(AddressOf(array, 6), rest.Address);
        Assert.Equal(2, rest.Length);

        Assert.Equal(block, block.DropFirst(0));
        Assert.True(block.DropFirst(6).IsEmpty);
        Assert.True(block.DropFirst(7).IsEmpty);
        Assert.True(block.DropFirst64(ulong.MaxValue).IsEmpty);
        Assert.Throws<ArgumentOutOfRangeException>(() => block.DropFirst(-1));
    }

    [Fact]
    public void Equality_IsByAddressAndLength()
    {
        byte[] array = PinnedArrays.Allocate(10);
        Block a = Block.FromPinnedArray(array, 1, 4);

        Assert.True(a == Block.FromPinnedArray(array, 1, 4));
        Assert.True(a != Block.FromPinnedArray(array, 1, 5));
        Assert.True(a != Block.FromPinnedArray(array, 2, 4));
        Assert.True(a.Equals((object)Block.FromPinnedArray(array, 1, 4)));
        Assert.False(a.Equals((object)4));
        Assert.Equal(a.GetHashCode(), Block.FromPinnedArray(array, 1, 4).GetHashCode());
        Assert.Equal(a, Block.FromPinnedArray(array, 0, 5).DropFirst(1));
    }

    [Fact]
    public void Formatting()
    {
        byte[] array = PinnedArrays.Allocate(10);
        Block block = Block.FromPinnedArray(array, 0, 10);
        Assert.Equal($"Block[0x{AddressOf(array, 0):x}, +10]", block.ToString());
    }

    [Fact]
    public void ABlockKeepsItsArrayAlive()
    {
        (Block block, WeakReference array) = MakeBlockOverUnreferencedArray();
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.True(array.IsAlive);
        Assert.Equal(0x5A, block.AsSpan()[0]);
        GC.KeepAlive(block.ToString());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Block Block, WeakReference Array) MakeBlockOverUnreferencedArray()
    {
        byte[] array = PinnedArrays.Allocate(64);
        array[8] = 0x5A;
        return (Block.FromPinnedArray(array, 8, 8), new WeakReference(array));
    }
}
