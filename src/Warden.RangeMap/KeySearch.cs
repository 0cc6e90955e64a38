using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Warden.RangeMap;

/// <summary>Searches the sorted key arrays of the map's nodes.</summary>
internal static class KeySearch
{
    /// <summary>
    /// The number of the first <paramref name="count"/> elements of <paramref name="keys"/> that are
    /// less than or equal to <paramref name="key"/>: for sorted keys, the index of the first key
    /// greater than it.
    /// </summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> <c>keys[0..count)</c> is sorted in ascending order;
    /// <c>count &lt;= keys.Length</c>. Elements past <paramref name="count"/> may hold anything.</para>
    /// <para>Every key is compared, with vectors, rather than binary searched: a random lookup's
    /// binary search mispredicts about half its branches and waits for each cache line in turn,
    /// whereas comparing all of them has no data-dependent branch and lets the CPU fetch a node's
    /// cache lines in parallel. For a full 32-key node that is 4 (AVX-512) or 8 (AVX2) compares.</para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountLessOrEqual(ReadOnlySpan<ulong> keys, int count, ulong key)
    {
        if (Vector512.IsHardwareAccelerated && (keys.Length & 7) == 0)
        {
            return CountLessOrEqual512(keys, count, key);
        }
        if (Vector256.IsHardwareAccelerated && (keys.Length & 3) == 0)
        {
            return CountLessOrEqual256(keys, count, key);
        }
        return CountLessOrEqualScalar(keys[..count], key);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountLessOrEqual512(ReadOnlySpan<ulong> keys, int count, ulong key)
    {
        Vector512<ulong> probe = Vector512.Create(key);
        int result = 0;
        for (int i = 0; i < count; i += 8)
        {
            ulong bits = Vector512.LessThanOrEqual(Vector512.Create(keys.Slice(i, 8)), probe).ExtractMostSignificantBits();
            int valid = count - i;
            if (valid < 8)
            {
                // Lanes past count hold stale keys: ignore them.
                bits &= (1UL << valid) - 1;
            }
            result += BitOperations.PopCount(bits);
        }
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountLessOrEqual256(ReadOnlySpan<ulong> keys, int count, ulong key)
    {
        Vector256<ulong> probe = Vector256.Create(key);
        int result = 0;
        for (int i = 0; i < count; i += 4)
        {
            uint bits = Vector256.LessThanOrEqual(Vector256.Create(keys.Slice(i, 4)), probe).ExtractMostSignificantBits();
            int valid = count - i;
            if (valid < 4)
            {
                bits &= (1U << valid) - 1;
            }
            result += BitOperations.PopCount(bits);
        }
        return result;
    }

    private static int CountLessOrEqualScalar(ReadOnlySpan<ulong> keys, ulong key)
    {
        int lo = 0;
        int hi = keys.Length;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (keys[mid] <= key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
