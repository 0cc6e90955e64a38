using Warden.Errors;
using Warden.SafeMem;

namespace Warden.Mm;

/// <summary>The 32-bit atomic operations a kernel makes on application memory (futexes).</summary>
internal enum AtomicKind
{
    Load,
    Swap,
    CompareAndSwap,
}

/// <summary>Performs one atomic operation on the 4 bytes it is given and keeps the old value.</summary>
internal struct AtomicCopier(AtomicKind kind, uint newValue, uint expected) : IBlockCopier
{
    /// <summary>The value the word held before the operation; set by <see cref="Copy"/>.</summary>
    public uint Result;

    // Atomic operations work on blocks (their address), not spans.
    public readonly bool TryCopyAll(Span<byte> memory) => false;

    public (ulong Count, Error? Error) Copy(BlockSeq blocks, ulong done)
    {
        Block word = blocks.Head;
        Result = kind switch
        {
            AtomicKind.Swap => BlockAtomics.SwapUint32(word, newValue),
            AtomicKind.CompareAndSwap => BlockAtomics.CompareAndSwapUint32(word, expected, newValue),
            _ => BlockAtomics.LoadUint32(word),
        };
        return (4, null);
    }
}
