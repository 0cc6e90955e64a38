using Warden.Errors;
using Warden.SafeMem;

namespace Warden.Mm;

/// <summary>Performs one atomic operation on the 4 bytes it is given and keeps the old value.</summary>
internal struct AtomicCopier(AtomicKind kind, uint newValue, uint expected) : IBlockCopier
{
    /// <summary>The value the word held before the operation; set by <see cref="Copy"/>.</summary>
    public uint Result;

    // Atomic operations work on blocks (their address), not spans.
    public readonly bool TryCopyAll(Span<byte> memory) => false;

    public (ulong Count, Error? Error) Copy(BlockSeq blocks, ulong done)
    {
        Result = BlockAtomics.Apply(blocks.Head, kind, expected, newValue);
        return (4, null);
    }
}
