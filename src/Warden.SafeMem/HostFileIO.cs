using Warden.Interop;

namespace Warden.SafeMem;

/// <summary>Turns a <see cref="BlockSeq"/> into the <c>iovec</c>s of one vectored system call.</summary>
internal static unsafe class HostFileIO
{
    /// <summary>Vectors with at most this many blocks are built on the stack.</summary>
    public const int StackIovecs = 32;

    /// <summary>The number of blocks one call can take: all of them, up to <c>IOV_MAX</c>.</summary>
    public static int IovecCount(BlockSeq blocks) => Math.Min(blocks.NumBlocks, Iovec.IovMax);

    /// <summary>Fills <paramref name="iovecs"/> with the first <c>iovecs.Length</c> blocks of <paramref name="blocks"/>.</summary>
    public static void Fill(BlockSeq blocks, Span<Iovec> iovecs)
    {
        int i = 0;
        foreach (Block block in blocks)
        {
            if (i == iovecs.Length)
            {
                break;
            }
            iovecs[i].Base = (void*)block.Address;
            iovecs[i].Length = (nuint)block.Length;
            i++;
        }
    }
}
