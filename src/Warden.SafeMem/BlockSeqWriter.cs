using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>An <see cref="IWriter"/> that writes into a <see cref="BlockSeq"/>, consuming it.</summary>
/// <remarks>Not thread-safe.</remarks>
public sealed class BlockSeqWriter : IWriter
{
    /// <summary>Returned by <see cref="WriteFromBlocks"/> when the destination has no room left.</summary>
    public static readonly SentinelError EndOfBlockSeq = new("write beyond end of BlockSeq");

    /// <summary>Creates a writer into <paramref name="blocks"/>.</summary>
    public BlockSeqWriter(BlockSeq blocks) => Blocks = blocks;

    /// <summary>The room not yet written.</summary>
    public BlockSeq Blocks { get; set; }

    /// <inheritdoc/>
    /// <remarks>A write that runs out of room returns <see cref="EndOfBlockSeq"/> with what it wrote.</remarks>
    public (ulong Count, Error? Error) WriteFromBlocks(BlockSeq srcs)
    {
        ulong n = BlockCopy.CopySeq(Blocks, srcs);
        Blocks = Blocks.DropFirst64(n);
        return n < srcs.NumBytes ? (n, EndOfBlockSeq) : (n, null);
    }
}
