using Warden.HostArch;
using Warden.Platform;
using Warden.RangeMap;

namespace Warden.PgAlloc;

/// <summary>What every page of one segment of the reference-count map has in common.</summary>
/// <param name="Refs">The references held on each page (always at least 1: free pages are not in the map).</param>
/// <param name="Kind">What the pages are accounted as.</param>
/// <param name="MemCgID">The memory cgroup the pages are charged to.</param>
internal readonly record struct PageState(int Refs, MemoryKind Kind, uint MemCgID);

/// <summary>Merges neighbouring segments whose states are equal; a split keeps the state on both sides.</summary>
internal readonly struct PageStateOps : IRangeMapOps<FileRange, PageState>
{
    public static bool TryMerge(FileRange first, PageState firstValue, FileRange second, PageState secondValue, out PageState merged)
    {
        merged = firstValue;
        return firstValue == secondValue;
    }

    public static (PageState First, PageState Second) Split(FileRange range, PageState value, ulong key) => (value, value);
}
