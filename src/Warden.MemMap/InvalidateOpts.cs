namespace Warden.MemMap;

/// <summary>Options for <see cref="IMappingSpace.Invalidate"/>.</summary>
public readonly record struct InvalidateOpts
{
    /// <summary>Also discard private (copy-on-write) pages in the range, losing their data.</summary>
    public bool InvalidatePrivate { get; init; }
}
