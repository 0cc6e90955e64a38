using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>An <see cref="IReader"/> that reads from a <see cref="BlockSeq"/>, consuming it.</summary>
/// <remarks>Not thread-safe.</remarks>
public sealed class BlockSeqReader : IReader
{
    /// <summary>Creates a reader over <paramref name="blocks"/>.</summary>
    public BlockSeqReader(BlockSeq blocks) => Blocks = blocks;

    /// <summary>The bytes not yet read.</summary>
    public BlockSeq Blocks { get; set; }

    /// <inheritdoc/>
    /// <remarks>A read that runs out of bytes returns <see cref="WellKnownErrors.EndOfStream"/> with what it read.</remarks>
    public (ulong Count, Error? Error) ReadToBlocks(BlockSeq dsts)
    {
        ulong n = BlockCopy.CopySeq(dsts, Blocks);
        Blocks = Blocks.DropFirst64(n);
        return n < dsts.NumBytes ? (n, WellKnownErrors.EndOfStream) : (n, null);
    }
}
