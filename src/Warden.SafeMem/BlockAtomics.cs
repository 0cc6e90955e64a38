using System.Diagnostics.CodeAnalysis;
using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>Atomic 32-bit operations on the first four bytes of a block.</summary>
/// <remarks>
/// <b>Preconditions</b> (each method): the block is at least 4 bytes long and its address is a
/// multiple of 4. A block that breaks them is a caller's bug and throws <see cref="ArgumentException"/>.
/// Values are in host (little-endian) byte order.
/// </remarks>
public static unsafe class BlockAtomics
{
    /// <summary>Atomically stores <paramref name="newValue"/> and returns the previous value.</summary>
    public static uint SwapUint32(Block block, uint newValue) =>
        Interlocked.Exchange(ref *Word(block), newValue);

    /// <summary>
    /// Atomically replaces the value with <paramref name="newValue"/> if it equals
    /// <paramref name="oldValue"/>; returns the value found either way.
    /// </summary>
    public static uint CompareAndSwapUint32(Block block, uint oldValue, uint newValue) =>
        Interlocked.CompareExchange(ref *Word(block), newValue, oldValue);

    /// <summary>Atomically loads the value.</summary>
    public static uint LoadUint32(Block block) => Volatile.Read(ref *Word(block));

    /// <summary>Performs <paramref name="kind"/> on the word at the start of <paramref name="block"/> and returns the value it held before.</summary>
    /// <remarks>Preconditions: as for <see cref="SwapUint32"/>. <paramref name="expected"/> is read by <see cref="AtomicKind.CompareAndSwap"/> only, <paramref name="newValue"/> by it and <see cref="AtomicKind.Swap"/>.</remarks>
    internal static uint Apply(Block block, AtomicKind kind, uint expected, uint newValue) => kind switch
    {
        AtomicKind.Swap => SwapUint32(block, newValue),
        AtomicKind.CompareAndSwap => CompareAndSwapUint32(block, expected, newValue),
        _ => LoadUint32(block),
    };

    private static uint* Word(Block block)
    {
        if (block.Length < sizeof(uint) || (block.Address & (sizeof(uint) - 1)) != 0)
        {
            ThrowUnaligned(block);
        }
        return (uint*)block.Address;
    }

    [DoesNotReturn]
    private static void ThrowUnaligned(Block block) =>
        ThrowHelper.ThrowArgument(nameof(block), "An atomic 32-bit access needs a 4-byte-aligned block of at least 4 bytes; got {0}.", block);
}
