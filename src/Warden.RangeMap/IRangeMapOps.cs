using Warden.HostArch;

namespace Warden.RangeMap;

/// <summary>
/// How a <see cref="RangeMap{TRange, TValue, TOps}"/> merges and splits the values of its segments.
/// Implemented by a struct with static methods, so that the map's calls are specialised by the JIT
/// and cost nothing beyond the method body.
/// </summary>
/// <typeparam name="TRange">The range type the map is keyed by.</typeparam>
/// <typeparam name="TValue">The value stored with each segment.</typeparam>
public interface IRangeMapOps<TRange, TValue>
    where TRange : struct, IRange<TRange>
{
    /// <summary>
    /// Decides whether two adjacent segments may become one and, if so, gives the value of the
    /// union.
    /// </summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> <c>first.End == second.Start</c>; both ranges are non-empty.</para>
    /// <para><b>Postconditions:</b> when it returns <see langword="true"/>, <paramref name="merged"/>
    /// is the value of <c>[first.Start, second.End)</c>; when it returns <see langword="false"/>,
    /// <paramref name="merged"/> is ignored. It must not change the map.</para>
    /// </remarks>
    /// <param name="first">The range of the lower segment.</param>
    /// <param name="firstValue">The value of the lower segment.</param>
    /// <param name="second">The range of the upper segment.</param>
    /// <param name="secondValue">The value of the upper segment.</param>
    /// <param name="merged">The value of the merged segment, when the result is <see langword="true"/>.</param>
    /// <returns>Whether the two segments may be merged.</returns>
    static abstract bool TryMerge(TRange first, TValue firstValue, TRange second, TValue secondValue, out TValue merged);

    /// <summary>Gives the values of the two parts of a segment cut at <paramref name="key"/>.</summary>
    /// <remarks>
    /// <para><b>Preconditions:</b> <c>range.Start &lt; key &lt; range.End</c>.</para>
    /// <para><b>Postconditions:</b> <c>First</c> is the value of <c>[range.Start, key)</c> and
    /// <c>Second</c> that of <c>[key, range.End)</c>. It must not change the map.</para>
    /// </remarks>
    /// <param name="range">The range of the segment being split.</param>
    /// <param name="value">The value of the segment being split.</param>
    /// <param name="key">Where to cut.</param>
    /// <returns>The values of the lower and upper parts.</returns>
    static abstract (TValue First, TValue Second) Split(TRange range, TValue value, ulong key);
}
