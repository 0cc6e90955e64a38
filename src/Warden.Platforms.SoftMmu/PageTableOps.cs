using Warden.HostArch;
using Warden.RangeMap;

namespace Warden.Platforms.SoftMmu;

/// <summary>
/// Merging and splitting for the page table: abutting runs join when they map the same file object
/// at contiguous offsets with the same permissions; a split advances the upper part's offset.
/// </summary>
internal readonly struct PageTableOps : IRangeMapOps<AddrRange, PageTableEntry>
{
    public static bool TryMerge(AddrRange first, PageTableEntry firstValue, AddrRange second, PageTableEntry secondValue, out PageTableEntry merged)
    {
        merged = firstValue;
        return ReferenceEquals(firstValue.File, secondValue.File)
            && firstValue.Perms == secondValue.Perms
            && firstValue.Offset + (second.Start - first.Start) == secondValue.Offset;
    }

    public static (PageTableEntry First, PageTableEntry Second) Split(AddrRange range, PageTableEntry value, ulong key) =>
        (value, value with { Offset = value.Offset + (key - range.Start.Value) });
}
