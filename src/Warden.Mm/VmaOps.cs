using Warden.HostArch;
using Warden.RangeMap;

namespace Warden.Mm;

/// <summary>Merges adjacent vmas that Linux would treat as one mapping, and splits them.</summary>
internal readonly struct VmaOps : IRangeMapOps<AddrRange, Vma>
{
    public static bool TryMerge(AddrRange first, Vma firstValue, AddrRange second, Vma secondValue, out Vma merged)
    {
        merged = firstValue;
        merged.AnonVma ??= secondValue.AnonVma;
        bool anonCompatible = firstValue.AnonVma is null || secondValue.AnonVma is null ||
            ReferenceEquals(firstValue.AnonVma, secondValue.AnonVma);
        bool contiguous = firstValue.Offset + (second.Start.Value - first.Start.Value) == secondValue.Offset;
        return contiguous && anonCompatible &&
            ReferenceEquals(firstValue.Mappable, secondValue.Mappable) &&
            ReferenceEquals(firstValue.Id, secondValue.Id) &&
            firstValue.RealPerms == secondValue.RealPerms &&
            firstValue.MaxPerms == secondValue.MaxPerms &&
            firstValue.Private == secondValue.Private &&
            firstValue.GrowsDown == secondValue.GrowsDown &&
            firstValue.Accounted == secondValue.Accounted &&
            firstValue.Hints == secondValue.Hints &&
            firstValue.IsStack == secondValue.IsStack &&
            firstValue.DontFork == secondValue.DontFork &&
            firstValue.WipeOnFork == secondValue.WipeOnFork &&
            firstValue.MLockMode == secondValue.MLockMode &&
            firstValue.NameMut == secondValue.NameMut &&
            string.Equals(firstValue.Name, secondValue.Name, StringComparison.Ordinal);
    }

    public static (Vma First, Vma Second) Split(AddrRange range, Vma value, ulong key)
    {
        Vma second = value;
        second.Offset = value.Offset + (key - range.Start.Value);
        return (value, second);
    }
}
