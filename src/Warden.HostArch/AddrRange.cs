namespace Warden.HostArch;

/// <summary>The half-open interval <c>[Start, End)</c>: a range of virtual addresses.</summary>
/// <remarks>Its operations (<c>Length</c>, <c>Contains</c>, <c>Intersect</c>, ...) come from <see cref="RangeOperations"/>.</remarks>
/// <param name="Start">The first key in the range.</param>
/// <param name="End">The first key past the range.</param>
public readonly record struct AddrRange(Addr Start, Addr End) : IRange<AddrRange>
{
    ulong IRange<AddrRange>.RangeStart => Start.Value;

    ulong IRange<AddrRange>.RangeEnd => End.Value;

    static AddrRange IRange<AddrRange>.FromBounds(ulong start, ulong end) => new(new Addr(start), new Addr(end));

    /// <summary>Formats the range as <c>[0xstart, 0xend)</c>.</summary>
    public override string ToString() => this.FormatRange();
}
