using Warden.HostArch;
using Warden.RangeMap;

namespace Warden.Tests.RangeMap;

/// <summary>
/// A value that carries an offset, as the memory manager's mappings do: the value of a segment is
/// the offset mapped at its start, so a segment split at <c>key</c> gives its upper part the offset
/// <c>value + (key - start)</c>, and two abutting segments merge only if the second continues the
/// first's offsets.
/// </summary>
public struct OffsetOps : IRangeMapOps<FileRange, ulong>
{
    public static bool TryMerge(FileRange first, ulong firstValue, FileRange second, ulong secondValue, out ulong merged)
    {
        merged = firstValue;
        return secondValue == firstValue + (first.End - first.Start);
    }

    public static (ulong First, ulong Second) Split(FileRange range, ulong value, ulong key) =>
        (value, value + (key - range.Start));
}

/// <summary>An integer value that merges with an equal neighbour and splits into two copies.</summary>
public struct IntOps : IRangeMapOps<FileRange, int>
{
    public static bool TryMerge(FileRange first, int firstValue, FileRange second, int secondValue, out int merged)
    {
        merged = firstValue;
        return firstValue == secondValue;
    }

    public static (int First, int Second) Split(FileRange range, int value, ulong key) => (value, value);
}

/// <summary>
/// A reference-typed value (so the map must clear the slots it vacates) that merges with an equal
/// neighbour.
/// </summary>
public struct StringOps : IRangeMapOps<AddrRange, string>
{
    public static bool TryMerge(AddrRange first, string firstValue, AddrRange second, string secondValue, out string merged)
    {
        merged = firstValue;
        return firstValue == secondValue;
    }

    public static (string First, string Second) Split(AddrRange range, string value, ulong key) => (value, value);
}

/// <summary>Values that never merge: every segment stays as it was added.</summary>
public struct NeverMergeOps : IRangeMapOps<FileRange, long>
{
    public static bool TryMerge(FileRange first, long firstValue, FileRange second, long secondValue, out long merged)
    {
        merged = 0;
        return false;
    }

    public static (long First, long Second) Split(FileRange range, long value, ulong key) => (value, value);
}
