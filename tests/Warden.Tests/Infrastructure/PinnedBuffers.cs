using Warden.SafeMem;

namespace Warden.Tests.Infrastructure;

/// <summary>Builds blocks and block sequences over pinned arrays for SafeMem tests.</summary>
public static class PinnedBuffers
{
    /// <summary>Returns a pinned array holding 1, 2, 3, ... (wrapping at 256), so every position is recognisable.</summary>
    public static byte[] Pattern(int length, int seed = 1)
    {
        byte[] array = PinnedArrays.Allocate(length);
        for (int i = 0; i < length; i++)
        {
            array[i] = (byte)(seed + i);
        }
        return array;
    }

    /// <summary>
    /// Returns a sequence over <paramref name="array"/> cut into consecutive blocks of the given
    /// lengths from the start (zero lengths give empty blocks).
    /// </summary>
    public static BlockSeq Split(byte[] array, params int[] lengths)
    {
        var blocks = new Block[lengths.Length];
        int offset = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            blocks[i] = Block.FromPinnedArray(array, offset, lengths[i]);
            offset += lengths[i];
        }
        return BlockSeq.FromArray(blocks);
    }

    /// <summary>Returns the bytes a sequence covers, in order.</summary>
    public static byte[] Contents(BlockSeq seq)
    {
        var bytes = new List<byte>();
        foreach (Block block in seq)
        {
            bytes.AddRange(block.AsSpan());
        }
        return [.. bytes];
    }
}
