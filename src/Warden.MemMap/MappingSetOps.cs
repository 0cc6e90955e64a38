using Warden.HostArch;
using Warden.RangeMap;

namespace Warden.MemMap;

/// <summary>How a <see cref="MappingSet"/>'s segments split and merge.</summary>
/// <remarks>
/// A segment's value is the set of mappings of its offsets; each mapping covers exactly the segment's
/// length. Splitting cuts every mapping at the same point; two adjacent segments merge only if each
/// mapping of the first continues, at the very next address, as a mapping of the second.
/// </remarks>
internal readonly struct MappingSetOps : IRangeMapOps<MappableRange, MappingsOfRange>
{
    public static bool TryMerge(MappableRange first, MappingsOfRange firstValue, MappableRange second, MappingsOfRange secondValue, out MappingsOfRange merged)
    {
        merged = null!;
        if (firstValue.Count != secondValue.Count)
        {
            return false;
        }
        var result = new MappingsOfRange(firstValue.Count);
        foreach (MappingOfRange m in firstValue)
        {
            Addr continuationEnd = m.AddrRange.End + second.Length;
            var continuation = m with { AddrRange = new AddrRange(m.AddrRange.End, continuationEnd) };
            if (!secondValue.Contains(continuation))
            {
                return false;
            }
            result.Add(m with { AddrRange = new AddrRange(m.AddrRange.Start, continuationEnd) });
        }
        merged = result;
        return true;
    }

    public static (MappingsOfRange First, MappingsOfRange Second) Split(MappableRange range, MappingsOfRange value, ulong key)
    {
        ulong cut = key - range.Start;
        var first = new MappingsOfRange(value.Count);
        var second = new MappingsOfRange(value.Count);
        foreach (MappingOfRange m in value)
        {
            Addr middle = m.AddrRange.Start + cut;
            first.Add(m with { AddrRange = new AddrRange(m.AddrRange.Start, middle) });
            second.Add(m with { AddrRange = new AddrRange(middle, m.AddrRange.End) });
        }
        return (first, second);
    }
}
