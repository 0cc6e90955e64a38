using Warden.HostArch;

namespace Warden.MemMap;

/// <summary>A mutable mapping from addresses to (<see cref="IMappable"/>, offset) pairs: an address space's view of what it maps.</summary>
public interface IMappingSpace
{
    /// <summary>
    /// Tells the space that translations it obtained from <see cref="IMappable.Translate"/> for the
    /// offsets mapped at <paramref name="ar"/> are no longer valid.
    /// </summary>
    /// <remarks>
    /// <b>Preconditions:</b> <paramref name="ar"/> is non-empty and page-aligned. Implementations must
    /// not take any lock that precedes the memory manager's active lock in the lock order.
    /// </remarks>
    void Invalidate(AddrRange ar, InvalidateOpts opts);
}
