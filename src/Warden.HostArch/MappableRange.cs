namespace Warden.HostArch;

/// <summary>The half-open interval <c>[Start, End)</c>: a range of offsets into a mappable object (an <c>IMappable</c>).</summary>
/// <remarks>Its operations (<c>Length</c>, <c>Contains</c>, <c>Intersect</c>, ...) come from <see cref="RangeOperations"/>.</remarks>
/// <param name="Start">The first key in the range.</param>
/// <param name="End">The first key past the range.</param>
public readonly record struct MappableRange(ulong Start, ulong End) : IRange<MappableRange>
{
    ulong IRange<MappableRange>.RangeStart => Start;

    ulong IRange<MappableRange>.RangeEnd => End;

    static MappableRange IRange<MappableRange>.FromBounds(ulong start, ulong end) => new(start, end);

    /// <summary>Formats the range as <c>[0xstart, 0xend)</c>.</summary>
    public override string ToString() => this.FormatRange();
}
