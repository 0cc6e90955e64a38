namespace Warden.SafeMem;

/// <summary>Copying and zeroing between blocks.</summary>
/// <remarks>
/// These cannot fault: blocks point at live memory by construction (see <see cref="Block"/>), so
/// they return counts alone. Overlapping source and destination are handled as by <c>memmove</c>.
/// </remarks>
public static class BlockCopy
{
    /// <summary>Copies <c>min(dst.Length, src.Length)</c> bytes from <paramref name="src"/> to <paramref name="dst"/>.</summary>
    /// <returns>The number of bytes copied.</returns>
    public static int Copy(Block dst, Block src)
    {
        int n = Math.Min(dst.Length, src.Length);
        src.AsSpan(n).CopyTo(dst.AsSpan());
        return n;
    }

    /// <summary>Copies <c>min(dsts.NumBytes, srcs.NumBytes)</c> bytes from <paramref name="srcs"/> to <paramref name="dsts"/>, in order.</summary>
    /// <returns>The number of bytes copied.</returns>
    public static ulong CopySeq(BlockSeq dsts, BlockSeq srcs)
    {
        if (dsts.NumBlocks == 1 && srcs.NumBlocks == 1)
        {
            // The common case (one range of memory, one buffer): a single copy.
            return (ulong)Copy(dsts.Head, srcs.Head);
        }
        ulong done = 0;
        while (!dsts.IsEmpty && !srcs.IsEmpty)
        {
            int n = Copy(dsts.Head, srcs.Head);
            done += (ulong)n;
            dsts = dsts.DropFirst64((ulong)n);
            srcs = srcs.DropFirst64((ulong)n);
        }
        return done;
    }

    /// <summary>Copies <c>min(srcs.NumBytes, dst.Length)</c> bytes from <paramref name="srcs"/> to <paramref name="dst"/>, in order.</summary>
    /// <returns>The number of bytes copied.</returns>
    public static int CopyToSpan(BlockSeq srcs, Span<byte> dst)
    {
        if (srcs.NumBlocks == 1)
        {
            Block block = srcs.Head;
            int length = Math.Min(block.Length, dst.Length);
            block.AsSpan(length).CopyTo(dst);
            return length;
        }
        int copied = 0;
        foreach (Block block in srcs)
        {
            int n = Math.Min(block.Length, dst.Length - copied);
            block.AsSpan(n).CopyTo(dst.Slice(copied, n));
            copied += n;
            if (copied == dst.Length)
            {
                break;
            }
        }
        return copied;
    }

    /// <summary>Copies <c>min(dsts.NumBytes, src.Length)</c> bytes from <paramref name="src"/> to <paramref name="dsts"/>, in order.</summary>
    /// <returns>The number of bytes copied.</returns>
    public static int CopyFromSpan(BlockSeq dsts, ReadOnlySpan<byte> src)
    {
        if (dsts.NumBlocks == 1)
        {
            Block block = dsts.Head;
            int length = Math.Min(block.Length, src.Length);
            src[..length].CopyTo(block.AsSpan(length));
            return length;
        }
        int copied = 0;
        foreach (Block block in dsts)
        {
            int n = Math.Min(block.Length, src.Length - copied);
            src.Slice(copied, n).CopyTo(block.AsSpan(n));
            copied += n;
            if (copied == src.Length)
            {
                break;
            }
        }
        return copied;
    }

    /// <summary>Sets every byte of <paramref name="dst"/> to zero.</summary>
    /// <returns>The number of bytes zeroed: <c>dst.Length</c>.</returns>
    public static int Zero(Block dst)
    {
        dst.AsSpan().Clear();
        return dst.Length;
    }

    /// <summary>Sets every byte of <paramref name="dsts"/> to zero.</summary>
    /// <returns>The number of bytes zeroed: <c>dsts.NumBytes</c>.</returns>
    public static ulong ZeroSeq(BlockSeq dsts)
    {
        foreach (Block block in dsts)
        {
            Zero(block);
        }
        return dsts.NumBytes;
    }
}
