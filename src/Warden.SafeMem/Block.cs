using System.Diagnostics.CodeAnalysis;

namespace Warden.SafeMem;

/// <summary>
/// A contiguous run of bytes in memory that cannot move: unmanaged memory, or part of an array from
/// <see cref="PinnedArrays"/>.
/// </summary>
/// <remarks>
/// <para>
/// A block does not own what it points at. Whoever hands out a block (a memory file's mapping, a
/// pinned buffer) guarantees the memory stays mapped and referenced for as long as the block is
/// used; Warden never copies through memory that can vanish, because .NET cannot recover from a
/// fault mid-copy. A block over a pinned array keeps that array alive.
/// </para>
/// <para>The default block is empty.</para>
/// </remarks>
public readonly unsafe struct Block : IEquatable<Block>
{
    private readonly byte[]? _keepAlive;
    private readonly byte* _start;
    private readonly int _length;

    private Block(byte[]? keepAlive, byte* start, int length)
    {
        _keepAlive = keepAlive;
        _start = start;
        _length = length;
    }

    /// <summary>Returns a block over <paramref name="length"/> bytes of unmanaged memory at <paramref name="start"/>.</summary>
    /// <remarks>
    /// <b>Preconditions:</b> the memory is mapped, readable and writable for as long as the block or
    /// any block derived from it is used.
    /// </remarks>
    public static Block FromPointer(void* start, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (start is null && length != 0)
        {
            throw new ArgumentNullException(nameof(start), "A non-empty block needs a non-null start.");
        }
        return length == 0 ? default : new Block(null, (byte*)start, length);
    }

    /// <summary>Returns a block over the whole of <paramref name="array"/>.</summary>
    /// <exception cref="ArgumentException">The array was not allocated by <see cref="PinnedArrays"/>.</exception>
    public static Block FromPinnedArray(byte[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        return FromPinnedArray(array, 0, array.Length);
    }

    /// <summary>Returns a block over <paramref name="length"/> bytes of <paramref name="array"/> from <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentException">The array was not allocated by <see cref="PinnedArrays"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The segment is not within the array.</exception>
    public static Block FromPinnedArray(byte[] array, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(array);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, array.Length - offset);
        if (!PinnedArrays.IsPinned(array))
        {
            ThrowNotPinned();
        }
        if (length == 0)
        {
            return default;
        }
        // The array is on the pinned object heap, so its address is fixed for its whole life.
        fixed (byte* start = array)
        {
            return new Block(array, start + offset, length);
        }
    }

    /// <summary>The number of bytes in the block.</summary>
    public int Length => _length;

    /// <summary>Whether the block has no bytes.</summary>
    public bool IsEmpty => _length == 0;

    /// <summary>The address of the first byte (for diagnostics, alignment checks and system calls).</summary>
    public nint Address => (nint)_start;

    /// <summary>Returns a span over the block's bytes.</summary>
    public Span<byte> AsSpan() => new(_start, _length);

    /// <summary>Returns a span over the first <paramref name="length"/> bytes.</summary>
    public Span<byte> AsSpan(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _length);
        return new Span<byte>(_start, length);
    }

    /// <summary>Returns the first <paramref name="n"/> bytes (the whole block if it is shorter).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public Block TakeFirst(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return TakeFirst64((ulong)n);
    }

    /// <inheritdoc cref="TakeFirst(int)"/>
    public Block TakeFirst64(ulong n)
    {
        if (n == 0)
        {
            return default;
        }
        return n >= (ulong)_length ? this : new Block(_keepAlive, _start, (int)n);
    }

    /// <summary>Returns the block without its first <paramref name="n"/> bytes (empty if it is shorter).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public Block DropFirst(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return DropFirst64((ulong)n);
    }

    /// <inheritdoc cref="DropFirst(int)"/>
    public Block DropFirst64(ulong n)
    {
        if (n >= (ulong)_length)
        {
            return default;
        }
        return new Block(_keepAlive, _start + n, _length - (int)n);
    }

    /// <summary>Whether both blocks cover the same bytes.</summary>
    public bool Equals(Block other) => _start == other._start && _length == other._length;

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is Block other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine((nint)_start, _length);

    /// <inheritdoc/>
    public static bool operator ==(Block left, Block right) => left.Equals(right);

    /// <inheritdoc/>
    public static bool operator !=(Block left, Block right) => !left.Equals(right);

    /// <summary>Formats as <c>Block[0xaddress, +length]</c>.</summary>
    public override string ToString() => $"Block[0x{(nint)_start:x}, +{_length}]";

    [DoesNotReturn]
    private static void ThrowNotPinned() =>
        throw new ArgumentException(
            "The array was not allocated by PinnedArrays: a block may only point at memory that cannot move.", "array");
}
