using Warden.HostArch;
using Warden.RangeMap;

namespace Warden.Mm;

/// <summary>Merges pmas that are contiguous in the same file with the same state, and splits them.</summary>
internal readonly struct PmaOps : IRangeMapOps<AddrRange, Pma>
{
    public static bool TryMerge(AddrRange first, Pma firstValue, AddrRange second, Pma secondValue, out Pma merged)
    {
        merged = firstValue;
        if (!(ReferenceEquals(firstValue.File, secondValue.File) &&
            firstValue.Offset + (second.Start.Value - first.Start.Value) == secondValue.Offset &&
            firstValue.EffectivePerms == secondValue.EffectivePerms &&
            firstValue.MaxPerms == secondValue.MaxPerms &&
            firstValue.NeedCOW == secondValue.NeedCOW &&
            firstValue.Private == secondValue.Private &&
            firstValue.ZeroPage == secondValue.ZeroPage &&
            firstValue.LazyFree == secondValue.LazyFree &&
            firstValue.PinCount == secondValue.PinCount))
        {
            return false;
        }
        // The merged pma gets its internal mapping on its next copy: joining the two would need
        // them to be contiguous in Warden, which only the file knows (gVisor drops them too).
        merged.InternalMapping = default;
        merged.InternalMappingUnavailable = false;
        return true;
    }

    public static (Pma First, Pma Second) Split(AddrRange range, Pma value, ulong key)
    {
        ulong firstLength = key - range.Start.Value;
        Pma first = value, second = value;
        second.Offset = value.Offset + firstLength;
        if (!value.InternalMapping.IsEmpty)
        {
            first.InternalMapping = value.InternalMapping.TakeFirst64(firstLength);
            second.InternalMapping = value.InternalMapping.DropFirst64(firstLength);
        }
        // Either part may now fit in one block, or map where the whole could not.
        first.InternalMappingUnavailable = second.InternalMappingUnavailable = false;
        return (first, second);
    }
}
