using System.Buffers;
using Warden.SafeMem;

namespace Warden.Mm;

/// <summary>
/// Collects the blocks of a vectored copy so that the reader or writer is called once with all of
/// them. One block is kept inline; more go into an array rented from <see cref="ArrayPool{T}.Shared"/>,
/// so a steady stream of copies allocates nothing.
/// </summary>
/// <remarks>
/// The sequence <see cref="ToSeq"/> returns is valid until the next <see cref="Add"/>,
/// <see cref="Clear"/> or <see cref="Dispose"/> (readers and writers do not retain blocks).
/// <see cref="Dispose"/> returns the array.
/// </remarks>
internal struct BlockGatherer : IDisposable
{
    private Block _first;
    private Block[]? _blocks;
    private int _count;
    private ulong _numBytes;

    /// <summary>The bytes gathered so far.</summary>
    public readonly ulong NumBytes => _numBytes;

    /// <summary>Appends every block of <paramref name="blocks"/>.</summary>
    public void Add(BlockSeq blocks)
    {
        foreach (Block block in blocks)
        {
            AddBlock(block);
        }
    }

    private void AddBlock(Block block)
    {
        if (_count == 0)
        {
            _first = block;
            if (_blocks is not null)
            {
                _blocks[0] = block;
            }
        }
        else
        {
            if (_blocks is null || _count == _blocks.Length)
            {
                Grow();
            }
            _blocks![_count] = block;
        }
        _count++;
        _numBytes += (ulong)block.Length;
    }

    private void Grow()
    {
        Block[] larger = ArrayPool<Block>.Shared.Rent(Math.Max(8, _count * 2));
        if (_blocks is null)
        {
            larger[0] = _first;
        }
        else
        {
            Array.Copy(_blocks, larger, _count);
            Return();
        }
        _blocks = larger;
    }

    /// <summary>The blocks gathered, in order.</summary>
    public readonly BlockSeq ToSeq() =>
        _count switch
        {
            0 => BlockSeq.Empty,
            1 => BlockSeq.Of(_first),
            _ => BlockSeq.FromArray(_blocks!, 0, _count),
        };

    /// <summary>Forgets the blocks gathered, keeping the array for reuse.</summary>
    public void Clear()
    {
        _count = 0;
        _numBytes = 0;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Return();
        _blocks = null;
        _count = 0;
        _numBytes = 0;
    }

    private readonly void Return()
    {
        if (_blocks is not null)
        {
            // Blocks may keep pinned arrays alive: clear them so the pool does not.
            Array.Clear(_blocks);
            ArrayPool<Block>.Shared.Return(_blocks);
        }
    }
}
