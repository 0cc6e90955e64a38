using System.Globalization;

namespace Warden.HostArch;

/// <summary>
/// The operations of every half-open range type (<see cref="IRange{TSelf}"/>), defined once.
/// </summary>
/// <remarks>
/// Calls are specialised per range type by the JIT: they cost what hand-written members would.
/// Results are only meaningful for well-formed ranges (<c>Start &lt;= End</c>) unless stated.
/// </remarks>
public static class RangeOperations
{
    extension<TRange>(TRange range)
        where TRange : struct, IRange<TRange>
    {
        /// <summary>The number of keys in the range.</summary>
        public ulong Length => range.RangeEnd - range.RangeStart;

        /// <summary>Whether the range holds no key.</summary>
        public bool IsEmpty => range.RangeStart >= range.RangeEnd;

        /// <summary>Whether <c>Start &lt;= End</c>. Meaningful for any range.</summary>
        public bool WellFormed => range.RangeStart <= range.RangeEnd;

        /// <summary>Whether both bounds are multiples of <see cref="Arch.PageSize"/>.</summary>
        public bool IsPageAligned => Arch.IsPageAligned(range.RangeStart) && Arch.IsPageAligned(range.RangeEnd);

        /// <summary>Whether <paramref name="key"/> lies in the range.</summary>
        public bool Contains(ulong key) => range.RangeStart <= key && key < range.RangeEnd;

        /// <summary>
        /// Whether each range starts before the other ends. For non-empty ranges this means they share
        /// a key; an empty range strictly inside another also overlaps it (as in gVisor).
        /// </summary>
        public bool Overlaps(TRange other) => range.RangeStart < other.RangeEnd && other.RangeStart < range.RangeEnd;

        /// <summary>
        /// Whether <paramref name="other"/> lies within this range's bounds
        /// (<c>Start &lt;= other.Start</c> and <c>other.End &lt;= End</c>); an empty range counts only
        /// if its position does.
        /// </summary>
        public bool IsSupersetOf(TRange other) => range.RangeStart <= other.RangeStart && other.RangeEnd <= range.RangeEnd;

        /// <summary>
        /// The keys the two ranges share. If they share none, the result is an empty range whose
        /// start is the larger of the two starts.
        /// </summary>
        public TRange Intersect(TRange other)
        {
            ulong start = Math.Max(range.RangeStart, other.RangeStart);
            ulong end = Math.Min(range.RangeEnd, other.RangeEnd);
            return TRange.FromBounds(start, Math.Max(start, end));
        }

        /// <summary>
        /// Whether splitting at <paramref name="key"/> would leave two non-empty ranges
        /// (<c>Start &lt; key &lt; End</c>).
        /// </summary>
        public bool CanSplitAt(ulong key) => range.RangeStart < key && key < range.RangeEnd;

        /// <summary>Formats the range as <c>[0xstart, 0xend)</c>.</summary>
        public string FormatRange() =>
            string.Create(CultureInfo.InvariantCulture, $"[0x{range.RangeStart:x}, 0x{range.RangeEnd:x})");
    }
}
