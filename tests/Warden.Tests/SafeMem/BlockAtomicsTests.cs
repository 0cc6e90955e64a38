using System.Runtime.InteropServices;
using Warden.SafeMem;
using Xunit;

namespace Warden.Tests.SafeMem;

public sealed unsafe class BlockAtomicsTests : IDisposable
{
    // 16-byte-aligned unmanaged memory, so the test controls the alignment of every block exactly.
    private readonly byte* _memory = (byte*)NativeMemory.AlignedAlloc(64, 16);

    public BlockAtomicsTests() => new Span<byte>(_memory, 64).Clear();

    public void Dispose() => NativeMemory.AlignedFree(_memory);

    private Block At(int offset, int length) => Block.FromPointer(_memory + offset, length);

    [Fact]
    public void Load_ReadsALittleEndianWord()
    {
        _memory[4] = 0x78;
        _memory[5] = 0x56;
        _memory[6] = 0x34;
        _memory[7] = 0x12;
        Assert.Equal(0x12345678U, BlockAtomics.LoadUint32(At(4, 4)));
    }

    [Fact]
    public void Swap_StoresAndReturnsThePreviousValue()
    {
        *(uint*)(_memory + 8) = 5;

        Assert.Equal(5U, BlockAtomics.SwapUint32(At(8, 4), 0xCAFEBABE));
        Assert.Equal(0xCAFEBABEU, *(uint*)(_memory + 8));
        Assert.Equal(0xCAFEBABEU, BlockAtomics.SwapUint32(At(8, 4), 1));
        Assert.Equal(1U, BlockAtomics.LoadUint32(At(8, 4)));
    }

    [Fact]
    public void CompareAndSwap_StoresOnlyOnAMatch()
    {
        *(uint*)(_memory + 12) = 10;

        Assert.Equal(10U, BlockAtomics.CompareAndSwapUint32(At(12, 4), 10, 20));
        Assert.Equal(20U, *(uint*)(_memory + 12));

        Assert.Equal(20U, BlockAtomics.CompareAndSwapUint32(At(12, 4), 10, 30));
        Assert.Equal(20U, *(uint*)(_memory + 12));
    }

    [Fact]
    public void Operations_TouchOnlyTheFirstFourBytes()
    {
        new Span<byte>(_memory, 16).Fill(0xAA);

        BlockAtomics.SwapUint32(At(4, 8), 0);
        BlockAtomics.CompareAndSwapUint32(At(4, 8), 0, 0x01020304);

        Assert.Equal(new byte[] { 0xAA, 0xAA, 0xAA, 0xAA, 4, 3, 2, 1, 0xAA, 0xAA, 0xAA, 0xAA }, new Span<byte>(_memory, 12).ToArray());
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    [InlineData(0, 3)]
    [InlineData(0, 0)]
    public void MisalignedOrShortBlocks_Throw(int offset, int length)
    {
        Block block = At(offset, length);
        Assert.Throws<ArgumentException>(() => BlockAtomics.LoadUint32(block));
        Assert.Throws<ArgumentException>(() => BlockAtomics.SwapUint32(block, 1));
        Assert.Throws<ArgumentException>(() => BlockAtomics.CompareAndSwapUint32(block, 0, 1));
    }

    [Fact]
    public void CompareAndSwap_FromManyThreads_LosesNoIncrement()
    {
        const int threads = 4;
        const int incrementsPerThread = 20_000;
        Block counter = At(16, 4);

        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                for (int i = 0; i < incrementsPerThread; i++)
                {
                    uint seen = BlockAtomics.LoadUint32(counter);
                    while (true)
                    {
                        uint found = BlockAtomics.CompareAndSwapUint32(counter, seen, seen + 1);
                        if (found == seen)
                        {
                            break;
                        }
                        seen = found;
                    }
                }
            });
            workers[t].Start();
        }
        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        Assert.Equal((uint)(threads * incrementsPerThread), BlockAtomics.LoadUint32(counter));
    }
}
