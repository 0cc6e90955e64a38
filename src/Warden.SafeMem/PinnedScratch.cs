namespace Warden.SafeMem;

/// <summary>A reusable pinned buffer for adapters that must hand blocks to a reader or writer.</summary>
/// <remarks>Not thread-safe; owned by one adapter.</remarks>
internal struct PinnedScratch
{
    private const int MinSize = 4096;
    private const int MaxSize = 64 * 1024;

    private byte[]? _array;

    /// <summary>Returns a block of at least 1 and at most <paramref name="wanted"/> bytes (capped at 64 KiB).</summary>
    public Block Get(int wanted)
    {
        int size = Math.Clamp(wanted, 1, MaxSize);
        if (_array is null || _array.Length < size)
        {
            _array = PinnedArrays.Allocate(Math.Max(size, MinSize));
        }
        return Block.FromPinnedArray(_array, 0, size);
    }
}
