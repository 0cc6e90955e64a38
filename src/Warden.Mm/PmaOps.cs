using Warden.HostArch;
using Warden.RangeMap;

namespace Warden.Mm;

/// <summary>Merges pmas that are contiguous in the same file with the same state, and splits them.</summary>
internal readonly struct PmaOps : IRangeMapOps<AddrRange, Pma>
{
    public static bool TryMerge(AddrRange first, Pma firstValue, AddrRange second, Pma secondValue, out Pma merged)
    {
        merged = firstValue;
        return ReferenceEquals(firstValue.File, secondValue.File) &&
            firstValue.Offset + (second.Start.Value - first.Start.Value) == secondValue.Offset &&
            firstValue.EffectivePerms == secondValue.EffectivePerms &&
            firstValue.MaxPerms == secondValue.MaxPerms &&
            firstValue.NeedCOW == secondValue.NeedCOW &&
            firstValue.Private == secondValue.Private;
    }

    public static (Pma First, Pma Second) Split(AddrRange range, Pma value, ulong key)
    {
        Pma second = value;
        second.Offset = value.Offset + (key - range.Start.Value);
        return (value, second);
    }
}
