namespace Warden.HostArch;

/// <summary>The half-open interval <c>[Start, End)</c>: a range of offsets into a file (an <c>IFile</c>).</summary>
/// <remarks>Its operations (<c>Length</c>, <c>Contains</c>, <c>Intersect</c>, ...) come from <see cref="RangeOperations"/>.</remarks>
/// <param name="Start">The first key in the range.</param>
/// <param name="End">The first key past the range.</param>
public readonly record struct FileRange(ulong Start, ulong End) : IRange<FileRange>
{
    ulong IRange<FileRange>.RangeStart => Start;

    ulong IRange<FileRange>.RangeEnd => End;

    static FileRange IRange<FileRange>.FromBounds(ulong start, ulong end) => new(start, end);

    /// <summary>Formats the range as <c>[0xstart, 0xend)</c>.</summary>
    public override string ToString() => this.FormatRange();
}
