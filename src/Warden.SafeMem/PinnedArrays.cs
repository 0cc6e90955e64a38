using System.Runtime.CompilerServices;

namespace Warden.SafeMem;

/// <summary>
/// Byte arrays on the pinned object heap: managed memory that never moves, so a <see cref="Block"/>
/// may point into it.
/// </summary>
/// <remarks>
/// Only arrays allocated here are accepted by <see cref="Block.FromPinnedArray(byte[], int, int)"/>:
/// the runtime offers no way to ask whether an arbitrary array is pinned, so this class remembers
/// (weakly) the arrays it made. Thread-safe.
/// </remarks>
public static class PinnedArrays
{
    private static readonly ConditionalWeakTable<byte[], object?> s_allocated = new();

    /// <summary>Allocates a zero-filled pinned array of <paramref name="length"/> bytes.</summary>
    public static byte[] Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        byte[] array = GC.AllocateArray<byte>(length, pinned: true);
        s_allocated.Add(array, null);
        return array;
    }

    /// <summary>Allocates a pinned array holding a copy of <paramref name="contents"/>.</summary>
    public static byte[] CopyOf(ReadOnlySpan<byte> contents)
    {
        byte[] array = Allocate(contents.Length);
        contents.CopyTo(array);
        return array;
    }

    /// <summary>Whether <paramref name="array"/> was allocated by this class.</summary>
    public static bool IsPinned(byte[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        return s_allocated.TryGetValue(array, out _);
    }
}
