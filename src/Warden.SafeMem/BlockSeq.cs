using System.Diagnostics.CodeAnalysis;
using System.Text;
using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>An immutable sequence of non-empty <see cref="Block"/>s, operated on in order.</summary>
/// <remarks>
/// <para>
/// A sequence of one block stores it inline and allocates nothing; a longer one is a window onto an
/// array, which must not be modified once a sequence uses it. Empty blocks are never part of a
/// sequence: they are skipped at construction, so <see cref="IsEmpty"/> means "no bytes".
/// </para>
/// <para>
/// <see cref="Head"/>, <see cref="Tail"/>, <see cref="NumBytes"/> and <see cref="TakeFirst64"/> are
/// O(1); <see cref="DropFirst64"/> is linear in the blocks it passes, and <see cref="NumBlocks"/> in
/// the blocks of a sequence that <see cref="TakeFirst64"/> limited past its second block.
/// </para>
/// <para>
/// The layout is <c>AddrRangeSeq</c>'s: the head inline, trimmed at both ends; the rest a window onto
/// the array, each block limited to the bytes left when it becomes the head. The two differ where
/// their elements do: a zero-length address range is a range to iterate, an empty block is nothing.
/// </para>
/// </remarks>
public readonly struct BlockSeq
{
    // The first block, already shortened by DropFirst at its start and by the byte limit at its end.
    private readonly Block _head;

    // The blocks after the head are _rest[_restIndex .. _restIndex + _count - 1), not yet limited.
    private readonly Block[]? _rest;
    private readonly int _restIndex;

    // The number of blocks in the window, head included. The head always has a byte within the limit;
    // blocks past the limit (left there by TakeFirst64, which only lowers _numBytes) do not count.
    // A count of 1 or 2 is exact: a limit that ends in the head or, after Tail, in the new head makes
    // a one-block sequence.
    private readonly int _count;

    // The number of bytes in all blocks, after limiting.
    private readonly ulong _numBytes;

    /// <summary>Creates a sequence of the single block <paramref name="block"/> (empty if the block is); allocates nothing.</summary>
    public BlockSeq(Block block)
    {
        if (!block.IsEmpty)
        {
            _head = block;
            _count = 1;
            _numBytes = (ulong)block.Length;
        }
    }

    private BlockSeq(Block head, Block[]? rest, int restIndex, int count, ulong numBytes)
    {
        _head = head;
        _rest = rest;
        _restIndex = restIndex;
        _count = count;
        _numBytes = numBytes;
    }

    /// <summary>The empty sequence.</summary>
    public static BlockSeq Empty => default;

    /// <summary>Returns a sequence of the single block <paramref name="block"/>; allocates nothing.</summary>
    public static BlockSeq Of(Block block) => new(block);

    /// <summary>Returns a sequence of the non-empty blocks in <paramref name="blocks"/>.</summary>
    /// <remarks>
    /// The sequence keeps the array (or, if it holds empty blocks, a copy without them): the caller
    /// must not modify it afterwards.
    /// </remarks>
    public static BlockSeq FromArray(Block[] blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        return FromArray(blocks, 0, blocks.Length);
    }

    /// <summary>Returns a sequence of the non-empty blocks among <paramref name="count"/> blocks of <paramref name="blocks"/> from <paramref name="start"/>.</summary>
    /// <remarks><inheritdoc cref="FromArray(Block[])" path="/remarks"/></remarks>
    public static BlockSeq FromArray(Block[] blocks, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, blocks.Length - start);

        ulong total = 0;
        int nonEmpty = 0;
        for (int i = start; i < start + count; i++)
        {
            if (!blocks[i].IsEmpty)
            {
                nonEmpty++;
                total += (ulong)blocks[i].Length;
            }
        }
        if (nonEmpty == 0)
        {
            return default;
        }
        if (nonEmpty != count)
        {
            Block[] compact = new Block[nonEmpty];
            int j = 0;
            for (int i = start; i < start + count; i++)
            {
                if (!blocks[i].IsEmpty)
                {
                    compact[j++] = blocks[i];
                }
            }
            (blocks, start) = (compact, 0);
        }
        return new BlockSeq(blocks[start], blocks, start + 1, nonEmpty, total);
    }

    /// <summary>Whether the sequence has no bytes (and so no blocks).</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>The number of blocks (each holds at least one byte).</summary>
    public int NumBlocks
    {
        get
        {
            if (_count <= 2)
            {
                return _count;
            }
            int blocks = 1;
            ulong covered = (ulong)_head.Length;
            while (covered < _numBytes)
            {
                covered += (ulong)_rest![_restIndex + blocks - 1].Length;
                blocks++;
            }
            return blocks;
        }
    }

    /// <summary>The number of bytes in all blocks.</summary>
    public ulong NumBytes => _numBytes;

    /// <summary>The first block.</summary>
    /// <exception cref="InvalidOperationException">The sequence is empty.</exception>
    public Block Head
    {
        get
        {
            if (_count == 0)
            {
                ThrowEmpty();
            }
            return _head;
        }
    }

    /// <summary>Returns the sequence without its first block.</summary>
    /// <exception cref="InvalidOperationException">The sequence is empty.</exception>
    public BlockSeq Tail()
    {
        if (_count == 0)
        {
            ThrowEmpty();
        }
        ulong remaining = _numBytes - (ulong)_head.Length;
        if (remaining == 0)
        {
            return default;
        }
        Block next = _rest![_restIndex].TakeFirst64(remaining);
        if ((ulong)next.Length == remaining)
        {
            // The limit ends in this block: what lies past it is no longer part of the sequence.
            return new BlockSeq(next);
        }
        return new BlockSeq(next, _rest, _restIndex + 1, _count - 1, remaining);
    }

    /// <summary>Returns the sequence without its first <paramref name="n"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public BlockSeq DropFirst(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return DropFirst64((ulong)n);
    }

    /// <summary>Returns the sequence without its first <paramref name="n"/> bytes.</summary>
    public BlockSeq DropFirst64(ulong n)
    {
        BlockSeq seq = this;
        while (n != 0 && seq._count != 0)
        {
            ulong headLength = (ulong)seq._head.Length;
            if (headLength > n)
            {
                return new BlockSeq(seq._head.DropFirst64(n), seq._rest, seq._restIndex, seq._count, seq._numBytes - n);
            }
            n -= headLength;
            seq = seq.Tail();
        }
        return seq;
    }

    /// <summary>Returns the first <paramref name="n"/> bytes of the sequence.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public BlockSeq TakeFirst(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return TakeFirst64((ulong)n);
    }

    /// <summary>Returns the first <paramref name="n"/> bytes of the sequence; O(1).</summary>
    public BlockSeq TakeFirst64(ulong n)
    {
        if (n >= _numBytes)
        {
            return this;
        }
        if (n <= (ulong)_head.Length)
        {
            return new BlockSeq(_head.TakeFirst64(n));
        }
        return new BlockSeq(_head, _rest, _restIndex, _count, n);
    }

    /// <summary>Enumerates the blocks in order (as successive <see cref="Head"/>s).</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Formats as <c>{Block[0x..., +n] ...}</c>.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder("{");
        foreach (Block block in this)
        {
            if (builder.Length > 1)
            {
                builder.Append(' ');
            }
            builder.Append(block.ToString());
        }
        return builder.Append('}').ToString();
    }

    [DoesNotReturn]
    private static void ThrowEmpty() => ThrowHelper.ThrowInvalidOperation("The BlockSeq is empty.");

    /// <summary>Enumerates the blocks of a <see cref="BlockSeq"/> without allocating.</summary>
    public struct Enumerator
    {
        private BlockSeq _remaining;
        private Block _current;

        internal Enumerator(BlockSeq seq) => _remaining = seq;

        /// <summary>The current block.</summary>
        public readonly Block Current => _current;

        /// <summary>Advances to the next block.</summary>
        public bool MoveNext()
        {
            if (_remaining.IsEmpty)
            {
                return false;
            }
            _current = _remaining._head;
            _remaining = _remaining.Tail();
            return true;
        }
    }
}
